// Alert state machine: hysteresis, for-duration, cooldown, escalation and clearing for one
// (device, rule), sensor faults for one (device, sensor), both over one device's reading, and the
// device's own alerts joining the same episodes (one episode and one cooldown per device, type and
// level, whoever saw it first).
// Pure: time comes in as `now` (reading time, ms), nothing here reads a clock.
import { SENSOR_FIELDS, UNITS, type AlertEvent, type AlertLevel, type AlertState, type SensorField } from '../shared/contract';
import { DEFAULT_COOLDOWN_SECONDS, SENSOR_FAULT, own, ruleForDeviceAlert } from './rules';
import type { AlertRule, AlertTrack, DeviceMark, DeviceOnlyState, DeviceState, FaultState, LevelTimes, RuleState } from './types';

export interface EvalOptions {
  cooldownSeconds: number;
  /** 0 switches sensor faults off */
  faultAfterSeconds: number;
}

/** One sensor value for one rule; undefined = missing or invalid (never alerts, never clears). */
export interface Sample {
  deviceId: string;
  value: number | undefined;
  /** the unit the source gave for the metric (MetricsReading.units); else the sensor field's */
  unit?: string;
  /** the reading's own timestamp (ms); `now` when absent. Compared with device alerts' times. */
  at?: number;
}

export interface Step<S> {
  state: S;
  event?: AlertEvent;
}

const EMPTY_TIMES: LevelTimes = Object.freeze({});
const EMPTY_RULE_STATE: RuleState = Object.freeze({ level: null, announced: null, lastSent: EMPTY_TIMES, pendingSince: EMPTY_TIMES });
const EMPTY_FAULT_STATE: FaultState = Object.freeze({ level: null, announced: null, lastSent: EMPTY_TIMES, invalidSince: null });
const NO_DEVICE_ONLY: Readonly<Record<string, DeviceOnlyState>> = Object.freeze({});

const RANK = { warning: 1, critical: 2 } as const;

function higher(a: AlertLevel | null, b: AlertLevel | null): AlertLevel | null {
  if (a === null) return b;
  if (b === null) return a;
  return RANK[a] >= RANK[b] ? a : b;
}

function beyond(value: number, threshold: number, rule: AlertRule): boolean {
  return rule.direction === 'above' ? value > threshold : value < threshold;
}

/** Still outside the clearing point (threshold moved back by the hysteresis). */
function notBackInside(value: number, threshold: number, rule: AlertRule): boolean {
  return rule.direction === 'above' ? value > threshold - rule.hysteresis : value < threshold + rule.hysteresis;
}

/** The value at or past which an alert of this rule clears. */
export function clearingPoint(rule: AlertRule): number {
  return rule.direction === 'above' ? rule.warning - rule.hysteresis : rule.warning + rule.hysteresis;
}

/** Level kept by hysteresis: an entered level holds until the value is back inside its band. */
function heldLevel(previous: AlertLevel | null, value: number, rule: AlertRule): AlertLevel | null {
  if (previous === 'critical' && notBackInside(value, rule.critical, rule)) return 'critical';
  if (previous !== null && notBackInside(value, rule.warning, rule)) return 'warning';
  return null;
}

function nextPending(previous: LevelTimes, value: number, rule: AlertRule, now: number): LevelTimes {
  const next: LevelTimes = {};
  for (const level of ['warning', 'critical'] as const) {
    if (beyond(value, rule[level], rule)) next[level] = previous[level] ?? now;
  }
  return next.warning === previous.warning && next.critical === previous.critical ? previous : next;
}

/** Highest level whose threshold has been exceeded for at least the rule's for-duration. */
function enteredLevel(pending: LevelTimes, now: number, rule: AlertRule): AlertLevel | null {
  const forMs = rule.forSeconds * 1000;
  for (const level of ['critical', 'warning'] as const) {
    const start = pending[level];
    if (start !== undefined && now - start >= forMs) return level;
  }
  return null;
}

