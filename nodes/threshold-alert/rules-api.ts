// The alert rules API (GET/PUT/DELETE /api/devices/{id}/rules) as validated requests and answers,
// and what changed between two rule tables, as change log entries (setting `rule:<alert type>`).
// Pure: no Node-RED import, no clock.
import { deviceIdProblem } from '../shared/device-id';
import type { HttpCall } from '../shared/http-call';
import { err, ok, type Result } from '../shared/result';
import { MAX_AUTHOR_LENGTH } from '../heatpump-changelog/request';
import { applyOverrides, own, parseDeviceOverrides, parseOverrideTable, parseRules } from './rules';
import type { AlertRule, DeviceOverrides } from './types';

export type RulesRequest =
  | { kind: 'get'; deviceId: string }
  /** replaces the device's overrides */
  | { kind: 'put'; deviceId: string; overrides: DeviceOverrides; author: string | null }
  /** removes the device's overrides: the flow's rules apply again */
  | { kind: 'delete'; deviceId: string; author: string | null };

export interface RulesProblem {
  statusCode: 400 | 404 | 405;
  error: string;
}

const ROUTE = /\/api\/devices\/:([A-Za-z_]+)\/rules\/?$/;

function firstValue(value: unknown): unknown {
  return Array.isArray(value) ? firstValue(value[0]) : value;
}

/** Routes are matched by their ending, so the API also works under a custom httpNodeRoot. */
export function parseRulesRequest(call: HttpCall, rules: readonly AlertRule[]): Result<RulesRequest, RulesProblem> {
  const route = ROUTE.exec(call.route);
  if (route === null) return err({ statusCode: 404, error: `no alert rules endpoint for ${call.route}` });
  const deviceId = firstValue(call.params[route[1] ?? 'id']);
  const idProblem = deviceIdProblem(deviceId);
  if (idProblem !== undefined) return err({ statusCode: 400, error: `invalid device id: ${idProblem}` });
  const id = deviceId as string;
  const author = call.user === null ? null : call.user.slice(0, MAX_AUTHOR_LENGTH);
  switch (call.method.toUpperCase()) {
    case 'GET':
      return ok({ kind: 'get', deviceId: id });
    case 'DELETE':
      return ok({ kind: 'delete', deviceId: id, author });
    case 'PUT': {
      const overrides = parseDeviceOverrides(call.body, rules);
      if (!overrides.ok) return err({ statusCode: 400, error: `${overrides.error}; the body is {"<alert type>": {"warning"?, "critical"?, "hysteresis"?, "forSeconds"?, "enabled"?}}, e.g. {"voltage_low": {"warning": 220}}` });
      return ok({ kind: 'put', deviceId: id, overrides: overrides.value, author });
    }
    default:
      return err({ statusCode: 405, error: `${call.method.toUpperCase()} is not allowed on ${call.route}: use GET, PUT or DELETE` });
  }
}

/** Where a rule in effect for a device comes from. */
export type RuleOrigin = 'flow' | 'flow_override' | 'device_override';

export interface EffectiveRule extends AlertRule {
  origin: RuleOrigin;
  /** the properties an override changed, empty for a flow rule */
  overridden: string[];
}

export interface RulesAnswer {
  device_id: string;
  /** the device's own overrides (what PUT replaces), null when it has none */
  overrides: DeviceOverrides | null;
  rules: EffectiveRule[];
}

/**
 * The rules in effect for a device: the flow's rules with the device's own overrides, else the
 * node's per-device overrides from the editor (the same precedence the engine uses).
 */
export function rulesAnswer(deviceId: string, rules: readonly AlertRule[], editorOverrides: DeviceOverrides | undefined, deviceOverrides: DeviceOverrides | undefined): RulesAnswer {
  const overrides = deviceOverrides ?? editorOverrides;
  const origin: RuleOrigin = deviceOverrides === undefined ? 'flow_override' : 'device_override';
  const effective = applyOverrides(rules, overrides);
  return {
    device_id: deviceId,
    overrides: deviceOverrides ?? null,
    rules: effective.map((rule) => {
      const override = overrides === undefined ? undefined : own(overrides, rule.name);
      const overridden = override === undefined ? [] : Object.keys(override);
      return { ...rule, origin: overridden.length === 0 ? 'flow' : origin, overridden };
    }),
  };
}

