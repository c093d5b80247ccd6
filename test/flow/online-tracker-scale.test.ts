// online-tracker at fleet scale, in a deployed flow: 100,000 devices going offline in one check
// (a broker outage) must arrive exactly once each, keep memory bounded and leave the event loop
// free for HTTP; a start with 100,000 persisted devices must be about as quick as an empty one.
// The figures are printed so that a run documents them.
//
// Harness notes. node-red-node-test-helper wraps Node#send and Node#status in sinon spies that
// keep every call with its stack: at 100k messages that alone costs seconds and hundreds of MB
// the product never pays, so these tests remove the spies once they need none (noSpies). The
// seeding loop runs with Date.now frozen, so all devices share one silence clock and expire in
// one check whatever the speed of the machine; it is synchronous, so its own 100k online
// events reach the helper node in one go afterwards (the "seed flood"), which real MQTT input,
// one message per I/O callback, never does. The liveness window starts after that flood.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PresenceEvent } from '../../nodes/shared/contract';
import { fleetOf } from '../../nodes/shared/fleet-link';
import { PresenceTable } from '../../nodes/online-tracker/presence';
import { helperInternals, loadContextStores, type ContextStore } from '../support/context-stores';
import { helper, nodeById, sleep, withCatalog, type NodeInit, type TestNode } from '../support/flow-helper';
import { nodeModule, nodeRedPath } from '../support/node-red';

const tracker = withCatalog(nodeModule('online-tracker') as NodeInit, 'online-tracker');
const fleetModule = nodeModule('heatpump-fleet') as NodeInit;

const DEVICES = 100_000;
const CHECK_INTERVAL_MS = 100;
/**
 * Tiny next to the 600 s default, yet longer than seeding 100k devices plus the seed flood take
 * here (1.1 to 2.2 s measured), so the expiry starts after them. On a slower machine the two
 * overlap: the counts still hold, and the window then also sees the flood (0.2 to 0.5 s measured).
 */
const TIMEOUT_S = 6;
/** Longest tolerated event-loop stall, setImmediate delay and HTTP answer during the burst. */
const LIVENESS_BOUND_MS = 1000;
/**
 * RSS growth from just before the burst to its peak, heatpump-fleet node included. Measured on a
 * loaded 2-core machine: 68 to 72 MB with the EXPIRY_CHUNK of 500 (one chunk of events and
 * messages alive at a time, the fleet's change set, the final 100k-device summary on output 2);
 * the bound is generous so that GC timing cannot make it flaky.
 */
const BURST_RSS_BOUND_MB = 250;
/** A start restoring 100k devices, beyond an empty start; measured 60 to 85 ms here. */
const RESTORE_BOUND_MS = 1500;

const deviceId = (i: number) => `d${String(i).padStart(6, '0')}`;
const MB = 1024 * 1024;

const internals = helperInternals as typeof helperInternals & {
  _sandbox: { restore(): void };
  _NodePrototype: { send: unknown };
};

/** Removes the helper's sinon spies (see the harness notes); Node-RED copies send onto each node. */
function noSpies(...nodes: TestNode[]): void {
  internals._sandbox.restore();
  for (const node of nodes) Reflect.set(node, 'send', internals._NodePrototype.send);
}

function flow(props: Record<string, unknown>, extra: Array<Record<string, unknown>> = []): Array<Record<string, unknown>> {
  return [
    { id: 'f1', type: 'tab', label: 'scale' },
    { id: 'n1', z: 'f1', type: 'online-tracker', timeout: String(TIMEOUT_S), wires: [['events'], ['summaries']], ...props },
    { id: 'events', z: 'f1', type: 'helper' },
    { id: 'summaries', z: 'f1', type: 'helper' },
    ...extra,
  ];
}

/** Counts what reaches output 1 per device, without keeping 200k messages. */
class EventCounter {
  readonly online = new Uint8Array(DEVICES);
  readonly offline = new Uint8Array(DEVICES);
  onlineTotal = 0;
  offlineTotal = 0;
  readonly offlineTimestamps = new Set<number>();
  readonly reasons = new Set<string>();
  firstOfflineAt = 0;
  lastOfflineAt = 0;

