// Config node that owns the fleet's live state (fleet-state.ts): working nodes report into it,
// the API, dashboard views, /metrics and SMS STATUS read from it. It persists the state in the
// context store chosen on it or in its own files (store.ts), restores it on start, hands consumers
// the changes once per interval, and follows the health of the MQTT broker and InfluxDB config
// nodes it names.
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { Node, NodeAPI } from 'node-red';
import { metricsReadingProblem, type AlertEvent, type MetricsReading, type PresenceEvent, type Reading } from '../shared/contract';
import { isValidDeviceId } from '../shared/device-id';
import { errorOf } from '../shared/errors';
import type { FleetLink } from '../shared/fleet-link';
import { resolveStore, type ResolvedStore } from '../shared/persist';
import { nodeClusterSettings } from '../shared/cluster';
import { borrowRedis, closeRedis, follow, openRedis } from '../shared/redis-connection';
import { FleetState, type FleetChanges, type Rejection, type WriteDropReason } from './fleet-state';
import { influxPingUrl } from './influx-target';
import { RedisFleet, type FleetOp } from './redis-fleet';
import { durableFs, FleetFiles } from './fleet-files';
import { contextFleetStore, fileFleetStore, type FleetStore } from './store';
import type { HeatpumpFleetDef, InfluxConfigLike } from './types';

const TYPE = 'heatpump-fleet';
/** Consumers get changes at most this often. */
const CHANGE_INTERVAL_MS = 1000;
/** The state is written at most this often (and on close), never per report. */
const SAVE_INTERVAL_MS = 5000;
const HEALTH_INTERVAL_MS = 5000;
/** A shared fleet's reports go to Redis this long after the first of a batch. */
const FLUSH_DELAY_MS = 20;
const PING_TIMEOUT_MS = 3000;
/**
 * A failed or timed-out query keeps InfluxDB unhealthy this long unless a query succeeds: queries
 * come only when someone asks, so the next one may be far off, and /ping alone says too little.
 */
const QUERY_FAILURE_HOLD_MS = 60_000;

type Translate = (key: string, params?: Record<string, string | number>) => string;

/** The fleet in Redis, shared with the other instances, and what this instance has to fetch from it. */
interface SharedFleet {
  fleet: RedisFleet;
  /** devices another instance (or this one) changed since the last delivery */
  stale: Set<string>;
  /** true after a reconnect: announcements may have been missed, fetch everything */
  resync: boolean;
  /** true while the command connection is up (a flush then cannot hang) */
  connected(): boolean;
  /** closes the connections */
  close(): Promise<void>;
}
type Listener = (changes: FleetChanges) => void;

/** The connections the fleet follows, looked up by config node id when needed. */
interface Connections {
  /** null while the named InfluxDB config node does not exist yet; undefined when none is named */
  influx(): InfluxConfigLike | null | undefined;
  influxConfigured: boolean;
  /** null when no broker is named or it does not exist yet */
  mqttConnected(): boolean | null;
}

