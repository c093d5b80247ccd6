// The call budget of a Viessmann account (nodes/viessmann-account/budget.ts) with an injected
// clock: both sliding windows, readings before configuration, a 429 reset, a restart from the
// persisted state, and simulated days of polling checked against every window the calls span.
import assert from 'node:assert/strict';
import { budgetStateOf, CallBudget, VIESSMANN_LIMITS, type CallPriority, type Ticket } from '../../nodes/viessmann-account/budget';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const T0 = Date.UTC(2026, 11, 1);

/** The most calls in any window of `windowMs` (each window starting at a call is the worst case). */
function worstWindow(calls: number[], windowMs: number): number {
  const sorted = [...calls].sort((a, b) => a - b);
  let worst = 0;
  for (let start = 0, end = 0; start < sorted.length; start++) {
    while (end < sorted.length && sorted[end]! < sorted[start]! + windowMs) end++;
    worst = Math.max(worst, end - start);
  }
  return worst;
}

interface Demand {
  at: number;
  priority: CallPriority;
  who: string;
}

/**
 * Runs the budget's queue as the account node does, on a simulated clock: each demand is queued at
 * its time, granted calls are recorded, and the clock jumps to the next demand or wake-up time.
 */
function simulate(demands: Demand[], until: number, budget = new CallBudget(VIESSMANN_LIMITS)): { granted: Array<{ at: number; who: string; priority: CallPriority }>; budget: CallBudget } {
  const pending = [...demands].sort((a, b) => a.at - b.at);
  const owners = new Map<Ticket, Demand>();
  const granted: Array<{ at: number; who: string; priority: CallPriority }> = [];
  let now = pending[0]?.at ?? until;
  let wakeAt: number | undefined;
  while (now < until) {
    while (pending.length > 0 && pending[0]!.at <= now) {
      const demand = pending.shift()!;
      owners.set(budget.request(demand.priority), demand);
    }
    const step = budget.grant(now);
    for (const ticket of step.granted) granted.push({ at: now, who: owners.get(ticket)!.who, priority: ticket.priority });
    wakeAt = step.wakeAt;
    const next = Math.min(pending[0]?.at ?? Infinity, wakeAt ?? Infinity);
    if (!Number.isFinite(next)) break;
    assert.ok(next > now, 'the clock moves on');
    now = next;
  }
  return { granted, budget };
}

/** A device polling every `intervalMs` from `start` for `durationMs`; it waits while its poll is queued, as viessmann-device does. */
function polls(who: string, start: number, intervalMs: number, durationMs: number, priority: CallPriority = 'reading'): Demand[] {
  return Array.from({ length: Math.floor(durationMs / intervalMs) }, (_, i) => ({ at: start + i * intervalMs, priority, who }));
}