  constructor(node: TestNode) {
    node.on('input', (msg: { payload: PresenceEvent }) => {
      const event = msg.payload;
      const index = Number(event.device_id.slice(1));
      if (event.event === 'device_online') {
        this.online[index] = (this.online[index] ?? 0) + 1;
        this.onlineTotal++;
        return;
      }
      const now = performance.now();
      if (this.offlineTotal === 0) this.firstOfflineAt = now;
      this.lastOfflineAt = now;
      this.offline[index] = (this.offline[index] ?? 0) + 1;
      this.offlineTotal++;
      this.offlineTimestamps.add(event.timestamp);
      this.reasons.add(event.reason);
    });
  }

  /** Devices whose count is not exactly one. */
  static notOnce(counts: Uint8Array): number {
    let wrong = 0;
    for (const count of counts) if (count !== 1) wrong++;
    return wrong;
  }
}

/**
 * Event-loop liveness and memory while a burst runs: a 50 ms interval's lateness (the longest
 * stall), the delay of a setImmediate scheduled on every tick, sequential HTTP requests to a
 * server in this process (same event loop as the runtime's admin API), and peak RSS.
 */
class LivenessMonitor {
  private readonly samples: Array<{ at: number; lateMs: number }> = [];
  private readonly immediates: Array<{ at: number; delayMs: number }> = [];
  private readonly answers: Array<{ at: number; ms: number }> = [];
  private timer: NodeJS.Timeout | undefined;
  private server: http.Server | undefined;
  private polling = false;
  peakRss = 0;

  async start(): Promise<void> {
    this.server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
    let last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      this.samples.push({ at: now, lateMs: now - last - 50 });
      last = now;
      this.peakRss = Math.max(this.peakRss, process.memoryUsage.rss());
      setImmediate(() => this.immediates.push({ at: now, delayMs: performance.now() - now }));
    }, 50);
    this.polling = true;
    void (async () => {
      while (this.polling) {
        const sent = performance.now();
        const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        await res.text();
        this.answers.push({ at: sent, ms: performance.now() - sent });
        await sleep(20);
      }
    })();
  }

  resetPeak(): number {
    this.peakRss = process.memoryUsage.rss();
    return this.peakRss;
  }

  /** The worst figures of what happened between `from` and `to` (performance.now()). */
  worst(from: number, to: number): { stallMs: number; immediateMs: number; httpMs: number; httpAnswers: number } {
    const within = <T extends { at: number }>(list: T[]) => list.filter((s) => s.at >= from && s.at <= to);
    const max = (values: number[]) => values.reduce((a, b) => Math.max(a, b), 0);
    // a stall ends at a sample; the sample after `to` still tells about a stall inside the window
    const stalls = this.samples.filter((s) => s.at >= from && s.at - s.lateMs - 50 <= to);
    const answers = within(this.answers);
    return {
      stallMs: max(stalls.map((s) => s.lateMs)),
      immediateMs: max(within(this.immediates).map((s) => s.delayMs)),
      httpMs: max(answers.map((a) => a.ms)),
      httpAnswers: answers.length,
    };
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.polling = false;
    await sleep(50);
    await new Promise<void>((resolve) => {
      this.server?.closeAllConnections();
      this.server?.close(() => resolve());
    });
  }
}

