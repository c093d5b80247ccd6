// The node's whole state without Node-RED: one DeviceState per device (bounded, least recently
// seen dropped first), run-time overrides from control messages, the persisted form of both, and
// what an input message is (a reading or a device-raised alert).
// Pure: the glue passes the receive time in.
import { SENSOR_FIELDS, hasMetrics, metricsReadingProblem, type AlertEvent, type AlertLevel, type MetricsReading, type SensorField } from '../shared/contract';
import { deviceIdProblem } from '../shared/device-id';
import { ALERT_TYPE_PATTERN } from '../shared/points';
import { err, ok, type Result } from '../shared/result';
import { currentLevels, evaluateDevice, evaluateDeviceAlert, type DeviceAlertInput, type DeviceInput, type EvalOptions } from './evaluate';
import { applyOverrides, parseDeviceOverrides, type ControlCommand } from './rules';
import type { EditorTable } from './rules-api';
import type { AlertRule, DeviceMark, DeviceOnlyState, DeviceOverrides, DeviceState, FaultState, LevelTimes, OverrideTable, RuleState } from './types';

export const DEFAULT_MAX_DEVICES = 10000;
/** A reading stamped further ahead of the server clock than this is taken at receive time. */
export const MAX_CLOCK_AHEAD_MS = 60 * 60 * 1000;
/** 2: device marks on rule states and device-only episodes (version 1 is read and migrated). */
export const STATE_VERSION = 2;

export interface EngineConfig extends EvalOptions {
  rules: readonly AlertRule[];
  /** from the editor; a device's run-time overrides replace its editor overrides */
  overrides: OverrideTable;
  maxDevices?: number;
}

export interface PersistedState {
  version: typeof STATE_VERSION;
  devices: [string, DeviceState][];
  overrides: [string, DeviceOverrides][];
  /** the editor's rules and overrides these were saved under, to see what the next deploy changed */
  editor?: EditorTable;
}

export interface ProcessResult {
  events: AlertEvent[];
  /** the device's current levels (msg.alerts) */
  alerts: Record<string, AlertLevel>;
  changed: boolean;
}

