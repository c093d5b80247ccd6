// Pure core of heatpump-decode: device payload (string, Buffer or parsed JSON; one item or an
// array) -> typed Readings, MetricsReadings and device-raised AlertEvents, plus every problem found. No Node-RED
// import and no clock: the receive time comes in as `now`.
//
// Rules (the help text documents them for users):
// - message level: not JSON, too large, not an object/array, empty array, a heatpump topic that
//   is none of .../data, .../metrics, .../alerts, or an unsafe device id in the topic -> nothing goes out.
// - item level: an element that is not an object, has a missing/foreign/unsafe device id, or a
//   top-level property of the wrong type (timestamp, version, overflow, signal, a group such as
//   temperature), or a metrics reading that fails metricsReadingProblem -> that item is rejected,
//   the others still go out.
// - field level: a sensor value that is not a finite number (or status not a boolean), or is
//   outside its plausible range -> only that field is left out and listed in `invalid`; the rest
//   of the reading goes out (for a metrics reading: a common metric outside the range of the
//   sensor it matches, METRIC_RANGES). That is a warning (a FieldProblem of the reading), not a rejection.
//   A field the device flagged valid:false is left out the same way but is normal operation.
// - timestamps: a single item without a plausible timestamp gets the receive time. In an array
//   (buffer flush) the items without one are placed so that they keep apart (placeTimestamps):
//   same tags and time would overwrite each other in InfluxDB.
import {
  SENSOR_FIELDS,
  UNITS,
  hasMetrics,
  metricsReadingProblem,
  parseDeviceTopic,
  type AlertEvent,
  type MetricsReading,
  type Reading,
  type SensorField,
  type ValidFlag,
} from '../shared/contract';
import { deviceIdProblem } from '../shared/device-id';
import { ALERT_TYPE_PATTERN, describe } from '../shared/points';
import type {
  DecodeOptions,
  DecodeResult,
  FieldProblem,
  FieldProblemCode,
  InvalidReason,
  Problem,
  ProblemCode,
  Ranges,
  Warning,
} from './types';

/** Plausible ranges (documented defaults): a value outside is a sensor or wiring fault. */
export const DEFAULT_RANGES: Readonly<Ranges> = Object.freeze({
  temp_inlet: { min: -50, max: 150 },
  temp_outlet: { min: -50, max: 150 },
  temp_ambient: { min: -50, max: 150 },
  temp_compressor: { min: -50, max: 150 },
  voltage: { min: 0, max: 300 },
  current: { min: 0, max: 100 },
  power: { min: 0, max: 30000 },
  pressure_high: { min: 0, max: 700 },
  pressure_low: { min: 0, max: 700 },
});

export const DEFAULT_MAX_BYTES = 262144;
/** The firmware samples every 10 s. */
export const DEFAULT_SAMPLE_INTERVAL_S = 10;

/** Device clocks before this are unset (the firmware did not sync yet): 2020-01-01T00:00:00Z. */
export const MIN_TIMESTAMP = Date.UTC(2020, 0, 1);
export const MAX_FUTURE_MS = 5 * 60 * 1000;

export const SIGNAL_RANGE = { min: 0, max: 100 } as const;

export function defaultOptions(): DecodeOptions {
  return { ranges: { ...DEFAULT_RANGES }, maxBytes: DEFAULT_MAX_BYTES, sampleIntervalMs: DEFAULT_SAMPLE_INTERVAL_S * 1000 };
}

type Item = Record<string, unknown>;

/** Where each sensor field sits in the device payload, and which `valid` flag covers it. */
interface SensorSource {
  field: SensorField;
  group: 'temperature' | 'electrical' | 'pressure';
  key: string;
  /** undefined for power: it is computed from voltage and current, which have flags */
  validKey: ValidFlag | undefined;
}

