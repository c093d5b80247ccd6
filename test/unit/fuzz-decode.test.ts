// Bad device input, hand-written (test/fixtures/bad-input.ts) and fuzzed (seeded, 100,000 cases by
// default), through what the product does with it: heatpump-decode's core -> the shared point
// builder -> the line protocol the `influx` client of node-red-contrib-influxdb writes. Nothing
// may throw, and the line protocol, parsed back by the strict parser below, must hold exactly the
// measurements, tags and fields decode accepted: nothing injected, nothing corrupted.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { decodeMessage, defaultOptions, DEFAULT_RANGES, MAX_FUTURE_MS, MIN_TIMESTAMP } from '../../nodes/heatpump-decode/decode';
import type { DecodeResult } from '../../nodes/heatpump-decode/types';
import { SENSOR_FIELDS, STATE_FIELDS, type AlertEvent, type InfluxPoint, type Reading } from '../../nodes/shared/contract';
import { deviceIdProblem } from '../../nodes/shared/device-id';
import { ALERT_TYPE_PATTERN, toPoints } from '../../nodes/shared/points';
import { BAD_INPUT_CASES, casePayload } from '../fixtures/bad-input';
import { Random, fuzzCases, fuzzSeed, mutatedMessage } from '../fixtures/bad-input-fuzz';

interface ParsedLine {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | boolean | string>;
  /** ns since the epoch */
  timestamp: bigint;
}

/**
 * A strict parser of InfluxDB 1.x line protocol as the `influx` client writes it: measurement and
 * tags with `\,` `\=` `\ ` escapes, fields float / boolean / quoted string (with `\"` `\\`), a
 * ns timestamp; one point per line (a newline inside a quoted string belongs to the string).
 * Anything else throws.
 */
export function parseLineProtocol(text: string): ParsedLine[] {
  const lines: ParsedLine[] = [];
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`line protocol: ${what} at ${at}: ${JSON.stringify(text.slice(Math.max(0, at - 40), at + 40))}`);
  };
  /** an unquoted token up to one of `stops`, with backslash escapes of `escapable` */
  const token = (stops: string, escapable: string): string => {
    let out = '';
    while (at < text.length) {
      const c = text[at] as string;
      if (c === '\\' && escapable.includes(text[at + 1] ?? '')) {
        out += text[at + 1];
        at += 2;
        continue;
      }
      if (stops.includes(c)) break;
      if (c === '\n' || c === '\r') fail('line break in a name');
      out += c;
      at++;
    }
    if (out === '') fail('empty name');
    return out;
  };
  const expect = (c: string): void => {
    if (text[at] !== c) fail(`expected ${JSON.stringify(c)}`);
    at++;
  };
  while (at < text.length) {
    const measurement = token(', ', ', ');
    const tags: Record<string, string> = {};
    while (text[at] === ',') {
      at++;
      const key = token('=, ', ',= ');
      expect('=');
      const value = token(', =', ',= ');
      if (key in tags) fail(`duplicate tag ${key}`);
      tags[key] = value;
    }
    expect(' ');
    const fields: Record<string, number | boolean | string> = {};
    for (;;) {
      const key = token('=, ', ',= ');
      expect('=');
      let value: number | boolean | string;
      if (text[at] === '"') {
        at++;
        value = '';
        for (;;) {
          if (at >= text.length) fail('unterminated string');
          const c = text[at] as string;
          if (c === '\\' && (text[at + 1] === '"' || text[at + 1] === '\\')) {
            value += text[at + 1];
            at += 2;
          } else if (c === '"') {
            at++;
            break;
          } else {
            if (c === '\\') fail('unescaped backslash in a string');
            value += c;
            at++;
          }
        }
      } else {
        const match = /^(?:true|false|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)(?=[, ]|$)/.exec(text.slice(at, at + 40));
        if (!match) return fail('bad field value');
        at += match[0].length;
        value = match[0] === 'true' ? true : match[0] === 'false' ? false : Number(match[0]);
      }
      if (key in fields) fail(`duplicate field ${key}`);
      fields[key] = value;
      if (text[at] !== ',') break;
      at++;
    }
    expect(' ');
    const time = /^-?\d+/.exec(text.slice(at, at + 25));
    if (!time) return fail('bad timestamp');
    at += time[0].length;
    lines.push({ measurement, tags, fields, timestamp: BigInt(time[0]) });
    if (at < text.length) expect('\n');
  }
  return lines;
}