export interface ActiveCounts {
  warning: number;
  critical: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A device-raised alert rather than a reading: an AlertEvent has an alert_type, a reading never
 * has one. Decided by shape only; deviceAlertInput checks the rest.
 */
export function isAlertShape(payload: unknown): payload is Record<string, unknown> {
  return isRecord(payload) && payload.alert_type !== undefined;
}

const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** msg.payload of heatpump-decode output 2 (an AlertEvent with source 'device') -> the evaluator's input. */
export function deviceAlertInput(payload: unknown, topic: unknown, receivedAt: number): Result<DeviceAlertInput, string> {
  if (!isRecord(payload)) return err('payload is not an alert object');
  // This node's own events fed back in would count twice.
  if (payload.source !== 'device') return err('only device-raised alerts (source "device") are taken; send this node\'s own events elsewhere');
  const deviceId = payload.device_id ?? topic;
  const idProblem = deviceIdProblem(deviceId);
  if (idProblem !== undefined) return err(idProblem);
  const { alert_type: alertType, level, value, threshold, message, state, timestamp, field } = payload;
  if (typeof alertType !== 'string' || !ALERT_TYPE_PATTERN.test(alertType)) return err(`alert_type must match ${String(ALERT_TYPE_PATTERN)}, got ${JSON.stringify(alertType)}`);
  if (level !== 'warning' && level !== 'critical') return err('level must be "warning" or "critical"');
  if (!isFiniteNumber(value) || !isFiniteNumber(threshold)) return err('value and threshold must be numbers');
  if (state !== undefined && state !== 'raised' && state !== 'escalated' && state !== 'cleared') return err('state must be raised, escalated or cleared');
  if (timestamp !== undefined && (!isFiniteNumber(timestamp) || timestamp < 0)) return err('timestamp must be milliseconds since the epoch');
  const stamped = timestamp ?? receivedAt;
  const input: DeviceAlertInput = {
    deviceId: deviceId as string,
    alertType,
    level,
    value,
    threshold,
    message: typeof message === 'string' && message !== '' ? message : `${alertType} ${level}: ${value} (threshold ${threshold})`,
    timestamp: stamped > receivedAt + MAX_CLOCK_AHEAD_MS ? receivedAt : stamped,
    cleared: state === 'cleared',
  };
  if ((SENSOR_FIELDS as readonly unknown[]).includes(field)) input.field = field as SensorField;
  return ok(input);
}

/** A reading stamped too far ahead of the server clock is taken at receive time. */
const readingTime = (stamped: number, receivedAt: number): number => (stamped > receivedAt + MAX_CLOCK_AHEAD_MS ? receivedAt : stamped);

/**
 * A MetricsReading -> the evaluator's input: every metric is a value (a boolean as 1 / 0, so a rule
 * "above 0.5" watches an alarm flag); rules on metrics it lacks are not evaluated.
 */
function metricsInput(payload: Record<string, unknown>, receivedAt: number): Result<DeviceInput, string> {
  const problem = metricsReadingProblem(payload);
  if (problem !== undefined) return err(problem);
  const reading = payload as unknown as MetricsReading;
  const values: Record<string, number> = {};
  for (const [name, value] of Object.entries(reading.metrics)) values[name] = typeof value === 'boolean' ? Number(value) : value;
  return ok({
    deviceId: reading.device_id,
    timestamp: readingTime(reading.timestamp, receivedAt),
    values,
    invalid: new Set(),
    ...(reading.units === undefined ? {} : { units: reading.units }),
    metrics: true,
  });
}

/** msg.payload / msg.topic / msg.invalid of a decoded reading or a metrics reading -> the evaluator's input. */
export function readingInput(payload: unknown, topic: unknown, invalid: unknown, receivedAt: number): Result<DeviceInput, string> {
  if (!isRecord(payload)) return err('payload is not a reading object');
  if (hasMetrics(payload)) return metricsInput(payload, receivedAt);
  const deviceId = payload.device_id ?? topic;
  const idProblem = deviceIdProblem(deviceId);
  if (idProblem !== undefined) return err(idProblem);
  const { timestamp } = payload;
  if (timestamp !== undefined && (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0)) {
    return err('timestamp must be milliseconds since the epoch');
  }
  const stamped = timestamp ?? receivedAt;
  const invalidFields = new Set<SensorField>();
  if (Array.isArray(invalid)) {
    for (const name of invalid) if ((SENSOR_FIELDS as readonly unknown[]).includes(name)) invalidFields.add(name as SensorField);
  }
  const values: Partial<Record<SensorField, number>> = {};
  for (const field of SENSOR_FIELDS) {
    const value = payload[field];
    if (value === undefined) continue;
    // Anything but a finite number is an invalid value, never a reading to alert on.
    if (typeof value === 'number' && Number.isFinite(value)) values[field] = value;
    else invalidFields.add(field);
  }
  return ok({
    deviceId: deviceId as string,
    timestamp: readingTime(stamped, receivedAt),
    values,
    invalid: invalidFields,
  });
}

function countLevels(device: DeviceState | undefined): ActiveCounts {
  const counts = { warning: 0, critical: 0 };
  for (const level of Object.values(currentLevels(device))) counts[level] += 1;
  return counts;
}

export class AlertEngine {
  private readonly devices = new Map<string, DeviceState>();
  private readonly runtimeOverrides: OverrideTable = new Map();
  private readonly active: ActiveCounts = { warning: 0, critical: 0 };
  private readonly maxDevices: number;

  constructor(private readonly config: EngineConfig) {
    this.maxDevices = config.maxDevices ?? DEFAULT_MAX_DEVICES;
  }

  /** The rules as configured in the editor, before any override. */
  get baseRules(): readonly AlertRule[] {
    return this.config.rules;
  }

