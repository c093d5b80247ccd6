// Node-RED glue for online-tracker: one interval for all devices, persistence, outputs, status,
// reports to the fleet node. The decisions live in presence.ts (who is online) and input.ts (what
// a message means); with REDIS_URL set, shared-presence.ts shares them with the other instances,
// and shared-timeouts.ts the timeouts set by control messages.
import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { PresenceEvent } from '../shared/contract';
import { nodeClusterSettings } from '../shared/cluster';
import { errorOf, refuseConfiguration } from '../shared/errors';
import { fleetOf, type FleetLink } from '../shared/fleet-link';
import { loadText, resolveStore, saveAsText } from '../shared/persist';
import { clearStatus } from '../shared/status';
import { PacedStatus } from '../shared/paced-status';
import { RedisLease } from '../shared/lease';
import { borrowRedis, closeRedis, openRedis } from '../shared/redis-connection';
import {
  classifyInput,
  DEFAULT_CHECK_INTERVAL_MS,
  parseDeviceTimeouts,
  resolveCheckInterval,
  resolveTimeoutSeconds,
  SUMMARY_TOPIC,
  TIMEOUT_ENV,
  type Problem,
} from './input';
import { PresenceTable } from './presence';
import { SharedPresence } from './shared-presence';
import { SharedTimeouts, type TimeoutChange } from './shared-timeouts';
import type { PresenceStep } from './shared-record';
import type { FleetMsg, OnlineTrackerDef, PersistedTrackerState, PresenceMsg } from './types';

const TYPE = 'online-tracker';
const CHECK_INTERVAL_SETTING = 'onlineTrackerCheckInterval';
/** Context key of the persisted state. */
const STATE_KEY = 'presence';
/** The state is written at most this often (and on close), never per message. */
const SAVE_DELAY_MS = 5000;
/**
 * Transitions per send when one check expires many devices (a broker outage silences the whole
 * fleet): between chunks the event loop serves HTTP and other flows, and only one chunk of
 * events and messages is alive at a time.
 */
const EXPIRY_CHUNK = 500;

type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
type Done = (err?: Error) => void;
type Translate = (key: string, params?: Record<string, string | number>) => string;

interface TrackerOptions {
  timeoutMs: number;
  /** per-device timeouts from the editor, in seconds; they win over control messages */
  configured: ReadonlyMap<string, number>;
  /** context store name; undefined: nothing is persisted */
  store: string | undefined;
  /** the store the node names but settings.js lacks (it runs on memory instead); '' when none */
  missingStore: string;
  checkIntervalMs: number;
  /** the heatpump-fleet node to report to, if one is configured and deployed */
  fleet: () => FleetLink | undefined;
  /** REDIS_URL set: the presence shared with the other instances */
  shared: SharedCluster | undefined;
}

interface SharedCluster {
  presence: SharedPresence;
  /** this node's control timeouts, the same on every instance */
  timeouts: SharedTimeouts;
  /** the offline sweep runs on the instance that holds it */
  lease: RedisLease;
  close(): Promise<void>;
}

class OnlineTracker {
  private table: PresenceTable | undefined;
  /** messages that arrived while the persisted state was loading, in arrival order */
  private readonly waiting: Array<[NodeMessageInFlow, Send, Done]> = [];
  /** per-device timeouts set by control messages, in seconds (persisted; with REDIS_URL, those in Redis) */
  private readonly controlTimeouts = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  /** the next chunk of a mass expiry; while it is pending no new check starts */
  private draining: NodeJS.Immediate | undefined;
  private closed = false;
  private dirty = false;
  private saving: Promise<void> | undefined;
  private lastSaveAt = -Infinity;
  private summaryRevision = -1;
  private lastSummaryAt = -Infinity;
  private readonly status: PacedStatus;
  /** online and total count (and sharing mode) last shown, so an unchanged status costs nothing */
  private shown = '';
  /** messages waiting for Redis; close lets them finish */
  private readonly inflight = new Set<Promise<void>>();
  /** a check on the shared presence under way (sync with Redis, then the sweep if this instance holds the lease) */
  private syncing: Promise<void> | undefined;
  /** held the sweep lease at the last check Redis answered (until one did: true, see checkAlone) */
  private sweptLast = true;

