// A real MQTT broker (aedes) in the test process, on a free port, for node tests that need
// Node-RED's own mqtt nodes to talk to a broker.
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface InProcessBroker {
  port: number;
  url: string;
  /** "clientId topic" of every subscription the broker granted */
  subscribed: Set<string>;
  /** the ids of every client that connected */
  clients: Set<string>;
  close(): Promise<void>;
}

export async function startInProcessBroker(): Promise<InProcessBroker> {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const subscribed = new Set<string>();
  broker.on('subscribe', (subscriptions, client) => subscriptions.forEach((s) => subscribed.add(`${client.id} ${s.topic}`)));
  const clients = new Set<string>();
  broker.on('client', (client) => clients.add(client.id));
  const server = net.createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    subscribed,
    clients,
    close: () => new Promise<void>((resolve) => broker.close(() => server.close(() => resolve()))),
  };
}