const SENSOR_SOURCES: readonly SensorSource[] = [
  { field: 'temp_inlet', group: 'temperature', key: 'inlet', validKey: 'temp_inlet' },
  { field: 'temp_outlet', group: 'temperature', key: 'outlet', validKey: 'temp_outlet' },
  { field: 'temp_ambient', group: 'temperature', key: 'ambient', validKey: 'temp_ambient' },
  { field: 'temp_compressor', group: 'temperature', key: 'compressor', validKey: 'temp_compressor' },
  { field: 'voltage', group: 'electrical', key: 'voltage', validKey: 'voltage' },
  { field: 'current', group: 'electrical', key: 'current', validKey: 'current' },
  { field: 'power', group: 'electrical', key: 'power', validKey: undefined },
  { field: 'pressure_high', group: 'pressure', key: 'high', validKey: 'pressure_high' },
  { field: 'pressure_low', group: 'pressure', key: 'low', validKey: 'pressure_low' },
];

const STATE_SOURCES = [
  { field: 'compressor_running', key: 'compressor' },
  { field: 'fan_running', key: 'fan' },
  { field: 'defrost_active', key: 'defrost' },
] as const;

const GROUPS = ['temperature', 'electrical', 'pressure', 'status', 'valid'] as const;

/** The sensor a device alert type is about, where there is one. */
const ALERT_FIELDS: Readonly<Record<string, SensorField>> = {
  voltage_high: 'voltage',
  voltage_low: 'voltage',
  compressor_temp: 'temp_compressor',
  pressure_high: 'pressure_high',
  pressure_low: 'pressure_low',
  current: 'current',
};

/**
 * Common metrics of a metrics reading checked against the plausible range of the ESP32 sensor
 * they match (the same range, and the same per-field override, as that sensor).
 */
export const METRIC_RANGES: Readonly<Record<string, SensorField>> = Object.freeze({
  flow_temperature: 'temp_outlet',
  return_temperature: 'temp_inlet',
  outdoor_temperature: 'temp_ambient',
  electrical_power: 'power',
});

type ItemKind = 'reading' | 'metrics' | 'alert' | 'auto';

/** Shared by every reading without a field problem, so the hot path allocates nothing for it. */
const NO_FIELD_PROBLEMS: readonly FieldProblem[] = Object.freeze([]);

/** An item whose own timestamp is missing or implausible: it holds the receive time until placed. */
interface Unplaced {
  /** element index in the array; undefined for a single item */
  index: number | undefined;
  device: string;
  /** its own (implausible) timestamp; undefined when it had none */
  own: number | undefined;
  reason: string;
  /** the decoded Reading, MetricsReading or AlertEvent whose timestamp gets set */
  target: { timestamp: number };
}

/** Per-message state shared by the item decoders. */
interface Context {
  options: DecodeOptions;
  now: number;
  topicDevice: string | undefined;
  result: DecodeResult;
  unplaced: { reading: Unplaced[]; metrics: Unplaced[]; alert: Unplaced[] };
}

/**
 * Decodes what an `mqtt in` node delivers (or an inject node sends) into readings and alerts.
 * `topic` decides reading, metrics reading or alert (heatpump/{id}/data, heatpump/{id}/metrics,
 * heatpump/{id}/alerts) and is the device's identity; for any other topic the payload names the
 * device and its shape decides.
 */