type RuleValues = Partial<Omit<AlertRule, 'name'>>;

/** One rule that differs: the properties that changed, before and after (null: no such rule). */
export interface RuleChange {
  rule: string;
  old_value: RuleValues | null;
  new_value: RuleValues | null;
}

const RULE_PROPERTIES = ['label', 'metric', 'direction', 'warning', 'critical', 'hysteresis', 'forSeconds', 'enabled'] as const;

function pick(rule: AlertRule, keys: readonly (typeof RULE_PROPERTIES)[number][]): RuleValues {
  const values: Record<string, unknown> = {};
  for (const key of keys) values[key] = rule[key];
  return values as RuleValues;
}

/** The rules that differ between two tables, in the order they appear (removed ones first). */
export function ruleChanges(before: readonly AlertRule[], after: readonly AlertRule[]): RuleChange[] {
  const changes: RuleChange[] = [];
  for (const old of before) {
    const current = after.find((rule) => rule.name === old.name);
    if (current === undefined) {
      changes.push({ rule: old.name, old_value: pick(old, RULE_PROPERTIES), new_value: null });
      continue;
    }
    const differing = RULE_PROPERTIES.filter((key) => old[key] !== current[key]);
    if (differing.length > 0) changes.push({ rule: old.name, old_value: pick(old, differing), new_value: pick(current, differing) });
  }
  for (const added of after) {
    if (!before.some((rule) => rule.name === added.name)) changes.push({ rule: added.name, old_value: null, new_value: pick(added, RULE_PROPERTIES) });
  }
  return changes;
}

/** What the editor configures: the flow's rules and the node's per-device overrides. Kept with the state to see a deploy's changes. */
export interface EditorTable {
  rules: AlertRule[];
  overrides: Record<string, DeviceOverrides>;
}

/** A stored editor table, checked as the editor's own input; undefined when there is none or it is unusable. */
export function editorTableOf(stored: unknown): EditorTable | undefined {
  if (typeof stored !== 'object' || stored === null) return undefined;
  const { rules, overrides } = stored as Record<string, unknown>;
  if (!Array.isArray(rules)) return undefined;
  const parsedRules = parseRules(rules);
  if (!parsedRules.ok) return undefined;
  const table = parseOverrideTable(overrides ?? {}, parsedRules.value);
  return table.ok ? { rules: parsedRules.value, overrides: Object.fromEntries(table.value) } : undefined;
}

/** A rule change of one device, or (device_id null) of the flow's rules for every device. */
export interface DeviceRuleChange extends RuleChange {
  device_id: string | null;
}

/**
 * What a deploy changed: the flow's rules (for every device) and each device's editor overrides,
 * the latter measured against the new rules so a changed flow rule is reported once.
 */
export function editorChanges(previous: EditorTable, current: EditorTable): DeviceRuleChange[] {
  const changes: DeviceRuleChange[] = ruleChanges(previous.rules, current.rules).map((change) => ({ device_id: null, ...change }));
  const devices = new Set([...Object.keys(previous.overrides), ...Object.keys(current.overrides)]);
  for (const deviceId of devices) {
    const before = applyOverrides(current.rules, own(previous.overrides, deviceId));
    const after = applyOverrides(current.rules, own(current.overrides, deviceId));
    for (const change of ruleChanges(before, after)) changes.push({ device_id: deviceId, ...change });
  }
  return changes;
}

/** A setting change as modbus-poll and viessmann-device send it (their output 3), for the change log. */
export interface RuleSettingChange {
  device_id: string | null;
  setting: string;
  old_value: RuleValues | null;
  new_value: RuleValues | null;
  source: 'api' | 'editor' | 'flow';
  author?: string;
  timestamp: number;
}

export function ruleSettingChange(change: DeviceRuleChange, source: RuleSettingChange['source'], author: string | null, timestamp: number): RuleSettingChange {
  return {
    device_id: change.device_id,
    setting: `rule:${change.rule}`,
    old_value: change.old_value,
    new_value: change.new_value,
    source,
    ...(author === null ? {} : { author }),
    timestamp,
  };
}
