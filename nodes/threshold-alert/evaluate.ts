// Alert state machine: hysteresis, for-duration, cooldown, escalation and clearing for one
// (device, rule), sensor faults for one (device, sensor), and both over one device's reading.
// Pure: time comes in as `now` (reading time, ms), nothing here reads a clock.
import { SENSOR_FIELDS, UNITS, type AlertEvent, type AlertLevel, type AlertState, type SensorField } from '../shared/contract';
import { SENSOR_FAULT, own } from './rules';
import type { AlertRule, AlertTrack, DeviceState, FaultState, LevelTimes, RuleState } from './types';

export interface EvalOptions {
  cooldownSeconds: number;
  /** 0 switches sensor faults off */
  faultAfterSeconds: number;
}

/** One sensor value for one rule; undefined = missing or invalid (never alerts, never clears). */
export interface Sample {
  deviceId: string;
  value: number | undefined;
}

export interface Step<S> {
  state: S;
  event?: AlertEvent;
}

const EMPTY_TIMES: LevelTimes = Object.freeze({});
const EMPTY_RULE_STATE: RuleState = Object.freeze({ level: null, announced: null, lastSent: EMPTY_TIMES, pendingSince: EMPTY_TIMES });
const EMPTY_FAULT_STATE: FaultState = Object.freeze({ level: null, announced: null, lastSent: EMPTY_TIMES, invalidSince: null });

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
 */
function announce<T extends AlertTrack>(prev: T, level: AlertLevel | null, now: number, cooldownMs: number): Announcement<T> {
  const { announced, lastSent } = prev;
  const cooledDown = (l: AlertLevel) => {
    const sent = lastSent[l];
    return sent === undefined || now - sent >= cooldownMs;
  };
  const withLevel = (track: Partial<AlertTrack>): T =>
    Object.keys(track).length === 0 && level === prev.level ? prev : { ...prev, level, ...track };
  if (level === null) {
    if (announced === null) return { track: withLevel({}) };
    return { track: withLevel({ announced: null }), state: 'cleared', level: announced };
  }
  const send = (state: AlertState): Announcement<T> => ({
    track: withLevel({ announced: level, lastSent: { ...lastSent, [level]: now } }),
    state,
    level,
  });
  if (announced === null) return cooledDown(level) ? send('raised') : { track: withLevel({}) };
  if (announced === 'warning' && level === 'critical') return send('escalated');
  if (announced === 'critical' && level === 'critical' && prev.level === 'warning' && cooledDown('critical')) return send('escalated');
  return { track: withLevel({}) };
}

function formatNumber(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function thresholdEvent(rule: AlertRule, deviceId: string, value: number, now: number, state: AlertState, level: AlertLevel): AlertEvent {
  const unit = UNITS[rule.metric];
  const shown = `${formatNumber(value)} ${unit}`;
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
    message: `${rule.label}: ${shown} ${sign} ${formatNumber(threshold)} ${unit} (${level})`,
    state,
    timestamp: now,
    field: rule.metric,
  };
}

/** One (device, rule) step. `rule` must be enabled; cooldown and time in the same clock as `now`. */
export function nextAlertState(prev: RuleState | undefined, sample: Sample, rule: AlertRule, now: number, cooldownSeconds: number): Step<RuleState> {
  const base = prev ?? EMPTY_RULE_STATE;
  const { value } = sample;
  const pendingNothing = base.pendingSince.warning === undefined && base.pendingSince.critical === undefined;
  if (value === undefined) {
    // Unknown value: the level stays as it is, but a for-duration has to be seen holding anew.
    return { state: pendingNothing ? base : { ...base, pendingSince: EMPTY_TIMES } };
  }
  const pendingSince =
    rule.forSeconds > 0 ? nextPending(base.pendingSince, value, rule, now) : pendingNothing ? base.pendingSince : EMPTY_TIMES;
  const entered =
    rule.forSeconds > 0 ? enteredLevel(pendingSince, now, rule) : beyond(value, rule.critical, rule) ? 'critical' : beyond(value, rule.warning, rule) ? 'warning' : null;
  const level = higher(heldLevel(base.level, value, rule), entered);
  const withPending = pendingSince === base.pendingSince ? base : { ...base, pendingSince };
  const { track, state, level: eventLevel } = announce(withPending, level, now, cooldownSeconds * 1000);
  if (state === undefined || eventLevel === undefined) return { state: track };
  return { state: track, event: thresholdEvent(rule, sample.deviceId, value, now, state, eventLevel) };
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

/** Worth keeping: a level, an announcement, a cooldown or a for-duration running, an invalid sensor. */
function worthKeeping(state: RuleState | FaultState, now: number, cooldownMs: number): boolean {
  if (state.level !== null || state.announced !== null) return true;
  if ('invalidSince' in state ? state.invalidSince !== null : Object.keys(state.pendingSince).length > 0) return true;
  return Object.values(state.lastSent).some((sent) => now - sent < cooldownMs);
}

export interface DeviceInput {
  deviceId: string;
  timestamp: number;
  values: Partial<Record<SensorField, number>>;
  /** sensors the device flagged invalid or decode rejected */
  invalid: ReadonlySet<SensorField>;
}

export interface DeviceStep {
  state: DeviceState;
  events: AlertEvent[];
  /** something other than lastTs changed (worth persisting) */
  changed: boolean;
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
    const value = input.invalid.has(rule.metric) ? undefined : input.values[rule.metric];
    const step = nextAlertState(before, { deviceId: input.deviceId, value: Number.isFinite(value) ? value : undefined }, rule, now, options.cooldownSeconds);
    if (step.event) events.push(step.event);
    if (step.state !== (before ?? EMPTY_RULE_STATE)) changed = true;
    if (worthKeeping(step.state, now, cooldownMs)) ruleStates[rule.name] = step.state;
  }
  // Rules disabled or removed since the last reading are forgotten.
  if (prev !== undefined && Object.keys(prev.rules).some((name) => !Object.hasOwn(ruleStates, name))) changed = true;

  const faults: Partial<Record<SensorField, FaultState>> = {};
  for (const field of SENSOR_FIELDS) {
    const before = prev?.faults[field];
    const value = input.values[field];
    const status: SensorStatus = input.invalid.has(field) ? 'invalid' : value === undefined ? 'absent' : 'valid';
    const step = nextFaultState(before, { deviceId: input.deviceId, field, status }, now, options);
    if (step.event) events.push(step.event);
    if (step.state !== (before ?? EMPTY_FAULT_STATE)) changed = true;
    if (worthKeeping(step.state, now, cooldownMs)) faults[field] = step.state;
  }
  if (prev !== undefined && Object.keys(prev.faults).some((field) => !Object.hasOwn(faults, field))) changed = true;

  if (!changed && prev !== undefined) return { state: { ...prev, lastTs: now }, events, changed };
  return { state: { lastTs: now, rules: ruleStates, faults }, events, changed };
}

/** msg.alerts of output 2: `{rule name: level}` plus `{"sensor_fault:<field>": "warning"}`. */
export function currentLevels(device: DeviceState | undefined): Record<string, AlertLevel> {
  const levels: Record<string, AlertLevel> = {};
  if (device === undefined) return levels;
  for (const [name, state] of Object.entries(device.rules)) if (state.level !== null) levels[name] = state.level;
  for (const [field, state] of Object.entries(device.faults)) if (state.level !== null) levels[`${SENSOR_FAULT}:${field}`] = state.level;
  return levels;
}