export function decodeMessage(input: unknown, topic: unknown, options: DecodeOptions, now: number): DecodeResult {
  const result: DecodeResult = { topicDevice: undefined, batch: false, readings: [], alerts: [], metrics: [], problems: [], warnings: [] };
  const messageProblem = (code: ProblemCode, params: Record<string, string | number>, device?: string): DecodeResult => {
    result.problems.push({ code, scope: 'message', device, params });
    return result;
  };

  let kind: ItemKind = 'auto';
  const parsedTopic = parseDeviceTopic(topic);
  if (parsedTopic !== undefined) {
    const idProblem = deviceIdProblem(parsedTopic.deviceId);
    if (idProblem !== undefined) return messageProblem('topic-device', { topic: String(topic), reason: idProblem });
    result.topicDevice = parsedTopic.deviceId;
    if (parsedTopic.rest === 'data') kind = 'reading';
    else if (parsedTopic.rest === 'metrics') kind = 'metrics';
    else if (parsedTopic.rest === 'alerts') kind = 'alert';
    else return messageProblem('bad-topic', { topic: String(topic) }, parsedTopic.deviceId);
  } else if (typeof topic === 'string' && topic.startsWith('heatpump/')) {
    // heatpump//data (an empty id, which `heatpump/+/data` matches) must not let the payload name any device
    return messageProblem('bad-topic', { topic });
  }
  const device = result.topicDevice ?? '';

  let payload: unknown = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const bytes = typeof input === 'string' ? stringBytesOver(input, options.maxBytes) : input.byteLength;
    if (bytes > options.maxBytes) return messageProblem('too-large', { device, bytes, max: options.maxBytes }, result.topicDevice);
    const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
    try {
      payload = JSON.parse(text);
    } catch (error) {
      return messageProblem('not-json', { device, detail: error instanceof Error ? error.message : String(error) }, result.topicDevice);
    }
  }

  const context: Context = { options, now, topicDevice: result.topicDevice, result, unplaced: { reading: [], metrics: [], alert: [] } };
  if (Array.isArray(payload)) {
    if (payload.length === 0) return messageProblem('empty-array', { device }, result.topicDevice);
    result.batch = true;
    for (let index = 0; index < payload.length; index++) decodeItem(payload[index], index, kind, context);
    // Readings, metrics readings and alerts are different measurements: each kind is kept apart among itself.
    const ownReadingTimes = () => result.readings.filter((r) => !r.timestampReplaced).map((r) => r.reading.timestamp);
    const ownMetricsTimes = () => result.metrics.filter((m) => !m.timestampReplaced).map((m) => m.reading.timestamp);
    const ownAlertTimes = () => result.alerts.filter((a) => !a.timestampReplaced).map((a) => a.alert.timestamp);
    placeBatch(context.unplaced.reading, ownReadingTimes, payload.length, context);
    placeBatch(context.unplaced.metrics, ownMetricsTimes, payload.length, context);
    placeBatch(context.unplaced.alert, ownAlertTimes, payload.length, context);
  } else if (isItem(payload)) {
    decodeItem(payload, undefined, kind, context);
    const single = context.unplaced.reading[0] ?? context.unplaced.metrics[0] ?? context.unplaced.alert[0];
    if (single !== undefined) {
      const { device: itemDevice, own, reason } = single;
      result.warnings.push({ code: 'timestamp-replaced', index: undefined, device: itemDevice, params: { device: itemDevice, timestamp: own ?? 'none', reason } });
    }
  } else {
    return messageProblem('bad-payload', { device, actual: describe(payload) }, result.topicDevice);
  }
  return result;
}

/**
 * Places the items of one kind of a batch whose timestamps were unusable, so that no two items
 * of the batch share a time (see placeTimestamps), and adds one warning for the batch.
 */
function placeBatch(unplaced: Unplaced[], ownTimes: () => number[], length: number, context: Context): void {
  const first = unplaced[0];
  if (first === undefined) return;
  const placed = placeTimestamps(
    unplaced.map(({ index, own }) => ({ index: index ?? length - 1, own })),
    ownTimes(),
    length,
    context.now,
    context.options.sampleIntervalMs,
  );
  unplaced.forEach((item, i) => (item.target.timestamp = placed.timestamps[i] ?? context.now));
  const device = first.device;
  const count = unplaced.length;
  if (placed.rule === 'shifted') {
    const shift = context.now - (unplaced[count - 1]?.own ?? context.now);
    context.result.warnings.push({ code: 'timestamps-shifted', device, params: { device, count, total: length, shift } });
  } else {
    context.result.warnings.push({ code: 'timestamps-spaced', device, params: { device, count, total: length, interval: context.options.sampleIntervalMs / 1000 } });
  }
}

