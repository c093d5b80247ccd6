// The live state of the fleet, owned by one heatpump-fleet config node: per device presence, last
// seen, latest reading (ESP32 Reading and/or MetricsReading of a polled source) and active alerts; counters; connection health; the last rejections.
// Pure: no Node-RED, no clock, no timers (every report carries its time).
//
// Cost model: every report touches one device and marks it changed; takeChanges() hands the
// changed devices to the consumers once per interval, so work per event is O(1) and work per
// interval is O(devices that changed), never O(fleet). Summary counts are kept incrementally.
import { isMetricsReading, type AlertEvent, type AlertLevel, type MetricsReading, type PresenceEvent, type Reading } from '../shared/contract';
import { isValidDeviceId } from '../shared/device-id';
import { SENSOR_FAULT } from '../threshold-alert/rules';

export const STATE_VERSION = 1;
/** The System page and /api/health show this many recent rejections. */
export const MAX_REJECTIONS = 50;
export const DEFAULT_MAX_DEVICES = 200_000;

export interface ActiveAlert {
  alert_type: string;
  /** the sensor a sensor_fault is about (one active fault per sensor) */
  field?: string;
  level: AlertLevel;
  value: number;
  threshold: number;
  message: string;
  /** ms: when this episode was raised */
  since: number;
  /** ms: the last event of this episode (raised or escalated) */
  timestamp: number;
  /** who raised the episode first: the device itself or the server's threshold check */
  source: 'device' | 'threshold';
}

export interface DeviceRecord {
  device_id: string;
  /** null: no presence report yet (online-tracker not wired or not heard) */
  online: boolean | null;
  /** ms: when the device entered its current presence state */
  online_since: number | null;
  /** ms: the last reading or message from the device */
  last_seen: number | null;
  /** the newest decoded reading (ESP32) */
  reading: Reading | null;
  /**
   * the metrics readings of polled or third-party sources (modbus-poll, viessmann-device,
   * shelly-em, ...) merged: each metric with its latest value and unit, info merged, timestamp the
   * newest; absent for a device that never sent one, so ESP32 records and older states keep their shape
   */
  metrics?: MetricsReading;
  /** ms: when each metric of `metrics` was last reported (by its reading's timestamp) */
  metric_times?: Record<string, number>;
  /** active alerts by activeAlertKey() */
  alerts: Record<string, ActiveAlert>;
}

export const COUNTER_NAMES = ['readings_accepted', 'payloads_rejected', 'fields_left_out', 'alerts', 'points_written', 'write_errors', 'points_lost', 'mqtt_outages'] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];
export type Counters = Record<CounterName, number>;

/**
 * Why points were given up on the way to InfluxDB (each also counts in points_lost):
 * buffer_full: heatpump-batch held more than maxBuffered; retries_exhausted: every retry failed
 * with the spool off; spool_full: the oldest spooled batches made room for newer ones;
 * spool_failed: a batch could not be written to, or read back from, the spool.
 * beyond_retention: InfluxDB wrote the batch but dropped these points, older than its retention policy keeps.
 */
export const WRITE_DROP_REASONS = ['buffer_full', 'retries_exhausted', 'spool_full', 'spool_failed', 'beyond_retention'] as const;
export type WriteDropReason = (typeof WRITE_DROP_REASONS)[number];
/** Points lost before this count existed (a state saved by 0.1.x): counted, but not by reason. */
export const UNATTRIBUTED = 'unattributed';
/**
 * Everything the pipeline sheds, by reason: rejected payloads and readings (heatpump-decode) and
 * the write drops. `unattributed` only appears when a 0.1.x state had points lost.
 */
export type Dropped = Record<'payload_rejected' | WriteDropReason, number> & { unattributed?: number };

export interface Health {
  /** null until the first check */
  mqtt_connected: boolean | null;
  influxdb_connected: boolean | null;
  /** false: no InfluxDB configured, nothing is written or queried */
  history: boolean;
  /** points waiting in write spools on disk for InfluxDB to take them (heatpump-batch) */
  spooled_points: number;
  /** ms: when this runtime started the fleet node */
  started_at: number;
}

export interface Rejection {
  time: number;
  /** what was rejected: a whole payload, one reading of it, or one field left out of a reading */
  scope: 'payload' | 'reading' | 'field';
  device_id: string | null;
  field: string | null;
  reason: string;
}

