// Embedded MQTT broker (aedes) for `npm start` and the tests: no external broker needed.
// With a data directory the sessions and their QoS 1 queues live on disk (LevelDB), so readings
// queued for Node-RED survive a restart of the process; with a gate, devices are refused until
// Node-RED's persistent session is back (see admission below). With device logins
// (device-logins.ts) a device needs its password and may publish only under its own topics.
import fs from 'node:fs';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { deviceLoginValid, devicePublishAllowed, deviceSubscribeAllowed } from './device-logins';

/** Node-RED's MQTT login: the one client id whose session holds every reading. */
export interface NodeRedLogin {
  clientId: string;
  username: string;
  password: string;
}

export interface BrokerOptions {
  /** 0 picks an ephemeral port */
  port: number;
  host?: string;
  /** sessions, subscriptions and queued messages on disk here; without it in memory */
  dataDir?: string;
  /** refuse devices until this client has connected and subscribed; only its password opens its session */
  nodeRed?: NodeRedLogin;
  /** device id -> password hash: devices must log in (id as user name and client id); without it any client may connect */
  deviceLogins?: ReadonlyMap<string, string>;
}

export interface RunningBroker {
  url: string;
  port: number;
  /** resolves when devices are let in (at once without a gate) */
  devicesAccepted: Promise<void>;
  /** opens the gate without Node-RED (for flows that never subscribe) */
  acceptDevices(): void;
  close(): Promise<void>;
}

export interface ConnectRequest {
  clientId: string;
  username?: string;
  password?: string;
}

/** Return codes of MQTT 3.1.1 CONNACK used by the gate. */
export const REFUSED = { serverUnavailable: 3, badLogin: 4 } as const;

/**
 * Who may connect (pure). Node-RED's client id only with Node-RED's login: a device cannot take
 * over its session (a CONNECT with that id would otherwise end Node-RED's connection, and a clean
 * one would drop the queue). Node-RED itself may always connect, also over a connection the broker
 * still believes open, so it never locks itself out. Every other client is refused with "server
 * unavailable" (it retries and keeps its buffer) until Node-RED has connected and subscribed once
 * since this broker started: from then on a reading a device publishes is queued in Node-RED's
 * session even while Node-RED is away (a redeploy), so the gate stays open.
 */
export function admission(request: ConnectRequest, nodeRed: NodeRedLogin, devicesAccepted: boolean): 0 | 3 | 4 {
  if (request.clientId === nodeRed.clientId) {
    return request.username === nodeRed.username && request.password === nodeRed.password ? 0 : REFUSED.badLogin;
  }
  return devicesAccepted ? 0 : REFUSED.serverUnavailable;
}

interface Persistence {
  outgoingEnqueueCombi(subscriptions: unknown[], packet: unknown): Promise<unknown>;
  destroy(): Promise<void> | void;
}

/**
 * aedes stores a QoS 1 message in every persistent session's queue, then hands it to the online
 * subscribers, which drop any message older (by broker counter) than one they already got: it
 * takes the older one for a duplicate. LevelDB writes finish out of order under load, so the
 * online Node-RED silently missed messages (measured: 16 to 144 of 4,000 at 200/s in 5 runs; they stayed queued
 * until its next reconnect). Writes still run in parallel; they complete in the order they came.
 */
function completeInOrder(persistence: Persistence): Persistence {
  const enqueue = persistence.outgoingEnqueueCombi.bind(persistence);
  let previous: Promise<unknown> = Promise.resolve();
  persistence.outgoingEnqueueCombi = (subscriptions, packet) => {
    const stored = enqueue(subscriptions, packet);
    const inOrder = previous.then(() => stored);
    previous = inOrder.catch(() => undefined); // one failed write is that publish's error, not the next one's
    return inOrder;
  };
  return persistence;
}

async function openPersistence(dataDir: string): Promise<Persistence> {
  fs.mkdirSync(dataDir, { recursive: true });
  const { Level } = await import('level');
  // aedes-persistence-level 9 (for aedes-persistence 11 = aedes 1.x) ships no types
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const levelPersistence = require('aedes-persistence-level') as (db: unknown) => Persistence;
  const db = new Level(dataDir);
  // open now: a second process on the same directory fails here with a clear LEVEL_LOCKED error
  await db.open();
  return completeInOrder(levelPersistence(db));
}

const PUBACK = 4;

/**
 * The connection as aedes sees it: aedes 1.2 writes the PUBACK of a QoS 1 message before it
 * stores the message, so a crash right after a PUBACK lost a reading the device had already
 * dropped from its buffer (measured: the last of 200 in 4 of 5 kill -9s). This holds every
 * PUBACK, and what aedes writes after it (the order of acknowledgements is part of MQTT), until
 * aedes has stored that message (its `published` hook, see stored()).
 */
class PubackAfterStore extends Duplex {
  private pending = Buffer.alloc(0);
  private readonly held: { frame: Buffer; pubackId?: number }[] = [];
  private readonly storedIds = new Set<number>();

