// Shelly Gen2 energy meter answers -> metrics. Pure: no Node-RED, no clock, no I/O.
//
// Metric names keep Shelly's own keys. The triphase meter (em:0 / emdata:0) has them unprefixed
// (a_act_power, total_act); each em1 channel N, and its em1data, is prefixed `em1_N_`
// (em1_0_act_power, em1_0_total_act_energy); a further triphase meter em:N (N > 0) `em_N_`.
// Negative active power (export, or a clamp on backwards) keeps its sign and adds the boolean
// metric `<name>_negative` (a_act_power_negative) beside every active power.
import type { Result } from '../shared/result';
import { err, ok } from '../shared/result';

export type Profile = 'triphase' | 'monophase' | 'em50';
export const PROFILES: readonly Profile[] = ['triphase', 'monophase', 'em50'];

/** The components that carry meter readings, as Shelly names them (`em:0`, `em1data:1`). */
export type MeterComponentKind = 'em' | 'emdata' | 'em1' | 'em1data';
const COMPONENT_KEY = /^(em|emdata|em1|em1data):(\d{1,2})$/;

export interface MeterValues {
  metrics: Record<string, number | boolean>;
  units: Record<string, string>;
  /** metric names of negative active power */
  negative: string[];
  /** what the device flagged (errors arrays): the values concerned are left out */
  warnings: string[];
  /** components read, e.g. ['em:0', 'emdata:0'] */
  components: string[];
}

/** Unit by the end of a Shelly key; pf has none (a ratio). Keys not listed are not metrics. */
const UNIT_BY_SUFFIX: ReadonlyArray<[RegExp, string | undefined]> = [
  [/(^|_)act_power$/, 'W'],
  [/(^|_)aprt_power$/, 'VA'],
  [/(^|_)current$/, 'A'],
  [/(^|_)voltage$/, 'V'],
  [/(^|_)freq$/, 'Hz'],
  [/(^|_)pf$/, undefined],
  [/_energy$/, 'Wh'],
  [/^total_act(_ret)?$/, 'Wh'],
];

/** The quantities of `out_of_range:<quantity>` errors, by the key they concern. */
const OUT_OF_RANGE_KEYS: Record<string, string> = { active_power: 'act_power', apparent_power: 'aprt_power' };

/** Errors after which none of a component's values can be trusted. */
const COMPONENT_FAILURES = new Set(['power_meter_failure', 'database_error']);

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const stringsOf = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);

export function metricPrefix(kind: MeterComponentKind, index: number): string {
  if (kind === 'em1' || kind === 'em1data') return `em1_${index}_`;
  return index === 0 ? '' : `em_${index}_`;
}

function unitOf(key: string): { known: boolean; unit?: string } {
  for (const [pattern, unit] of UNIT_BY_SUFFIX) if (pattern.test(key)) return unit === undefined ? { known: true } : { known: true, unit };
  return { known: false };
}

const emptyValues = (): MeterValues => ({ metrics: {}, units: {}, negative: [], warnings: [], components: [] });

/**
 * Adds one component's status (`EM.GetStatus` answer, `em:0` of Shelly.GetStatus, or the payload
 * of `<prefix>/status/em:0`) to `into`. null values (n_current without a neutral CT) are left
 * out; so is what the device flags as out of range, or a whole component it reports as failed.
 */
export function addComponent(into: MeterValues, component: string, status: unknown): Result<void, string> {
  const match = COMPONENT_KEY.exec(component);
  if (!match) return err(`${component} is not an energy meter component (em, emdata, em1, em1data)`);
  const kind = match[1] as MeterComponentKind;
  const index = Number(match[2]);
  if (!isPlainObject(status)) return err(`${component}: the status must be a JSON object, got ${Array.isArray(status) ? 'an array' : status === null ? 'null' : typeof status}`);
  const failures = stringsOf(status.errors);
  if (failures.length > 0) into.warnings.push(`${component}: ${failures.join(', ')}`);
  into.components.push(component);
  if (failures.some((failure) => COMPONENT_FAILURES.has(failure))) return ok(undefined);
  // per phase / channel errors such as "out_of_range:voltage" drop that value only
  const outOfRange = new Set<string>();
  for (const [key, value] of Object.entries(status)) {
    const scope = /^(?:([abcn])_)?errors$/.exec(key);
    if (!scope) continue;
    for (const error of stringsOf(value)) {
      const named = /^out_of_range:(\w+)$/.exec(error)?.[1];
      if (named === undefined) continue;
      const quantity = OUT_OF_RANGE_KEYS[named] ?? named;
      outOfRange.add(scope[1] === undefined ? quantity : `${scope[1]}_${quantity}`);
      if (scope[1] !== undefined) into.warnings.push(`${component}: ${key} ${error}`);
    }
  }
  const prefix = metricPrefix(kind, index);
  for (const [key, value] of Object.entries(status)) {
    if (key === 'id' || typeof value !== 'number' || !Number.isFinite(value)) continue;
    const { known, unit } = unitOf(key);
    if (!known || outOfRange.has(key) || outOfRange.has(key.replace(/^[abc]_/, ''))) continue;
    const name = `${prefix}${key}`;
    into.metrics[name] = value;
    if (unit !== undefined) into.units[name] = unit;
    if (/(^|_)act_power$/.test(key)) {
      into.metrics[`${name}_negative`] = value < 0;
      if (value < 0) into.negative.push(name);
    }
  }
  return ok(undefined);
}