function ping(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    const request = get(url, { timeout: PING_TIMEOUT_MS }, (response) => {
      response.resume();
      const code = response.statusCode ?? 0;
      if (code >= 200 && code < 300) resolve();
      else reject(new Error(`HTTP ${code}`));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${PING_TIMEOUT_MS / 1000} s`)));
    request.on('error', reject);
  });
}

class FleetOwner implements FleetLink {
  private readonly fleetState: FleetState;
  readonly ready: Promise<void>;
  private markReady: () => void = () => undefined;
  /** reports that arrived while the stored state was loading, applied in order once it is */
  private pending: Array<() => void> | undefined = [];
  private readonly listeners = new Set<Listener>();
  /** listeners that have not had their first (whole fleet) delivery yet */
  private readonly fresh = new Set<Listener>();
  private readonly timers: NodeJS.Timeout[] = [];
  private savedRevision = -1;
  private saving: Promise<void> | undefined;
  private influxReachable: boolean | undefined;
  private resolvedInflux: { url: string | undefined } | undefined;
  /** points held on disk by each reporting heatpump-batch */
  private readonly spools = new Map<string, number>();
  /** the last write failed and none has succeeded since */
  private writeFailing = false;
  /** when the last query failed, if none has succeeded since */
  private queryFailedAt: number | undefined;
  private closed = false;

  constructor(
    private readonly node: Node,
    private readonly t: Translate,
    private readonly store: FleetStore,
    private readonly connections: Connections,
    private readonly shared?: SharedFleet,
  ) {
    this.fleetState = new FleetState(Date.now(), false);
    this.ready = new Promise((resolve) => (this.markReady = resolve));
  }

  get isReady(): boolean {
    return this.pending === undefined;
  }

  /** The live state, with the history flag settled (the InfluxDB node may start after this one). */
  get state(): FleetState {
    this.influxUrl();
    return this.fleetState;
  }

  /** The InfluxDB /ping URL once the InfluxDB config node is known; undefined: history is off. */
  private influxUrl(): string | undefined {
    if (this.resolvedInflux === undefined) {
      const config = this.connections.influx();
      // not created yet (config nodes start in flow order): look again next time
      if (config === null) return undefined;
      this.resolvedInflux = { url: influxPingUrl(config) };
      this.fleetState.setHealth({ history: this.resolvedInflux.url !== undefined });
    }
    return this.resolvedInflux.url;
  }

  get history(): boolean {
    return this.influxUrl() !== undefined;
  }

  get historyNote(): string {
    if (this.history) return '';
    if (!this.connections.influxConfigured) return this.t('notes.no-influx-node');
    return this.connections.influx() === null ? this.t('notes.missing-influx-node') : this.t('notes.no-influx-host');
  }

  /** Memory-only note when the chosen context store is not configured; empty otherwise. */
  get storeNote(): string {
    return this.store.volatile ? this.t('notes.memory-only') : '';
  }

  start(storeName: string): void {
    // with Redis the fleet is the shared one; the context store is not used
    if (!this.shared && this.store.volatile) this.node.warn(this.t('errors.no-store', { store: storeName }));
    const loading = this.shared ? this.shared.fleet.load() : this.store.load();
    loading
      .catch((thrown: unknown) => {
        this.node.warn(this.t('errors.load-failed', { message: errorOf(thrown).message }));
        return undefined;
      })
      .then((saved) => this.begin(saved))
      .catch((thrown: unknown) => this.node.error(errorOf(thrown).message));
  }

  private begin(saved: unknown): void {
    if (this.closed) return;
    const restored = this.state.restore(saved);
    if (restored.problem) this.node.warn(this.t('errors.bad-state', { problem: restored.problem }));
    if (restored.skipped > 0) this.node.warn(this.t('errors.skipped-devices', { count: restored.skipped }));
    this.savedRevision = this.state.revision;
    const waiting = this.pending ?? [];
    this.pending = undefined;
    for (const report of waiting) report();
    this.markReady();
    this.every(CHANGE_INTERVAL_MS, () => {
      this.checkMqtt();
      if (this.shared) void this.syncShared().then(() => this.deliver());
      else this.deliver();
    });
    // with a shared fleet every report goes to Redis as it comes: nothing to save
    if (!this.shared) this.every(SAVE_INTERVAL_MS, () => void this.save());
    this.every(HEALTH_INTERVAL_MS, () => void this.checkInflux());
    this.checkMqtt();
    void this.checkInflux();
    // Consumers get the restored fleet with the first interval's delivery (every listener new
    // since the last one gets the whole fleet), not from here: the state may load while the flows
    // are still starting, and a view sent then to a node not yet created would be lost.
  }

  private every(ms: number, action: () => void): void {
    this.timers.push(
      setInterval(() => {
        // a throw escaping a timer callback would take the whole runtime down
        try {
          action();
        } catch (thrown) {
          this.node.error(errorOf(thrown).message);
        }
      }, ms),
    );
  }

  // ---- reports (FleetLink) --------------------------------------------------------------------

  private report(apply: () => void): void {
    if (this.pending) this.pending.push(apply);
    else apply();
  }

  /**
   * A report that changes the fleet: applied to the local state, or with a shared fleet sent to
   * Redis, from where every instance (this one too) takes the device's new record.
   */
  private record(deviceId: string | null, op: FleetOp): void {
    if (!this.shared) {
      this.report(() => op(this.state));
      return;
    }
    this.shared.fleet.queue(deviceId, op);
    this.scheduleFlush();
  }

  private flushTimer: NodeJS.Timeout | undefined;

  /** Reports go to Redis in batches a few milliseconds apart, not one round trip each. */
  private scheduleFlush(): void {
    if (this.flushTimer || this.closed) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flushShared();
    }, FLUSH_DELAY_MS);
  }

  private flushShared(): void {
    const shared = this.shared;
    if (!shared) return;
    shared.fleet
      .flush()
      .then(() => {
        if (shared.fleet.pending > 0) this.scheduleFlush();
        if (this.sharedFailing) this.node.log(this.t('notes.redis-back'));
        this.sharedFailing = false;
      })
      .catch((thrown: unknown) => {
        // one log line per failing period; the reports stay queued and go with the next flush
        if (!this.sharedFailing) this.node.warn(this.t('errors.redis-failed', { message: errorOf(thrown).message }));
        this.sharedFailing = true;
        if (!this.closed) this.flushTimer = setTimeout(() => {
          this.flushTimer = undefined;
          this.flushShared();
        }, CHANGE_INTERVAL_MS);
      });
  }

  private sharedFailing = false;
  private syncing = false;

  /** Takes the devices others changed, and the fleet's totals, into the local state. */
  private async syncShared(): Promise<void> {
    const shared = this.shared;
    if (!shared || this.syncing || this.pending) return;
    this.syncing = true;
    try {
      const resync = shared.resync;
      shared.resync = false;
      const ids = resync ? await shared.fleet.load().then((all) => all.devices.map((device) => device.device_id)) : [...shared.stale];
      shared.stale.clear();
      const [records, totals] = await Promise.all([shared.fleet.fetch(ids), shared.fleet.totals()]);
      if (this.closed) return;
      ids.forEach((id, index) => this.fleetState.adopt(id, records[index]));
      this.fleetState.adoptTotals(totals);
    } catch (thrown) {
      shared.resync = true;
      if (!this.sharedFailing) this.node.warn(this.t('errors.redis-failed', { message: errorOf(thrown).message }));
      this.sharedFailing = true;
    } finally {
      this.syncing = false;
    }
  }

  reading(reading: Reading, leftOut: readonly { field: string; reason: string }[]): void {
    const now = Date.now();
    this.record(reading.device_id, (state) => state.reading(reading, leftOut, now));
  }

  metrics(reading: MetricsReading): void {
    const now = Date.now();
    // a source's bug must not put a value into the state that a restart would not restore
    const problem = metricsReadingProblem(reading);
    if (problem !== undefined) {
      const deviceId = isValidDeviceId(reading?.device_id) ? reading.device_id : null;
      this.record(null, (state) => state.rejected({ time: now, scope: 'reading', device_id: deviceId, field: null, reason: `metrics reading: ${problem}` }));
      return;
    }
    this.record(reading.device_id, (state) => state.metrics(reading, now));
  }

  rejected(rejection: Omit<Rejection, 'time'>): void {
    const time = Date.now();
    this.record(null, (state) => state.rejected({ ...rejection, time } as Rejection & { scope: 'payload' | 'reading' }));
  }

  seen(deviceId: string, at: number): void {
    this.record(deviceId, (state) => state.seen(deviceId, at));
  }

  alert(event: AlertEvent): void {
    this.record(event.device_id, (state) => state.alert(event));
  }

  presence(event: PresenceEvent): void {
    this.record(event.device_id, (state) => state.presence(event));
  }

  written(points: number, beyondRetention?: number): void {
    this.record(null, (state) => state.written(points, beyondRetention));
    this.report(() => {
      this.writeFailing = false;
    });
  }

  writeFailed(lostPoints: number, reason?: WriteDropReason): void {
    this.record(null, (state) => state.writeFailed(lostPoints, reason));
    this.report(() => {
      // a database that answers /ping but fails or times out on writes is not healthy either
      this.writeFailing = true;
      this.state.setHealth({ influxdb_connected: false });
    });
  }

  spooled(reporter: string, points: number): void {
    this.report(() => {
      if (points > 0) this.spools.set(reporter, points);
      else this.spools.delete(reporter);
      let total = 0;
      for (const held of this.spools.values()) total += held;
      this.state.setHealth({ spooled_points: total });
    });
  }

  queryAnswered(): void {
    this.report(() => {
      if (this.queryFailedAt === undefined) return;
      this.queryFailedAt = undefined;
      this.node.log(this.t('notes.queries-back'));
      this.updateInfluxHealth();
    });
  }

  queryFailed(reason: string): void {
    this.report(() => {
      // one log line per failing period, not one per failed query
      if (this.queryFailedAt === undefined) this.node.warn(this.t('errors.query-failed', { reason }));
      this.queryFailedAt = Date.now();
      this.state.setHealth({ influxdb_connected: false });
    });
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    this.fresh.add(listener);
    return () => {
      this.listeners.delete(listener);
      this.fresh.delete(listener);
    };
  }

  // ---- delivery, persistence, health -----------------------------------------------------------

  private deliver(): void {
    if (this.pending) return;
    // a listener that subscribes during this delivery gets its whole fleet at the next one
    const fresh = [...this.fresh];
    this.fresh.clear();
    const changes = this.state.hasChanges() ? this.state.takeChanges() : undefined;
    if (fresh.length > 0) {
      const everything: FleetChanges = { devices: [...this.state.all()], counters: true, health: true, rejections: true, alerts: true };
      for (const listener of fresh) this.call(listener, everything);
    }
    if (changes) for (const listener of this.listeners) if (!fresh.includes(listener)) this.call(listener, changes);
  }

  private call(listener: Listener, changes: FleetChanges): void {
    try {
      listener(changes);
    } catch (thrown) {
      this.node.error(this.t('errors.listener-failed', { message: errorOf(thrown).message }));
    }
  }

  private save(): Promise<void> {
    if (this.pending || this.saving || this.state.revision === this.savedRevision) return this.saving ?? Promise.resolve();
    const revision = this.state.revision;
    this.saving = this.store
      .save(this.state)
      .then(() => {
        this.savedRevision = revision;
      })
      .catch((thrown: unknown) => this.node.warn(this.t('errors.save-failed', { message: errorOf(thrown).message })))
      .finally(() => {
        this.saving = undefined;
      });
    return this.saving;
  }

  /** Every second (a property read): a broker outage shorter than the InfluxDB check still counts. */
  private checkMqtt(): void {
    const connected = this.connections.mqttConnected();
    if (connected === null || !this.state.mqtt(connected)) return;
    if (connected) this.node.log(this.t('notes.mqtt-back'));
    else this.node.warn(this.t('errors.mqtt-lost', { count: this.state.counters.mqtt_outages }));
  }

  private async checkInflux(): Promise<void> {
    const url = this.influxUrl();
    if (url === undefined) return;
    let reachable = true;
    let reason = '';
    try {
      await ping(url);
    } catch (thrown) {
      reachable = false;
      reason = errorOf(thrown).message;
    }
    if (this.closed) return;
    // one log line per change of reachability, not one per check
    if (!reachable && this.influxReachable !== false) this.node.warn(this.t('errors.influx-unreachable', { url, reason }));
    if (reachable && this.influxReachable === false) this.node.log(this.t('notes.influx-back', { url }));
    this.influxReachable = reachable;
    this.updateInfluxHealth();
  }

  /** InfluxDB is healthy when /ping answers and neither the last write nor a recent query failed. */
  private updateInfluxHealth(): void {
    if (this.queryFailedAt !== undefined && Date.now() - this.queryFailedAt >= QUERY_FAILURE_HOLD_MS) this.queryFailedAt = undefined;
    if (this.influxReachable === undefined) return;
    this.state.setHealth({ influxdb_connected: this.influxReachable && !this.writeFailing && this.queryFailedAt === undefined });
  }

  /** Stops the timers and listeners, then saves, unless the node was removed (its state is deleted next). */
  close(removed: boolean, done: () => void): void {
    this.closed = true;
    // readers waiting for a state that will never load go on with what there is
    this.markReady();
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    clearTimeout(this.flushTimer);
    this.listeners.clear();
    this.fresh.clear();
    const finish = () => done();
    const shared = this.shared;
    if (shared) {
      // what is queued goes to Redis if it is there; a Redis that is away must not hold up close
      const flushed = shared.fleet.pending > 0 && shared.connected() ? shared.fleet.flush().catch(() => undefined) : Promise.resolve();
      void flushed.then(() => shared.close()).then(finish, finish);
      return;
    }
    // a removed node's state is deleted next: not worth a last save (a save under way ends first)
    Promise.resolve(this.saving)
      .then(() => (removed ? undefined : this.save()))
      .then(finish, finish);
  }
}

/**
 * The fleet in Redis when REDIS_URL is set (several instances share it), else undefined (the
 * context store, one instance). A cluster setting that cannot work is an error on the node, and
 * the fleet then stays local rather than not starting.
 */
function sharedFleet(node: Node, t: Translate): SharedFleet | undefined {
  const settings = nodeClusterSettings((message) => node.error(t('errors.bad-cluster', { message })));
  if (!settings) return undefined;
  const { client, release } = borrowRedis(settings.redisUrl);
  const subscriber = openRedis(settings.redisUrl);
  const shared: SharedFleet = {
    fleet: new RedisFleet(client, settings.keyPrefix, (reports) => node.warn(t('errors.redis-queue-full', { count: reports }))),
    stale: new Set(),
    resync: false,
    connected: () => client.status === 'ready',
    close: async () => {
      await closeRedis(subscriber);
      await release();
    },
  };
  follow(subscriber, shared.fleet.keys.channel, {
    message: (deviceId) => shared.stale.add(deviceId),
    reconnected: () => {
      shared.resync = true;
    },
  }).catch((thrown: unknown) => node.warn(t('errors.redis-failed', { message: errorOf(thrown).message })));
  node.log(t('notes.cluster', { instance: settings.instanceId }));
  return shared;
}

const init = (RED: NodeAPI): void => {
  const t: Translate = (key, params) => RED._(`${TYPE}.${key}`, params);

  /** The fleet's own files under the user directory (Save: changed devices), else the context store; without a user directory (tests) the context store. */
  function fleetStore(node: Node, config: HeatpumpFleetDef, store: ResolvedStore): FleetStore {
    const userDir = (RED.settings as { userDir?: unknown }).userDir;
    if (config.persist !== 'files' || typeof userDir !== 'string' || userDir === '') return contextFleetStore(node.context(), store);
    const dir = path.join(userDir, 'heatpump-state', `fleet-${node.id.replace(/[^A-Za-z0-9_.-]/g, '_')}`);
    return fileFleetStore(new FleetFiles(durableFs, dir), node.context(), store, (count) => node.warn(t('errors.unreadable-changes', { count, dir })));
  }

  function HeatpumpFleet(this: Node & { fleet?: FleetLink }, config: HeatpumpFleetDef): void {
    RED.nodes.createNode(this, config);
    const storeName = (config.store ?? '').trim();
    const store = resolveStore(RED.settings as { contextStorage?: unknown }, storeName);
    // Config nodes start in flow order, so the broker and InfluxDB nodes may not exist yet: look
    // them up when needed.
    const lookup = <T>(id: string | undefined): T | null | undefined => (id ? ((RED.nodes.getNode(id) as T | null) ?? null) : undefined);
    const connections: Connections = {
      influx: () => lookup<InfluxConfigLike>(config.influxdb),
      influxConfigured: Boolean(config.influxdb),
      mqttConnected: () => {
        const broker = lookup<{ connected?: unknown }>(config.broker);
        return broker ? broker.connected === true : null;
      },
    };
    const saved = fleetStore(this, config, store);
    const owner = new FleetOwner(this, t, saved, connections, sharedFleet(this, t));
    this.fleet = owner;
    this.on('close', (removed: boolean, done: () => void) =>
      owner.close(removed, () => {
        if (!removed) return done();
        saved
          .forget()
          .catch((thrown: unknown) => this.warn(t('errors.forget-failed', { message: errorOf(thrown).message })))
          .finally(done);
      }),
    );
    owner.start(storeName);
  }

  RED.nodes.registerType(TYPE, HeatpumpFleet);
};

export = init;