export interface FleetSummaryCounts {
  total: number;
  online: number;
  offline: number;
  /** devices with at least one active alert */
  alerting: number;
  warning: number;
  critical: number;
}

/** What consumers get once per interval: only what changed since the last call. */
export interface FleetChanges {
  devices: DeviceRecord[];
  counters: boolean;
  health: boolean;
  rejections: boolean;
  /** true when some device's active alerts changed */
  alerts: boolean;
}

export interface PersistedFleet {
  version: typeof STATE_VERSION;
  devices: DeviceRecord[];
  counters: Counters;
  rejections: Rejection[];
  readings_range: [number, number] | null;
  /** write drops by reason (missing in states saved by 0.1.x) */
  dropped?: Partial<Record<WriteDropReason | typeof UNATTRIBUTED, number>>;
}

/** One active alert per alert type, and per sensor for sensor faults (as threshold-alert's msg.alerts). */
export function activeAlertKey(alert: { alert_type: string; field?: string | undefined }): string {
  return alert.alert_type === SENSOR_FAULT && alert.field ? `${SENSOR_FAULT}:${alert.field}` : alert.alert_type;
}

const zeroCounters = (): Counters => Object.fromEntries(COUNTER_NAMES.map((name) => [name, 0])) as Counters;
const zeroWriteDrops = (): Record<WriteDropReason, number> => Object.fromEntries(WRITE_DROP_REASONS.map((reason) => [reason, 0])) as Record<WriteDropReason, number>;
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isTime = (value: unknown): value is number | null => value === null || (typeof value === 'number' && Number.isFinite(value));

export class FleetState {
  private readonly devices = new Map<string, DeviceRecord>();
  private readonly changed = new Set<string>();
  private readonly flags = { counters: false, health: false, rejections: false, alerts: false };
  readonly counters: Counters = zeroCounters();
  private readonly writeDrops = zeroWriteDrops();
  private unattributed = 0;
  readonly health: Health;
  private readonly rejectionRing: Rejection[] = [];
  private readonly summaryCounts: FleetSummaryCounts = { total: 0, online: 0, offline: 0, alerting: 0, warning: 0, critical: 0 };
  /** oldest and newest reading timestamps accepted (ms) */
  private range: [number, number] | null = null;
  /** bumped on every change; savers compare it to know whether there is anything to write */
  revision = 0;
  /** devices changed since the last takeUnsaved(); kept only once someone asks (a save of changed devices only) */
  private unsaved: Set<string> | undefined;

  constructor(
    started: number,
    history: boolean,
    private readonly maxDevices = DEFAULT_MAX_DEVICES,
  ) {
    this.health = { mqtt_connected: null, influxdb_connected: null, history, spooled_points: 0, started_at: started };
  }

  // ---- reports -------------------------------------------------------------------------------

  /** A decoded reading (heatpump-decode); `leftOut` fields were dropped from it with a reason. */
  reading(reading: Reading, leftOut: readonly { field: string; reason: string }[], now: number): void {
    const device = this.device(reading.device_id);
    if (!device) return;
    if (!device.reading || reading.timestamp >= device.reading.timestamp) device.reading = reading;
    // last seen is when we heard from it; a buffered reading may be minutes old
    device.last_seen = Math.max(device.last_seen ?? 0, now);
    this.count('readings_accepted', 1);
    this.extendRange(reading.timestamp);
    if (leftOut.length > 0) {
      this.count('fields_left_out', leftOut.length);
      for (const { field, reason } of leftOut) this.reject({ time: now, scope: 'field', device_id: reading.device_id, field, reason });
    }
    this.touch(device.device_id);
  }

  /**
   * A metrics reading of a polled or third-party source (modbus-poll calls this through its
   * FleetLink). Merged into the device's metrics, metric by metric, so that several sources of one
   * heat pump (its controller's API and an electricity meter) show side by side: a metric takes
   * the reading's value and unit unless it was last reported by a newer reading. Kept as a copy:
   * the caller may reuse its objects for the next poll.
   */
  metrics(reading: MetricsReading, now: number): void {
    const device = this.device(reading.device_id);
    if (!device) return;
    const merged = mergeMetrics(device.metrics, device.metric_times ?? {}, reading);
    device.metrics = merged.reading;
    device.metric_times = merged.times;
    device.last_seen = Math.max(device.last_seen ?? 0, now);
    this.count('readings_accepted', 1);
    this.extendRange(reading.timestamp);
    this.touch(device.device_id);
  }

