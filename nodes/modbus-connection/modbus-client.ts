// The one Modbus client of a connection config node: connects lazily on the first request,
// serialises requests (SerialQueue), retries a request that timed out, and after the connection
// failed or the server went away reconnects with back-off, driven by the next requests (no timer
// of its own, so nothing is left running after close). Uses modbus-serial for the protocol.
import ModbusRTU from 'modbus-serial';
import { Backoff, type BackoffOptions } from './backoff';
import { SerialQueue } from './request-queue';

export type ModbusTable = 'holding' | 'input' | 'coil' | 'discrete';

export interface TcpEndpoint {
  kind: 'tcp';
  host: string;
  port: number;
}

export interface RtuEndpoint {
  kind: 'rtu';
  serialPort: string;
  baudRate: number;
  parity: 'none' | 'even' | 'odd';
  dataBits: 7 | 8;
  stopBits: 1 | 2;
}

export type ModbusEndpoint = TcpEndpoint | RtuEndpoint;

export interface ModbusClientOptions {
  /** per attempt: time to wait for an answer (and for the connection to open) */
  timeoutMs: number;
  /** further attempts after a request timed out */
  retries: number;
  reconnect: BackoffOptions;
}

/**
 * Why a read failed. exception: the unit answered with a Modbus exception (modbusCode 2 = illegal
 * data address); timeout: no answer after every attempt; disconnected: no connection (yet);
 * unavailable: RTU without the serialport package.
 */
export type ModbusFailure = 'exception' | 'timeout' | 'disconnected' | 'unavailable' | 'closed';

export class ModbusReadError extends Error {
  constructor(
    readonly failure: ModbusFailure,
    message: string,
    readonly modbusCode?: number,
  ) {
    super(message);
    this.name = 'ModbusReadError';
  }
}

export interface ModbusClientCounters {
  requests: number;
  errors: number;
  timeouts: number;
  exceptions: number;
  connects: number;
  connected: boolean;
  waiting: number;
}

/** What the poll nodes use (the connection config node exposes this). */
export interface ModbusReader {
  read(unitId: number, table: ModbusTable, address: number, count: number): Promise<number[] | boolean[]>;
  readonly counters: ModbusClientCounters;
  /** 'tcp 127.0.0.1:502' / 'rtu /dev/ttyUSB0' for status and messages */
  readonly label: string;
}

/**
 * Requests in a row that got no answer after all attempts, after which a TCP connection is opened
 * anew: a gateway that rebooted or a half-open socket never answers again on the old one.
 */
export const SILENT_REQUESTS_BEFORE_RECONNECT = 3;

export const SERIALPORT_MISSING = 'Modbus RTU needs the serialport package: install it with npm install serialport';

export interface ClientDeps {
  now: () => number;
  createClient: () => ModbusRTU;
  /** true when the optional serialport package can be loaded */
  hasSerialPort: () => boolean;
}

/** serialport is an optional dependency (a native binding), needed for RTU only */
export function hasSerialPort(): boolean {
  try {
    require.resolve('serialport');
    return true;
  } catch {
    return false;
  }
}

const defaultDeps: ClientDeps = { now: Date.now, createClient: () => new ModbusRTU(), hasSerialPort };

interface ModbusErrorLike {
  name?: string;
  message?: string;
  modbusCode?: number;
  errno?: string;
}

export function describeEndpoint(endpoint: ModbusEndpoint): string {
  return endpoint.kind === 'tcp' ? `tcp ${endpoint.host}:${endpoint.port}` : `rtu ${endpoint.serialPort}`;
}

export class ModbusClient implements ModbusReader {
  private readonly queue = new SerialQueue();
  private readonly backoff: Backoff;
  private client: ModbusRTU | undefined;
  private closed = false;
  private silentInARow = 0;
  private counts = { timeouts: 0, exceptions: 0, connects: 0 };
  readonly label: string;

  constructor(
    private readonly endpoint: ModbusEndpoint,
    private readonly options: ModbusClientOptions,
    private readonly deps: ClientDeps = defaultDeps,
  ) {
    this.backoff = new Backoff(options.reconnect);
    this.label = describeEndpoint(endpoint);
  }

  read(unitId: number, table: ModbusTable, address: number, count: number): Promise<number[] | boolean[]> {
    return this.queue.run(() => this.readWithRetries(unitId, table, address, count));
  }

  get counters(): ModbusClientCounters {
    const queue = this.queue.counters;
    return { requests: queue.requests, errors: queue.errors, waiting: queue.waiting, ...this.counts, connected: this.client?.isOpen === true };
  }