/**
 * Times for the items of a batch (array of `length`) whose own timestamps are missing or
 * implausible; `taken` holds the plausible timestamps of the others, which stay as they are.
 * - shifted: when no item of the batch has a plausible time and all have one of their own,
 *   strictly increasing (an unsynced clock), the batch moves as a whole: the newest to `now`,
 *   the others keep their distance to it. Not when that would put the oldest before 2020.
 * - spaced: otherwise element i is placed (length - 1 - i) × interval before `now` (the last
 *   element at `now`), earlier than the one placed after it, and stepped back by the interval
 *   while that time is taken by a plausible timestamp.
 * `items` come in array order; the result's timestamps are in the same order.
 */
export function placeTimestamps(
  items: ReadonlyArray<{ index: number; own: number | undefined }>,
  taken: readonly number[],
  length: number,
  now: number,
  intervalMs: number,
): { rule: 'shifted' | 'spaced'; timestamps: number[] } {
  if (taken.length === 0 && isStrictlyIncreasing(items)) {
    const newest = items[items.length - 1]?.own ?? now;
    const oldest = items[0]?.own ?? now;
    if (oldest + (now - newest) >= MIN_TIMESTAMP) return { rule: 'shifted', timestamps: items.map((item) => (item.own ?? newest) + (now - newest)) };
  }
  const busy = new Set(taken);
  const timestamps = new Array<number>(items.length);
  let after = Infinity;
  for (let i = items.length - 1; i >= 0; i--) {
    const index = items[i]?.index ?? length - 1;
    let time = Math.min(now - (length - 1 - index) * intervalMs, after - intervalMs);
    while (busy.has(time)) time -= intervalMs;
    timestamps[i] = time;
    after = time;
  }
  return { rule: 'spaced', timestamps };
}

function isStrictlyIncreasing(items: ReadonlyArray<{ own: number | undefined }>): boolean {
  let previous = -Infinity;
  for (const { own } of items) {
    if (own === undefined || own <= previous) return false;
    previous = own;
  }
  return true;
}

/**
 * UTF-8 size of `text`, computed only when it could matter: a string of n UTF-16 units takes
 * between n and 3n bytes, so most payloads are decided by their length alone.
 */
function stringBytesOver(text: string, max: number): number {
  if (text.length * 3 <= max) return text.length;
  if (text.length > max) return text.length;
  return Buffer.byteLength(text, 'utf8');
}

function isItem(value: unknown): value is Item {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function decodeItem(raw: unknown, index: number | undefined, kind: ItemKind, context: Context): void {
  if (!isItem(raw)) {
    context.result.problems.push({
      code: 'not-object',
      scope: 'item',
      index,
      device: context.topicDevice,
      params: { device: context.topicDevice ?? '?', actual: describe(raw) },
    });
    return;
  }
  const resolved = kind !== 'auto' ? kind : raw.alert_type !== undefined ? 'alert' : hasMetrics(raw) ? 'metrics' : 'reading';
  if (resolved === 'alert') decodeAlert(raw, index, context);
  else if (resolved === 'metrics') decodeMetrics(raw, index, context);
  else decodeReading(raw, index, context);
}

function itemProblem(context: Context, index: number | undefined, device: string | undefined, code: ProblemCode, params: Record<string, string | number>, field?: string): void {
  context.result.problems.push({ code, scope: 'item', index, device, field, params: { device: device ?? '?', ...params } });
}

/** The item's device id, or undefined after reporting why it cannot be trusted. */
function resolveDevice(claimed: unknown, index: number | undefined, context: Context): string | undefined {
  const topicDevice = context.topicDevice;
  if (claimed === undefined) {
    if (topicDevice !== undefined) return topicDevice;
    itemProblem(context, index, undefined, 'device-missing', {});
    return undefined;
  }
  if (typeof claimed !== 'string') {
    itemProblem(context, index, topicDevice, 'wrong-type', { field: 'device', expected: 'string', actual: describe(claimed) }, 'device');
    return undefined;
  }
  if (claimed === topicDevice) return claimed; // the topic id was checked once per message
  if (topicDevice !== undefined) {
    itemProblem(context, index, topicDevice, 'device-mismatch', { claimed: describe(claimed) }, 'device');
    return undefined;
  }
  const idProblem = deviceIdProblem(claimed);
  if (idProblem !== undefined) {
    itemProblem(context, index, undefined, 'device-id', { claimed: describe(claimed), reason: idProblem }, 'device');
    return undefined;
  }
  return claimed;
}

/**
 * The item's timestamp: its own when plausible; else `now` for the moment, with `unplaced` set
 * (the caller records it once the item is decoded); undefined when rejected.
 */
function resolveTimestamp(
  value: unknown,
  index: number | undefined,
  device: string,
  context: Context,
): { timestamp: number; unplaced: Omit<Unplaced, 'target'> | undefined } | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    if (value >= MIN_TIMESTAMP && value <= context.now + MAX_FUTURE_MS) return { timestamp: value, unplaced: undefined };
    const reason = value < MIN_TIMESTAMP ? 'before 2020' : 'more than 5 minutes in the future';
    return { timestamp: context.now, unplaced: { index, device, own: value, reason } };
  }
  if (value === undefined) return { timestamp: context.now, unplaced: { index, device, own: undefined, reason: 'missing' } };
  itemProblem(context, index, device, 'wrong-type', { field: 'timestamp', expected: 'number (ms since the epoch)', actual: describe(value) }, 'timestamp');
  return undefined;
}