  /** Any message from a device (status, alert, SMS report): it is alive. */
  seen(deviceId: string, at: number): void {
    const device = this.device(deviceId);
    if (!device) return;
    if (device.last_seen === null || at > device.last_seen) {
      device.last_seen = at;
      this.touch(deviceId);
    }
  }

  /** A payload or one reading in it was rejected (heatpump-decode). */
  rejected(rejection: Omit<Rejection, 'scope'> & { scope: 'payload' | 'reading' }): void {
    this.count('payloads_rejected', 1);
    this.reject(rejection);
  }

  /** An alert event (threshold-alert): raised / escalated update the active alert, cleared removes it. */
  alert(event: AlertEvent): void {
    const device = this.device(event.device_id);
    if (!device) return;
    const key = activeAlertKey(event);
    const before = device.alerts[key];
    this.uncountAlerts(device);
    if (event.state === 'cleared') {
      delete device.alerts[key];
    } else {
      this.count('alerts', 1);
      device.alerts[key] = {
        alert_type: event.alert_type,
        ...(event.field === undefined ? {} : { field: event.field }),
        level: event.level,
        value: event.value,
        threshold: event.threshold,
        message: event.message,
        since: before?.since ?? event.timestamp,
        timestamp: event.timestamp,
        source: before?.source ?? (event.source === 'device' ? 'device' : 'threshold'),
      };
    }
    this.countAlerts(device);
    this.flags.alerts = true;
    this.touch(device.device_id);
  }

  /** A presence transition (online-tracker). */
  presence(event: PresenceEvent): void {
    const device = this.device(event.device_id);
    if (!device) return;
    this.uncountPresence(device);
    device.online = event.event === 'device_online';
    device.online_since = event.timestamp;
    if (event.last_seen !== null && (device.last_seen === null || event.last_seen > device.last_seen)) device.last_seen = event.last_seen;
    this.countPresence(device);
    this.touch(device.device_id);
  }

  /** Points that reached InfluxDB (the write path), and those of the same write it dropped as older than its retention. */
  written(points: number, beyondRetention = 0): void {
    this.count('points_written', points);
    if (beyondRetention > 0) {
      this.writeDrops.beyond_retention += beyondRetention;
      this.count('points_lost', beyondRetention);
    }
  }

  /** A failed write; `lostPoints` > 0 when its points were given up, for `reason`. */
  writeFailed(lostPoints: number, reason: WriteDropReason = 'retries_exhausted'): void {
    this.count('write_errors', 1);
    if (lostPoints > 0) {
      this.writeDrops[reason] += lostPoints;
      this.count('points_lost', lostPoints);
    }
  }

  /** The broker connection as seen now; a drop from connected counts as one outage. Returns true on a change. */
  mqtt(connected: boolean): boolean {
    if (this.health.mqtt_connected === true && !connected) this.count('mqtt_outages', 1);
    return this.setHealth({ mqtt_connected: connected });
  }

