// Node-RED glue for online-tracker: one interval for all devices, persistence, outputs, status,
// reports to the fleet node. The decisions live in presence.ts (who is online) and input.ts (what
// a message means).
import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { PresenceEvent } from '../shared/contract';
import { errorOf, refuseConfiguration } from '../shared/errors';
import { fleetOf, type FleetLink } from '../shared/fleet-link';
import { loadState, resolveStore, saveState } from '../shared/persist';
import { clearStatus } from '../shared/status';
import { PacedStatus } from '../shared/paced-status';
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
}

class OnlineTracker {
  private table: PresenceTable | undefined;
  /** messages that arrived while the persisted state was loading, in arrival order */
  private readonly waiting: Array<[NodeMessageInFlow, Send, Done]> = [];
  /** per-device timeouts set by control messages, in seconds (persisted) */
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
  /** online and total count last shown, so an unchanged status costs nothing */
  private shown = '';

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
    const loading = store ? loadState(this.node.context(), STATE_KEY, store) : Promise.resolve(undefined);
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
    Promise.resolve(this.saving)
      .then(() => (this.dirty ? this.save(Date.now()) : undefined))
      .then(finish, finish);
  }

  private begin(saved: unknown): void {
    if (this.closed) return;
    const table = this.restore(saved);
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
            for (const [id, seconds] of action.timeouts) {
              if (seconds === null) this.controlTimeouts.delete(id);
              else this.controlTimeouts.set(id, seconds);
              table.setDeviceTimeout(id, seconds === null ? undefined : seconds * 1000);
            }
            this.dirty = true;
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
          this.emit(table, table.seen(action.deviceId, now), now, send);
          return done();
        case 'status':
          // The last will and a retained `online` come from the broker, not the device: not seen.
          if (action.status === 'online' && !action.retained) this.options.fleet()?.seen(action.deviceId, now);
          this.emit(table, table.statusMessage(action.deviceId, action.status, now, action.retained), now, send);
          return done();
      }
    } catch (thrown) {
      this.shown = '';
      this.status.fail(done, this.t('status.error'), errorOf(thrown));
    }
  }

  private tick(table: PresenceTable): void {
    // A mass expiry still going out finishes its check first.
    if (this.draining) return;
    this.expire(table, Date.now());
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
    if (events.length > 0) {
      this.dirty = true;
      const fleet = this.options.fleet();
      if (fleet) for (const event of events) fleet.presence(event);
    }
    const more = events.length === EXPIRY_CHUNK;
    const now = Date.now();
    const summary = more ? undefined : this.dueSummary(table, now);
    if (events.length > 0 || summary) this.node.send([events.length > 0 ? events.map(presenceMsg) : null, summary ?? null]);
    this.showStatus(table);
    if (more) {
      this.draining = setImmediate(() => this.guarded(() => this.expire(table, checkedAt)));
      return;
    }
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
    const state: PersistedTrackerState = { presence: table.toJSON(), timeouts: Object.fromEntries(this.controlTimeouts) };
    this.saving = saveState(this.node.context(), STATE_KEY, state, this.options.store)
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
    if (`${online}/${total}` === this.shown) return;
    this.shown = `${online}/${total}`;
    const key = this.options.missingStore ? 'status.tracking-memory' : 'status.tracking';
    this.status.show('tracking', () => this.t(key, { online, total }));
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
