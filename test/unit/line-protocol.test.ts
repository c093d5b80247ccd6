// heatpump-batch's line protocol against node-influx's (what `influxdb batch` writes on 1.x): the
// same text for every point shape of ours, so a database keeps its field types whichever way it is
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

const cases: [string, InfluxPoint[]][] = [
  ['a sensor reading (floats, booleans, sorted fields)', [readingToPoint(seedReading({ overflow: 0, signal: 67 }))]],
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
      assert.equal(toLines(points), await nodeInfluxBody(points));
    });
  }

  it('escapes a measurement name with a comma or a space (node-influx writes it as it is)', function () {
    assert.equal(toLine({ measurement: 'heat pump,a', tags: {}, fields: { v: 1 }, timestamp: at }), 'heat\\ pump\\,a v=1 1706600000123');
  });

  it('writes an empty batch as an empty body', function () {
    assert.equal(toLines([]), '');
  });
});