function decodeReading(raw: Item, index: number | undefined, context: Context): void {
  const device = resolveDevice(raw.device, index, context);
  if (device === undefined) return;
  const wrongType = (field: string, expected: string, value: unknown): void =>
    itemProblem(context, index, device, 'wrong-type', { field, expected, actual: describe(value) }, field);

  for (const group of GROUPS) {
    const value = raw[group];
    if (value !== undefined && !isItem(value)) return wrongType(group, 'object', value);
  }
  const version = raw.version;
  if (version !== undefined && typeof version !== 'string') return wrongType('version', 'string', version);
  const overflow = raw.overflow;
  if (overflow !== undefined && !(Number.isInteger(overflow) && (overflow as number) >= 0)) return wrongType('overflow', 'non-negative integer', overflow);
  const signal = raw.signal;
  if (signal !== undefined && !(typeof signal === 'number' && Number.isFinite(signal))) return wrongType('signal', 'number (percent)', signal);
  const time = resolveTimestamp(raw.timestamp, index, device, context);
  if (time === undefined) return;

  const reading: Reading = { device_id: device, timestamp: time.timestamp };
  const invalid: string[] = [];
  let reasons: Record<string, InvalidReason> | undefined;
  let fieldProblems: FieldProblem[] | undefined;
  const leaveOut = (field: string, reason: InvalidReason): void => {
    invalid.push(field);
    (reasons ??= {})[field] = reason;
  };
  const fieldProblem = (code: FieldProblemCode, field: string, params: Record<string, string | number>): void => {
    (fieldProblems ??= []).push({ code, field, params: { device, field, ...params } });
  };

  const groups = raw as Partial<Record<(typeof GROUPS)[number], Item>>;
  const flags = groups.valid;
  const ranges = context.options.ranges;
  let electricalInvalid = false;
  for (const source of SENSOR_SOURCES) {
    const field = source.field;
    const value = groups[source.group]?.[source.key];
    let flag: unknown;
    if (source.validKey === undefined) flag = electricalInvalid ? false : true;
    else flag = flags === undefined ? undefined : flags[source.validKey];
    if (flag === false) {
      if (field === 'voltage' || field === 'current') electricalInvalid = true;
      leaveOut(field, source.validKey === undefined ? 'derived' : 'flagged');
      continue;
    }
    if (flag !== undefined && flag !== true) {
      if (field === 'voltage' || field === 'current') electricalInvalid = true;
      leaveOut(field, 'bad_valid_flag');
      fieldProblem('bad-valid-flag', field, { actual: describe(flag) });
      continue;
    }
    if (value === undefined) continue; // sensor not fitted
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      if (field === 'voltage' || field === 'current') electricalInvalid = true;
      leaveOut(field, 'not_a_number');
      fieldProblem('not-a-number', field, { actual: describe(value) });
      continue;
    }
    const range = ranges[field];
    if (value < range.min || value > range.max) {
      if (field === 'voltage' || field === 'current') electricalInvalid = true;
      leaveOut(field, 'out_of_range');
      fieldProblem('out-of-range', field, { value, min: range.min, max: range.max, unit: UNITS[field] });
      continue;
    }
    reading[field] = value;
  }

  const status = groups.status;
  if (status !== undefined) {
    for (const source of STATE_SOURCES) {
      const value = status[source.key];
      if (value === undefined) continue;
      if (typeof value === 'boolean') reading[source.field] = value;
      else {
        leaveOut(source.field, 'not_boolean');
        fieldProblem('not-boolean', source.field, { actual: describe(value) });
      }
    }
  }

  if (version !== undefined) reading.firmware_version = version;
  if (overflow !== undefined) {
    reading.overflow = overflow as number;
    if ((overflow as number) > 0) context.result.warnings.push({ code: 'overflow', index, device, params: { device, count: overflow as number } });
  }
  if (signal !== undefined) {
    if (signal >= SIGNAL_RANGE.min && signal <= SIGNAL_RANGE.max) reading.signal = signal;
    else {
      leaveOut('signal', 'out_of_range');
      fieldProblem('out-of-range', 'signal', { value: signal, min: SIGNAL_RANGE.min, max: SIGNAL_RANGE.max, unit: '%' });
    }
  }
  if (time.unplaced !== undefined) context.unplaced.reading.push({ ...time.unplaced, target: reading });
  context.result.readings.push({ reading, invalid, invalidReasons: reasons, fieldProblems: fieldProblems ?? NO_FIELD_PROBLEMS, timestampReplaced: time.unplaced !== undefined });
}