async function until(what: string, probe: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const figure = (label: string, value: string) => console.log(`      ${label.padEnd(52)} ${value}`);

describe('online-tracker at fleet scale (100k devices)', function () {
  this.timeout(30_000);
  let monitor: LivenessMonitor | undefined;

  before(() => helper.init(nodeRedPath));
  afterEach(async () => {
    await monitor?.stop();
    monitor = undefined;
    await helper.unload();
    helper.settings({});
  });

  it('100k devices seen, then all going offline in one check: each event once, memory bounded, the event loop serving HTTP', async () => {
    helper.settings({ onlineTrackerCheckInterval: CHECK_INTERVAL_MS });
    await helper.load([fleetModule, tracker], flow({ fleet: 'fleet1' }, [{ id: 'fleet1', type: 'heatpump-fleet', name: 'fleet' }]));
    const n1 = nodeById('n1');
    noSpies(n1);
    const counter = new EventCounter(nodeById('events'));
    const summaries: Array<{ at: number; online: number; offline: number }> = [];
    nodeById('summaries').on('input', (msg: { payload: { online: number; offline: number } }) =>
      summaries.push({ at: performance.now(), online: msg.payload.online, offline: msg.payload.offline }),
    );
    const fleet = fleetOf(helper, 'fleet1');
    assert.ok(fleet, 'the heatpump-fleet node is deployed');
    await sleep(50); // the fleet node's state has loaded

    const seedStart = performance.now();
    const realNow = Date.now;
    const frozen = realNow();
    Date.now = () => frozen;
    try {
      for (let i = 0; i < DEVICES; i++) n1.receive({ topic: deviceId(i) });
    } finally {
      Date.now = realNow;
    }
    const seedMs = performance.now() - seedStart;
    await until('100k online events', () => counter.onlineTotal >= DEVICES, 20_000);
    const floodMs = performance.now() - seedStart - seedMs;
    assert.equal(EventCounter.notOnce(counter.online), 0, 'every device announced online exactly once');
    // 0 unless seeding and flood outlasted the timeout (a very slow machine): see TIMEOUT_S
    const earlyOffline = counter.offlineTotal;

    monitor = new LivenessMonitor();
    await monitor.start();
    const rssBefore = monitor.resetPeak();
    await until('100k offline events', () => counter.offlineTotal >= DEVICES, 25_000);
    await sleep(3 * CHECK_INTERVAL_MS); // a stray event after the last would show here
    const worst = monitor.worst(counter.firstOfflineAt, counter.lastOfflineAt);
    const rssGrowthMb = (monitor.peakRss - rssBefore) / MB;

    figure('seeding 100k messages (synchronous loop)', `${seedMs.toFixed(0)} ms`);
    figure('seed flood (100k online events delivered)', `${floodMs.toFixed(0)} ms (${earlyOffline} offline events before the window)`);
    figure('expiry burst, first to last offline event', `${(counter.lastOfflineAt - counter.firstOfflineAt).toFixed(0)} ms`);
    figure('longest event-loop stall during the burst', `${worst.stallMs.toFixed(0)} ms (bound ${LIVENESS_BOUND_MS})`);
    figure('longest setImmediate delay during the burst', `${worst.immediateMs.toFixed(0)} ms`);
    figure('slowest HTTP answer during the burst', `${worst.httpMs.toFixed(0)} ms of ${worst.httpAnswers} answers`);
    figure('RSS growth during the burst (peak - before)', `${rssGrowthMb.toFixed(0)} MB (bound ${BURST_RSS_BOUND_MB})`);

    assert.equal(counter.offlineTotal, DEVICES, 'no event twice');
    assert.equal(EventCounter.notOnce(counter.offline), 0, 'every device announced offline exactly once');
    assert.equal(counter.offlineTimestamps.size, 1, 'all in one check');
    assert.deepEqual([...counter.reasons], ['timeout']);
    assert.ok(worst.stallMs < LIVENESS_BOUND_MS, `event loop stalled ${worst.stallMs.toFixed(0)} ms`);
    assert.ok(worst.immediateMs < LIVENESS_BOUND_MS, `a setImmediate waited ${worst.immediateMs.toFixed(0)} ms`);
    assert.ok(worst.httpAnswers > 0, 'HTTP was answered during the burst');
    assert.ok(worst.httpMs < LIVENESS_BOUND_MS, `an HTTP answer took ${worst.httpMs.toFixed(0)} ms`);
    assert.ok(rssGrowthMb < BURST_RSS_BOUND_MB, `RSS grew ${rssGrowthMb.toFixed(0)} MB`);

    // One summary for the whole check, after its last chunk, not one per chunk.
    const after = summaries.filter((s) => s.at >= counter.firstOfflineAt);
    assert.deepEqual(
      after.map((s) => [s.online, s.offline]),
      [[0, DEVICES]],
    );
    // The fleet node heard every transition.
    assert.deepEqual([fleet.state.summary().online, fleet.state.summary().offline], [0, DEVICES]);
  });

  it('a start with 100k persisted devices is about as quick as an empty start, and an overdue fleet expires in one check', async () => {
    /** Start-up time: from the store handing over the state to the node showing its status. */
    async function start(state: unknown, expectedStatus: string): Promise<{ ms: number; counter: EventCounter }> {
      let handedAt = 0;
      const store: ContextStore = {
        open: () => Promise.resolve(),
        close: () => Promise.resolve(),
        // after load() returns, so that the status listener below is in place
        get: (_scope, key, callback) =>
          setTimeout(() => {
            handedAt = performance.now();
            callback(null, key === 'presence' ? state : undefined);
          }, 50),
        set: (_scope, _key, _value, callback) => callback(null),
        keys: (_scope, callback) => callback(null, []),
        delete: () => Promise.resolve(),
        clean: () => Promise.resolve(),
      };
      helper.settings({ onlineTrackerCheckInterval: CHECK_INTERVAL_MS, contextStorage: { keep: { module: () => store } } });
      await helper.load([loadContextStores, tracker], flow({ store: 'keep' }));
      const counter = new EventCounter(nodeById('events'));
      let shownAt = 0;
      nodeById('n1').on('call:status', (call: { args: Array<{ text?: string }> }) => {
        if (shownAt === 0 && call.args[0]?.text === expectedStatus) shownAt = performance.now();
      });
      await until(`status ${expectedStatus}`, () => shownAt > 0, 10_000);
      return { ms: shownAt - handedAt, counter };
    }

    const { ms: emptyMs } = await start({ presence: { version: 1, devices: [] }, timeouts: {} }, '0/0 online');
    await helper.unload();

    // Saved by an earlier run: every device online, its last message an hour ago.
    const table = new PresenceTable(3_600_000);
    const hourAgo = Date.now() - 3_600_000;
    for (let i = 0; i < DEVICES; i++) table.seen(deviceId(i), hourAgo + i);
    const persisted: unknown = JSON.parse(JSON.stringify({ presence: table.toJSON(), timeouts: {} }));

    monitor = new LivenessMonitor();
    await monitor.start();
    const { ms: restoreMs, counter } = await start(persisted, `${DEVICES}/${DEVICES} online`);
    noSpies(nodeById('n1'));
    figure('start, empty state (store hands over -> status)', `${emptyMs.toFixed(0)} ms`);
    figure('start, 100k persisted devices (same)', `${restoreMs.toFixed(0)} ms (bound: empty + ${RESTORE_BOUND_MS})`);
    assert.ok(restoreMs < emptyMs + RESTORE_BOUND_MS, `restoring 100k devices took ${restoreMs.toFixed(0)} ms`);

    // The restored fleet has been silent for an hour: all of it goes offline at the first check.
    await until('100k offline events', () => counter.offlineTotal >= DEVICES, 25_000);
    await sleep(3 * CHECK_INTERVAL_MS);
    const worst = monitor.worst(counter.firstOfflineAt, counter.lastOfflineAt);
    figure('overdue fleet after the restart: burst', `${(counter.lastOfflineAt - counter.firstOfflineAt).toFixed(0)} ms, longest stall ${worst.stallMs.toFixed(0)} ms`);
    assert.equal(counter.offlineTotal, DEVICES);
    assert.equal(EventCounter.notOnce(counter.offline), 0, 'every device announced offline exactly once');
    assert.equal(counter.onlineTotal, 0, 'nothing announced online again');
    assert.equal(counter.offlineTimestamps.size, 1, 'all in one check');
    assert.ok(worst.stallMs < LIVENESS_BOUND_MS, `event loop stalled ${worst.stallMs.toFixed(0)} ms`);
  });
});