  constructor(private readonly socket: net.Socket) {
    super();
    socket.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  /** aedes has stored the QoS 1 message with this id: its PUBACK may go. */
  stored(messageId: number): void {
    this.storedIds.add(messageId);
    this.release();
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    for (let frame = nextFrame(this.pending); frame; frame = nextFrame(this.pending)) {
      this.pending = this.pending.subarray(frame.length);
      this.held.push({ frame, pubackId: frame[0]! >> 4 === PUBACK ? frame.readUInt16BE(2) : undefined });
    }
    this.release();
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy(error ?? undefined);
    callback(error);
  }

  private release(): void {
    while (this.held.length > 0) {
      const { frame, pubackId } = this.held[0]!;
      if (pubackId !== undefined) {
        if (!this.storedIds.has(pubackId)) return;
        this.storedIds.delete(pubackId);
      }
      this.held.shift();
      this.socket.write(frame);
    }
  }
}

/** One whole MQTT packet from the start of `buffer` (fixed header + remaining length), or undefined. */
function nextFrame(buffer: Buffer): Buffer | undefined {
  let length = 0;
  for (let i = 1, shift = 0; i < buffer.length && i <= 4; i++, shift += 7) {
    length += (buffer[i]! & 0x7f) << shift;
    if ((buffer[i]! & 0x80) === 0) return buffer.length >= i + 1 + length ? buffer.subarray(0, i + 1 + length) : undefined;
  }
  return undefined;
}

export async function startBroker({ port, host = '127.0.0.1', dataDir, nodeRed, deviceLogins }: BrokerOptions): Promise<RunningBroker> {
  // aedes 1.x is ESM-only; tsc (module node16) keeps this import() as a real dynamic import.
  const { Aedes } = await import('aedes');
  const persistence = dataDir ? await openPersistence(dataDir) : undefined;
  let devicesAccepted = false;
  let resolveAccepted = () => {};
  const accepted = new Promise<void>((resolve) => (resolveAccepted = resolve));
  const acceptDevices = () => {
    devicesAccepted = true;
    resolveAccepted();
  };
  if (!nodeRed) acceptDevices();

  const broker = await Aedes.createBroker({
    persistence,
    authenticate: (client, username, password, done) => {
      const request = { clientId: client.id, username, password: password?.toString() };
      const refuse = (code: number, reason: string) => done(Object.assign(new Error(reason), { returnCode: code }), false);
      const code = nodeRed ? admission(request, nodeRed, devicesAccepted) : 0;
      if (code !== 0) return refuse(code, code === REFUSED.serverUnavailable ? 'Node-RED has not subscribed yet' : `wrong login for ${client.id}`);
      if (!deviceLogins || client.id === nodeRed?.clientId) return done(null, true);
      deviceLoginValid(request, deviceLogins).then(
        (valid) => (valid ? done(null, true) : refuse(REFUSED.badLogin, `wrong device login for ${client.id}`)),
        (err: unknown) => refuse(REFUSED.badLogin, `device login check failed: ${String(err)}`),
      );
    },
    // with device logins a device (its client id is its device id) reaches only its own topics;
    // a refused publish closes its connection, a refused subscription gets the SUBACK failure code
    authorizePublish: (client, packet, done) => {
      if (!deviceLogins || !client || client.id === nodeRed?.clientId || devicePublishAllowed(client.id, packet.topic)) return done(null);
      done(new Error(`${client.id} may not publish on ${packet.topic}`));
    },
    authorizeSubscribe: (client, subscription, done) => {
      if (!deviceLogins || !client || client.id === nodeRed?.clientId || deviceSubscribeAllowed(client.id, subscription.topic)) return done(null, subscription);
      done(null, null);
    },
    published: (packet, client, done) => {
      if (client && packet.qos === 1 && packet.messageId !== undefined && client.conn instanceof PubackAfterStore) client.conn.stored(packet.messageId);
      done();
    },
  });
  if (nodeRed) {
    const nodeRedReady = (clientId: string | undefined) => {
      if (clientId === nodeRed.clientId) acceptDevices();
    };
    broker.on('subscribe', (_subscriptions, client) => nodeRedReady(client?.id));
    // a restored session (session present) has its subscriptions back before the CONNACK
    broker.on('connackSent', (packet, client) => packet.sessionPresent && nodeRedReady(client.id));
  }
  const server = net.createServer((socket) => broker.handle(persistence ? new PubackAfterStore(socket) : socket));
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const closeBroker = async () => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await persistence?.destroy();
  };

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await closeBroker();
    throw err;
  }

  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  let closing: Promise<void> | undefined;
  return {
    url: `mqtt://${host}:${boundPort}`,
    port: boundPort,
    devicesAccepted: accepted,
    acceptDevices,
    close() {
      closing ??= (async () => {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        await closeBroker();
        // Clients with reconnect logic would keep the listener open; drop them.
        for (const socket of sockets) socket.destroy();
        await serverClosed;
      })();
      return closing;
    },
  };
}
