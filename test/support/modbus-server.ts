// Starts test/support/modbus-server.py (Debian's python3-pymodbus: an independent Modbus server,
// not our own library) and drives it over stdin: change values, silence a unit, refuse an address
// range, count requests. RTU runs over a socat pty pair. Locally a missing pymodbus / socat skips
// the suite loudly; under CI=true it fails (like test/support/system.ts).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { projectRoot } from './node-red';
import { requireBinary } from './system';
import { waitFor } from './wait';

export const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(projectRoot, 'test', 'support', 'modbus-server.py');

export type Table = 'holding' | 'input' | 'coil' | 'discrete';

export interface UnitSpec {
  holding?: Record<number, number>;
  input?: Record<number, number>;
  coil?: Record<number, boolean>;
  discrete?: Record<number, boolean>;
  exceptions?: { table: Table; from: number; to: number }[];
}

export interface ServerSpec {
  name: string;
  tcp?: { port: number };
  rtu?: { device: string; baudrate?: number; parity?: 'N' | 'E' | 'O'; bytesize?: number; stopbits?: number };
  units: Record<number, UnitSpec>;
}

/** Call in a suite's `before`: skips (locally) or fails (CI) when /usr/bin/python3 cannot import pymodbus. */
export function requirePymodbus(ctx: Mocha.Context): void {
  try {
    execFileSync(PYTHON, ['-c', 'import pymodbus.server.async_io'], { stdio: 'ignore' });
  } catch {
    const message = `${PYTHON} cannot import pymodbus: install it with 'apt-get install -y python3-pymodbus python3-serial-asyncio' (the server imports serial_asyncio)`;
    if (process.env.CI === 'true') throw new Error(`${message} (CI=true: this suite must not be skipped)`);
    console.warn(`\n  !!! SKIPPING: ${message}\n`);
    ctx.skip();
  }
}

export class ModbusServer {
  private readonly answers: ((line: string) => void)[] = [];
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    /** per server, in spec order: the TCP port, or 0 for RTU */
    readonly ports: number[],
    lines: readline.Interface,
  ) {
    lines.on('line', (line) => this.answers.shift()?.(line));
    child.on('exit', () => {
      this.exited = true;
      for (const answer of this.answers.splice(0)) answer('ERR server exited');
    });
  }

  static async start(servers: ServerSpec[]): Promise<ModbusServer> {
    const child = spawn(PYTHON, [SCRIPT, '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const lines = readline.createInterface({ input: child.stdout! });
    child.stdin?.write(`${JSON.stringify({ servers })}\n`);
    const ready = await new Promise<string>((resolve, reject) => {
      const onLine = (line: string) => {
        if (!line.startsWith('READY')) return;
        lines.off('line', onLine);
        resolve(line);
      };
      lines.on('line', onLine);
      child.once('exit', (code) => reject(new Error(`modbus-server.py exited (${code}) before READY: ${stderr}`)));
    });
    const ports = ready.split(' ').slice(1).map((label) => (label === 'rtu' ? 0 : Number(label)));
    return new ModbusServer(child, ports, lines);
  }

  get port(): number {
    return this.ports[0] ?? 0;
  }

  async command(command: Record<string, unknown>): Promise<unknown> {
    if (this.exited) throw new Error('modbus server has exited');
    const line = await new Promise<string>((resolve) => {
      this.answers.push(resolve);
      this.child.stdin?.write(`${JSON.stringify(command)}\n`);
    });
    if (!line.startsWith('OK ')) throw new Error(`modbus server: ${line}`);
    return JSON.parse(line.slice(3)) as unknown;
  }

  set(server: string, unit: number, table: Table, address: number, values: (number | boolean)[]): Promise<unknown> {
    return this.command({ cmd: 'set', server, unit, table, address, values });
  }

  silence(server: string, unit: number): Promise<unknown> {
    return this.command({ cmd: 'silence', server, unit });
  }

  answer(server: string, unit: number): Promise<unknown> {
    return this.command({ cmd: 'answer', server, unit });
  }

  refuse(server: string, unit: number, table: Table, from: number, to: number): Promise<unknown> {
    return this.command({ cmd: 'except', server, unit, table, from, to });
  }

  /** read requests served: server name -> unit id -> count */
  async stats(): Promise<Record<string, Record<string, number>>> {
    return (await this.command({ cmd: 'stats' })) as Record<string, Record<string, number>>;
  }

  /** each read request per server and unit: [when (the server's monotonic clock, s), first address] */
  async times(): Promise<Record<string, Record<string, [number, number][]>>> {
    return (await this.command({ cmd: 'times' })) as Record<string, Record<string, [number, number][]>>;
  }

  resetStats(): Promise<unknown> {
    return this.command({ cmd: 'reset' });
  }

  /** Ends the server (closing stdin lets it shut down; SIGKILL after 3 s). */
  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.stdin?.end();
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await waitFor(() => this.exited, { timeoutMs: 10_000, what: 'modbus-server.py to exit' });
    clearTimeout(killer);
  }
}

/** A socat pty pair: the server opens `server`, the client `client`. */
export class PtyPair {
  private constructor(
    private readonly child: ChildProcess,
    readonly client: string,
    readonly server: string,
    private readonly dir: string,
  ) {}

  static async start(ctx: Mocha.Context): Promise<PtyPair> {
    const socat = requireBinary(ctx, 'socat', 'socat');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modbus-pty-'));
    const client = path.join(dir, 'A');
    const server = path.join(dir, 'B');
    const child = spawn(socat, ['-d', '-d', `pty,raw,echo=0,link=${client}`, `pty,raw,echo=0,link=${server}`], { stdio: 'ignore' });
    await waitFor(() => fs.existsSync(client) && fs.existsSync(server), { timeoutMs: 10_000, what: 'socat pty pair' });
    return new PtyPair(child, client, server, dir);
  }

  async stop(): Promise<void> {
    let exited = this.child.exitCode !== null;
    this.child.once('exit', () => (exited = true));
    this.child.kill('SIGTERM');
    await waitFor(() => exited, { timeoutMs: 10_000, what: 'socat to exit' });
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** 32-bit and 64-bit values as the words a pump holds, high word first ('big') or low word first ('little'). */
export function wordsOf(buffer: Buffer, wordOrder: 'big' | 'little'): number[] {
  const words: number[] = [];
  for (let i = 0; i < buffer.length; i += 2) words.push(buffer.readUInt16BE(i));
  return wordOrder === 'big' ? words : words.reverse();
}
