// The Redis connections of one Node-RED process: one command connection per URL, shared by every
// node that needs it (like the mqtt broker config node's connection), closed with its last user.
// ioredis reconnects on its own and holds commands while Redis is away. Announcement channels are
// followed on a connection of their own (follow()).
import Redis from 'ioredis';

interface Shared {
  client: Redis;
  users: number;
}

const connections = new Map<string, Shared>();

/** Reconnects at 100 ms, growing to 2 s, forever: a Redis restart must not end the instance's work. */
const retryStrategy = (attempt: number): number => Math.min(attempt * 100, 2000);

/** A new connection of its own (a subscriber, or a caller that blocks); close it with quit(). */
export function openRedis(url: string): Redis {
  // null: a command waits for the connection to come back instead of failing after 20 retries
  const client = new Redis(url, { retryStrategy, maxRetriesPerRequest: null, enableAutoPipelining: true });
  // an unhandled 'error' event would end the process; the users see outages through their commands
  client.on('error', () => undefined);
  return client;
}

/** The process's shared connection to `url`; call release() once when done with it. */
export function borrowRedis(url: string): { client: Redis; release: () => Promise<void> } {
  let shared = connections.get(url);
  if (!shared) {
    shared = { client: openRedis(url), users: 0 };
    connections.set(url, shared);
  }
  shared.users += 1;
  const borrowed = shared;
  let released = false;
  return {
    client: borrowed.client,
    release: async () => {
      if (released) return;
      released = true;
      borrowed.users -= 1;
      if (borrowed.users > 0) return;
      connections.delete(url);
      await closeRedis(borrowed.client);
    },
  };
}

/** Closes a connection politely when it is up, at once when it is not (quit would wait for Redis). */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    await client.quit().catch(() => client.disconnect());
  } else client.disconnect();
}

export interface ChannelListener {
  /** a message published on the channel */
  message(text: string): void;
  /** the subscriber is back after a reconnect: ioredis subscribed again, but what was published meanwhile is lost, so read it whole */
  reconnected(): void;
}

/** Subscribes `subscriber` (a connection of its own, openRedis) to `channel`; several channels may share one subscriber. */
export function follow(subscriber: Redis, channel: string, listener: ChannelListener): Promise<unknown> {
  // a subscriber already up when the listener joins takes its next 'ready' for a reconnect
  let connected = subscriber.status === 'ready';
  subscriber.on('message', (from: string, text: string) => {
    if (from === channel) listener.message(text);
  });
  subscriber.on('ready', () => {
    if (connected) listener.reconnected();
    connected = true;
  });
  return subscriber.subscribe(channel);
}
