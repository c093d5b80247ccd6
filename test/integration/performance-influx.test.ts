// heatpump-performance → heatpump-batch → influxdb batch into Debian's influxd set up as
// `npm run db:setup` does, read back: the measurements thermal_power_modulation,
// thermal_power_delta_t and cop as the node writes them, in the retention policy `hourly`, and
// energy_daily in `daily`; nothing of them in `raw`.
import assert from 'node:assert/strict';
import type { MetricsReading } from '../../nodes/shared/contract';
import { influxQuery, rowsOf, setupInfluxDb } from '../../scripts/lib/influx-setup';
import { catchModule, completeModule, helper, nodeById as get, withCatalog, type NodeInit } from '../support/flow-helper';
import { nodeModule } from '../support/node-red';
import { eventually } from '../support/runtime';
import { influxdFlowSuite } from '../support/influxd-flow-suite';

const performance = withCatalog(nodeModule('heatpump-performance') as NodeInit, 'heatpump-performance');
const batch = withCatalog(nodeModule('heatpump-batch') as NodeInit, 'heatpump-batch');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const influxModule = require('node-red-contrib-influxdb/influxdb.js') as NodeInit;

const DB = 'performance';
const MIN = 60_000;
/** two days ago on a five-minute boundary: inside the hourly retention (52 weeks) */
const T0 = Math.floor(Date.now() / (5 * MIN)) * 5 * MIN - 2 * 86_400_000;