  /** Refuses queued and new requests and closes the port; pending answers are abandoned (their timers cancelled). */
  close(): Promise<void> {
    this.closed = true;
    this.queue.close(new ModbusReadError('closed', 'connection closed'));
    return this.drop();
  }

  private async readWithRetries(unitId: number, table: ModbusTable, address: number, count: number): Promise<number[] | boolean[]> {
    for (let attempt = 0; ; attempt += 1) {
      if (this.closed) throw new ModbusReadError('closed', 'connection closed');
      const client = await this.connected();
      client.setID(unitId);
      client.setTimeout(this.options.timeoutMs);
      try {
        const data = await readTable(client, table, address, count);
        this.silentInARow = 0;
        return data;
      } catch (thrown) {
        const error = thrown as ModbusErrorLike;
        if (typeof error.modbusCode === 'number') {
          this.silentInARow = 0;
          this.counts.exceptions += 1;
          throw new ModbusReadError('exception', `unit ${unitId}: ${error.message ?? 'Modbus exception'}`, error.modbusCode);
        }
        if (error.name === 'TransactionTimedOutError') {
          this.counts.timeouts += 1;
          if (attempt < this.options.retries) continue;
          this.silentInARow += 1;
          if (this.endpoint.kind === 'tcp' && this.silentInARow >= SILENT_REQUESTS_BEFORE_RECONNECT && this.client === client) {
            this.silentInARow = 0;
            await this.drop();
          }
          throw new ModbusReadError('timeout', `unit ${unitId} did not answer (${this.options.retries + 1} attempts of ${this.options.timeoutMs} ms)`);
        }
        // the port closed under the request (server went away): reconnect on the next attempt
        if (this.client === client) await this.drop();
        if (attempt < this.options.retries) continue;
        throw new ModbusReadError('disconnected', `${this.label}: ${error.message ?? String(thrown)}`);
      }
    }
  }

  private async connected(): Promise<ModbusRTU> {
    if (this.client?.isOpen) return this.client;
    if (this.client) await this.drop();
    const wait = this.backoff.waitMs(this.deps.now());
    if (wait > 0) throw new ModbusReadError('disconnected', `${this.label} not connected, retry in ${Math.ceil(wait / 1000)} s`);
    if (this.endpoint.kind === 'rtu' && !this.deps.hasSerialPort()) throw new ModbusReadError('unavailable', SERIALPORT_MISSING);
    const client = this.deps.createClient();
    // errors of an open port also reach the pending request; this listener keeps them from being unhandled
    client.on('error', () => undefined);
    try {
      await withTimeout(this.open(client), this.options.timeoutMs, `${this.label}: connecting timed out`);
    } catch (thrown) {
      const delay = this.backoff.fail(this.deps.now());
      destroy(client);
      throw new ModbusReadError('disconnected', `${this.label}: ${(thrown as Error).message ?? String(thrown)}; retry in ${Math.ceil(delay / 1000)} s`);
    }
    if (this.closed) {
      destroy(client);
      throw new ModbusReadError('closed', 'connection closed');
    }
    this.backoff.succeed();
    this.counts.connects += 1;
    this.client = client;
    client.on('close', () => {
      if (this.client === client) this.client = undefined;
    });
    return client;
  }

  private open(client: ModbusRTU): Promise<void> {
    const endpoint = this.endpoint;
    if (endpoint.kind === 'tcp') return client.connectTCP(endpoint.host, { port: endpoint.port });
    return client.connectRTUBuffered(endpoint.serialPort, {
      baudRate: endpoint.baudRate,
      parity: endpoint.parity,
      dataBits: endpoint.dataBits,
      stopBits: endpoint.stopBits,
    });
  }

  private drop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) destroy(client);
    return Promise.resolve();
  }
}

function readTable(client: ModbusRTU, table: ModbusTable, address: number, count: number): Promise<number[] | boolean[]> {
  switch (table) {
    case 'holding':
      return client.readHoldingRegisters(address, count).then((r) => r.data);
    case 'input':
      return client.readInputRegisters(address, count).then((r) => r.data);
    case 'coil':
      return client.readCoils(address, count).then((r) => r.data.slice(0, count));
    case 'discrete':
      return client.readDiscreteInputs(address, count).then((r) => r.data.slice(0, count));
  }
}

/** destroy() cancels the time-outs of pending transactions (close() would leave them running) */
function destroy(client: ModbusRTU): void {
  try {
    client.destroy(() => undefined);
  } catch {
    // a port that never opened has nothing to destroy
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