  constructor(
    private readonly node: Node,
    private readonly t: Translate,
    private readonly options: TrackerOptions,
  ) {
    this.status = new PacedStatus(node);
  }

  start(): void {
    const { store, missingStore } = this.options;
    if (missingStore) this.node.warn(this.t('errors.no-store', { store: missingStore }));
    const loading = store ? loadText(this.node.context(), STATE_KEY, store) : Promise.resolve(undefined);
    loading
      .catch((thrown: unknown) => {
        this.node.warn(this.t('errors.load-failed', { message: errorOf(thrown).message }));
        return undefined;
      })
      .then((saved) => this.begin(saved))
      .catch((thrown: unknown) => this.node.error(errorOf(thrown).message));
  }

  input(msg: NodeMessageInFlow, send: Send, done: Done): void {
    if (this.table) this.handle(this.table, msg, send, done);
    else this.waiting.push([msg, send, done]);
  }

  close(done: () => void): void {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    clearImmediate(this.draining);
    this.draining = undefined;
    for (const [, , waitingDone] of this.waiting.splice(0)) waitingDone(new Error(this.t('errors.closed')));
    const finish = () => {
      this.status.cancel();
      clearStatus(this.node);
      done();
    };
    Promise.allSettled([...this.inflight, this.syncing])
      .then(() => this.saving)
      .then(() => (this.dirty ? this.save(Date.now()) : undefined))
      .finally(() => this.options.shared?.close())
      .then(finish, finish);
  }

  private begin(saved: unknown): void {
    if (this.closed) return;
    const table = this.restore(saved);
    const shared = this.options.shared;
    if (!shared) return this.run(table);
    shared.lease.start();
    this.join(table, shared)
      .catch((thrown: unknown) => this.redisLost(thrown))
      .finally(() => this.run(table))
      .catch((thrown: unknown) => this.node.error(errorOf(thrown).message));
  }

  /** Redis decides from the first message on: its devices and timeouts first, then the waiting messages. */
  private async join(table: PresenceTable, shared: SharedCluster): Promise<void> {
    const restoredIds = table.toJSON().devices.map(([id]) => id);
    await Promise.all([shared.presence.start(restoredIds), shared.timeouts.start()]);
    const { devices } = await shared.presence.sync((id) => table.entry(id));
    for (const device of devices) table.adopt(device);
    await this.syncTimeouts(table, shared, false);
  }

  private run(table: PresenceTable): void {
    if (this.closed) return;
    this.table = table;
    this.timer = setInterval(() => this.guarded(() => this.tick(table)), this.options.checkIntervalMs);
    this.showStatus(table);
    // Dashboards learn the restored fleet at the first check (due: its revision was never sent);
    // building a 100k-device summary here would only make the start slower.
    if (table.size === 0) this.summaryRevision = table.revision;
    for (const [msg, send, done] of this.waiting.splice(0)) this.handle(table, msg, send, done);
  }

  /** A throw escaping a timer callback would take the whole runtime down. */
  private guarded(work: () => void): void {
    try {
      work();
    } catch (thrown) {
      this.node.error(errorOf(thrown).message);
    }
  }

  private restore(saved: unknown): PresenceTable {
    const fresh = () => new PresenceTable(this.options.timeoutMs, this.timeoutsMs());
    if (saved === undefined) return fresh();
    if (!isTrackerState(saved)) {
      this.node.warn(this.t('errors.bad-state', { problem: 'unexpected shape' }));
      return fresh();
    }
    const control = parseDeviceTimeouts(saved.timeouts, false);
    if (control.ok) for (const [id, seconds] of control.value) this.controlTimeouts.set(id, seconds);
    const restored = PresenceTable.fromJSON(saved.presence, this.options.timeoutMs, this.timeoutsMs());
    if (!restored.ok) {
      this.node.warn(this.t('errors.bad-state', { problem: restored.error }));
      return fresh();
    }
    if (restored.value.skipped > 0) this.node.warn(this.t('errors.skipped-devices', { count: restored.value.skipped }));
    return restored.value.table;
  }

