import assert from 'node:assert/strict';
import { SendError, SendQueue, retryDelay, type Scheduler, type Settled } from '../../nodes/sms-gateway-bridge/queue';

/** Runs "timers" when told to, so the test decides what later means. */
class ManualScheduler implements Scheduler {
  readonly pending: { fn: () => void; ms: number }[] = [];
  setTimeout(fn: () => void, ms: number) {
    const entry = { fn, ms };
    this.pending.push(entry);
    return entry;
  }
  clearTimeout(handle: unknown) {
    const i = this.pending.findIndex((p) => p === handle);
    if (i >= 0) this.pending.splice(i, 1);
  }
  runNext() {
    this.pending.shift()?.fn();
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const policy = { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 3000 };

describe('sms send queue', function () {
  it('back-off doubles and is capped', function () {
    assert.deepEqual([1, 2, 3, 4].map((a) => retryDelay(a, policy)), [1000, 2000, 3000, 3000]);
  });

  it('sends in order, one at a time, retries transient errors with back-off and keeps later items waiting', async function () {
    const scheduler = new ManualScheduler();
    const calls: string[] = [];
    const settled: Settled<string, string>[] = [];
    let failA = 1;
    const queue = new SendQueue<string, string>(
      async (item) => {
        calls.push(item);
        if (item === 'a' && failA-- > 0) throw new SendError('503', true);
        if (item === 'b') throw new SendError('21211', false);
        return `ref-${item}`;
      },
      (r) => settled.push(r),
      policy,
      scheduler,
    );
    queue.push('a');
    queue.push('b');
    queue.push('c');
    await tick();
    assert.deepEqual(calls, ['a']);
    assert.deepEqual(scheduler.pending.map((p) => p.ms), [1000]);
    scheduler.runNext();
    await tick();
    assert.deepEqual(calls, ['a', 'a', 'b', 'c']);
    assert.deepEqual(
      settled.map((s) => [s.item, s.ok, s.attempts]),
      [
        ['a', true, 2],
        ['b', false, 1],
        ['c', true, 1],
      ],
    );
    assert.equal(queue.length, 0);
  });

  it('gives up after maxAttempts and reports the last error', async function () {
    const scheduler = new ManualScheduler();
    const settled: Settled<string, string>[] = [];
    const queue = new SendQueue<string, string>(() => Promise.reject(new SendError('timeout', true, 'timeout')), (r) => settled.push(r), policy, scheduler);
    queue.push('x');
    for (let i = 0; i < 3; i++) {
      await tick();
      scheduler.runNext();
    }
    await tick();
    const [only] = settled;
    assert.ok(only && !only.ok);
    assert.equal(only.attempts, 3);
    assert.equal(only.error.message, 'timeout');
  });

  it('close settles waiting items as failed and refuses new ones', async function () {
    const scheduler = new ManualScheduler();
    const settled: Settled<string, string>[] = [];
    const queue = new SendQueue<string, string>(() => new Promise(() => undefined), (r) => settled.push(r), policy, scheduler);
    queue.push('busy');
    queue.push('waiting');
    await tick();
    queue.close();
    queue.push('late');
    assert.deepEqual(settled.map((s) => [s.item, s.ok]), [
      ['waiting', false],
      ['late', false],
    ]);
  });
});