  rulesFor(deviceId: string): readonly AlertRule[] {
    return applyOverrides(this.config.rules, this.runtimeOverrides.get(deviceId) ?? this.config.overrides.get(deviceId));
  }

  /** A device's overrides from the editor (`editor`) and from control messages or the API (`device`, which wins). */
  overridesOf(deviceId: string): { editor?: DeviceOverrides; device?: DeviceOverrides } {
    const editor = this.config.overrides.get(deviceId);
    const device = this.runtimeOverrides.get(deviceId);
    return { ...(editor === undefined ? {} : { editor }), ...(device === undefined ? {} : { device }) };
  }

  /** The editor's part of the configuration, as it is kept with the state. */
  editorTable(): EditorTable {
    return { rules: [...this.config.rules], overrides: Object.fromEntries(this.config.overrides) };
  }

  process(input: DeviceInput): ProcessResult {
    const prev = this.devices.get(input.deviceId);
    const step = evaluateDevice(prev, input, this.rulesFor(input.deviceId), this.config);
    this.store(input.deviceId, step.state);
    return { events: step.events, alerts: currentLevels(step.state), changed: step.changed };
  }

  /** A device-raised alert; an error when the device has too many alert types no rule checks. */
  processDeviceAlert(input: DeviceAlertInput): Result<ProcessResult, string> {
    const prev = this.devices.get(input.deviceId);
    const step = evaluateDeviceAlert(prev, input, this.rulesFor(input.deviceId), this.config);
    if (step.refused !== undefined) return err(step.refused);
    this.store(input.deviceId, step.state);
    return ok({ events: step.events, alerts: currentLevels(step.state), changed: step.changed });
  }

  /** Active levels over all devices. */
  counts(): ActiveCounts {
    return { ...this.active };
  }

  /** Sets or (rules: null) removes a device's run-time overrides; at most maxDevices devices have them. */
  setOverrides(command: ControlCommand): Result<void, string> {
    if (command.rules === null) this.runtimeOverrides.delete(command.deviceId);
    else if (!this.runtimeOverrides.has(command.deviceId) && this.runtimeOverrides.size >= this.maxDevices) {
      return err(`run-time overrides are limited to ${this.maxDevices} devices`);
    } else this.runtimeOverrides.set(command.deviceId, command.rules);
    return ok(undefined);
  }

  /** Forgets the alert state of one device, or of all (overrides stay). True when there was any. */
  reset(deviceId?: string): boolean {
    if (deviceId === undefined) {
      const had = this.devices.size > 0;
      this.devices.clear();
      this.active.warning = 0;
      this.active.critical = 0;
      return had;
    }
    const had = this.devices.has(deviceId);
    this.store(deviceId, undefined);
    return had;
  }

  /** One device's alert state as restore() takes it (for a store shared by several instances). */
  deviceState(deviceId: string): DeviceState | undefined {
    return this.devices.get(deviceId);
  }

  /**
   * Takes one device's alert state as kept in a shared store (undefined: none there yet), so that
   * the next reading is evaluated on what every instance made of the device. False for a stored
   * state that fails the checks of restore(): the device then starts afresh.
   */
  adoptDevice(deviceId: string, raw: unknown): boolean {
    const valid = raw === undefined || isDeviceState(raw);
    this.store(deviceId, valid ? (raw as DeviceState | undefined) : undefined);
    return valid;
  }

  /** The overrides set at run time (API, control messages), per device. */
  runtimeOverrideList(): Array<[string, DeviceOverrides]> {
    return [...this.runtimeOverrides];
  }

  snapshot(): PersistedState {
    return { version: STATE_VERSION, devices: [...this.devices], overrides: this.runtimeOverrideList(), editor: this.editorTable() };
  }