  /** Control-message timeouts overlaid by the editor's, which win; in ms. */
  private timeoutsMs(): Map<string, number> {
    const merged = new Map<string, number>();
    for (const [id, seconds] of this.controlTimeouts) merged.set(id, seconds * 1000);
    for (const [id, seconds] of this.options.configured) merged.set(id, seconds * 1000);
    return merged;
  }

  private handle(table: PresenceTable, msg: NodeMessageInFlow, send: Send, done: Done): void {
    try {
      const input = classifyInput(msg);
      if (!input.ok) return this.fail(done, input.error);
      const now = Date.now();
      const action = input.value;
      switch (action.kind) {
        case 'control': {
          if (action.timeouts) {
            const fixed = [...action.timeouts.keys()].filter((id) => this.options.configured.has(id));
            if (fixed.length > 0) return this.fail(done, { key: 'timeout-fixed', params: { devices: fixed.join(', ') } });
            const changes = [...action.timeouts];
            this.setTimeouts(table, changes);
            this.shareTimeouts(changes);
          }
          if (action.summary) {
            // Reply on the request message itself, so msg.req/msg.res of `http in` survive.
            msg.payload = this.summaryMsg(table, now).payload;
            send([null, msg]);
          }
          return done();
        }
        case 'ignored':
          return done();
        case 'data':
          this.options.fleet()?.seen(action.deviceId, now);
          return this.change(table, action.deviceId, (presence) => presence.seen(action.deviceId, now), send, done);
        case 'status':
          // The last will and a retained `online` come from the broker, not the device: not seen.
          if (action.status === 'online' && !action.retained) this.options.fleet()?.seen(action.deviceId, now);
          return this.change(table, action.deviceId, (presence) => presence.statusMessage(action.deviceId, action.status, now, action.retained), send, done);
      }
    } catch (thrown) {
      this.shown = '';
      this.status.fail(done, this.t('status.error'), errorOf(thrown));
    }
  }

  /**
   * A message about one device: with a shared presence the step is decided on the device's record
   * in Redis (its transition is sent here only if this instance stored it) and the result taken
   * into this table; without one, or while Redis is away, the step is taken on this table alone.
   */
  private change(table: PresenceTable, id: string, step: PresenceStep, send: Send, done: Done): void {
    const shared = this.options.shared?.presence;
    if (!shared?.sharing) {
      shared?.changedLocally(id);
      this.emit(table, step(table), Date.now(), send);
      return done();
    }
    const handled = shared
      .update(id, table.timeoutFor(id), step)
      .then(
        ({ event, device }) => {
          if (device) table.adopt(device);
          this.emit(table, event, Date.now(), send);
        },
        (thrown: unknown) => {
          this.redisLost(thrown);
          shared.changedLocally(id);
          this.emit(table, step(table), Date.now(), send);
        },
      )
      .then(
        () => done(),
        (thrown: unknown) => this.status.fail(done, this.t('status.error'), errorOf(thrown)),
      )
      .finally(() => this.inflight.delete(handled));
    this.inflight.add(handled);
  }

  /** Control timeouts (seconds; null: cleared) kept, persisted and given to the table; a device timed in the editor keeps that timeout. */
  private setTimeouts(table: PresenceTable, changes: readonly TimeoutChange[]): void {
    for (const [id, seconds] of changes) {
      if (seconds === null) this.controlTimeouts.delete(id);
      else this.controlTimeouts.set(id, seconds);
      if (!this.options.configured.has(id)) table.setDeviceTimeout(id, seconds === null ? undefined : seconds * 1000);
    }
    if (changes.length > 0) this.dirty = true;
  }