interface InfluxClient {
  writePoints(points: InfluxPoint[]): Promise<void>;
  _pool: { discard(options: { body: string }): Promise<void> };
}

/** The `influx` client exactly as node-red-contrib-influxdb (a dependency of ours) loads it. */
const { InfluxDB } = createRequire(require.resolve('node-red-contrib-influxdb'))('influx') as {
  InfluxDB: new (options: { host: string; database: string }) => InfluxClient;
};

const client = new InfluxDB({ host: '127.0.0.1', database: 'heatpump' });
let written = '';
// the client's request pool: the body is taken here instead of going over HTTP
client._pool.discard = (options) => {
  written = options.body;
  return Promise.resolve();
};

/** What writePoints of the `influx` client (node-red-contrib-influxdb 1.x, precision ns) sends. */
function lineProtocolOf(points: InfluxPoint[]): string {
  void client.writePoints(points);
  return written;
}

const READING_KEYS = new Set<string>(['device_id', 'timestamp', ...SENSOR_FIELDS, ...STATE_FIELDS, 'firmware_version', 'overflow', 'signal']);

/** The client writes -0 as "0": the same float for InfluxDB. */
const asWritten = (value: number): number => (Object.is(value, -0) ? 0 : value);

/** The row a reading must become: built here from the storage contract, not by the code under test. */
function expectedReadingLine(reading: Reading): ParsedLine | undefined {
  const fields: Record<string, number | boolean> = {};
  for (const field of [...SENSOR_FIELDS, ...STATE_FIELDS]) {
    const value = reading[field];
    if (value !== undefined) fields[field] = typeof value === 'number' ? asWritten(value) : value;
  }
  if (Object.keys(fields).length === 0) return undefined;
  return { measurement: 'sensor_reading', tags: { device_id: reading.device_id }, fields, timestamp: BigInt(Math.trunc(reading.timestamp)) * 1_000_000n };
}

function expectedAlertLine(alert: AlertEvent): ParsedLine {
  return {
    measurement: 'alert',
    tags: { alert_type: alert.alert_type, device_id: alert.device_id, level: alert.level, source: alert.source ?? 'threshold' },
    fields: { message: alert.message, value: asWritten(alert.value) },
    timestamp: BigInt(Math.trunc(alert.timestamp)) * 1_000_000n,
  };
}

/** Where the device payload holds each stored field (the device contract), for single readings. */
const SOURCE_PATHS: Record<string, [string, string]> = {
  temp_inlet: ['temperature', 'inlet'],
  temp_outlet: ['temperature', 'outlet'],
  temp_ambient: ['temperature', 'ambient'],
  temp_compressor: ['temperature', 'compressor'],
  voltage: ['electrical', 'voltage'],
  current: ['electrical', 'current'],
  power: ['electrical', 'power'],
  pressure_high: ['pressure', 'high'],
  pressure_low: ['pressure', 'low'],
  compressor_running: ['status', 'compressor'],
  fan_running: ['status', 'fan'],
  defrost_active: ['status', 'defrost'],
};

/**
 * Every way decode's output could be wrong for storage; returns the problems found. `parsed`:
 * the payload as JSON when it was a single object (its values are checked one by one).
 */
