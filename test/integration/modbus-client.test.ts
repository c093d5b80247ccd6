// The connection's Modbus client against an independent server (pymodbus): reads of every table,
// an exception answer, a silent unit (time-out after retries, not a reconnect), requests on one
// connection serialised, reconnect after the server restarts, and RTU over a socat pty pair.
import assert from 'node:assert/strict';
import { ModbusClient, ModbusReadError } from '../../nodes/modbus-connection/modbus-client';
import { ModbusServer, PtyPair, requirePymodbus } from '../support/modbus-server';
import { eventually } from '../support/wait';

const RECONNECT = { initialMs: 200, maxMs: 1000 };
const BANK = { holding: { 0: 215, 1: 0xffff, 10: 7 }, input: { 3: 42 }, coil: { 2: true }, discrete: { 5: true } };

async function failureOf(promise: Promise<unknown>): Promise<ModbusReadError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ModbusReadError, String(error));
    return error;
  }
  assert.fail('the read succeeded');
}

describe('Modbus client against pymodbus (TCP)', function () {
  this.timeout(60_000);
  let server: ModbusServer | undefined;
  const clients: ModbusClient[] = [];
  const client = (port: number, retries = 1, timeoutMs = 500) => {
    const made = new ModbusClient({ kind: 'tcp', host: '127.0.0.1', port }, { timeoutMs, retries, reconnect: RECONNECT });
    clients.push(made);
    return made;
  };

  before(function () {
    requirePymodbus(this);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server?.stop();
    server = undefined;
  });

  it('reads holding, input, coil and discrete tables of two units', async () => {
    server = await ModbusServer.start([{ name: 'a', tcp: { port: 0 }, units: { 1: BANK, 2: { holding: { 0: 99 } } } }]);
    const c = client(server.port);
    assert.deepEqual(await c.read(1, 'holding', 0, 2), [215, 0xffff]);
    assert.deepEqual(await c.read(1, 'input', 3, 1), [42]);
    assert.deepEqual(await c.read(1, 'coil', 0, 3), [false, false, true]);
    assert.deepEqual(await c.read(1, 'discrete', 5, 1), [true]);
    assert.deepEqual(await c.read(2, 'holding', 0, 1), [99]);
    assert.deepEqual(await server.stats(), { a: { 1: 4, 2: 1 } });
    assert.equal(c.counters.requests, 5);
    assert.equal(c.counters.connects, 1, 'one connection for every request');
  });

  it('an exception answer fails at once with its code (no retry)', async () => {
    server = await ModbusServer.start([{ name: 'a', tcp: { port: 0 }, units: { 1: { ...BANK, exceptions: [{ table: 'holding', from: 5, to: 5 }] } } }]);
    const c = client(server.port, 3);
    const failure = await failureOf(c.read(1, 'holding', 0, 11));
    assert.equal(failure.failure, 'exception');
    assert.equal(failure.modbusCode, 2);
    assert.deepEqual(await c.read(1, 'holding', 10, 1), [7], 'the rest of the table still answers');
    assert.equal((await server.stats()).a?.['1'], 2, 'one attempt for the refused read');
  });

  it('a silent unit times out after its retries; the other unit on the same connection answers again afterwards', async () => {
    server = await ModbusServer.start([{ name: 'a', tcp: { port: 0 }, units: { 1: BANK, 2: BANK } }]);
    const c = client(server.port, 2, 300);
    await server.silence('a', 1);
    const [silent, answered] = await Promise.allSettled([c.read(1, 'holding', 0, 1), c.read(2, 'holding', 0, 1)]);
    assert.equal(silent.status, 'rejected');
    assert.equal((silent.reason as ModbusReadError).failure, 'timeout');
    assert.deepEqual(answered.status === 'fulfilled' && answered.value, [215]);
    assert.equal(c.counters.timeouts, 3, 'three attempts');
    assert.equal(c.counters.connects, 1, 'a time-out keeps the connection');
    await server.answer('a', 1);
    assert.deepEqual(await c.read(1, 'holding', 0, 1), [215]);
  });

  it('after three requests in a row without an answer, a TCP connection is opened anew', async () => {
    server = await ModbusServer.start([{ name: 'a', tcp: { port: 0 }, units: { 1: BANK } }]);
    const c = client(server.port, 0, 200);
    await c.read(1, 'holding', 0, 1);
    await server.silence('a', 1);
    for (let i = 0; i < 3; i++) assert.equal((await failureOf(c.read(1, 'holding', 0, 1))).failure, 'timeout');
    await server.answer('a', 1);
    assert.deepEqual(await c.read(1, 'holding', 0, 1), [215]);
    assert.equal(c.counters.connects, 2);
  });

  it('requests on one connection are serialised: one in flight', async () => {
    server = await ModbusServer.start([{ name: 'a', tcp: { port: 0 }, units: { 1: BANK } }]);
    const c = client(server.port);
    const reads = Array.from({ length: 20 }, (_, i) => c.read(1, 'holding', i % 11, 1));
    assert.ok(c.counters.waiting >= 18, `queued behind the first: ${c.counters.waiting}`);
    await Promise.all(reads);
    assert.equal(c.counters.waiting, 0);
    assert.equal(c.counters.requests, 20);
  });

  it('reconnects by itself after the server restarts', async () => {
    server = await ModbusServer.start([{ name: 'a', tcp: { port: 0 }, units: { 1: BANK } }]);
    const port = server.port;
    const c = client(port, 0);
    assert.deepEqual(await c.read(1, 'holding', 0, 1), [215]);
    await server.stop();
    const down = await failureOf(c.read(1, 'holding', 0, 1));
    assert.ok(['disconnected', 'timeout'].includes(down.failure), down.message);
    server = await ModbusServer.start([{ name: 'a', tcp: { port }, units: { 1: { holding: { 0: 216 } } } }]);
    const value = await eventually(async () => {
      try {
        return await c.read(1, 'holding', 0, 1);
      } catch {
        return undefined;
      }
    }, 20_000, 'a read after the restart');
    assert.deepEqual(value, [216]);
    assert.equal(c.counters.connects, 2);
  });

  it('a refused connection backs off: reads fail fast until the delay has passed', async () => {
    server = await ModbusServer.start([{ name: 'a', tcp: { port: 0 }, units: { 1: BANK } }]);
    const port = server.port;
    await server.stop();
    server = undefined;
    const c = client(port, 0);
    const first = await failureOf(c.read(1, 'holding', 0, 1));
    assert.equal(first.failure, 'disconnected');
    const second = await failureOf(c.read(1, 'holding', 0, 1));
    assert.match(second.message, /not connected, retry in 1 s/);
  });
});