/** One component's own answer: `EM.GetStatus?id=0` is `em:0`, `EMData.GetStatus?id=0` is `emdata:0`. */
export function parseComponentStatus(component: string, body: unknown): Result<MeterValues, string> {
  if (isPlainObject(body)) {
    const error = rpcError(body);
    if (error !== undefined) return err(error);
  }
  const values = emptyValues();
  const added = addComponent(values, component, body);
  return added.ok ? ok(values) : added;
}

/** The meter components of a Shelly.GetStatus answer (or any object keyed by component). */
export function meterComponents(status: Record<string, unknown>): string[] {
  return Object.keys(status).filter((key) => COMPONENT_KEY.test(key));
}

/** The profile an answer shows: em:N -> triphase; em1:N -> em50 with exactly two channels, else monophase. */
export function detectProfile(components: readonly string[]): Profile | undefined {
  if (components.some((key) => key.startsWith('em:') || key.startsWith('emdata:'))) return 'triphase';
  const channels = new Set(components.filter((key) => key.startsWith('em1')).map((key) => key.split(':')[1]));
  if (channels.size === 0) return undefined;
  return channels.size === 2 ? 'em50' : 'monophase';
}

/** The power component each profile needs in a full status answer. */
const REQUIRED: Record<Profile, string[]> = { triphase: ['em:0'], monophase: ['em1:0'], em50: ['em1:0', 'em1:1'] };

export interface StatusAnswer extends MeterValues {
  profile: Profile;
  /** `shelly-<mac>` from sys.mac, when the answer has it */
  derivedDeviceId?: string;
}

/** The device id this package gives a Shelly by default: `shelly-` and its MAC, lower case. */
export function deviceIdFromMac(mac: unknown): string | undefined {
  if (typeof mac !== 'string') return undefined;
  const hex = mac.replace(/[:-]/g, '').toLowerCase();
  return /^[0-9a-f]{12}$/.test(hex) ? `shelly-${hex}` : undefined;
}

/** A JSON-RPC error as Gen2 devices send it: `{code, message}` (bare, or under `error`). */
function rpcError(body: Record<string, unknown>): string | undefined {
  const error = isPlainObject(body.error) ? body.error : body;
  if (typeof error.code === 'number' && typeof error.message === 'string') return `the device answered error ${error.code}: ${error.message}`;
  return undefined;
}

/** Parses an answer text as a JSON object, or says why it is none. */
export function parseJsonObject(text: string, what: string): Result<Record<string, unknown>, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return err(`${what} is not JSON: ${JSON.stringify(text.slice(0, 40))}`);
  }
  if (!isPlainObject(parsed)) return err(`${what} is not a JSON object`);
  return ok(parsed);
}

/**
 * A Shelly.GetStatus answer. The profile given (or detected when 'auto') decides which power
 * components must be there; energy components (emdata, em1data) are optional, as monophase
 * devices often have them disabled.
 */
export function parseShellyStatus(body: unknown, profile: Profile | 'auto'): Result<StatusAnswer, string> {
  if (!isPlainObject(body)) return err('the Shelly.GetStatus answer is not a JSON object');
  const error = rpcError(body);
  if (error !== undefined) return err(error);
  const components = meterComponents(body);
  const effective = profile === 'auto' ? detectProfile(components) : profile;
  if (effective === undefined) return err('the answer has no energy meter (em:0, em1:0): is this a Shelly Pro 3EM, 3EM or Pro EM?');
  const missing = REQUIRED[effective].filter((key) => !components.includes(key));
  if (missing.length > 0) return err(`the answer lacks ${missing.join(', ')} of the ${effective} profile (it has ${components.join(', ') || 'no meter'}): check the profile`);
  const values = emptyValues();
  for (const component of components) {
    const added = addComponent(values, component, body[component]);
    if (!added.ok) return added;
  }
  const sys = isPlainObject(body.sys) ? body.sys : {};
  const derivedDeviceId = deviceIdFromMac(sys.mac);
  return ok({ ...values, profile: effective, ...(derivedDeviceId !== undefined ? { derivedDeviceId } : {}) });
}