  /** Timeouts set here go to the other instances: at once, or, while Redis is away, at the first check it answers. */
  private shareTimeouts(changes: readonly TimeoutChange[]): void {
    const shared = this.options.shared;
    if (!shared) return;
    const sent = shared.timeouts
      .share(changes, shared.presence.sharing)
      .catch((thrown: unknown) => this.redisLost(thrown))
      .finally(() => this.inflight.delete(sent));
    this.inflight.add(sent);
  }

  /** The control timeouts as Redis holds them (this instance's unsent ones written first), taken into the table. */
  private async syncTimeouts(table: PresenceTable, shared: SharedCluster, whole: boolean): Promise<void> {
    const { changes, bad } = await shared.timeouts.sync(this.controlTimeouts, whole);
    if (bad.length > 0) this.node.warn(this.t('errors.bad-shared-timeouts', { devices: bad.join(', ') }));
    this.setTimeouts(table, changes);
  }

  private tick(table: PresenceTable): void {
    // A mass expiry still going out, or a shared check under way, finishes first.
    if (this.draining || this.syncing) return;
    const shared = this.options.shared;
    if (!shared) return this.expire(table, Date.now());
    if (!shared.presence.connected) {
      this.redisLost(new Error(this.t('errors.redis-closed')));
      return this.checkAlone(table);
    }
    this.syncing = this.checkShared(table, shared).finally(() => {
      this.syncing = undefined;
    });
  }

  /**
   * One check on the shared presence: take in what the other instances changed (devices, then
   * timeouts), then, on the instance holding the lease only, the offline sweep. Redis failing: this
   * instance checks alone.
   */
  private async checkShared(table: PresenceTable, shared: SharedCluster): Promise<void> {
    const checkedAt = Date.now();
    try {
      const { devices, back } = await shared.presence.sync((id) => table.entry(id));
      if (this.closed) return;
      for (const device of devices) table.adopt(device);
      // after an outage every timeout is read again: announcements may have been missed
      await this.syncTimeouts(table, shared, back);
      if (this.closed) return;
      if (back) {
        this.node.log(this.t('notes.redis-back'));
        this.shown = '';
      }
      this.sweptLast = shared.lease.isHeld;
      if (this.sweptLast) await this.sweepShared(table, shared.presence, checkedAt);
    } catch (thrown) {
      if (this.closed) return;
      this.redisLost(thrown);
      return this.checkAlone(table);
    }
    if (this.closed) return;
    const now = Date.now();
    this.sendTransitions(table, [], true);
    this.saveIfDue(now);
  }

  /**
   * The offline sweep of the lease holder: each device this table finds overdue is checked on its
   * record in Redis and goes offline there only if it is still silent and online, so one instance
   * announces it, once; a device another instance heard meanwhile comes back with its new clock.
   */
  private async sweepShared(table: PresenceTable, shared: SharedPresence, checkedAt: number): Promise<void> {
    const checked = new Set<string>();
    for (;;) {
      const ids = table.overdue(checkedAt, EXPIRY_CHUNK).filter((id) => !checked.has(id));
      if (ids.length === 0 || this.closed) return;
      const results = await Promise.allSettled(
        ids.map((id) => {
          checked.add(id);
          const here = table.entry(id);
          return shared.update(id, table.timeoutFor(id), (presence) => {
            // a device Redis does not hold (its data was lost) is checked as this table knows it
            if (here && !presence.entry(id)) presence.adopt(here);
            return presence.expired(checkedAt)[0];
          });
        }),
      );
      const events: PresenceEvent[] = [];
      let failure: unknown;
      for (const result of results) {
        if (result.status === 'rejected') {
          failure ??= result.reason;
          continue;
        }
        if (result.value.device) table.adopt(result.value.device);
        if (result.value.event) events.push(result.value.event);
      }
      if (this.closed) return;
      this.sendTransitions(table, events, false);
      if (failure !== undefined) throw failure;
    }
  }