// a pty refuses parity settings (tcsetattr EINVAL), so the bus runs 8N1 here
describe('Modbus client against pymodbus (RTU over a socat pty pair)', function () {
  this.timeout(60_000);
  let pty: PtyPair | undefined;
  let server: ModbusServer | undefined;
  let client: ModbusClient | undefined;

  before(async function () {
    requirePymodbus(this);
    pty = await PtyPair.start(this);
    server = await ModbusServer.start([{ name: 'r', rtu: { device: pty.server, baudrate: 19200, parity: 'N' }, units: { 1: BANK, 3: { input: { 0: 1234 } } } }]);
  });
  after(async () => {
    await client?.close();
    await server?.stop();
    await pty?.stop();
  });

  it('reads two units on one serial bus, and a silent unit times out', async () => {
    client = new ModbusClient(
      { kind: 'rtu', serialPort: pty!.client, baudRate: 19200, parity: 'none', dataBits: 8, stopBits: 1 },
      { timeoutMs: 500, retries: 1, reconnect: RECONNECT },
    );
    assert.deepEqual(await client.read(1, 'holding', 0, 2), [215, 0xffff]);
    assert.deepEqual(await client.read(3, 'input', 0, 1), [1234]);
    assert.deepEqual(await client.read(1, 'coil', 2, 1), [true]);
    await server!.silence('r', 3);
    assert.equal((await failureOf(client.read(3, 'input', 0, 1))).failure, 'timeout');
    assert.deepEqual(await client.read(1, 'holding', 10, 1), [7], 'the bus works after a silent unit');
  });
});