function schemaProblems(result: DecodeResult, topicDevice: string, now: number, parsed: unknown): string[] {
  const problems: string[] = [];
  for (const { reading } of result.readings) {
    const keys = Object.keys(reading).filter((key) => !READING_KEYS.has(key));
    if (keys.length > 0) problems.push(`reading has keys outside the contract: ${keys.join(', ')}`);
    if (reading.device_id !== topicDevice || deviceIdProblem(reading.device_id) !== undefined) problems.push(`reading device ${JSON.stringify(reading.device_id)} is not the topic's safe id`);
    if (!(Number.isFinite(reading.timestamp) && reading.timestamp >= MIN_TIMESTAMP - 86_400_000 * 3650 && reading.timestamp <= now + MAX_FUTURE_MS)) problems.push(`reading timestamp ${reading.timestamp} is implausible`);
    for (const field of SENSOR_FIELDS) {
      const value = reading[field];
      if (value === undefined) continue;
      const range = DEFAULT_RANGES[field];
      if (!(typeof value === 'number' && Number.isFinite(value) && value >= range.min && value <= range.max)) problems.push(`${field} ${String(value)} is outside ${range.min}..${range.max}`);
    }
    for (const field of STATE_FIELDS) if (reading[field] !== undefined && typeof reading[field] !== 'boolean') problems.push(`${field} is not a boolean`);
    if (result.readings.length === 1 && typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      for (const [field, [group, key]] of Object.entries(SOURCE_PATHS)) {
        const value = (reading as Record<string, unknown>)[field];
        const sent = ((parsed as Record<string, Record<string, unknown> | undefined>)[group] ?? {})[key];
        if (value !== undefined && !Object.is(value, sent)) problems.push(`${field} is ${String(value)} but the device sent ${String(sent)}`);
      }
    }
  }
  for (const { alert } of result.alerts) {
    if (alert.device_id !== topicDevice) problems.push(`alert device ${JSON.stringify(alert.device_id)} is not the topic's`);
    if (!ALERT_TYPE_PATTERN.test(alert.alert_type)) problems.push(`alert type ${JSON.stringify(alert.alert_type)}`);
    if (alert.level !== 'warning' && alert.level !== 'critical') problems.push(`alert level ${JSON.stringify(alert.level)}`);
    if (!Number.isFinite(alert.value) || !Number.isFinite(alert.threshold)) problems.push('alert value or threshold not finite');
  }
  return problems;
}

interface Tally {
  cases: number;
  crashes: number;
  corrupt: number;
  injected: number;
  rejected: number;
  readings: number;
  alerts: number;
  lines: number;
  firstFailures: string[];
}

/** decode -> points -> line protocol -> parsed back, compared line by line with what decode accepted. */
function runCase(topic: string, topicDevice: string, payload: Buffer, now: number, tally: Tally, label: string): DecodeResult | undefined {
  tally.cases++;
  const failure = (kind: 'crashes' | 'corrupt' | 'injected', detail: string) => {
    tally[kind]++;
    if (tally.firstFailures.length < 5) tally.firstFailures.push(`${label} (${kind}): ${detail}\n    topic ${JSON.stringify(topic)} payload ${JSON.stringify(payload.toString('utf8').slice(0, 300))}`);
  };
  let result: DecodeResult;
  let lines: ParsedLine[];
  try {
    result = decodeMessage(payload, topic, defaultOptions(), now);
    const points = toPoints([...result.readings.map((r) => r.reading), ...result.alerts.map((a) => a.alert)]);
    if (!points.ok) {
      failure('corrupt', `decode accepted what the point builder refuses: ${points.error}`);
      return undefined;
    }
    const text = points.value.points.length === 0 ? '' : lineProtocolOf(points.value.points);
    lines = parseLineProtocol(text);
  } catch (thrown) {
    failure('crashes', thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown));
    return undefined;
  }
  tally.rejected += result.problems.length;
  tally.readings += result.readings.length;
  tally.alerts += result.alerts.length;
  tally.lines += lines.length;
  let parsed: unknown;
  if (result.readings.length === 1 && !result.batch) parsed = JSON.parse(payload.toString('utf8'));
  for (const problem of schemaProblems(result, topicDevice, now, parsed)) failure('corrupt', problem);
  const expected = [...result.readings.map((r) => expectedReadingLine(r.reading)).filter((l) => l !== undefined), ...result.alerts.map((a) => expectedAlertLine(a.alert))];
  if (lines.length !== expected.length) failure('injected', `${lines.length} lines for ${expected.length} accepted points`);
  lines.forEach((line, i) => {
    try {
      assert.deepEqual(line, expected[i]);
    } catch (error) {
      failure(line.measurement !== expected[i]?.measurement || Object.keys(line.tags).length !== Object.keys(expected[i]?.tags ?? {}).length ? 'injected' : 'corrupt', (error as Error).message.slice(0, 600));
    }
  });
  return result;
}