  /** Takes over a snapshot (this version or version 1); returns what had to be dropped from it (empty when all was fine). */
  restore(raw: unknown): string[] {
    if (raw === undefined) return [];
    if (!isRecord(raw) || (raw.version !== STATE_VERSION && raw.version !== 1) || !Array.isArray(raw.devices) || !Array.isArray(raw.overrides)) {
      return ['stored state has an unknown shape'];
    }
    const problems: string[] = [];
    for (const entry of raw.devices) {
      // version 1 had no device-only episodes and no device marks: it is version 2 without them
      const state: unknown = raw.version === 1 && Array.isArray(entry) && isRecord(entry[1]) ? { ...entry[1], deviceOnly: {} } : Array.isArray(entry) ? entry[1] : undefined;
      if (Array.isArray(entry) && entry.length === 2 && deviceIdProblem(entry[0]) === undefined && isDeviceState(state)) {
        this.store(entry[0] as string, state);
      } else problems.push(`stored device state ${JSON.stringify(Array.isArray(entry) ? entry[0] : entry)} is malformed`);
    }
    for (const entry of raw.overrides) {
      const deviceId: unknown = Array.isArray(entry) ? entry[0] : undefined;
      const parsed = Array.isArray(entry) && deviceIdProblem(deviceId) === undefined ? parseDeviceOverrides(entry[1], this.config.rules) : err('malformed');
      const stored = parsed.ok ? this.setOverrides({ deviceId: deviceId as string, rules: parsed.value }) : parsed;
      if (!stored.ok) problems.push(`stored overrides of ${JSON.stringify(deviceId)}: ${stored.error}`);
    }
    return problems;
  }

  private store(deviceId: string, state: DeviceState | undefined): void {
    const old = countLevels(this.devices.get(deviceId));
    const now = countLevels(state);
    this.active.warning += now.warning - old.warning;
    this.active.critical += now.critical - old.critical;
    // Re-inserting keeps the Map in least-recently-seen order.
    this.devices.delete(deviceId);
    if (state === undefined) return;
    this.devices.set(deviceId, state);
    if (this.devices.size > this.maxDevices) {
      const oldest = this.devices.keys().next().value;
      if (oldest !== undefined) this.store(oldest, undefined);
    }
  }
}

function isLevel(value: unknown): value is AlertLevel | null {
  return value === null || value === 'warning' || value === 'critical';
}

function isTimes(value: unknown): value is LevelTimes {
  return isRecord(value) && Object.entries(value).every(([key, time]) => (key === 'warning' || key === 'critical') && typeof time === 'number' && Number.isFinite(time));
}

function isTrack(value: unknown): value is Record<string, unknown> {
  return isRecord(value) && isLevel(value.level) && isLevel(value.announced) && isTimes(value.lastSent);
}

function isMark(value: unknown): value is DeviceMark {
  return isRecord(value) && isFiniteNumber(value.at) && (value.level === 'warning' || value.level === 'critical') && isFiniteNumber(value.value);
}

function isRuleState(value: unknown): value is RuleState {
  return isTrack(value) && isTimes(value.pendingSince) && (value.device === undefined || isMark(value.device)) && (value.decidedAt === undefined || isFiniteNumber(value.decidedAt));
}

function isDeviceOnlyState(value: unknown): value is DeviceOnlyState {
  return (
    isTrack(value) &&
    isMark(value.device) &&
    isFiniteNumber(value.threshold) &&
    (value.field === undefined || (SENSOR_FIELDS as readonly unknown[]).includes(value.field))
  );
}

function isFaultState(value: unknown): value is FaultState {
  return isTrack(value) && (value.invalidSince === null || (typeof value.invalidSince === 'number' && Number.isFinite(value.invalidSince)));
}

function isDeviceState(value: unknown): value is DeviceState {
  if (!isRecord(value) || typeof value.lastTs !== 'number' || !Number.isFinite(value.lastTs)) return false;
  const { rules, faults, deviceOnly } = value;
  if (!isRecord(rules) || !Object.values(rules).every(isRuleState)) return false;
  if (!isRecord(deviceOnly) || !Object.values(deviceOnly).every(isDeviceOnlyState)) return false;
  return isRecord(faults) && Object.entries(faults).every(([field, state]) => (SENSOR_FIELDS as readonly string[]).includes(field) && isFaultState(state));
}