  /**
   * A check while Redis is away: the instance that swept last goes on sweeping its own table; the
   * others leave silent devices to it, so a device goes offline once, not once per instance. Until
   * a first check got through, every instance sweeps: an offline sent twice beats one never sent.
   */
  private checkAlone(table: PresenceTable): void {
    if (this.sweptLast) return this.expire(table, Date.now());
    const now = Date.now();
    this.sendTransitions(table, [], true);
    this.saveIfDue(now);
  }

  /** Redis failed or did not answer: this instance tracks alone, says so once and on its status. */
  private redisLost(thrown: unknown): void {
    const shared = this.options.shared;
    if (this.closed || !shared?.presence.lost()) return;
    this.node.warn(this.t('errors.redis-away', { message: errorOf(thrown).message }));
    if (this.table) this.showStatus(this.table);
  }

  /**
   * One check: the devices silent at `checkedAt` go offline, EXPIRY_CHUNK per send with a
   * setImmediate between sends, so however many expire the event loop is never held for long.
   * The summary, the status and the save come once, after the last chunk.
   */
  private expire(table: PresenceTable, checkedAt: number): void {
    this.draining = undefined;
    if (this.closed) return;
    const events = table.expired(checkedAt, EXPIRY_CHUNK);
    const more = events.length === EXPIRY_CHUNK;
    this.sendTransitions(table, events, !more);
    if (more) {
      this.draining = setImmediate(() => this.guarded(() => this.expire(table, checkedAt)));
      return;
    }
    this.saveIfDue(Date.now());
  }

  /** Offline transitions of a check (to the fleet too), with the summary when it is due and `last` is the check's last chunk. */
  private sendTransitions(table: PresenceTable, events: PresenceEvent[], last: boolean): void {
    if (events.length > 0) {
      this.dirty = true;
      const fleet = this.options.fleet();
      if (fleet) for (const event of events) fleet.presence(event);
    }
    const summary = last ? this.dueSummary(table, Date.now()) : undefined;
    if (events.length > 0 || summary) this.node.send([events.length > 0 ? events.map(presenceMsg) : null, summary ?? null]);
    this.showStatus(table);
  }

  private saveIfDue(now: number): void {
    if (this.dirty && !this.saving && now - this.lastSaveAt >= SAVE_DELAY_MS) void this.save(now);
  }

  private emit(table: PresenceTable, event: PresenceEvent | undefined, now: number, send: Send): void {
    this.dirty = true;
    if (event) this.options.fleet()?.presence(event);
    // During a mass expiry the summary waits for its end: one per check, not one per chunk.
    const summary = this.draining ? undefined : this.dueSummary(table, now);
    if (event || summary) send([event ? presenceMsg(event) : null, summary ?? null]);
    this.showStatus(table);
  }

  /**
   * The summary after a change: at once, but at most once per check interval, so that a burst
   * (a whole fleet reconnecting) costs one summary per interval, not one per device; the next
   * tick sends whatever a burst left unsent.
   */
  private dueSummary(table: PresenceTable, now: number): FleetMsg | undefined {
    if (table.revision === this.summaryRevision || now - this.lastSummaryAt < this.options.checkIntervalMs) return undefined;
    return this.summaryMsg(table, now);
  }

  private summaryMsg(table: PresenceTable, now: number): FleetMsg {
    this.summaryRevision = table.revision;
    this.lastSummaryAt = now;
    return { topic: SUMMARY_TOPIC, payload: table.summary(now) };
  }

  private save(now: number): Promise<void> {
    const table = this.table;
    if (!table || !this.options.store) return Promise.resolve();
    this.dirty = false;
    this.lastSaveAt = now;
    const state = (): PersistedTrackerState => ({ presence: table.toJSON(), timeouts: Object.fromEntries(this.controlTimeouts) });
    this.saving = saveAsText(this.node.context(), STATE_KEY, state, this.options.store)
      .catch((thrown: unknown) => {
        this.dirty = true;
        this.node.warn(this.t('errors.save-failed', { message: errorOf(thrown).message }));
      })
      .finally(() => {
        this.saving = undefined;
      });
    return this.saving;
  }

