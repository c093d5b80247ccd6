import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startInfluxd, type RunningInfluxd } from '../../scripts/lib/influxd';
import { aggregateSelect, influxQuery, rowsOf, setupInfluxDb } from '../../scripts/lib/influx-setup';
import { requireBinary } from '../support/system';

describe('InfluxDB 1.x set-up (scripts/lib/influx-setup) against a real influxd', function () {
  this.timeout(60_000);
  let influxd: RunningInfluxd | undefined;
  let dataDir = '';
  const conn = () => ({ url: influxd?.url ?? '' });

  before(async function () {
    const binary = requireBinary(this, 'influxd', 'influxdb');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-influx-'));
    influxd = await startInfluxd({ dataDir, port: 0, binary });
  });
  after(async function () {
    await influxd?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates database, retention policies and continuous queries, and a rerun changes nothing', async function () {
    const first = await setupInfluxDb(conn());
    assert.equal(first.actions.length, 6, first.actions.join('\n'));
    const second = await setupInfluxDb(conn());
    assert.deepEqual(second.actions, []);

    const policies = rowsOf(await influxQuery(conn(), 'SHOW RETENTION POLICIES ON "heatpump"'));
    const byName = Object.fromEntries(policies.map((row) => [row.name, row]));
    assert.equal(byName.raw?.duration, '720h0m0s');
    assert.equal(byName.raw?.default, true);
    assert.equal(byName.hourly?.duration, '8736h0m0s');
    assert.equal(byName.hourly?.default, false);
    assert.equal(byName.daily?.duration, '0s');

    const cqs = rowsOf(await influxQuery(conn(), 'SHOW CONTINUOUS QUERIES')).filter((row) =>
      String(row.name).startsWith('cq_'),
    );
    assert.deepEqual(
      cqs.map((row) => row.name),
      ['cq_hourly', 'cq_daily'],
    );
    assert.match(String(cqs[0]?.query), /SELECT mean\(\*\), min\(\*\), max\(\*\) INTO heatpump\.hourly\.sensor_reading FROM heatpump\.raw\.sensor_reading GROUP BY time\(1h\), \*/);
    assert.match(String(cqs[1]?.query), /INTO heatpump\.daily\.sensor_reading FROM heatpump\.raw\.sensor_reading GROUP BY time\(1d\), \*/);
  });

  it('repairs a retention policy and a continuous query that drifted', async function () {
    await influxQuery(conn(), 'ALTER RETENTION POLICY "hourly" ON "heatpump" DURATION 7d');
    await influxQuery(conn(), 'DROP CONTINUOUS QUERY "cq_daily" ON "heatpump"');
    await influxQuery(
      conn(),
      'CREATE CONTINUOUS QUERY "cq_daily" ON "heatpump" BEGIN SELECT mean(*) INTO "heatpump"."daily"."sensor_reading" FROM "heatpump"."raw"."sensor_reading" GROUP BY time(1d), * END',
    );
    const report = await setupInfluxDb(conn());
    assert.deepEqual(report.actions, [
      'ALTER RETENTION POLICY "hourly" ON "heatpump" DURATION 52w REPLICATION 1',
      'DROP CONTINUOUS QUERY "cq_daily" ON "heatpump"',
      report.actions[2],
    ]);
    assert.match(String(report.actions[2]), /^CREATE CONTINUOUS QUERY "cq_daily"/);
    assert.deepEqual((await setupInfluxDb(conn())).actions, []);
  });

  it('the continuous-query aggregation writes hourly mean/min/max fields per device', async function () {
    // recent full hours: older points would fall outside the 30-day raw retention
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 3_600_000;
    const lines: string[] = [];
    // two devices, two hours, one reading every 10 minutes; temp_inlet = 40 + minute/10
    for (const device of ['sim-001', 'sim-002']) {
      for (let minute = 0; minute < 120; minute += 10) {
        const time = hour + minute * 60_000;
        const inlet = 40 + (minute % 60) / 10;
        lines.push(
          `sensor_reading,device_id=${device} temp_inlet=${inlet},voltage=230.5,compressor_running=true ${time * 1e6}`,
        );
      }
    }
    const write = await fetch(`${conn().url}/write?db=heatpump&rp=raw&precision=ns`, { method: 'POST', body: lines.join('\n') });
    assert.equal(write.status, 204, await write.text());

    const where = `time >= ${hour * 1e6} AND time < ${(hour + 2 * 3_600_000) * 1e6}`;
    await influxQuery(conn(), aggregateSelect('heatpump', 'hourly', where));
    const rows = rowsOf(
      await influxQuery(conn(), 'SELECT * FROM "heatpump"."hourly"."sensor_reading" WHERE device_id = \'sim-001\''),
    );
    assert.equal(rows.length, 2);
    const [first] = rows;
    assert.ok(first);
    assert.equal(first.time, new Date(hour).toISOString().replace('.000Z', 'Z'));
    assert.equal(first.device_id, 'sim-001');
    assert.equal(first.mean_temp_inlet, 42.5);
    assert.equal(first.min_temp_inlet, 40);
    assert.equal(first.max_temp_inlet, 45);
    assert.equal(first.mean_voltage, 230.5);
    // InfluxQL averages no booleans; min/max keep them (did it stop / run at all that hour)
    assert.ok(!('mean_compressor_running' in first), Object.keys(first).join(','));
    assert.equal(first.max_compressor_running, true);
    const devices = rowsOf(await influxQuery(conn(), 'SHOW TAG VALUES ON "heatpump" FROM "hourly"."sensor_reading" WITH KEY = "device_id"'));
    assert.deepEqual(devices.map((row) => row.value).sort(), ['sim-001', 'sim-002']);
  });
});
