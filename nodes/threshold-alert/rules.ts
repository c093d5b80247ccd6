// Alert rules: the defaults of the alert contract (numbers in ../shared/thresholds.ts), validation
// of rules from the editor and of per-device overrides (editor JSON and msg.thresholds), merging
// overrides in, and which rule a device-raised alert is about.
// Pure: no Node-RED import, no clock.
import { METRIC_NAME_PATTERN, SENSOR_FIELDS, type SensorField } from '../shared/contract';
import { deviceIdProblem } from '../shared/device-id';
import { err, ok, type Result } from '../shared/result';
import { ALERT_COOLDOWN_SECONDS, ALERT_THRESHOLDS, SENSOR_FAULT_AFTER_SECONDS } from '../shared/thresholds';
import type { AlertRule, DeviceOverrides, OverrideTable, RuleOverride } from './types';

export const DEFAULT_COOLDOWN_SECONDS = ALERT_COOLDOWN_SECONDS;
export const DEFAULT_FAULT_AFTER_SECONDS = SENSOR_FAULT_AFTER_SECONDS;
/** alert_type of the alert raised for a sensor that stayed invalid too long. */
export const SENSOR_FAULT = 'sensor_fault';
export const MAX_RULES = 50;
export const MAX_LABEL_LENGTH = 60;

/** The alert contract's table (../shared/thresholds.ts) as rules: no for-duration, all enabled. */
export const DEFAULT_RULES: readonly AlertRule[] = Object.freeze(ALERT_THRESHOLDS.map((t): AlertRule => Object.freeze({ ...t, forSeconds: 0, enabled: true })));