/**
 * A metrics reading: device_id as `device` of a reading (the topic's id when absent), timestamp
 * as a reading's, the rest checked by metricsReadingProblem; a common metric outside its plausible
 * range is left out (a field problem), the others go out.
 */
function decodeMetrics(raw: Item, index: number | undefined, context: Context): void {
  const device = resolveDevice(raw.device_id, index, context);
  if (device === undefined) return;
  const time = resolveTimestamp(raw.timestamp, index, device, context);
  if (time === undefined) return;
  const { metrics, units, info } = raw;
  const reading: MetricsReading = { device_id: device, timestamp: time.timestamp, metrics: metrics as MetricsReading['metrics'] };
  if (units !== undefined) reading.units = units as MetricsReading['units'];
  if (info !== undefined) reading.info = info as MetricsReading['info'];
  const problem = metricsReadingProblem(reading);
  if (problem !== undefined) {
    itemProblem(context, index, device, 'bad-metrics', { problem });
    return;
  }
  // copies: metrics may be left out below, and the caller's payload stays as it came
  reading.metrics = { ...reading.metrics };
  if (reading.units !== undefined) reading.units = { ...reading.units };
  if (reading.info !== undefined) reading.info = { ...reading.info };
  let fieldProblems: FieldProblem[] | undefined;
  for (const [name, sensor] of Object.entries(METRIC_RANGES)) {
    const value = reading.metrics[name];
    if (typeof value !== 'number') continue;
    const range = context.options.ranges[sensor];
    if (value >= range.min && value <= range.max) continue;
    delete reading.metrics[name];
    delete reading.units?.[name];
    (fieldProblems ??= []).push({ code: 'out-of-range', field: name, params: { device, field: name, value, min: range.min, max: range.max, unit: UNITS[sensor] } });
  }
  if (time.unplaced !== undefined) context.unplaced.metrics.push({ ...time.unplaced, target: reading });
  context.result.metrics.push({ reading, fieldProblems: fieldProblems ?? NO_FIELD_PROBLEMS, timestampReplaced: time.unplaced !== undefined });
}