  setHealth(part: Partial<Pick<Health, 'mqtt_connected' | 'influxdb_connected' | 'history' | 'spooled_points'>>): boolean {
    let changed = false;
    const health = this.health as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(part)) {
      if (health[key] !== value) {
        health[key] = value;
        changed = true;
      }
    }
    if (changed) {
      this.flags.health = true;
      this.revision += 1;
    }
    return changed;
  }

  /** Forgets one device (msg.reset on the fleet) or all devices and counters. */
  reset(deviceId?: string): void {
    if (deviceId === undefined) {
      for (const id of [...this.devices.keys()]) this.remove(id);
      Object.assign(this.counters, zeroCounters());
      Object.assign(this.writeDrops, zeroWriteDrops());
      this.unattributed = 0;
      this.rejectionRing.length = 0;
      this.range = null;
      Object.assign(this.flags, { counters: true, rejections: true, alerts: true });
    } else this.remove(deviceId);
    this.revision += 1;
  }

  // ---- reads ---------------------------------------------------------------------------------

  get(deviceId: string): DeviceRecord | undefined {
    return this.devices.get(deviceId);
  }

  /** Every device, in insertion order; callers must not modify them. */
  all(): IterableIterator<DeviceRecord> {
    return this.devices.values();
  }

  get size(): number {
    return this.devices.size;
  }

  summary(): FleetSummaryCounts {
    return { ...this.summaryCounts };
  }

  rejections(): readonly Rejection[] {
    return this.rejectionRing;
  }

  readingsRange(): [number, number] | null {
    return this.range;
  }

  /** Everything shed so far, by reason (see Dropped). */
  dropped(): Dropped {
    const dropped: Dropped = { payload_rejected: this.counters.payloads_rejected, ...this.writeDrops };
    if (this.unattributed > 0) dropped.unattributed = this.unattributed;
    return dropped;
  }

  /** What changed since the last call; resets the change marks. */
  takeChanges(): FleetChanges {
    const devices: DeviceRecord[] = [];
    for (const id of this.changed) {
      const device = this.devices.get(id);
      // a removed device goes out as an empty record so that views drop it
      devices.push(device ?? { device_id: id, online: null, online_since: null, last_seen: null, reading: null, alerts: {} });
    }
    this.changed.clear();
    const changes = { devices, ...this.flags };
    Object.assign(this.flags, { counters: false, health: false, rejections: false, alerts: false });
    return changes;
  }

  hasChanges(): boolean {
    return this.changed.size > 0 || Object.values(this.flags).some(Boolean);
  }

  // ---- persistence ---------------------------------------------------------------------------

  toJSON(): PersistedFleet {
    return { version: STATE_VERSION, devices: [...this.devices.values()], ...this.totals() };
  }

  /** What toJSON() holds beside the devices. */
  totals(): Omit<PersistedFleet, 'version' | 'devices'> {
    const dropped: PersistedFleet['dropped'] = { ...this.writeDrops };
    if (this.unattributed > 0) dropped[UNATTRIBUTED] = this.unattributed;
    return { counters: { ...this.counters }, rejections: [...this.rejectionRing], readings_range: this.range, dropped };
  }

  /** The devices changed since the last call (their records) and those gone since (their ids); at the first call every device. */
  takeUnsaved(): { devices: DeviceRecord[]; removed: string[] } {
    const devices: DeviceRecord[] = [];
    const removed: string[] = [];
    for (const id of this.unsaved ?? this.devices.keys()) {
      const device = this.devices.get(id);
      if (device) devices.push(device);
      else removed.push(id);
    }
    this.unsaved = new Set();
    return { devices, removed };
  }

  /** Takes over a persisted state; returns how many device entries had to be skipped. */
  restore(raw: unknown): { skipped: number; problem?: string } {
    if (raw === undefined || raw === null) return { skipped: 0 };
    if (!isRecord(raw) || raw.version !== STATE_VERSION || !Array.isArray(raw.devices) || !isRecord(raw.counters)) {
      return { skipped: 0, problem: 'stored fleet state has an unknown shape' };
    }
    let skipped = 0;
    for (const entry of raw.devices) {
      const device = restoredDevice(entry);
      // a repeated id would be counted twice in the summary but kept once
      if (!device || this.devices.has(device.device_id) || this.devices.size >= this.maxDevices) {
        skipped += 1;
        continue;
      }
      this.devices.set(device.device_id, device);
      this.countPresence(device);
      this.countAlerts(device);
      this.summaryCounts.total += 1;
      this.changed.add(device.device_id);
      this.unsaved?.add(device.device_id);
    }
    this.takeTotals(raw);
    Object.assign(this.flags, { counters: true, rejections: true, alerts: true, health: true });
    this.revision += 1;
    return { skipped };
  }

  /**
   * Takes one device's record as kept in a store shared by several instances (undefined: the
   * device is gone there), keeping the summary counts; a record that fails the checks of
   * restore() leaves the device as it was. Returns whether the record was taken.
   */
  adopt(deviceId: string, raw: unknown): boolean {
    if (raw === undefined) {
      this.remove(deviceId);
      return true;
    }
    const device = restoredDevice(raw);
    if (!device || device.device_id !== deviceId) return false;
    const before = this.devices.get(deviceId);
    if (before) {
      this.uncountPresence(before);
      this.uncountAlerts(before);
    } else if (this.devices.size >= this.maxDevices) return false;
    else this.summaryCounts.total += 1;
    this.devices.set(deviceId, device);
    this.countPresence(device);
    this.countAlerts(device);
    this.flags.alerts = true;
    this.touch(deviceId);
    return true;
  }

  /** Takes the counters, write drops, last rejections and reading range kept in a shared store (the shape of toJSON()). */
  adoptTotals(raw: Pick<PersistedFleet, 'counters' | 'rejections' | 'readings_range' | 'dropped'>): void {
    this.rejectionRing.length = 0;
    this.takeTotals(raw as unknown as Record<string, unknown>);
    this.revision += 1;
  }

  private takeTotals(raw: Record<string, unknown>): void {
    const counters = isRecord(raw.counters) ? raw.counters : {};
    for (const name of COUNTER_NAMES) {
      const value = counters[name];
      if (isCount(value)) this.counters[name] = value;
    }
    const dropped = isRecord(raw.dropped) ? raw.dropped : {};
    let attributed = 0;
    for (const reason of WRITE_DROP_REASONS) {
      const value = dropped[reason];
      if (isCount(value)) this.writeDrops[reason] = value;
      attributed += this.writeDrops[reason];
    }
    // a 0.1.x state has points_lost but no reasons: keep the sum right without inventing one
    const unattributed = dropped[UNATTRIBUTED];
    this.unattributed = isCount(unattributed) ? unattributed : Math.max(0, this.counters.points_lost - attributed);
    if (Array.isArray(raw.rejections)) {
      for (const rejection of raw.rejections.slice(-MAX_REJECTIONS)) if (isRejection(rejection)) this.rejectionRing.push(rejection);
    }
    const range = raw.readings_range;
    if (Array.isArray(range) && range.length === 2 && range.every((t) => typeof t === 'number' && Number.isFinite(t))) this.range = [range[0] as number, range[1] as number];
    Object.assign(this.flags, { counters: true, rejections: true });
  }

  // ---- internals -----------------------------------------------------------------------------

  /** The device's record, created on first sight; undefined for an unsafe id or a full fleet. */
  private device(deviceId: string): DeviceRecord | undefined {
    const known = this.devices.get(deviceId);
    if (known) return known;
    if (!isValidDeviceId(deviceId) || this.devices.size >= this.maxDevices) return undefined;
    const device: DeviceRecord = { device_id: deviceId, online: null, online_since: null, last_seen: null, reading: null, alerts: {} };
    this.devices.set(deviceId, device);
    this.summaryCounts.total += 1;
    return device;
  }

  private remove(deviceId: string): void {
    const device = this.devices.get(deviceId);
    if (!device) return;
    this.uncountPresence(device);
    this.uncountAlerts(device);
    this.summaryCounts.total -= 1;
    this.devices.delete(deviceId);
    this.touch(deviceId);
  }

  private extendRange(timestamp: number): void {
    this.range = this.range ? [Math.min(this.range[0], timestamp), Math.max(this.range[1], timestamp)] : [timestamp, timestamp];
  }

  private touch(deviceId: string): void {
    this.changed.add(deviceId);
    this.unsaved?.add(deviceId);
    this.revision += 1;
  }

  private count(name: CounterName, by: number): void {
    this.counters[name] += by;
    this.flags.counters = true;
    this.revision += 1;
  }

  private reject(rejection: Rejection): void {
    this.rejectionRing.push(rejection);
    if (this.rejectionRing.length > MAX_REJECTIONS) this.rejectionRing.shift();
    this.flags.rejections = true;
  }

  private countPresence(device: DeviceRecord, sign = 1): void {
    if (device.online === true) this.summaryCounts.online += sign;
    else if (device.online === false) this.summaryCounts.offline += sign;
  }

  private uncountPresence(device: DeviceRecord): void {
    this.countPresence(device, -1);
  }

  private countAlerts(device: DeviceRecord, sign = 1): void {
    const alerts = Object.values(device.alerts);
    if (alerts.length > 0) this.summaryCounts.alerting += sign;
    for (const alert of alerts) this.summaryCounts[alert.level] += sign;
  }

  private uncountAlerts(device: DeviceRecord): void {
    this.countAlerts(device, -1);
  }
}

