// Port helpers for the local services npm start and the tests run side by side.
import net from 'node:net';

/** ports freePort handed out in this process: the OS may offer a closed one again at once */
const handedOut = new Set<number>();
const FREE_PORT_TRIES = 20;

/**
 * A TCP port that was free a moment ago on `host` (the OS picks it), never one this process got
 * before: services started side by side each take their ports before any of them binds.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < FREE_PORT_TRIES; attempt += 1) {
    const port = await ephemeralPort(host);
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no port on ${host} that this process has not used yet after ${FREE_PORT_TRIES} tries`);
}

function ephemeralPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** Whether `port` can be bound on `host` right now. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** `preferred` when it is free, else an ephemeral port. */
export async function portOrFree(preferred: number, host = '127.0.0.1'): Promise<number> {
  return (await isPortFree(preferred, host)) ? preferred : freePort(host);
}
