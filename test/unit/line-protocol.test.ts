// heatpump-batch's line protocol against node-influx's (what `influxdb batch` writes on 1.x): the
// same lines for every point shape of ours, field for field (node-influx sorts the fields, we keep
// their order: InfluxDB takes any), so a database keeps its field types whichever way it is
// written. node-influx's request is caught before it leaves (its pool's `discard`).
import assert from 'node:assert/strict';
import { InfluxDB } from 'influx';
import type { InfluxPoint } from '../../nodes/shared/contract';
import { toLine, toLines } from '../../nodes/shared/line-protocol';
import { alertToPoint, metricsToPoint, readingToPoint } from '../../nodes/shared/points';
import { seedReading } from '../fixtures/payloads';

/** the body node-influx posts to /write for `points` at precision ms */
async function nodeInfluxBody(points: InfluxPoint[]): Promise<string> {
  const client = new InfluxDB({ database: 'heatpump' });
  let body: string | undefined;
  const pool = (client as unknown as { _pool: { discard(options: { body: string }): Promise<void> } })._pool;
  pool.discard = async (options) => {
    body = options.body;
  };
  await client.writePoints(points, { precision: 'ms' });
  assert.ok(body !== undefined, 'node-influx posted nothing');
  return body;
}

const at = new Date(1706600000123);

/**
 * A body with each line's field set sorted, so that field order does not count. Splits at unescaped
 * commas outside quoted strings (the test strings hold escaped quotes, commas and backslashes).
 */
function fieldsSorted(body: string): string[] {
  return body.split('\n').map((line) => {
    const parts: string[] = [];
    let current = '';
    let quoted = false;
    for (let i = 0; i < line.length; i += 1) {
      const char = line[i] as string;
      if (char === '\\') {
        current += char + (line[i + 1] ?? '');
        i += 1;
      } else if (char === '"') {
        quoted = !quoted;
        current += char;
      } else if (!quoted && (char === ' ' || char === ',')) {
        parts.push(current, char);
        current = '';
      } else current += char;
    }
    parts.push(current);
    // measurement+tags, ' ', fields (joined by ','), ' ', timestamp
    const text = parts.join('');
    const spaces = parts.flatMap((part, index) => (part === ' ' ? [index] : []));
    const [first, second] = [spaces[0] ?? 0, spaces[1] ?? parts.length];
    const fields = parts.slice(first + 1, second).filter((part) => part !== ',').sort();
    return `${parts.slice(0, first).join('')} ${fields.join(',')} ${parts.slice(second + 1).join('')} (${text.length})`;
  });
}

const cases: [string, InfluxPoint[]][] = [
  ['a sensor reading (floats, booleans)', [readingToPoint(seedReading({ overflow: 0, signal: 67 }))]],
  ['a reading with negative and fractional values', [readingToPoint(seedReading({ temp_ambient: -12.25, current: 0.0001 }))]],
  ['an alert: a string field with quotes and a backslash', [alertToPoint({ device_id: 'site1', alert_type: 'voltage_high', level: 'critical', value: 251, threshold: 250, message: 'High "voltage" at C:\\pump', state: 'raised', timestamp: at.getTime() })]],
  [
    'metrics whose tags hold spaces, commas and equals signs',
    [metricsToPoint({ device_id: 'nibe-f1255', timestamp: at.getTime(), metrics: { flow_temperature: 35.5, high_pressure_alarm: false, compressor_starts: 1234 }, units: {}, info: { name: 'Keller, Nord', location: 'Haus = 1', model: 'NIBE F1255' } })],
  ],
  ['a field name with a space', [{ measurement: 'cop', tags: { device_id: 'a' }, fields: { 'cop running': 3.5, carnot_pct: 48 }, timestamp: at }]],
  ['very large and very small numbers', [{ measurement: 'energy_daily', tags: { device_id: 'a' }, fields: { big: 1e21, small: 1e-7, zero: 0, negative_zero: -0 }, timestamp: at }]],
  ['several points, one line each', [readingToPoint(seedReading({})), alertToPoint({ device_id: 'b', alert_type: 'offline', level: 'warning', value: 0, threshold: 0, message: 'gone', state: 'cleared', timestamp: at.getTime() })]],
];

describe('line protocol (heatpump-batch writes it itself)', function () {
  for (const [name, points] of cases) {
    it(`matches node-influx: ${name}`, async function () {
      assert.deepEqual(fieldsSorted(toLines(points)), fieldsSorted(await nodeInfluxBody(points)));
    });
  }

  it('escapes a measurement name with a comma or a space (node-influx writes it as it is)', function () {
    assert.equal(toLine({ measurement: 'heat pump,a', tags: {}, fields: { v: 1 }, timestamp: at }), 'heat\\ pump\\,a v=1 1706600000123');
  });

  it('writes an empty batch as an empty body', function () {
    assert.equal(toLines([]), '');
  });
});
