import assert from 'node:assert/strict';
import { Coalescer, type Timers } from '../../nodes/shared/coalesce';

/** Timers that run only when the test says the interval is up. */
function manualTimers(): Timers & { fire(): void; running: number } {
  const pending = new Map<number, () => void>();
  let next = 0;
  return {
    set(callback) {
      pending.set(++next, callback);
      return next;
    },
    clear(handle) {
      pending.delete(handle as number);
    },
    fire() {
      const due = [...pending.values()];
      pending.clear();
      for (const callback of due) callback();
    },
    get running() {
      return pending.size;
    },
  };
}

describe('Coalescer', () => {
  // "key:value" offers an item, "|" ends the interval; the log shows what went out, and when
  const cases: Array<{ title: string; input: string[]; log: string[] }> = [
    { title: 'the first item of a key goes out at once', input: ['a:1', '|'], log: ['a:1', '|'] },
    { title: 'of a burst only the first at once and the latest when the interval is up', input: ['a:1', 'a:2', 'a:3', '|'], log: ['a:1', '|', 'a:3'] },
    { title: 'keys are independent', input: ['a:1', 'b:1', 'a:2', 'b:2', '|'], log: ['a:1', 'b:1', '|', 'a:2', 'b:2'] },
    { title: 'a key quiet for an interval sends its next item at once', input: ['a:1', '|', 'a:2'], log: ['a:1', '|', 'a:2'] },
    { title: 'a steady stream: one per interval, always the latest', input: ['a:1', 'a:2', '|', 'a:3', 'a:4', '|', 'a:5', '|', '|'], log: ['a:1', '|', 'a:2', '|', 'a:4', '|', 'a:5', '|'] },
  ];
  for (const { title, input, log } of cases) {
    it(title, () => {
      const timers = manualTimers();
      const seen: string[] = [];
      const coalescer = new Coalescer<string>(1000, (item) => seen.push(item), timers);
      for (const step of input) {
        if (step === '|') {
          seen.push('|');
          timers.fire();
        } else coalescer.offer(step.split(':')[0] ?? '', step);
      }
      assert.deepEqual(seen, log);
    });
  }

  it('forgets a key once an interval passed with nothing held, so idle devices cost nothing', () => {
    const timers = manualTimers();
    const coalescer = new Coalescer<number>(1000, () => undefined, timers);
    for (let device = 0; device < 50; device++) coalescer.offer(`d${device}`, device);
    assert.equal(coalescer.size, 50);
    timers.fire();
    assert.equal(coalescer.size, 0);
    assert.equal(timers.running, 0);
  });

  it('drops what is held and stops its timers on close', () => {
    const timers = manualTimers();
    const sent: number[] = [];
    const coalescer = new Coalescer<number>(1000, (item) => sent.push(item), timers);
    coalescer.offer('a', 1);
    coalescer.offer('a', 2);
    coalescer.close();
    assert.equal(timers.running, 0);
    timers.fire();
    assert.deepEqual(sent, [1]);
  });
});