  private showStatus(table: PresenceTable): void {
    const { onlineCount: online, size: total } = table;
    const shared = this.options.shared?.presence;
    // shared: Redis holds the state, so a missing context store loses nothing
    const key = shared
      ? shared.sharing
        ? 'status.tracking-shared'
        : 'status.tracking-alone'
      : this.options.missingStore
        ? 'status.tracking-memory'
        : 'status.tracking';
    if (`${online}/${total} ${key}` === this.shown) return;
    this.shown = `${online}/${total} ${key}`;
    this.status.show(key === 'status.tracking-alone' ? 'busy' : 'tracking', () => this.t(key, { online, total }));
  }

  private fail(done: Done, problem: Problem): void {
    this.shown = '';
    this.status.fail(done, this.t('status.bad-input'), this.t(`errors.${problem.key}`, problem.params));
  }
}

function presenceMsg(event: PresenceEvent): PresenceMsg {
  return { topic: event.device_id, payload: event };
}

function isTrackerState(value: unknown): value is PersistedTrackerState {
  return typeof value === 'object' && value !== null && 'presence' in value && 'timeouts' in value;
}

/**
 * REDIS_URL set: the presence shared with the other instances (which run the same flows), else
 * undefined. A cluster setting that cannot work is an error on the node, which then tracks alone.
 */
function sharedCluster(node: Node, t: Translate): SharedCluster | undefined {
  const settings = nodeClusterSettings((reason) => node.error(t('errors.bad-cluster', { reason })));
  if (!settings) return undefined;
  const { client, release } = borrowRedis(settings.redisUrl);
  const subscriber = openRedis(settings.redisUrl);
  const presence = new SharedPresence(client, subscriber, settings.keyPrefix);
  // the same node id on every instance (they run the same flows): the same timeouts
  const timeouts = new SharedTimeouts(client, subscriber, presence.keys.timeouts(node.id));
  const lease = new RedisLease(client, { key: presence.keys.lease, holder: settings.instanceId });
  node.log(t('notes.shared', { instance: settings.instanceId }));
  return {
    presence,
    timeouts,
    lease,
    close: async () => {
      await lease.stop();
      await closeRedis(subscriber);
      await release();
    },
  };
}

const init = (RED: NodeAPI): void => {
  const t: Translate = (key, params) => RED._(`${TYPE}.${key}`, params);

  function OnlineTrackerNode(this: Node, config: OnlineTrackerDef): void {
    RED.nodes.createNode(this, config);
    const timeout = resolveTimeoutSeconds(config.timeout, RED.util.getSetting(this, TIMEOUT_ENV));
    const configured = parseDeviceTimeouts(config.deviceTimeouts ?? '', false);
    const problem = !timeout.ok ? timeout.error : !configured.ok ? configured.error : undefined;
    if (!timeout.ok || !configured.ok) {
      refuseConfiguration(this, t(`errors.${problem?.key}`, problem?.params), t('status.config-error'));
      return;
    }
    const store = resolveStore(RED.settings, config.store);
    // Looked up at first use, and again until found: the fleet node may start after this one.
    let fleet: FleetLink | undefined;
    const tracker = new OnlineTracker(this, t, {
      timeoutMs: timeout.value.seconds * 1000,
      configured: configured.value,
      store: store.store,
      missingStore: store.fallback ? (config.store ?? '').trim() : '',
      checkIntervalMs: resolveCheckInterval(Reflect.get(RED.settings, CHECK_INTERVAL_SETTING)),
      fleet: () => (fleet ??= fleetOf(RED.nodes, config.fleet)),
      shared: sharedCluster(this, t),
    });
    this.on('input', (msg, send, done) => tracker.input(msg, send, done));
    this.on('close', (_removed: boolean, done: () => void) => tracker.close(done));
    tracker.start();
  }

  RED.nodes.registerType(TYPE, OnlineTrackerNode, {
    settings: { [CHECK_INTERVAL_SETTING]: { value: DEFAULT_CHECK_INTERVAL_MS, exportable: true } },
  });
};

export = init;