function isRejection(value: unknown): value is Rejection {
  return (
    isRecord(value) &&
    typeof value.time === 'number' &&
    (value.scope === 'payload' || value.scope === 'reading' || value.scope === 'field') &&
    (value.device_id === null || typeof value.device_id === 'string') &&
    (value.field === null || typeof value.field === 'string') &&
    typeof value.reason === 'string'
  );
}

function isActiveAlert(value: unknown): value is ActiveAlert {
  return (
    isRecord(value) &&
    typeof value.alert_type === 'string' &&
    (value.field === undefined || typeof value.field === 'string') &&
    (value.level === 'warning' || value.level === 'critical') &&
    typeof value.value === 'number' &&
    typeof value.since === 'number' &&
    typeof value.timestamp === 'number' &&
    (value.source === 'device' || value.source === 'threshold')
  );
}

function restoredDevice(entry: unknown): DeviceRecord | undefined {
  if (!isRecord(entry) || !isValidDeviceId(entry.device_id)) return undefined;
  if (!isTime(entry.last_seen) || !isTime(entry.online_since) || !(entry.online === null || typeof entry.online === 'boolean')) return undefined;
  const reading = isRecord(entry.reading) && entry.reading.device_id === entry.device_id && typeof entry.reading.timestamp === 'number' ? (entry.reading as Reading) : null;
  const alerts: Record<string, ActiveAlert> = {};
  if (isRecord(entry.alerts)) for (const [type, alert] of Object.entries(entry.alerts)) if (isActiveAlert(alert) && activeAlertKey(alert) === type) alerts[type] = alert;
  const device: DeviceRecord = { device_id: entry.device_id, online: entry.online, online_since: entry.online_since, last_seen: entry.last_seen, reading, alerts };
  // a malformed or foreign metrics reading is dropped, the device is kept
  if (isMetricsReading(entry.metrics) && entry.metrics.device_id === entry.device_id) {
    device.metrics = copyMetrics(entry.metrics);
    device.metric_times = restoredTimes(entry.metrics, entry.metric_times);
  }
  return device;
}