// Rule names become InfluxDB tag values and msg.alerts keys: keep them plain.
const RULE_NAME = /^[a-z][a-z0-9_]{0,39}$/;
const OVERRIDE_KEYS = ['warning', 'critical', 'hysteresis', 'forSeconds', 'enabled'] as const;
const RULE_KEYS = new Set(['name', 'label', 'metric', 'direction', ...OVERRIDE_KEYS]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSensorField(value: unknown): value is SensorField {
  return typeof value === 'string' && (SENSOR_FIELDS as readonly string[]).includes(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Own-property lookup, so names like "constructor" never reach Object.prototype. */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Why a complete rule is inconsistent, or undefined when it is fine. */
export function ruleProblem(candidate: AlertRule): string | undefined {
  const { name, warning, critical, direction } = candidate;
  for (const key of ['warning', 'critical', 'hysteresis', 'forSeconds'] as const) {
    if (!isFiniteNumber(candidate[key])) return `${name}: ${key} must be a number`;
  }
  if (candidate.hysteresis < 0) return `${name}: hysteresis must not be negative`;
  if (candidate.forSeconds < 0) return `${name}: forSeconds must not be negative`;
  if (direction === 'above' && warning > critical) return `${name}: warning ${warning} must not be above critical ${critical}`;
  if (direction === 'below' && warning < critical) return `${name}: warning ${warning} must not be below critical ${critical}`;
  return undefined;
}

/** Rules as the editor stores them (node property `rules`); undefined or [] means the defaults. */
export function parseRules(input: unknown): Result<AlertRule[], string> {
  if (input === undefined || input === null || (Array.isArray(input) && input.length === 0)) return ok([...DEFAULT_RULES]);
  if (!Array.isArray(input)) return err('rules must be a list');
  if (input.length > MAX_RULES) return err(`at most ${MAX_RULES} rules`);
  const rules: AlertRule[] = [];
  for (const [index, raw] of input.entries()) {
    if (!isRecord(raw)) return err(`rule ${index + 1} is not an object`);
    const { name, label, metric, direction, enabled } = raw;
    if (typeof name !== 'string' || !RULE_NAME.test(name)) {
      return err(`rule ${index + 1}: name must be lower case letters, digits and _ (got ${JSON.stringify(name)})`);
    }
    if (name === SENSOR_FAULT) return err(`rule ${index + 1}: "${SENSOR_FAULT}" is reserved`);
    if (rules.some((r) => r.name === name)) return err(`rule ${index + 1}: duplicate name "${name}"`);
    const unknown = Object.keys(raw).find((key) => !RULE_KEYS.has(key));
    if (unknown !== undefined) return err(`${name}: unknown property "${unknown}"`);
    // any metric a source may send: the ESP32's sensor fields or a MetricsReading's metric names
    if (typeof metric !== 'string' || !METRIC_NAME_PATTERN.test(metric)) return err(`${name}: metric must be a sensor field or metric name (1 to 64 of A-Z a-z 0-9 _), got ${JSON.stringify(metric)}`);
    if (direction !== 'above' && direction !== 'below') return err(`${name}: direction must be "above" or "below"`);
    if (label !== undefined && (typeof label !== 'string' || label.length > MAX_LABEL_LENGTH)) {
      return err(`${name}: label must be text of at most ${MAX_LABEL_LENGTH} characters`);
    }
    // alert messages carry the label into InfluxDB, whose client would store \' with an extra backslash
    if (typeof label === 'string' && label.includes("\\'")) return err(`${name}: label must not contain a backslash before an apostrophe`);
    if (enabled !== undefined && typeof enabled !== 'boolean') return err(`${name}: enabled must be true or false`);
    const candidate: AlertRule = {
      name,
      label: typeof label === 'string' && label.trim() !== '' ? label.trim() : name,
      metric,
      direction,
      warning: raw.warning as number,
      critical: raw.critical as number,
      hysteresis: raw.hysteresis === undefined ? 0 : (raw.hysteresis as number),
      forSeconds: raw.forSeconds === undefined ? 0 : (raw.forSeconds as number),
      enabled: enabled ?? true,
    };
    const problem = ruleProblem(candidate);
    if (problem !== undefined) return err(problem);
    rules.push(candidate);
  }
  return ok(rules);
}

/** One device's overrides: `{rule name: {warning?, critical?, hysteresis?, forSeconds?, enabled?}}`. */
export function parseDeviceOverrides(input: unknown, rules: readonly AlertRule[]): Result<DeviceOverrides, string> {
  if (!isRecord(input)) return err('rules must be an object keyed by rule name');
  const overrides: DeviceOverrides = {};
  for (const [name, raw] of Object.entries(input)) {
    const base = rules.find((r) => r.name === name);
    if (base === undefined) return err(`unknown rule "${name}"`);
    if (!isRecord(raw)) return err(`${name}: override must be an object`);
    const override: RuleOverride = {};
    for (const [key, value] of Object.entries(raw)) {
      if (key === 'enabled') {
        if (typeof value !== 'boolean') return err(`${name}: enabled must be true or false`);
        override.enabled = value;
      } else if (key === 'warning' || key === 'critical' || key === 'hysteresis' || key === 'forSeconds') {
        if (!isFiniteNumber(value)) return err(`${name}: ${key} must be a number`);
        override[key] = value;
      } else {
        return err(`${name}: unknown property "${key}" (allowed: ${OVERRIDE_KEYS.join(', ')})`);
      }
    }
    const problem = ruleProblem({ ...base, ...override });
    if (problem !== undefined) return err(problem);
    overrides[name] = override;
  }
  return ok(overrides);
}

/** The editor's override table: `{device id: {rule name: {...}}}`, as a JSON text; blank means none. */
export function parseOverrideTable(text: unknown, rules: readonly AlertRule[]): Result<OverrideTable, string> {
  if (text === undefined || text === null || (typeof text === 'string' && text.trim() === '')) return ok(new Map());
  let parsed: unknown = text;
  if (typeof text === 'string') {
    try {
      parsed = JSON.parse(text);
    } catch (thrown) {
      return err(`overrides are not valid JSON (${thrown instanceof Error ? thrown.message : String(thrown)})`);
    }
  }
  if (!isRecord(parsed)) return err('overrides must be an object keyed by device id');
  const table: OverrideTable = new Map();
  for (const [deviceId, raw] of Object.entries(parsed)) {
    const idProblem = deviceIdProblem(deviceId);
    if (idProblem !== undefined) return err(`overrides: ${idProblem}`);
    const device = parseDeviceOverrides(raw, rules);
    if (!device.ok) return err(`overrides for ${deviceId}: ${device.error}`);
    table.set(deviceId, device.value);
  }
  return ok(table);
}

export interface ControlCommand {
  deviceId: string;
  /** null removes the run-time overrides of the device */
  rules: DeviceOverrides | null;
}

/** msg.thresholds of a control message: `{device_id, rules: {...} | null}`. */
export function parseControl(payload: unknown, rules: readonly AlertRule[]): Result<ControlCommand, string> {
  if (!isRecord(payload)) return err('msg.thresholds must be an object {device_id, rules}');
  const unknown = Object.keys(payload).find((key) => key !== 'device_id' && key !== 'rules');
  if (unknown !== undefined) return err(`unknown property "${unknown}" (allowed: device_id, rules)`);
  const idProblem = deviceIdProblem(payload.device_id);
  if (idProblem !== undefined) return err(idProblem);
  const deviceId = payload.device_id as string;
  if (payload.rules === null) return ok({ deviceId, rules: null });
  if (payload.rules === undefined) return err('rules is missing (use null to remove the overrides)');
  const overrides = parseDeviceOverrides(payload.rules, rules);
  return overrides.ok ? ok({ deviceId, rules: overrides.value }) : err(overrides.error);
}

/** The rules in effect for one device. */
export function applyOverrides(rules: readonly AlertRule[], overrides: DeviceOverrides | undefined): readonly AlertRule[] {
  if (overrides === undefined) return rules;
  return rules.map((base) => {
    const override = own(overrides, base.name);
    return override === undefined ? base : { ...base, ...override };
  });
}

/**
 * The enabled rule a device-raised alert is about, so that device and server share one episode:
 * the rule of the same name (the firmware uses the rule names), else, for an alert named after a
 * sensor (e.g. "voltage", as the payload's `alerts` groups are), the rule on that sensor whose
 * direction fits (value above its threshold: voltage_high, below: voltage_low). undefined: the
 * device raised something no enabled rule checks.
 */
export function ruleForDeviceAlert(rules: readonly AlertRule[], alert: { alertType: string; value: number; threshold: number }): AlertRule | undefined {
  const named = rules.find((r) => r.enabled && r.name === alert.alertType);
  if (named !== undefined) return named;
  if (!isSensorField(alert.alertType)) return undefined;
  // a device alerts beyond its threshold: the side of it tells high from low
  const direction = alert.value >= alert.threshold ? 'above' : 'below';
  return rules.find((r) => r.enabled && r.metric === alert.alertType && r.direction === direction);
}
