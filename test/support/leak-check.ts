// Mocha root hook plugin (.mocharc.cjs `require`): a node test in test/flow/ must leave no timer
// behind once its suite's afterEach ran (helper.unload). `exit: true` would otherwise hide a
// setInterval a node forgot to clear on close.
//
// Root hooks sit on the root suite, so the root beforeEach runs before the suite's (the baseline
// is taken before helper.load) and the root afterEach after the suite's (after helper.unload).
// A leak fails the test through Hook#error, which mocha reports against the test itself; throwing
// from a root afterEach would instead abort every test that is still to run.
import { createHook } from 'node:async_hooks';
import type Mocha from 'mocha';

/** resource types counted; process.getActiveResourcesInfo() lists only ref'ed timers */
export const WATCHED = ['Timeout', 'Immediate'] as const;
type Watched = (typeof WATCHED)[number];
export type Counts = Record<Watched, number>;

const GRACE_MS = 1000;
const POLL_MS = 20;

export function countResources(): Counts {
  const counts: Counts = { Timeout: 0, Immediate: 0 };
  for (const type of process.getActiveResourcesInfo()) if (type === 'Timeout' || type === 'Immediate') counts[type] += 1;
  return counts;
}

/** Types whose count is above the baseline, with how many more: "Timeout +1". */
export function grown(before: Counts, after: Counts): string[] {
  return WATCHED.filter((type) => after[type] > before[type]).map((type) => `${type} +${after[type] - before[type]}`);
}

/** Polls for up to `graceMs` for the counts to come back to `before`; returns what is still grown. */
export async function leftOver(before: Counts, graceMs = GRACE_MS): Promise<string[]> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const extra = grown(before, countResources());
    if (extra.length === 0 || Date.now() >= deadline) return extra;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export function isFlowTest(file: string | undefined): boolean {
  return file !== undefined && /[\\/]test[\\/]flow[\\/][^\\/]+\.test\.[cm]?js$/.test(file);
}

/**
 * LEAK_CHECK_STACKS=1 adds where each timer still alive was created (async_hooks cost time, so
 * only on demand).
 */
const created = new Map<number, { seq: number; type: string; stack: string; resource: { hasRef?: () => boolean } }>();
let seq = 0;
if (process.env.LEAK_CHECK_STACKS === '1') {
  createHook({
    init(id, type, _trigger, resource: { hasRef?: () => boolean }) {
      if (type !== 'Timeout' && type !== 'Immediate') return;
      const stack = (new Error().stack ?? '').split('\n').slice(3).filter((line) => !line.includes('node:internal')).slice(0, 8).join('\n');
      created.set(id, { seq: ++seq, type, stack, resource });
    },
    destroy(id) {
      created.delete(id);
    },
  }).enable();
}

function stacksSince(firstSeq: number): string {
  const alive = [...created].filter(([, entry]) => entry.seq > firstSeq && entry.resource.hasRef?.() !== false && !entry.stack.includes('mocha') && !entry.stack.includes('leak-check'));
  return alive.map(([, entry]) => `\n  ${entry.type} created\n${entry.stack}`).join('');
}

const baseline = new WeakMap<Mocha.Runnable, { counts: Counts; firstSeq: number }>();

/** Once a test file loaded node-red-node-test-helper: its unload then closes the context stores. */
function fixHelperUnload(): void {
  const id = require.resolve('node-red-node-test-helper');
  if (!require.cache[id]) return; // unit-only runs need no Node-RED
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('./context-stores') as typeof import('./context-stores')).closeStoresOnUnload();
}

async function check(test: Mocha.Runnable): Promise<Error | undefined> {
  const before = baseline.get(test);
  // a failed test already says what went wrong; its early exit may leave timers by itself
  if (!before || test.state === 'failed') return undefined;
  const extra = await leftOver(before.counts);
  if (extra.length === 0) return undefined;
  return new Error(`leaked after close: ${extra.join(', ')} (still active once the suite's afterEach / helper.unload ran)${stacksSince(before.firstSeq)}`);
}

// Both hooks take `done`: mocha then arms the hook's own time-out timer before calling it, so
// that timer is in both counts. (For a promise-returning hook it is armed only once the hook's
// synchronous part returned, which would make the two counts differ by one.)
export const mochaHooks: Mocha.RootHookObject = {
  beforeEach(this: Mocha.Context, done: Mocha.Done) {
    fixHelperUnload();
    const test = this.currentTest;
    if (test && isFlowTest(test.file)) baseline.set(test, { counts: countResources(), firstSeq: seq });
    done();
  },
  afterEach(this: Mocha.Context, done: Mocha.Done) {
    const test = this.currentTest;
    if (!test || !isFlowTest(test.file)) return done();
    const hook = this.runnable() as Mocha.Hook;
    check(test).then((leak) => {
      if (leak) hook.error(leak);
      done();
    }, done);
  },
};