/** What an MQTT status message of a Shelly says. */
export type MqttStatus =
  /** complete: every meter component of the device (NotifyFullStatus), not the one or few that changed */
  | { kind: 'meter'; prefix: string; values: MeterValues; complete: boolean; derivedDeviceId?: string }
  | { kind: 'sys'; prefix: string; derivedDeviceId?: string }
  | { kind: 'online'; prefix: string; online: boolean }
  /** another component of the device (switch:0, wifi, ...): nothing to read */
  | { kind: 'other'; prefix: string };

/** `shellypro3em-aabbccddeeff`, the default topic prefix (and device id) of a Gen2 device. */
export function deviceIdFromPrefix(prefix: string): string | undefined {
  const mac = /^shelly[a-z0-9]*-([0-9a-f]{12})$/i.exec(prefix.split('/').pop() ?? '')?.[1];
  return deviceIdFromMac(mac);
}

function payloadValue(payload: unknown, what: string): Result<unknown, string> {
  if (Buffer.isBuffer(payload)) payload = payload.toString('utf8');
  if (typeof payload !== 'string') return ok(payload);
  try {
    return ok(JSON.parse(payload));
  } catch {
    return err(`${what}: the payload is not JSON: ${JSON.stringify(payload.slice(0, 40))}`);
  }
}

/**
 * `<prefix>/events/rpc`, which a Gen2 device publishes by default ("RPC status notifications"):
 * NotifyStatus carries the changed values of the components that changed, NotifyFullStatus all
 * of them (and sys.mac); other notifications (NotifyEvent) carry no readings.
 */
function parseNotification(topic: string, prefix: string, payload: unknown): Result<MqttStatus, string> {
  const value = payloadValue(payload, topic);
  if (!value.ok) return value;
  const frame = value.value;
  if (!isPlainObject(frame) || typeof frame.method !== 'string') return err(`${topic}: the payload must be a JSON-RPC notification {method, params}`);
  if (frame.method !== 'NotifyStatus' && frame.method !== 'NotifyFullStatus') return ok({ kind: 'other', prefix });
  if (!isPlainObject(frame.params)) return err(`${topic}: ${frame.method} without params`);
  const params = frame.params;
  const derivedDeviceId = deviceIdFromMac(isPlainObject(params.sys) ? params.sys.mac : undefined);
  const withId = derivedDeviceId !== undefined ? { derivedDeviceId } : {};
  const components = meterComponents(params);
  if (components.length === 0) return ok(derivedDeviceId !== undefined ? { kind: 'sys', prefix, ...withId } : { kind: 'other', prefix });
  const values = emptyValues();
  for (const component of components) {
    const added = addComponent(values, component, params[component]);
    if (!added.ok) return err(`${topic}: ${added.error}`);
  }
  return ok({ kind: 'meter', prefix, values, complete: frame.method === 'NotifyFullStatus', ...withId });
}

/**
 * A message of `mqtt in` on the device's own topics: `<prefix>/status/<component>` (the
 * component's status as JSON, the same as its GetStatus answer), `<prefix>/events/rpc`
 * (notifications) or `<prefix>/online` (true / false, the device's last will).
 */
export function parseMqttStatus(topic: unknown, payload: unknown): Result<MqttStatus, string> {
  if (typeof topic !== 'string' || topic === '') return err('msg.topic must be the MQTT topic <prefix>/status/<component> of the Shelly');
  const online = /^(.+)\/online$/.exec(topic);
  if (online) {
    const value = payloadValue(payload, topic);
    if (!value.ok) return value;
    if (typeof value.value !== 'boolean') return err(`${topic}: the payload must be true or false`);
    return ok({ kind: 'online', prefix: online[1] ?? '', online: value.value });
  }
  const events = /^(.+)\/events\/rpc$/.exec(topic);
  if (events) return parseNotification(topic, events[1] ?? '', payload);
  const status = /^(.+)\/status\/([^/]+)$/.exec(topic);
  if (!status) return err(`${JSON.stringify(topic.slice(0, 80))} is not a Shelly topic <prefix>/status/<component>, <prefix>/events/rpc or <prefix>/online`);
  const prefix = status[1] ?? '';
  const component = status[2] ?? '';
  if (component !== 'sys' && !COMPONENT_KEY.test(component)) return ok({ kind: 'other', prefix });
  const value = payloadValue(payload, topic);
  if (!value.ok) return value;
  if (component === 'sys') {
    if (!isPlainObject(value.value)) return err(`${topic}: the payload must be a JSON object`);
    const derivedDeviceId = deviceIdFromMac(value.value.mac);
    return ok({ kind: 'sys', prefix, ...(derivedDeviceId !== undefined ? { derivedDeviceId } : {}) });
  }
  const values = parseComponentStatus(component, value.value);
  if (!values.ok) return err(`${topic}: ${values.error}`);
  return ok({ kind: 'meter', prefix, values: values.value, complete: false });
}