const newTally = (): Tally => ({ cases: 0, crashes: 0, corrupt: 0, injected: 0, rejected: 0, readings: 0, alerts: 0, lines: 0, firstFailures: [] });

describe('bad device input: decode -> points -> line protocol', function () {
  describe('the strict line-protocol parser of this test', () => {
    it('reads what the influx client writes, escapes included', () => {
      const text = lineProtocolOf([
        { measurement: 'alert', tags: { device_id: 'a,b c=d', level: 'x' }, fields: { message: 'say "hi"\\\nnext', value: 1.5, ok: true }, timestamp: new Date(1706600000000) },
      ]);
      assert.deepEqual(parseLineProtocol(text), [
        { measurement: 'alert', tags: { device_id: 'a,b c=d', level: 'x' }, fields: { message: 'say "hi"\\\nnext', ok: true, value: 1.5 }, timestamp: 1706600000000000000n },
      ]);
    });

    const broken: Array<[string, string]> = [
      ['an unescaped space in a tag value', 'm,t=a b f=1 1'],
      ['a second line smuggled into a tag', 'm,t=a\nm2 f=1 1'],
      ['an unterminated string', 'm f="abc 1'],
      ['a duplicate field', 'm f=1,f=2 1'],
      ['no timestamp', 'm f=1'],
      ['an unescaped backslash in a string', 'm f="a\\b" 1'],
    ];
    for (const [name, text] of broken) it(`refuses ${name}`, () => assert.throws(() => parseLineProtocol(text), /line protocol/));
  });

  describe('the bad-input corpus (test/fixtures/bad-input.ts)', () => {
    const now = Date.now();
    for (const testCase of BAD_INPUT_CASES) {
      it(testCase.name, () => {
        const tally = newTally();
        const topicDevice = /^heatpump\/(.*)\/(?:data|alerts)$/s.exec(testCase.topic)?.[1] ?? '';
        const result = runCase(testCase.topic, topicDevice, Buffer.from(casePayload(testCase, now)), now, tally, testCase.name);
        assert.deepEqual(tally.firstFailures, []);
        assert.ok(result);
        const { readings, alerts, rejected, leftOut } = testCase.expect;
        assert.deepEqual(
          { readings: result.readings.length, alerts: result.alerts.length, rejected: result.problems.length },
          { readings, alerts, rejected },
          JSON.stringify(result.problems.map((p) => p.code)),
        );
        if (leftOut !== undefined) assert.deepEqual([...(result.readings[0]?.invalid ?? [])].sort(), leftOut);
      });
    }
  });

  it('fuzz: random mutations of the device payload, 0 crashes, 0 corrupt, 0 injected', function () {
    this.timeout(120_000);
    const seed = fuzzSeed();
    const count = fuzzCases(100_000);
    const random = new Random(seed);
    const tally = newTally();
    const now = Date.now();
    const started = Date.now();
    for (let i = 0; i < count; i++) {
      const message = mutatedMessage(random, `fz-${i % 50}`, now);
      runCase(message.topic, message.topicDevice, message.payload, now, tally, `case ${i}`);
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `      cases ${tally.cases}, seed ${seed}, crashes ${tally.crashes}, corrupt ${tally.corrupt}, injected ${tally.injected}, rejected ${tally.rejected}` +
        ` (readings ${tally.readings}, device alerts ${tally.alerts}, line-protocol lines ${tally.lines}; ${seconds.toFixed(1)} s; replay: HEATPUMP_FUZZ_SEED=${seed})`,
    );
    assert.deepEqual(tally.firstFailures, [], `seed ${seed}`);
    assert.ok(tally.readings > count / 10 && tally.rejected > count / 10, 'the mutations reach both outcomes: accepted and rejected');
  });
});
