// Runs Debian's redis-server (7.0) as a child process on its own port and directory, so the tests
// and the bench get a real Redis without touching a system one. Append-only file on: a restart
// keeps the state, as a production Redis for the cluster must.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { freePort } from './ports';

export interface RunningRedis {
  url: string;
  port: number;
  /** stops the server (SIGTERM, it writes its file) */
  stop(): Promise<void>;
  /** stops and starts it again on the same port and directory */
  restart(): Promise<void>;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(1000, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) socket.end();
    });
    socket.on('close', () => resolve(answer.startsWith('+PONG')));
    socket.on('error', () => undefined);
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

export async function startRedis(options: { dataDir: string; binary?: string; port?: number; startTimeoutMs?: number }): Promise<RunningRedis> {
  const port = options.port || (await freePort());
  const binary = options.binary ?? 'redis-server';
  const timeoutMs = options.startTimeoutMs ?? 15_000;
  let child: ChildProcess | undefined;

  const launch = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', options.dataDir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no', '--loglevel', 'warning'];
    const started = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    started.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child = started;
    const deadline = Date.now() + timeoutMs;
    while (!(await ping(port))) {
      if (started.exitCode !== null) throw new Error(`redis-server exited with ${started.exitCode}: ${stderr.trim()}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running) return;
    running.kill('SIGTERM');
    await exited(running);
  };

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    restart: async () => {
      await stop();
      await launch();
    },
  };
}