interface Announcement<T extends AlertTrack> {
  track: T;
  state?: AlertState;
  /** the level the event is about (for cleared: the level that was announced) */
  level?: AlertLevel;
}

/**
 * Which event, if any, the move to `level` announces.
 * - raised: nothing announced yet and the level's cooldown has passed; a raise held back by the
 *   cooldown goes out with the first reading after the cooldown if the level still holds.
 * - escalated: announced warning, now critical (never held back); or announced critical, the
 *   value fell back to warning and now rose again after the critical cooldown (a reminder).
 * - cleared: something was announced and the level is gone.
 * A fall from critical to warning is silent: the announced level stays critical (no spam), and
 * msg.alerts shows the true level.
 * Runs for every rule and sensor of every reading, so it makes no closures or key arrays (they were
 * threshold-alert's largest share of the pipeline's garbage).
 */
function announce<T extends AlertTrack>(prev: T, level: AlertLevel | null, now: number, cooldownMs: number): Announcement<T> {
  const { announced, lastSent } = prev;
  let state: AlertState | undefined;
  if (level === null) state = announced === null ? undefined : 'cleared';
  else if (announced === null) state = cooledDown(lastSent, level, now, cooldownMs) ? 'raised' : undefined;
  else if (announced === 'warning' && level === 'critical') state = 'escalated';
  else if (announced === 'critical' && level === 'critical' && prev.level === 'warning' && cooledDown(lastSent, 'critical', now, cooldownMs)) state = 'escalated';
  if (state === undefined) return { track: level === prev.level ? prev : { ...prev, level } };
  if (state === 'cleared') return { track: { ...prev, level, announced: null }, state, level: announced as AlertLevel };
  return { track: { ...prev, level, announced: level, lastSent: { ...lastSent, [level as AlertLevel]: now } }, state, level: level as AlertLevel };
}

/** The level's cooldown has passed (or it was never announced). */
function cooledDown(lastSent: LevelTimes, level: AlertLevel, now: number, cooldownMs: number): boolean {
  const sent = lastSent[level];
  return sent === undefined || now - sent >= cooldownMs;
}

