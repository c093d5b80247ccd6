// The pure parts of the Modbus connection: back-off delays and the one-in-flight request queue.
import assert from 'node:assert/strict';
import { Backoff, backoffDelay } from '../../nodes/modbus-connection/backoff';
import { SerialQueue } from '../../nodes/modbus-connection/request-queue';
import { ModbusClient, ModbusReadError, SERIALPORT_MISSING } from '../../nodes/modbus-connection/modbus-client';
import { connectionSettings, type ModbusConnectionProps } from '../../nodes/modbus-connection/settings';

describe('backoffDelay', () => {
  const options = { initialMs: 10_000, maxMs: 300_000 };
  const cases: [number, number][] = [
    [0, 0],
    [1, 10_000],
    [2, 20_000],
    [3, 40_000],
    [5, 160_000],
    [6, 300_000],
    [1000, 300_000],
  ];
  for (const [failures, expected] of cases) {
    it(`${failures} failures -> ${expected} ms`, () => assert.equal(backoffDelay(failures, options), expected));
  }
  it('a factor other than 2', () => assert.equal(backoffDelay(3, { initialMs: 100, maxMs: 10_000, factor: 3 }), 900));
});

describe('Backoff', () => {
  it('counts failures, waits until the delay has passed, and resets on success', () => {
    const backoff = new Backoff({ initialMs: 1000, maxMs: 4000 });
    assert.equal(backoff.waitMs(0), 0);
    assert.equal(backoff.fail(0), 1000);
    assert.equal(backoff.waitMs(400), 600);
    assert.equal(backoff.waitMs(1000), 0);
    assert.equal(backoff.fail(1000), 2000);
    assert.equal(backoff.fail(3000), 4000);
    assert.equal(backoff.fail(7000), 4000, 'capped');
    assert.equal(backoff.failureCount, 4);
    backoff.succeed();
    assert.equal(backoff.failureCount, 0);
    assert.equal(backoff.waitMs(7000), 0);
  });
});

/** A task the test settles by hand, so the order of events is explicit (no timers). */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('SerialQueue', () => {
  it('runs one task at a time, in arrival order', async () => {
    const queue = new SerialQueue();
    const started: number[] = [];
    const gates = [deferred<number>(), deferred<number>(), deferred<number>()];
    const results = gates.map((gate, i) =>
      queue.run(() => {
        started.push(i);
        return gate.promise;
      }),
    );
    assert.deepEqual(started, [0]);
    assert.equal(queue.counters.waiting, 2);
    gates[1]!.resolve(1);
    await Promise.resolve();
    assert.deepEqual(started, [0], 'a later task does not start while the first is in flight');
    gates[0]!.resolve(0);
    assert.equal(await results[0], 0);
    gates[2]!.resolve(2);
    assert.deepEqual(await Promise.all(results), [0, 1, 2]);
    assert.deepEqual(started, [0, 1, 2]);
    assert.deepEqual(queue.counters, { requests: 3, errors: 0, waiting: 0, maxWaiting: 2 });
  });

  it('a failing (or throwing) task fails its caller only, and the queue goes on', async () => {
    const queue = new SerialQueue();
    const failed = queue.run(() => Promise.reject(new Error('exception 2')));
    const thrown = queue.run(() => {
      throw new Error('sync');
    });
    const fine = queue.run(() => Promise.resolve('ok'));
    await assert.rejects(failed, /exception 2/);
    await assert.rejects(thrown, /sync/);
    assert.equal(await fine, 'ok');
    assert.equal(queue.counters.errors, 2);
  });

  it('close rejects the waiting tasks and refuses new ones; the one in flight settles', async () => {
    const queue = new SerialQueue();
    const gate = deferred<string>();
    const inFlight = queue.run(() => gate.promise);
    const waiting = queue.run(() => Promise.resolve('never'));
    queue.close(new Error('closed'));
    await assert.rejects(waiting, /closed/);
    await assert.rejects(queue.run(() => Promise.resolve('late')), /closed/);
    gate.resolve('done');
    assert.equal(await inFlight, 'done');
  });
});

describe('connectionSettings', () => {
  const cases: [string, ModbusConnectionProps, string | RegExp][] = [
    ['TCP with defaults', { transport: 'tcp', host: ' 10.0.0.5 ' }, '{"kind":"tcp","host":"10.0.0.5","port":502}|1000|2'],
    ['time-out in seconds', { transport: 'tcp', host: 'h', port: '1502', timeout: '2.5', timeoutUnit: 's', retries: '0' }, '{"kind":"tcp","host":"h","port":1502}|2500|0'],
    ['RTU', { transport: 'rtu', serialPort: '/dev/ttyUSB0', baudRate: '19200', parity: 'even', dataBits: '8', stopBits: '1' }, '{"kind":"rtu","serialPort":"/dev/ttyUSB0","baudRate":19200,"parity":"even","dataBits":8,"stopBits":1}|1000|2'],
    ['TCP without host', { transport: 'tcp', host: '' }, /host is missing/],
    ['a port out of range', { transport: 'tcp', host: 'h', port: 70000 }, /port must be 1 .. 65535/],
    ['RTU without port', { transport: 'rtu' }, /serial port is missing/],
    ['bad parity', { transport: 'rtu', serialPort: '/dev/x', parity: 'mark' as 'none' }, /parity must be none, even or odd/],
    ['bad data bits', { transport: 'rtu', serialPort: '/dev/x', dataBits: 6 }, /data bits must be 7 or 8/],
    ['a time-out of 0', { transport: 'tcp', host: 'h', timeout: 0 }, /time-out must be 10 ms .. 60 s/],
    ['too many retries', { transport: 'tcp', host: 'h', retries: 11 }, /retries must be 0 .. 10/],
  ];
  for (const [title, props, expected] of cases) {
    it(title, () => {
      const result = connectionSettings(props);
      if (typeof expected === 'string') {
        assert.ok(result.ok, result.ok ? '' : result.error);
        assert.equal(`${JSON.stringify(result.value.endpoint)}|${result.value.options.timeoutMs}|${result.value.options.retries}`, expected);
      } else {
        assert.ok(!result.ok);
        assert.match(result.error, expected);
      }
    });
  }
});

describe('ModbusClient without the serialport package', () => {
  it('an RTU read fails with the install hint, without touching a port', async () => {
    const client = new ModbusClient(
      { kind: 'rtu', serialPort: '/dev/ttyUSB0', baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 },
      { timeoutMs: 100, retries: 0, reconnect: { initialMs: 1000, maxMs: 1000 } },
      { now: () => 0, hasSerialPort: () => false, createClient: () => assert.fail('no client is made') },
    );
    await assert.rejects(client.read(1, 'holding', 0, 1), (error: ModbusReadError) => error.failure === 'unavailable' && error.message === SERIALPORT_MISSING);
    assert.match(SERIALPORT_MISSING, /npm install serialport/);
    await client.close();
  });
});
