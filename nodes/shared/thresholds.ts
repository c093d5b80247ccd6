// The alert contract's numbers (docs/CONTRACTS.md "Alert contract"), in the one place code takes them
// from: threshold-alert's default rules (and through the runtime settings its editor defaults),
// the simulator, and the checks that the firmware's config.h, the help texts and the shipped
// flows still agree (test/unit/thresholds-drift.test.ts, thresholdDrift below).
// Pure data: no Node-RED import.
import type { SensorField } from './contract';

export interface ThresholdSpec {
  /** alert_type of the events, e.g. voltage_high */
  name: string;
  /** start of the event message */
  label: string;
  metric: SensorField;
  direction: 'above' | 'below';
  warning: number;
  critical: number;
  /** a level clears only once the value is back inside its threshold by this much */
  hysteresis: number;
}

const spec = (name: string, label: string, metric: SensorField, direction: 'above' | 'below', warning: number, critical: number, hysteresis: number): ThresholdSpec =>
  Object.freeze({ name, label, metric, direction, warning, critical, hysteresis });

/** warning / critical per alert type; hysteresis 2 V, 2 °C, 10 PSI high side, 5 PSI low side, 0.5 A. */
export const ALERT_THRESHOLDS: readonly ThresholdSpec[] = Object.freeze([
  spec('voltage_high', 'High voltage', 'voltage', 'above', 245, 250, 2),
  spec('voltage_low', 'Low voltage', 'voltage', 'below', 215, 210, 2),
  spec('compressor_temp', 'Compressor temperature', 'temp_compressor', 'above', 85, 95, 2),
  spec('pressure_high', 'High pressure', 'pressure_high', 'above', 400, 450, 10),
  spec('pressure_low', 'Low pressure', 'pressure_low', 'below', 40, 20, 5),
  spec('current', 'Overcurrent', 'current', 'above', 12, 15, 0.5),
]);

/** The same (device, alert type, level) is not raised again within this (server and firmware). */
export const ALERT_COOLDOWN_SECONDS = 300;
/** A sensor invalid for this long raises sensor_fault (server only). */
export const SENSOR_FAULT_AFTER_SECONDS = 600;

/** The spec of one alert type; throws for a name that is not in the contract (a programming error). */
export function thresholdOf(name: string): ThresholdSpec {
  const found = ALERT_THRESHOLDS.find((t) => t.name === name);
  if (found === undefined) throw new Error(`no alert threshold "${name}"`);
  return found;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A node setting that is blank means the default; anything else is compared as a number. */
function secondsDrift(name: string, value: unknown, expected: number): string[] {
  if (value === undefined || value === null || value === '') return [];
  return Number(value) === expected ? [] : [`${name}: ${JSON.stringify(value)} (default ${expected})`];
}

/**
 * How a threshold-alert node of a flow differs from the defaults: one line per rule (or setting)
 * that does not match, empty when it matches. `rules` missing or [] means the defaults. Used to
 * check the shipped flows and examples, which must keep the contract's numbers.
 */
export function thresholdDrift(node: { rules?: unknown; cooldown?: unknown; faultAfter?: unknown }): string[] {
  const problems = [...secondsDrift('cooldown', node.cooldown, ALERT_COOLDOWN_SECONDS), ...secondsDrift('faultAfter', node.faultAfter, SENSOR_FAULT_AFTER_SECONDS)];
  const { rules } = node;
  if (rules === undefined || rules === null || (Array.isArray(rules) && rules.length === 0)) return problems;
  if (!Array.isArray(rules)) return [...problems, 'rules: not a list'];
  const byName = new Map<string, Record<string, unknown>>();
  for (const rule of rules) {
    if (!isRecord(rule) || typeof rule.name !== 'string') problems.push(`rules: ${JSON.stringify(rule)} has no name`);
    else byName.set(rule.name, rule);
  }
  for (const expected of ALERT_THRESHOLDS) {
    const rule = byName.get(expected.name);
    if (rule === undefined) {
      problems.push(`${expected.name}: missing`);
      continue;
    }
    const wanted: Record<string, unknown> = { ...expected, forSeconds: 0, enabled: true };
    for (const [key, value] of Object.entries(wanted)) {
      // a rule saved without these takes the same defaults (parseRules)
      const actual = rule[key] ?? (key === 'forSeconds' ? 0 : key === 'enabled' ? true : undefined);
      if (actual !== value) problems.push(`${expected.name}.${key}: ${JSON.stringify(rule[key])} (default ${JSON.stringify(value)})`);
    }
  }
  for (const name of byName.keys()) if (!ALERT_THRESHOLDS.some((t) => t.name === name)) problems.push(`${name}: not a default rule`);
  return problems;
}