function decodeAlert(raw: Item, index: number | undefined, context: Context): void {
  const device = resolveDevice(raw.device, index, context);
  if (device === undefined) return;
  const wrongType = (field: string, expected: string, value: unknown): void =>
    itemProblem(context, index, device, 'wrong-type', { field, expected, actual: describe(value) }, field);

  const { alert_type: alertType, level, value, threshold, message } = raw;
  if (typeof alertType !== 'string' || !ALERT_TYPE_PATTERN.test(alertType)) {
    itemProblem(context, index, device, 'alert-type', { actual: describe(alertType) }, 'alert_type');
    return;
  }
  if (level !== 'warning' && level !== 'critical') {
    itemProblem(context, index, device, 'alert-level', { actual: describe(level) }, 'level');
    return;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return wrongType('value', 'finite number', value);
  if (typeof threshold !== 'number' || !Number.isFinite(threshold)) return wrongType('threshold', 'finite number', threshold);
  if (message !== undefined && typeof message !== 'string') return wrongType('message', 'string', message);
  // The influx client of node-red-contrib-influxdb (node-influx 5) writes the first \' of a string
  // field with an extra backslash: refused here rather than stored changed.
  if (message?.includes("\\'")) {
    itemProblem(context, index, device, 'alert-message', {}, 'message');
    return;
  }
  const time = resolveTimestamp(raw.timestamp, index, device, context);
  if (time === undefined) return;

  const alert: AlertEvent = {
    device_id: device,
    alert_type: alertType,
    level,
    value,
    threshold,
    message: message ?? `${alertType} ${level}: ${value} (threshold ${threshold})`,
    state: 'raised',
    timestamp: time.timestamp,
    source: 'device',
  };
  const field = ALERT_FIELDS[alertType];
  if (field !== undefined) alert.field = field;
  if (time.unplaced !== undefined) context.unplaced.alert.push({ ...time.unplaced, target: alert });
  context.result.alerts.push({ alert, timestampReplaced: time.unplaced !== undefined });
}

/**
 * Decode options from a node's config: blank or missing values keep the defaults, so a node
 * with an empty config works. Returns the problems of values that are set but unusable.
 */
export function optionsFromConfig(config: {
  maxBytes?: unknown;
  ranges?: unknown;
  sampleInterval?: unknown;
}): { options: DecodeOptions; problems: string[] } {
  const options = defaultOptions();
  const problems: string[] = [];
  const maxBytes = numberSetting(config.maxBytes);
  if (maxBytes === null || (maxBytes !== undefined && !(Number.isInteger(maxBytes) && maxBytes > 0))) problems.push(`maxBytes: ${describe(config.maxBytes)}`);
  else if (maxBytes !== undefined) options.maxBytes = maxBytes;
  const interval = numberSetting(config.sampleInterval);
  // whole ms of at least 1: a zero spacing would put readings on the same time again
  const intervalMs = interval === null || interval === undefined ? interval : Math.round(interval * 1000);
  if (intervalMs === null || (intervalMs !== undefined && intervalMs < 1)) problems.push(`sampleInterval: ${describe(config.sampleInterval)}`);
  else if (intervalMs !== undefined) options.sampleIntervalMs = intervalMs;

  if (isItem(config.ranges)) {
    for (const field of SENSOR_FIELDS) {
      const override = config.ranges[field];
      if (!isItem(override)) continue;
      const min = numberSetting(override.min);
      const max = numberSetting(override.max);
      const range = { ...options.ranges[field] };
      if (min === null) problems.push(`${field}.min: ${describe(override.min)}`);
      else if (min !== undefined) range.min = min;
      if (max === null) problems.push(`${field}.max: ${describe(override.max)}`);
      else if (max !== undefined) range.max = max;
      if (range.min > range.max) problems.push(`${field}: min ${range.min} > max ${range.max}`);
      else options.ranges[field] = range;
    }
  } else if (config.ranges !== undefined && config.ranges !== '') {
    problems.push(`ranges: ${describe(config.ranges)}`);
  }
  return { options, problems };
}

/** A config number: undefined when blank, null when set but not a finite number. */
function numberSetting(value: unknown): number | undefined | null {
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
  return Number.isFinite(number) ? number : null;
}

export type { Problem, Warning };