/** Each metric's time as saved; a state saved before per-metric times (or a bad time) gets the reading's. */
function restoredTimes(reading: MetricsReading, saved: unknown): Record<string, number> {
  const times: Record<string, number> = {};
  for (const metric of Object.keys(reading.metrics)) {
    const time = isRecord(saved) ? saved[metric] : undefined;
    times[metric] = typeof time === 'number' && Number.isFinite(time) ? time : reading.timestamp;
  }
  return times;
}

function copyMetrics(reading: MetricsReading): MetricsReading {
  const copy: MetricsReading = { device_id: reading.device_id, timestamp: reading.timestamp, metrics: { ...reading.metrics } };
  if (reading.units !== undefined) copy.units = { ...reading.units };
  if (reading.info !== undefined) copy.info = { ...reading.info };
  return copy;
}

/**
 * `reading` merged into the device's metrics: a metric reported at `times[metric]` or earlier
 * takes the reading's value and unit (none when the reading gives none); info keys of the newer
 * side win; the timestamp is the newest. A new object: the previous one may still be read.
 */
export function mergeMetrics(
  previous: MetricsReading | undefined,
  times: Readonly<Record<string, number>>,
  reading: MetricsReading,
): { reading: MetricsReading; times: Record<string, number> } {
  if (previous === undefined) return { reading: copyMetrics(reading), times: Object.fromEntries(Object.keys(reading.metrics).map((metric) => [metric, reading.timestamp])) };
  const merged = copyMetrics(previous);
  const mergedTimes = { ...times };
  const units = { ...previous.units };
  for (const [metric, value] of Object.entries(reading.metrics)) {
    const known = mergedTimes[metric];
    if (known !== undefined && known > reading.timestamp) continue;
    merged.metrics[metric] = value;
    mergedTimes[metric] = reading.timestamp;
    const unit = reading.units?.[metric];
    if (unit === undefined) delete units[metric];
    else units[metric] = unit;
  }
  if (previous.units !== undefined || reading.units !== undefined) merged.units = units;
  const newer = reading.timestamp >= previous.timestamp;
  if (previous.info !== undefined || reading.info !== undefined) merged.info = newer ? { ...previous.info, ...reading.info } : { ...reading.info, ...previous.info };
  merged.timestamp = Math.max(previous.timestamp, reading.timestamp);
  return { reading: merged, times: mergedTimes };
}