describe('heatpump-performance points in InfluxDB (heatpump-batch, influxdb batch, influxd)', function () {
  this.timeout(120_000);
  const suite = influxdFlowSuite('heatpump-performance', (influx) => setupInfluxDb({ url: influx.url, database: DB }).then(() => undefined));

  /** heatpump-performance → heatpump-batch → influxdb batch, written batches handed back through complete and catch */
  const load = (deviceId: string, electricalDeviceId: string) => {
    const at = { z: 'tab', x: 100, y: 100 };
    return helper.load(
      [performance, batch, influxModule, completeModule, catchModule],
      [
        { id: 'tab', type: 'tab', label: 'performance' },
        { id: 'perf', ...at, type: 'heatpump-performance', deviceId, electricalDeviceId, flowRateLpm: '20', timeZone: 'Europe/Berlin', wires: [['batch'], [], []] },
        { id: 'batch', ...at, type: 'heatpump-batch', maxPoints: 5000, maxWaitMs: 100, maxBuffered: 100000, retries: 2, spool: false, spoolMB: 1, writeTimeoutS: 30, fleet: '', wires: [['write']] },
        { id: 'write', ...at, type: 'influxdb batch', influxdb: 'idb', precision: '', retentionPolicy: '', database: 'database', precisionV18FluxV20: 'ms', retentionPolicyV18Flux: '', org: 'organisation', bucket: 'bucket' },
        { id: 'idb', type: 'influxdb', hostname: '127.0.0.1', port: String(suite.influx.port), database: DB, name: '', usetls: false, influxdbVersion: '1.x' },
        { id: 'written', ...at, type: 'complete', scope: ['write'], uncaught: false, wires: [['batch']] },
        { id: 'failed', ...at, type: 'catch', scope: ['write'], uncaught: false, wires: [['batch']] },
      ],
    );
  };
  const query = async (q: string): Promise<Array<Record<string, unknown>>> => rowsOf(await influxQuery({ url: suite.influx.url }, q, DB)).map((row) => ({ ...row, time: Date.parse(String(row.time)) }));

  it('writes two windows of a heat pump and its meter and reads them back', async () => {
    await load('vitocal', 'meter-1');
    const readings: MetricsReading[] = [];
    for (let t = T0; t <= T0 + 11 * MIN; t += 10_000) {
      const running = t < T0 + 5 * MIN;
      if ((t - T0) % (5 * MIN) === 0) {
        readings.push({ device_id: 'vitocal', timestamp: t, metrics: { flow_temperature: running ? 35 : 30, return_temperature: 30, outdoor_temperature: 7, compressor_modulation: running ? 50 : 0, compressor_rated_power: 8 } });
      }
      readings.push({ device_id: 'meter-1', timestamp: t, metrics: { electrical_power: running ? 1600 : 50 } });
    }
    get('perf').receive({ payload: readings });
    const cop = await eventually(async () => {
      const rows = await query(`SELECT * FROM "hourly"."cop" WHERE "device_id" = 'vitocal'`);
      return rows.length === 2 ? rows : undefined;
    }, 20_000, 'two cop rows');
    // 1.2 m³/h × 1.16 × 5 K = 6960 W; 8 kW × 50 % = 4000 W; over 1600 W
    const first: Record<string, unknown> = cop[0] ?? {};
    assert.equal(first.time, T0);
    assert.equal(first.device_id, 'vitocal');
    assert.ok(Math.abs(Number(first.cop_delta_t) - 4.35) < 1e-9, String(first.cop_delta_t));
    assert.equal(first.cop_modulation, 2.5);
    assert.ok(Math.abs(Number(first.cop_running) - 4.35) < 1e-9);
    assert.ok(Math.abs(Number(first.carnot_percent) - (4.35 / (310.15 / 36)) * 100) < 1e-9);
    assert.equal(first.electrical_power, 1600);
    assert.equal(first.quality, 1);
    assert.equal(first.sound, true);
    assert.equal(first.thermal_power_delta_t_method, 'delta_t');
    const second: Record<string, unknown> = cop[1] ?? {};
    assert.equal(second.time, T0 + 5 * MIN);
    assert.equal(second.cop_running, null, 'standby: no running COP');
    assert.equal(second.electrical_power, 50);
    for (const [measurement, values] of [['thermal_power_modulation', [4000, 0]], ['thermal_power_delta_t', [6960, 0]]] as const) {
      const rows = await query(`SELECT "value" FROM "hourly"."${measurement}" WHERE "device_id" = 'vitocal'`);
      assert.deepEqual(rows.map((row) => [row.time, Math.round(Number(row.value) * 1e6) / 1e6]), [[T0, values[0]], [T0 + 5 * MIN, values[1]]], measurement);
    }
    for (const measurement of ['cop', 'thermal_power_modulation', 'thermal_power_delta_t']) {
      assert.deepEqual(await query(`SELECT * FROM "raw"."${measurement}"`), [], `no ${measurement} in raw`);
    }
    const fieldTypes = rowsOf(await influxQuery({ url: suite.influx.url }, 'SHOW FIELD KEYS FROM "hourly"."cop"', DB));
    assert.deepEqual(Object.fromEntries(fieldTypes.map((f) => [f.fieldKey, f.fieldType])), {
      carnot_percent: 'float', cop_delta_t: 'float', cop_modulation: 'float', cop_running: 'float', electrical_power: 'float', flow_temperature: 'float', outdoor_temperature: 'float', quality: 'float', sound: 'boolean',
      thermal_power_delta_t: 'float', thermal_power_delta_t_method: 'string', thermal_power_modulation: 'float',
    });
  });

  it('writes the energy of a whole local day as energy_daily', async () => {
    await load('vitocal-2', 'meter-2');
    // 2024-04-01 in Berlin (UTC+2) and ten minutes of the next day, a reading a minute
    const dayStart = Date.UTC(2024, 2, 31, 22, 0);
    const readings: MetricsReading[] = [];
    for (let t = dayStart; t <= dayStart + 24 * 60 * MIN + 10 * MIN; t += MIN) {
      // hot water 10:00–10:30 local; the compressor stops 06:00–06:10 and starts again
      const local = (t - dayStart) / MIN;
      const flags = { dhw_active: local >= 600 && local < 630, compressor_running: local < 360 || local >= 370 };
      readings.push({ device_id: 'vitocal-2', timestamp: t, metrics: { flow_temperature: 35, return_temperature: 30, ...flags } });
      readings.push({ device_id: 'meter-2', timestamp: t, metrics: { electrical_power: 1000 } });
    }
    get('perf').receive({ payload: readings });
    const [day] = await eventually(async () => {
      const rows = await query(`SELECT * FROM "daily"."energy_daily" WHERE "device_id" = 'vitocal-2'`);
      return rows.length === 1 ? rows : undefined;
    }, 20_000, 'one energy_daily row');
    assert.deepEqual(await query(`SELECT * FROM "raw"."energy_daily"`), [], 'no energy_daily in raw');
    // window means at the windows' middles from 00:02:30: 24 h − 2.5 min of 1 kW and of 6.96 kW
    const hours = 24 - 2.5 / 60;
    assert.equal(day?.time, dayStart);
    assert.ok(Math.abs(Number(day?.electrical_energy) - hours) < 1e-6, String(day?.electrical_energy));
    assert.ok(Math.abs(Number(day?.heat_energy) - 6.96 * hours) < 1e-6, String(day?.heat_energy));
    assert.ok(Math.abs(Number(day?.spf) - 6.96) < 1e-9, String(day?.spf));
    assert.equal(day?.electrical_method, 'power');
    assert.equal(day?.heat_method, 'power');
    assert.equal(day?.sound, true);
    // the day's flags: one start, no defrost, half an hour of hot water at 1 kW
    assert.equal(Number(day?.compressor_starts), 1);
    assert.equal(day?.short_cycling, false);
    assert.equal(Number(day?.defrost_count), 0);
    assert.ok(Math.abs(Number(day?.dhw_electrical_energy) - 0.5) < 1e-6, String(day?.dhw_electrical_energy));
    assert.ok(Math.abs(Number(day?.dhw_cop) - 6.96) < 1e-6, String(day?.dhw_cop));
    assert.ok(Math.abs(Number(day?.cop_combined) - 6.96) < 1e-6, String(day?.cop_combined));
  });
});