describe('viessmann call budget', () => {
  describe('windows', () => {
    const cases: Array<[string, number[], CallPriority, { day: number; burst: number }, number]> = [
      ['an empty budget grants at once', [], 'reading', { day: 1450, burst: 120 }, T0],
      ['120 calls in the last 10 minutes: the next waits until the oldest leaves', Array.from({ length: 120 }, (_, i) => T0 - 9 * MINUTE + i * 1000), 'reading', { day: 1330, burst: 0 }, T0 + MINUTE],
      ['a call exactly 10 minutes old no longer counts', Array.from({ length: 120 }, () => T0 - 10 * MINUTE), 'reading', { day: 1330, burst: 120 }, T0],
      ['1450 calls in the last day: the next waits until the oldest is 24 h old', Array.from({ length: 1450 }, (_, i) => T0 - DAY + MINUTE + i * 10), 'reading', { day: 0, burst: 120 }, T0 + MINUTE],
      ['configuration leaves the day reserve to readings', Array.from({ length: 1450 - 145 }, (_, i) => T0 - DAY + MINUTE + i), 'configuration', { day: 145, burst: 120 }, T0 + MINUTE],
      ['a reading may use the reserve', Array.from({ length: 1450 - 145 }, (_, i) => T0 - DAY + MINUTE + i), 'reading', { day: 145, burst: 120 }, T0],
      ['configuration leaves the burst reserve to readings', Array.from({ length: 108 }, () => T0 - 5 * MINUTE), 'configuration', { day: 1342, burst: 12 }, T0 + 5 * MINUTE],
    ];
    for (const [title, calls, priority, remaining, grantedAt] of cases) {
      it(title, () => {
        const budget = new CallBudget(VIESSMANN_LIMITS, { calls, blockedUntil: 0 });
        assert.deepEqual(budget.remaining(T0), { ...remaining, blockedUntil: 0 });
        budget.request(priority);
        const first = budget.grant(T0);
        if (grantedAt === T0) return assert.equal(first.granted.length, 1);
        assert.deepEqual(first, { granted: [], wakeAt: grantedAt });
        assert.equal(budget.grant(grantedAt - 1).granted.length, 0, 'not a millisecond early');
        assert.equal(budget.grant(grantedAt).granted.length, 1);
      });
    }
  });

  it('serves a waiting reading before a configuration call queued earlier', () => {
    const budget = new CallBudget(VIESSMANN_LIMITS, { calls: Array.from({ length: 120 }, (_, i) => T0 - 9 * MINUTE + i * 1000), blockedUntil: 0 });
    const configuration = budget.request('configuration');
    const reading = budget.request('reading');
    const { wakeAt } = budget.grant(T0);
    assert.equal(wakeAt, T0 + MINUTE);
    const step = budget.grant(T0 + MINUTE);
    assert.deepEqual(step.granted, [reading], 'the reading goes; the configuration call waits for its reserve');
    assert.equal(budget.queued, 1);
    budget.cancel(configuration);
    assert.equal(budget.queued, 0);
  });

  it('honours a 429 reset for every priority, and remembers it across a restart', () => {
    const budget = new CallBudget();
    const reset = T0 + 3 * 60 * MINUTE;
    budget.blockUntil(reset);
    budget.request('reading');
    assert.deepEqual(budget.grant(T0), { granted: [], wakeAt: reset });
    const restarted = new CallBudget(VIESSMANN_LIMITS, budgetStateOf(JSON.parse(JSON.stringify(budget.snapshot()))));
    assert.equal(restarted.remaining(T0).blockedUntil, reset);
    restarted.request('reading');
    assert.equal(restarted.grant(reset - 1).granted.length, 0);
    assert.equal(restarted.grant(reset).granted.length, 1);
  });

  it('reads a persisted state defensively', () => {
    assert.deepEqual(budgetStateOf(undefined), { calls: [], blockedUntil: 0 });
    assert.deepEqual(budgetStateOf({ calls: [3, 'x', 1, null, Infinity], blockedUntil: 'soon' }), { calls: [1, 3], blockedUntil: 0 });
  });

  describe('a simulated day', () => {
    it('one device at the default 5 minutes: every poll is granted on time, within both limits', () => {
      const { granted } = simulate(polls('hp1', T0, 5 * MINUTE, DAY), T0 + DAY);
      assert.equal(granted.length, 288);
      assert.ok(granted.every((g, i) => g.at === T0 + i * 5 * MINUTE), 'no poll waited');
      assert.ok(worstWindow(granted.map((g) => g.at), DAY) <= 1450);
      assert.ok(worstWindow(granted.map((g) => g.at), 10 * MINUTE) <= 120);
    });

    it('four devices at 5 minutes plus an hourly device search fit the day, no reading waits', () => {
      const demands = [...['a', 'b', 'c', 'd'].flatMap((who) => polls(who, T0, 5 * MINUTE, DAY)), ...polls('search', T0 + 30 * 1000, 60 * MINUTE, DAY, 'configuration')];
      const { granted } = simulate(demands, T0 + DAY);
      const readings = granted.filter((g) => g.priority === 'reading');
      assert.equal(readings.length, 4 * 288);
      assert.ok(readings.every((g) => g.at % (5 * MINUTE) === T0 % (5 * MINUTE)), 'every reading at its poll time');
      assert.equal(granted.filter((g) => g.priority === 'configuration').length, 24);
      assert.ok(worstWindow(granted.map((g) => g.at), DAY) <= 1450);
    });

    it('seven devices at 5 minutes, a burst of 300 polls and a search every 10 minutes over two days never exceed either limit, and readings keep going', () => {
      const start = T0;
      const demands = [
        ...['a', 'b', 'c', 'd', 'e', 'f', 'g'].flatMap((who) => polls(who, start, 5 * MINUTE, 2 * DAY)),
        ...Array.from({ length: 300 }, (_, i): Demand => ({ at: start + 6 * 60 * MINUTE + i, priority: 'reading', who: 'burst' })),
        ...polls('search', start + 1000, 10 * MINUTE, 2 * DAY, 'configuration'),
      ];
      const { granted, budget } = simulate(demands, start + 2 * DAY);
      const times = granted.map((g) => g.at);
      assert.ok(worstWindow(times, DAY) <= 1450, `at most 1450 calls in any 24 h (got ${worstWindow(times, DAY)})`);
      assert.ok(worstWindow(times, 10 * MINUTE) <= 120, `at most 120 calls in any 10 minutes (got ${worstWindow(times, 10 * MINUTE)})`);
      const readings = granted.filter((g) => g.priority === 'reading').map((g) => g.at);
      const configuration = granted.filter((g) => g.priority === 'configuration').map((g) => g.at);
      assert.ok(readings.length > configuration.length * 5, 'the budget went to readings');
      assert.ok(worstWindow(configuration, DAY) <= 1450 - 145, 'configuration never ate into the readings reserve');
      assert.ok(budget.queued > 0, 'more was asked than the day allows: the rest waits');
    });

    it('a restart half-way through the day carries the calls over (persisted state)', () => {
      const first = simulate(polls('hp1', T0, 30 * 1000, DAY / 2), T0 + DAY / 2);
      const restarted = new CallBudget(VIESSMANN_LIMITS, budgetStateOf(JSON.parse(JSON.stringify(first.budget.snapshot()))));
      const second = simulate(polls('hp1', T0 + DAY / 2, 30 * 1000, DAY), T0 + DAY * 1.5, restarted);
      const times = [...first.granted, ...second.granted].map((g) => g.at);
      assert.ok(worstWindow(times, DAY) <= 1450, `at most 1450 in any 24 h across the restart (got ${worstWindow(times, DAY)})`);
      assert.equal(worstWindow(times, DAY), 1450, 'a device polling every 30 s uses the whole day budget');
    });
  });
});