function formatNumber(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** The unit of a sensor field of the ESP32 Reading; undefined for any other metric. */
function sensorUnit(metric: string): string | undefined {
  return Object.hasOwn(UNITS, metric) ? UNITS[metric as SensorField] : undefined;
}

function thresholdEvent(rule: AlertRule, sample: Sample, value: number, now: number, state: AlertState, level: AlertLevel): AlertEvent {
  const deviceId = sample.deviceId;
  const unit = sample.unit ?? sensorUnit(rule.metric);
  const shown = formatWithUnit(value, unit);
  if (state === 'cleared') {
    const threshold = clearingPoint(rule);
    return {
      device_id: deviceId,
      alert_type: rule.name,
      level,
      value,
      threshold,
      message: `${rule.label} cleared: ${shown}`,
      state,
      timestamp: now,
      field: rule.metric,
    };
  }
  const threshold = rule[level];
  const sign = rule.direction === 'above' ? '>' : '<';
  return {
    device_id: deviceId,
    alert_type: rule.name,
    level,
    value,
    threshold,
    message: `${rule.label}: ${shown} ${sign} ${formatWithUnit(threshold, unit)} (${level})`,
    state,
    timestamp: now,
    field: rule.metric,
  };
}

/**
 * How long a device-raised episode that no reading confirms lasts without a repeat from the device:
 * twice the cooldown, at least twice the firmware's (ALERT_COOLDOWN, 300 s), because the firmware
 * repeats an alert that still holds once per its cooldown; one missed repeat must not end it.
 */
export function deviceSilenceSeconds(cooldownSeconds: number): number {
  return 2 * Math.max(cooldownSeconds, DEFAULT_COOLDOWN_SECONDS);
}

function withoutMark<T extends { device?: DeviceMark }>(state: T): T {
  if (state.device === undefined) return state;
  const copy = { ...state };
  delete copy.device;
  return copy;
}

function silenceMessage(label: string, now: number, mark: DeviceMark): string {
  return `${label} cleared: no repeat from the device for ${Math.round((now - mark.at) / 1000)} s`;
}

/** The device stopped repeating an episode no reading decided: it ends (one cleared if announced). */
function endSilentRule(state: RuleState, rule: AlertRule, deviceId: string, now: number, cooldownMs: number, mark: DeviceMark): Step<RuleState> {
  const { track, state: announced, level } = announce(withoutMark(state), null, now, cooldownMs);
  if (announced === undefined || level === undefined) return { state: track };
  const event: AlertEvent = {
    device_id: deviceId,
    alert_type: rule.name,
    level,
    value: mark.value,
    threshold: clearingPoint(rule),
    message: silenceMessage(rule.label, now, mark),
    state: announced,
    timestamp: now,
    source: 'device',
    field: rule.metric,
  };
  return { state: track, event };
}

/** One (device, rule) step. `rule` must be enabled; cooldown and time in the same clock as `now`. */
export function nextAlertState(prev: RuleState | undefined, sample: Sample, rule: AlertRule, now: number, cooldownSeconds: number): Step<RuleState> {
  const base = prev ?? EMPTY_RULE_STATE;
  const { value } = sample;
  const cooldownMs = cooldownSeconds * 1000;
  const mark = base.device;
  const silent = mark !== undefined && now - mark.at >= deviceSilenceSeconds(cooldownSeconds) * 1000;
  const pendingNothing = base.pendingSince.warning === undefined && base.pendingSince.critical === undefined;
  if (value === undefined) {
    // Unknown value: the level stays as it is, but a for-duration has to be seen holding anew.
    const kept = pendingNothing ? base : { ...base, pendingSince: EMPTY_TIMES };
    return silent ? endSilentRule(kept, rule, sample.deviceId, now, cooldownMs, mark) : { state: kept };
  }
  const pendingSince =
    rule.forSeconds > 0 ? nextPending(base.pendingSince, value, rule, now) : pendingNothing ? base.pendingSince : EMPTY_TIMES;
  const entered =
    rule.forSeconds > 0 ? enteredLevel(pendingSince, now, rule) : beyond(value, rule.critical, rule) ? 'critical' : beyond(value, rule.warning, rule) ? 'warning' : null;
  let level = higher(heldLevel(base.level, value, rule), entered);
  let next = pendingSince === base.pendingSince ? base : { ...base, pendingSince };
  if (mark !== undefined) {
    // A reading taken at or after the device's alert decides; an older one cannot undo what the
    // device saw later (buffered readings arrive up to a publish interval after its alerts).
    if (silent || (sample.at ?? now) >= mark.at) next = withoutMark(next);
    else level = higher(level, mark.level);
  }
  // Likewise a reading older than the one that set the level (out of order: another
  // instance took the newer one while this one worked off a backlog) may raise, as it would have in
  // order, but never lowers: that would clear an alert the newer reading raised.
  const at = sample.at ?? now;
  if (base.decidedAt !== undefined && at < base.decidedAt) level = higher(level, base.level);
  if (level !== base.level) next = withDecidedAt(next, level === null ? undefined : at);
  const { track, state, level: eventLevel } = announce(next, level, now, cooldownMs);
  if (state === undefined || eventLevel === undefined) return { state: track };
  return { state: track, event: thresholdEvent(rule, sample, value, now, state, eventLevel) };
}

/** The state with `decidedAt` set, or gone (undefined); the same object when unchanged. */
function withDecidedAt(state: RuleState, decidedAt: number | undefined): RuleState {
  if (state.decidedAt === decidedAt) return state;
  if (decidedAt !== undefined) return { ...state, decidedAt };
  const { decidedAt: _gone, ...rest } = state;
  return rest;
}

/** A device-raised alert (heatpump-decode output 2), as the evaluator takes it. */
export interface DeviceAlertInput {
  deviceId: string;
  alertType: string;
  level: AlertLevel;
  value: number;
  threshold: number;
  /** the device's own text, used for alert types no rule checks */
  message: string;
  /** ms, reading time */
  timestamp: number;
  field?: SensorField;
  /** state 'cleared': the device says the fault is over */
  cleared: boolean;
}

/**
 * One device alert on one episode (a rule's or a device-only type's). A device alert never lowers
 * a level (readings do); it raises, escalates or does nothing by the same rules and the same
 * cooldown as the threshold check, so an episode either side announced is not announced again.
 * A device's 'cleared' ends only what no reading has decided (readings decide the rest).
 */
function deviceAnnouncement<T extends AlertTrack & { device?: DeviceMark }>(prev: T, alert: DeviceAlertInput, now: number, cooldownMs: number): Announcement<T> {
  // the caller drops the mark (or the device-only episode) after a cleared
  if (alert.cleared) return prev.device === undefined ? { track: prev } : announce(prev, null, now, cooldownMs);
  const mark: DeviceMark = {
    at: Math.max(prev.device?.at ?? alert.timestamp, alert.timestamp),
    level: higher(prev.device?.level ?? null, alert.level) ?? alert.level,
    value: alert.value,
  };
  return announce({ ...prev, device: mark }, higher(prev.level, alert.level), now, cooldownMs);
}

function formatWithUnit(value: number, unit: string | undefined): string {
  return unit === undefined || unit === '' ? formatNumber(value) : `${formatNumber(value)} ${unit}`;
}

/** The event of a device alert: rule-checked types speak like the threshold check, in its units. */
function deviceEvent(rule: AlertRule | undefined, alert: DeviceAlertInput, now: number, state: AlertState, level: AlertLevel): AlertEvent {
  const field = rule?.metric ?? alert.field;
  const event: AlertEvent = {
    device_id: alert.deviceId,
    alert_type: rule?.name ?? alert.alertType,
    level,
    value: alert.value,
    threshold: alert.threshold,
    message: alert.message,
    state,
    timestamp: now,
    source: 'device',
  };
  if (rule !== undefined) {
    if (state === 'cleared') {
      event.threshold = clearingPoint(rule);
      event.message = `${rule.label} cleared: ${formatWithUnit(alert.value, sensorUnit(rule.metric))}`;
    } else {
      // the level announced may be above the alert's (the readings knew more): its threshold then
      if (level !== alert.level) event.threshold = rule[level];
      const unit = sensorUnit(rule.metric);
      event.message = `${rule.label}: ${formatWithUnit(alert.value, unit)} ${rule.direction === 'above' ? '>' : '<'} ${formatWithUnit(event.threshold, unit)} (${level}, device)`;
    }
  }
  if (field !== undefined) event.field = field;
  return event;
}

/** Ends device-only episodes the device stopped repeating; returns the kept ones. */
function expireDeviceOnly(
  before: Readonly<Record<string, DeviceOnlyState>>,
  deviceId: string,
  now: number,
  options: EvalOptions,
  events: AlertEvent[],
): Record<string, DeviceOnlyState> {
  const silenceMs = deviceSilenceSeconds(options.cooldownSeconds) * 1000;
  let kept: Record<string, DeviceOnlyState> | undefined;
  for (const [type, state] of Object.entries(before)) {
    if (now - state.device.at < silenceMs) continue;
    kept ??= { ...before };
    delete kept[type];
    const { state: announced, level } = announce(state, null, now, options.cooldownSeconds * 1000);
    if (announced === undefined || level === undefined) continue;
    const event: AlertEvent = {
      device_id: deviceId,
      alert_type: type,
      level,
      value: state.device.value,
      threshold: state.threshold,
      message: silenceMessage(type, now, state.device),
      state: announced,
      timestamp: now,
      source: 'device',
    };
    if (state.field !== undefined) event.field = state.field;
    events.push(event);
  }
  return kept ?? (before as Record<string, DeviceOnlyState>);
}

export type SensorStatus = 'valid' | 'invalid' | 'absent';

/** One (device, sensor) step: invalid for `faultAfterSeconds` raises a warning, valid clears it. */
export function nextFaultState(
  prev: FaultState | undefined,
  sample: { deviceId: string; field: SensorField; status: SensorStatus },
  now: number,
  options: EvalOptions,
): Step<FaultState> {
  const base = prev ?? EMPTY_FAULT_STATE;
  if (sample.status === 'absent') return { state: base };
  const invalidSince = sample.status === 'invalid' && options.faultAfterSeconds > 0 ? (base.invalidSince ?? now) : null;
  const level: AlertLevel | null = invalidSince !== null && now - invalidSince >= options.faultAfterSeconds * 1000 ? 'warning' : null;
  const withSince = invalidSince === base.invalidSince ? base : { ...base, invalidSince };
  const { track, state } = announce(withSince, level, now, options.cooldownSeconds * 1000);
  if (state === undefined) return { state: track };
  const since = base.invalidSince ?? now;
  const seconds = Math.round((now - since) / 1000);
  return {
    state: track,
    event: {
      device_id: sample.deviceId,
      alert_type: SENSOR_FAULT,
      level: 'warning',
      value: seconds,
      threshold: options.faultAfterSeconds,
      message: state === 'cleared' ? `Sensor fault cleared: ${sample.field} valid again` : `Sensor fault: ${sample.field} invalid for ${seconds} s`,
      state,
      timestamp: now,
      field: sample.field,
    },
  };
}

/** Worth keeping: a level, an announcement, a device mark, a cooldown or a for-duration running, an invalid sensor. */
function worthKeeping(state: RuleState | FaultState, now: number, cooldownMs: number): boolean {
  if (state.level !== null || state.announced !== null) return true;
  if ('device' in state && state.device !== undefined) return true;
  if ('invalidSince' in state ? state.invalidSince !== null : state.pendingSince.warning !== undefined || state.pendingSince.critical !== undefined) return true;
  return !cooledDown(state.lastSent, 'warning', now, cooldownMs) || !cooledDown(state.lastSent, 'critical', now, cooldownMs);
}

export interface DeviceInput {
  deviceId: string;
  timestamp: number;
  /** sensor fields of a Reading, or the metrics of a MetricsReading */
  values: Readonly<Record<string, number>>;
  /** sensors the device flagged invalid or decode rejected */
  invalid: ReadonlySet<string>;
  /** units by metric name (MetricsReading.units), for the event messages */
  units?: Readonly<Record<string, string>>;
  /**
   * true for a MetricsReading: a rule on a metric the reading lacks is not evaluated at all (its
   * source does not have that metric), where a Reading's missing sensor is an unknown value.
   */
  metrics?: boolean;
}

export interface DeviceStep {
  state: DeviceState;
  events: AlertEvent[];
  /** something other than lastTs changed (worth persisting) */
  changed: boolean;
}

/** Whether `before` has a key that `after` lacks (for...in: no array of keys made, once a reading). */
function hasKeyBeyond(before: object, after: object): boolean {
  for (const key in before) if (Object.hasOwn(before, key) && !Object.hasOwn(after, key)) return true;
  return false;
}

/** All enabled rules and all sensors of one device over one reading. */
export function evaluateDevice(prev: DeviceState | undefined, input: DeviceInput, rules: readonly AlertRule[], options: EvalOptions): DeviceStep {
  // A reading older than one already evaluated is still checked, at the latest time seen, so
  // time never runs backwards (cooldowns and for-durations cannot be replayed or undone).
  const now = prev === undefined ? input.timestamp : Math.max(input.timestamp, prev.lastTs);
  const cooldownMs = options.cooldownSeconds * 1000;
  const events: AlertEvent[] = [];
  let changed = prev === undefined;

  const ruleStates: Record<string, RuleState> = {};
  for (const rule of rules) {
    if (!rule.enabled) continue;
    const before = prev === undefined ? undefined : own(prev.rules, rule.name);
    const value = input.invalid.has(rule.metric) ? undefined : own(input.values, rule.metric);
    if (value === undefined && input.metrics === true) {
      if (before !== undefined) ruleStates[rule.name] = before;
      continue;
    }
    const unit = input.units === undefined ? undefined : own(input.units, rule.metric);
    const sample: Sample = { deviceId: input.deviceId, value: Number.isFinite(value) ? value : undefined, at: input.timestamp };
    if (unit !== undefined) sample.unit = unit;
    const step = nextAlertState(before, sample, rule, now, options.cooldownSeconds);
    if (step.event) events.push(step.event);
    if (step.state !== (before ?? EMPTY_RULE_STATE)) changed = true;
    if (worthKeeping(step.state, now, cooldownMs)) ruleStates[rule.name] = step.state;
  }
  // Rules disabled or removed since the last reading are forgotten.
  if (prev !== undefined && hasKeyBeyond(prev.rules, ruleStates)) changed = true;

  const faults: Partial<Record<SensorField, FaultState>> = {};
  for (const field of SENSOR_FIELDS) {
    const before = prev?.faults[field];
    const value = own(input.values, field);
    const status: SensorStatus = input.invalid.has(field) ? 'invalid' : value === undefined ? 'absent' : 'valid';
    const step = nextFaultState(before, { deviceId: input.deviceId, field, status }, now, options);
    if (step.event) events.push(step.event);
    if (step.state !== (before ?? EMPTY_FAULT_STATE)) changed = true;
    if (worthKeeping(step.state, now, cooldownMs)) faults[field] = step.state;
  }
  if (prev !== undefined && hasKeyBeyond(prev.faults, faults)) changed = true;

  const deviceOnlyBefore = prev?.deviceOnly ?? NO_DEVICE_ONLY;
  const deviceOnly = expireDeviceOnly(deviceOnlyBefore, input.deviceId, now, options, events);
  if (deviceOnly !== deviceOnlyBefore) changed = true;

  if (!changed && prev !== undefined) return { state: { ...prev, lastTs: now }, events, changed };
  return { state: { lastTs: now, rules: ruleStates, faults, deviceOnly }, events, changed };
}

/** The device-only types one device may have at once; more are refused (evaluateDeviceAlert). */
export const MAX_DEVICE_ONLY_TYPES = 20;

export interface DeviceAlertStep extends DeviceStep {
  /** set when the alert could not be taken (too many device-only types) */
  refused?: string;
}

/**
 * One device-raised alert of one device: it joins the episode of its rule (ruleForDeviceAlert) or
 * of its own type when no enabled rule checks it; device-only episodes the device stopped
 * repeating end on the way.
 */
export function evaluateDeviceAlert(prev: DeviceState | undefined, alert: DeviceAlertInput, rules: readonly AlertRule[], options: EvalOptions): DeviceAlertStep {
  const now = prev === undefined ? alert.timestamp : Math.max(alert.timestamp, prev.lastTs);
  const cooldownMs = options.cooldownSeconds * 1000;
  const events: AlertEvent[] = [];
  const base: DeviceState = prev === undefined ? { lastTs: now, rules: {}, faults: {}, deviceOnly: NO_DEVICE_ONLY } : { ...prev, lastTs: now };
  let changed = prev === undefined;
  const silenceMs = deviceSilenceSeconds(options.cooldownSeconds) * 1000;
  // Older than the silence period (queued on the device, arriving after newer messages): its
  // episode has ended by that rule already; taking it would raise and clear it at once.
  if (now - alert.timestamp >= silenceMs) return { state: base, events, changed };
  const rule = ruleForDeviceAlert(rules, alert);
  let { rules: ruleStates, deviceOnly } = base;

  if (rule !== undefined) {
    const before = own(base.rules, rule.name);
    const announcement = deviceAnnouncement(before ?? EMPTY_RULE_STATE, alert, now, cooldownMs);
    const track = alert.cleared ? withoutMark(announcement.track) : announcement.track;
    if (announcement.state !== undefined && announcement.level !== undefined) events.push(deviceEvent(rule, alert, now, announcement.state, announcement.level));
    if (track !== (before ?? EMPTY_RULE_STATE)) {
      changed = true;
      ruleStates = { ...ruleStates };
      if (worthKeeping(track, now, cooldownMs)) ruleStates[rule.name] = track;
      else delete ruleStates[rule.name];
    }
  } else {
    const before = own(deviceOnly, alert.alertType);
    if (before === undefined && !alert.cleared && Object.keys(deviceOnly).length >= MAX_DEVICE_ONLY_TYPES) {
      return { state: base, events, changed, refused: `more than ${MAX_DEVICE_ONLY_TYPES} alert types no rule checks` };
    }
    if (before !== undefined || !alert.cleared) {
      const start: DeviceOnlyState = before ?? { level: null, announced: null, lastSent: EMPTY_TIMES, device: { at: alert.timestamp, level: alert.level, value: alert.value }, threshold: alert.threshold };
      const announcement = deviceAnnouncement(start, alert, now, cooldownMs);
      if (announcement.state !== undefined && announcement.level !== undefined) events.push(deviceEvent(undefined, alert, now, announcement.state, announcement.level));
      deviceOnly = { ...deviceOnly };
      if (alert.cleared) delete deviceOnly[alert.alertType];
      else {
        const kept: DeviceOnlyState = { ...announcement.track, threshold: alert.threshold };
        if (alert.field !== undefined) kept.field = alert.field;
        deviceOnly[alert.alertType] = kept;
      }
      changed = true;
    }
  }
  // Other episodes the device stopped repeating end here too, for a device whose readings are
  // not wired to this node (otherwise its readings end them).
  for (const other of rules) {
    const state = other === rule ? undefined : own(ruleStates, other.name);
    if (state?.device === undefined || now - state.device.at < silenceMs) continue;
    const step = endSilentRule(state, other, alert.deviceId, now, cooldownMs, state.device);
    if (step.event) events.push(step.event);
    ruleStates = { ...ruleStates };
    if (worthKeeping(step.state, now, cooldownMs)) ruleStates[other.name] = step.state;
    else delete ruleStates[other.name];
    changed = true;
  }
  const expired = expireDeviceOnly(deviceOnly, alert.deviceId, now, options, events);
  if (expired !== base.deviceOnly) changed = true;
  return { state: { ...base, rules: ruleStates, deviceOnly: expired }, events, changed };
}

/** msg.alerts of output 2: `{rule name: level}` plus `{"sensor_fault:<field>": "warning"}`. */
export function currentLevels(device: DeviceState | undefined): Record<string, AlertLevel> {
  const levels: Record<string, AlertLevel> = {};
  if (device === undefined) return levels;
  // for...in: threshold-alert asks for every reading, and Object.entries made arrays each time
  const { rules, faults, deviceOnly } = device;
  for (const name in rules) {
    const level = Object.hasOwn(rules, name) ? rules[name]?.level : null;
    if (level) levels[name] = level;
  }
  for (const field in faults) {
    const level = Object.hasOwn(faults, field) ? faults[field as SensorField]?.level : null;
    if (level) levels[`${SENSOR_FAULT}:${field}`] = level;
  }
  for (const type in deviceOnly) {
    const level = Object.hasOwn(deviceOnly, type) ? deviceOnly[type]?.level : null;
    if (level && !Object.hasOwn(levels, type)) levels[type] = level;
  }
  return levels;
}
