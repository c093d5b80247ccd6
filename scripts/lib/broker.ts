// Embedded MQTT broker (aedes) for `npm start` and the tests: no external broker needed.
import net from 'node:net';

export interface BrokerOptions {
  /** 0 picks an ephemeral port */
  port: number;
  host?: string;
}

export interface RunningBroker {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startBroker({ port, host = '127.0.0.1' }: BrokerOptions): Promise<RunningBroker> {
  // aedes 1.x is ESM-only; tsc (module node16) keeps this import() as a real dynamic import.
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw err;
  }

  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  let closing: Promise<void> | undefined;
  return {
    url: `mqtt://${host}:${boundPort}`,
    port: boundPort,
    close() {
      closing ??= (async () => {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        await new Promise<void>((resolve) => broker.close(() => resolve()));
        // Clients with reconnect logic would keep the listener open; drop them.
        for (const socket of sockets) socket.destroy();
        await serverClosed;
      })();
      return closing;
    },
  };
}
