import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jsonata from 'jsonata';
import mqtt from 'mqtt';
import { startInfluxd, type RunningInfluxd } from '../../scripts/lib/influxd';
import { aggregateSelect, influxQuery, rowsOf, setupInfluxDb, setupOptionsFromEnv, type InfluxConnection } from '../../scripts/lib/influx-setup';
import { loadShippedFlows } from '../../scripts/lib/shipped-flows';
import { devicePayload } from '../fixtures/payloads';
import { eventually, startProduct, type RunningProduct } from '../support/runtime';
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
    // weekly shards: a device's 30 days are read from 5 shards, not 30 daily ones
    assert.equal(byName.raw?.shardGroupDuration, '168h0m0s');
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
    assert.match(
      String(cqs[0]?.query),
      /SELECT mean\(\*\), min\(\*\), max\(\*\), last\(compressor_running\) AS last_compressor_running, last\(fan_running\) AS last_fan_running, last\(defrost_active\) AS last_defrost_active INTO heatpump\.hourly\.sensor_reading FROM heatpump\.raw\.sensor_reading GROUP BY time\(1h\), \*/,
    );
    assert.match(String(cqs[1]?.query), /INTO heatpump\.daily\.sensor_reading FROM heatpump\.raw\.sensor_reading GROUP BY time\(1d\), \*/);
  });

  it('repairs a retention policy and a continuous query that drifted', async function () {
    await influxQuery(conn(), 'ALTER RETENTION POLICY "hourly" ON "heatpump" DURATION 7d');
    // raw as an older version left it: InfluxDB's daily shards
    await influxQuery(conn(), 'ALTER RETENTION POLICY "raw" ON "heatpump" SHARD DURATION 1d');
    await influxQuery(conn(), 'DROP CONTINUOUS QUERY "cq_daily" ON "heatpump"');
    await influxQuery(
      conn(),
      'CREATE CONTINUOUS QUERY "cq_daily" ON "heatpump" BEGIN SELECT mean(*) INTO "heatpump"."daily"."sensor_reading" FROM "heatpump"."raw"."sensor_reading" GROUP BY time(1d), * END',
    );
    const report = await setupInfluxDb(conn());
    assert.deepEqual(report.actions, [
      'ALTER RETENTION POLICY "raw" ON "heatpump" DURATION 30d REPLICATION 1 SHARD DURATION 7d DEFAULT',
      'ALTER RETENTION POLICY "hourly" ON "heatpump" DURATION 52w REPLICATION 1',
      'DROP CONTINUOUS QUERY "cq_daily" ON "heatpump"',
      report.actions[3],
    ]);
    assert.match(String(report.actions[3]), /^CREATE CONTINUOUS QUERY "cq_daily"/);
    assert.deepEqual((await setupInfluxDb(conn())).actions, []);
  });

  it('the continuous-query aggregation writes hourly mean/min/max fields and the last state per device', async function () {
    // recent full hours: older points would fall outside the 30-day raw retention
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 3_600_000;
    const lines: string[] = [];
    // two devices, two hours, one reading every 10 minutes; temp_inlet = 40 + minute/10; the
    // compressor stops for the last reading of each hour
    for (const device of ['sim-001', 'sim-002']) {
      for (let minute = 0; minute < 120; minute += 10) {
        const time = hour + minute * 60_000;
        const inlet = 40 + (minute % 60) / 10;
        lines.push(
          `sensor_reading,device_id=${device} temp_inlet=${inlet},voltage=230.5,compressor_running=${minute % 60 !== 50} ${time * 1e6}`,
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
    assert.equal(first.min_compressor_running, false);
    // the state at the end of the hour, for readings windows answered from the aggregates
    assert.equal(first.last_compressor_running, false);
    const devices = rowsOf(await influxQuery(conn(), 'SHOW TAG VALUES ON "heatpump" FROM "hourly"."sensor_reading" WITH KEY = "device_id"'));
    assert.deepEqual(devices.map((row) => row.value).sort(), ['sim-001', 'sim-002']);
  });

  it('replacing the hourly continuous query re-aggregates the hours raw data still holds', async function () {
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 5 * 3_600_000;
    const write = await fetch(`${conn().url}/write?db=heatpump&rp=raw&precision=ms`, {
      method: 'POST',
      body: [`sensor_reading,device_id=bf-1 voltage=230,compressor_running=true ${hour}`, `sensor_reading,device_id=bf-1 voltage=232,compressor_running=false ${hour + 1_800_000}`].join('\n'),
    });
    assert.equal(write.status, 204, await write.text());
    // the aggregation of an older release: no last_ states
    await influxQuery(conn(), 'DROP CONTINUOUS QUERY "cq_hourly" ON "heatpump"');
    await influxQuery(
      conn(),
      'CREATE CONTINUOUS QUERY "cq_hourly" ON "heatpump" BEGIN SELECT mean(*), min(*), max(*) INTO "heatpump"."hourly"."sensor_reading" FROM "heatpump"."raw"."sensor_reading" GROUP BY time(1h), * END',
    );
    await influxQuery(conn(), `SELECT mean(*), min(*), max(*) INTO "heatpump"."hourly"."sensor_reading" FROM "heatpump"."raw"."sensor_reading" WHERE time >= ${hour}ms AND time < ${hour + 3_600_000}ms GROUP BY time(1h), *`);
    const report = await setupInfluxDb(conn());
    assert.deepEqual(report.actions.slice(0, 2), ['DROP CONTINUOUS QUERY "cq_hourly" ON "heatpump"', report.actions[1]]);
    assert.match(String(report.actions[1]), /^CREATE CONTINUOUS QUERY "cq_hourly"/);
    assert.equal(report.actions[2], 'backfilled "heatpump"."hourly" from the last 30 days of raw data');
    const rows = rowsOf(await influxQuery(conn(), `SELECT * FROM "heatpump"."hourly"."sensor_reading" WHERE device_id = 'bf-1'`));
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.mean_voltage, 231);
    assert.equal(rows[0]?.last_compressor_running, false);
    assert.deepEqual((await setupInfluxDb(conn())).actions, [], 'an unchanged query is not backfilled again');
  });

  it('copies performance figures an older version wrote to raw into daily / hourly once, and a new series of raw later', async function () {
    const day = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 3 * 86_400_000;
    const write = async (lines: string[]) => {
      const res = await fetch(`${conn().url}/write?db=heatpump&rp=raw&precision=ms`, { method: 'POST', body: lines.join('\n') });
      assert.equal(res.status, 204, await res.text());
    };
    // two days of one device, and two COP windows, as the release before retention policies stored them
    await write([
      `energy_daily,device_id=mig-1 heat_energy=30.5,electrical_energy=8.25,sound=true,quality=0.9 ${day}`,
      `energy_daily,device_id=mig-1 heat_energy=28,electrical_energy=7 ${day + 86_400_000}`,
      `cop,device_id=mig-1 cop=3.5,carnot_percent=48,quality=1 ${day + 300_000}`,
      `cop,device_id=mig-1 cop=3.1,carnot_percent=45,quality=0.5 ${day + 600_000}`,
    ]);
    const first = await setupInfluxDb(conn());
    assert.deepEqual(first.actions, ['copied 2 energy_daily points from "raw" to "daily"', 'copied 2 cop points from "raw" to "hourly"']);
    const days = rowsOf(await influxQuery(conn(), `SELECT * FROM "heatpump"."daily"."energy_daily" WHERE device_id = 'mig-1'`));
    assert.deepEqual(
      days.map((row) => [row.time, row.device_id, row.heat_energy, row.electrical_energy, row.sound, row.quality]),
      [
        [new Date(day).toISOString().replace('.000Z', 'Z'), 'mig-1', 30.5, 8.25, true, 0.9],
        [new Date(day + 86_400_000).toISOString().replace('.000Z', 'Z'), 'mig-1', 28, 7, null, null],
      ],
    );
    const tagKeys = rowsOf(await influxQuery(conn(), 'SHOW TAG KEYS ON "heatpump" FROM "daily"."energy_daily"')).map((row) => row.tagKey);
    assert.deepEqual(tagKeys, ['device_id'], 'device_id stays a tag');
    const windows = rowsOf(await influxQuery(conn(), `SELECT "cop", "carnot_percent" FROM "heatpump"."hourly"."cop" WHERE device_id = 'mig-1'`));
    assert.deepEqual(windows.map((row) => [row.cop, row.carnot_percent]), [[3.5, 48], [3.1, 45]]);

    assert.deepEqual((await setupInfluxDb(conn())).actions, [], 'copied once');

    // a second device whose days are still only in raw, and a new day of the first in its own policy
    await write([`energy_daily,device_id=mig-2 heat_energy=12,electrical_energy=3 ${day}`]);
    const res = await fetch(`${conn().url}/write?db=heatpump&rp=daily&precision=ms`, { method: 'POST', body: `energy_daily,device_id=mig-1 heat_energy=25,electrical_energy=6 ${day + 2 * 86_400_000}` });
    assert.equal(res.status, 204, await res.text());
    assert.deepEqual((await setupInfluxDb(conn())).actions, ['copied 1 energy_daily points from "raw" to "daily"'], 'only the series raw holds newer points of');
    const count = rowsOf(await influxQuery(conn(), 'SELECT count("heat_energy") FROM "heatpump"."daily"."energy_daily" GROUP BY "device_id"'));
    assert.deepEqual(count.map((row) => row.count), [3, 1]);
  });
});

describe('InfluxDB 1.x least privilege (auth-enabled influxd): a write-only and a read-only user', function () {
  this.timeout(120_000);
  let influxd: RunningInfluxd | undefined;
  let dataDir = '';
  const admin = { username: 'admin', password: "adm'in\\pw" };
  const writer = { username: 'hp-writer', password: 'write-secret' };
  const reader = { username: 'hp-reader', password: 'read-secret' };
  const as = (login: { username: string; password: string }): InfluxConnection => ({ url: influxd?.url ?? '', ...login });
  const write = (login: { username: string; password: string }, line: string) =>
    fetch(`${influxd?.url}/write?db=heatpump&precision=ms`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${login.username}:${login.password}`).toString('base64')}` },
      body: line,
    });
  const refusal = async (run: Promise<unknown>) => {
    try {
      await run;
    } catch (err) {
      return String(err instanceof Error ? err.message : err);
    }
    return 'allowed';
  };

  before(async function () {
    const binary = requireBinary(this, 'influxd', 'influxdb');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-influx-auth-'));
    influxd = await startInfluxd({ dataDir, port: 0, binary, authEnabled: true });
    // the first user of an auth-enabled influxd must be an admin, and may be created without a login
    await influxQuery({ url: influxd.url }, `CREATE USER "admin" WITH PASSWORD 'adm\\'in\\\\pw' WITH ALL PRIVILEGES`);
  });
  after(async function () {
    await influxd?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('reads the logins from the environment (npm run db:setup)', function () {
    assert.deepEqual(
      setupOptionsFromEnv({ INFLUXDB_URL: 'http://db:8086', INFLUXDB_ADMIN_USER: 'root', INFLUXDB_ADMIN_PASSWORD: 'r', INFLUXDB_USER: 'old', INFLUXDB_PASSWORD: 'o', INFLUXDB_WRITE_USER: 'w', INFLUXDB_WRITE_PASSWORD: 'wp', INFLUXDB_READ_USER: 'r', INFLUXDB_READ_PASSWORD: 'rp' }),
      { url: 'http://db:8086', username: 'root', password: 'r', token: undefined, database: 'heatpump', writer: { username: 'w', password: 'wp' }, reader: { username: 'r', password: 'rp' } },
    );
    // without an admin login the shared one is tried; no split users, none created
    assert.deepEqual(setupOptionsFromEnv({ INFLUXDB_USER: 'old', INFLUXDB_PASSWORD: 'o' }), {
      url: 'http://localhost:8086', username: 'old', password: 'o', token: undefined, database: 'heatpump', writer: undefined, reader: undefined,
    });
    assert.throws(() => setupOptionsFromEnv({ INFLUXDB_WRITE_USER: 'w' }), /INFLUXDB_WRITE_USER is set but INFLUXDB_WRITE_PASSWORD is not/);
  });

  it('the set-up needs the admin, creates both users with one privilege each, and a rerun changes nothing', async function () {
    assert.match(await refusal(setupInfluxDb({ url: influxd?.url ?? '', writer, reader })), /unable to parse authentication credentials|authorization failed/);
    const first = await setupInfluxDb({ ...as(admin), writer, reader });
    const users = first.actions.filter((action) => /USER|GRANT|PASSWORD/.test(action));
    assert.deepEqual(users, [
      `CREATE USER "hp-writer" WITH PASSWORD '…'`,
      'GRANT WRITE ON "heatpump" TO "hp-writer"',
      `CREATE USER "hp-reader" WITH PASSWORD '…'`,
      'GRANT READ ON "heatpump" TO "hp-reader"',
    ]);
    assert.ok(!first.actions.join('\n').includes('secret'), 'no password in the report');
    assert.deepEqual((await setupInfluxDb({ ...as(admin), writer, reader })).actions, []);
    const shown = rowsOf(await influxQuery(as(admin), 'SHOW USERS'));
    assert.deepEqual(shown.map((row) => [row.user, row.admin]).sort(), [['admin', true], ['hp-reader', false], ['hp-writer', false]]);
  });

  it('the writer can write but not read; the reader can read but not write', async function () {
    const now = Date.now();
    const byWriter = await write(writer, `sensor_reading,device_id=lp-1 temp_inlet=41.5 ${now}`);
    assert.equal(byWriter.status, 204, await byWriter.text());
    assert.match(await refusal(influxQuery(as(writer), 'SELECT * FROM "raw"."sensor_reading"', 'heatpump')), /not authorized to execute statement 'SELECT/);
    const rows = rowsOf(await influxQuery(as(reader), `SELECT "temp_inlet" FROM "raw"."sensor_reading" WHERE "device_id" = 'lp-1'`, 'heatpump'));
    assert.deepEqual(rows.map((row) => row.temp_inlet), [41.5]);
    const byReader = await write(reader, `sensor_reading,device_id=lp-1 temp_inlet=99 ${now + 1}`);
    assert.equal(byReader.status, 403, 'the reader may not write');
    assert.match(await byReader.text(), /not authorized to write/);
    // neither may change the database
    for (const login of [writer, reader]) {
      assert.match(await refusal(influxQuery(as(login), 'DROP MEASUREMENT "sensor_reading"', 'heatpump')), /not authorized|requires admin privilege/);
      assert.match(await refusal(influxQuery(as(login), 'CREATE DATABASE "other"')), /requires admin privilege/);
    }
  });

  it('repairs a drifted password and privilege, and takes admin rights away', async function () {
    await influxQuery(as(admin), `SET PASSWORD FOR "hp-writer" = 'changed-elsewhere'`);
    await influxQuery(as(admin), 'REVOKE READ ON "heatpump" FROM "hp-reader"');
    await influxQuery(as(admin), 'GRANT ALL ON "heatpump" TO "hp-reader"');
    await influxQuery(as(admin), 'GRANT ALL PRIVILEGES TO "hp-writer"');
    const report = await setupInfluxDb({ ...as(admin), writer, reader });
    assert.deepEqual(report.actions, [
      'REVOKE ALL PRIVILEGES FROM "hp-writer"',
      `SET PASSWORD FOR "hp-writer" = '…'`,
      'REVOKE ALL ON "heatpump" FROM "hp-reader"',
      'GRANT READ ON "heatpump" TO "hp-reader"',
    ]);
    assert.deepEqual((await setupInfluxDb({ ...as(admin), writer, reader })).actions, []);
    assert.equal((await write(writer, `sensor_reading,device_id=lp-1 temp_inlet=42 ${Date.now()}`)).status, 204);
  });

  it("the shipped flow's config nodes: writes as INFLUXDB_WRITE_USER, queries as INFLUXDB_READ_USER, else both as INFLUXDB_USER", async function () {
    const flows = loadShippedFlows();
    const configs = Object.fromEntries(flows.filter((node) => node.type === 'influxdb').map((node) => [node.id, node.credentials]));
    assert.deepEqual(configs, {
      hp_influxdb: { username: '${INFLUXDB_READ_USER}', password: '${INFLUXDB_READ_PASSWORD}' },
      hp_influxdb_write: { username: '${INFLUXDB_WRITE_USER}', password: '${INFLUXDB_WRITE_PASSWORD}' },
    });
    const uses = (type: string) => [...new Set(flows.filter((node) => node.type === type).map((node) => node.influxdb))];
    assert.deepEqual(uses('heatpump-batch'), ['hp_influxdb_write'], 'heatpump-batch writes itself, as the writer');
    assert.deepEqual(uses('influxdb batch'), []);
    assert.deepEqual(uses('influxdb in'), ['hp_influxdb']);
    const globalEnv = flows.find((node) => node.type === 'global-config')?.env as { name: string; value: string }[];
    // as Node-RED evaluates them at flow start: $env of an unset variable is ""
    const logins = async (env: Record<string, string>) => {
      const out: Record<string, unknown> = {};
      for (const entry of globalEnv.filter((e) => /^INFLUXDB_(WRITE|READ)_(USER|PASSWORD)$/.test(e.name))) {
        const expression = jsonata(entry.value);
        expression.registerFunction('env', (name: string) => env[name] ?? '', '<s:s>');
        out[entry.name] = await expression.evaluate({});
      }
      return out;
    };
    const shared = { INFLUXDB_USER: 'nodered', INFLUXDB_PASSWORD: 'pw' };
    assert.deepEqual(await logins(shared), { INFLUXDB_WRITE_USER: 'nodered', INFLUXDB_WRITE_PASSWORD: 'pw', INFLUXDB_READ_USER: 'nodered', INFLUXDB_READ_PASSWORD: 'pw' });
    assert.deepEqual(await logins({ ...shared, INFLUXDB_WRITE_USER: 'w', INFLUXDB_WRITE_PASSWORD: 'wp', INFLUXDB_READ_USER: 'r', INFLUXDB_READ_PASSWORD: 'rp' }), {
      INFLUXDB_WRITE_USER: 'w', INFLUXDB_WRITE_PASSWORD: 'wp', INFLUXDB_READ_USER: 'r', INFLUXDB_READ_PASSWORD: 'rp',
    });
    // a split user never gets the shared password
    assert.deepEqual(await logins({ ...shared, INFLUXDB_READ_USER: 'r' }), { INFLUXDB_WRITE_USER: 'nodered', INFLUXDB_WRITE_PASSWORD: 'pw', INFLUXDB_READ_USER: 'r', INFLUXDB_READ_PASSWORD: '' });
    assert.deepEqual(await logins({}), { INFLUXDB_WRITE_USER: '', INFLUXDB_WRITE_PASSWORD: '', INFLUXDB_READ_USER: '', INFLUXDB_READ_PASSWORD: '' });
  });

  describe('the shipped flows with the split logins (npm start)', function () {
    let product: RunningProduct | undefined;
    after(async function () {
      await product?.stop();
    });

    it('store a reading as the writer and answer /api/devices/:id/readings as the reader', async function () {
      product = await startProduct({
        INFLUXDB_URL: influxd?.url ?? '',
        INFLUXDB_USER: '',
        INFLUXDB_PASSWORD: '',
        INFLUXDB_WRITE_USER: writer.username,
        INFLUXDB_WRITE_PASSWORD: writer.password,
        INFLUXDB_READ_USER: reader.username,
        INFLUXDB_READ_PASSWORD: reader.password,
      });
      const device = await mqtt.connectAsync(product.mqttUrl, { clientId: 'lp-device-1' });
      const timestamp = Date.now() - 5_000;
      try {
        await device.publishAsync('heatpump/lp-flow-1/data', JSON.stringify(devicePayload({ device: 'lp-flow-1', timestamp })), { qos: 1 });
      } finally {
        await device.endAsync();
      }
      const stored = await eventually(async () => {
        const rows = rowsOf(await influxQuery(as(reader), `SELECT "voltage" FROM "raw"."sensor_reading" WHERE "device_id" = 'lp-flow-1'`, 'heatpump'));
        return rows.length > 0 ? rows : undefined;
      }, 20_000, 'the reading written by the flows');
      assert.equal(stored.length, 1);
      const answer = await fetch(`${product.baseUrl}/api/devices/lp-flow-1/readings?hours=1`);
      const body = (await answer.json()) as { count?: number; readings?: { timestamp?: unknown; voltage?: number }[] };
      assert.equal(answer.status, 200, JSON.stringify(body));
      assert.equal(body.count, 1);
      assert.equal(body.readings?.[0]?.voltage, 230.5);
      // nothing was written or refused under the shared login
      const metrics = await (await fetch(`${product.baseUrl}/metrics`)).text();
      assert.match(metrics, /^heatpump_write_errors_total 0$/m);
      assert.match(metrics, /^heatpump_points_written_total [1-9]/m);
    });

    it('answer whole-hour readings windows from the hourly aggregates the same as from raw data', async function () {
      assert.ok(product, 'the product started by the test before');
      const HOUR = 3_600_000;
      const now = Date.now();
      const hour = Math.floor(now / HOUR) * HOUR;
      // 8 hours of readings every 10 minutes; the compressor stops for the last one of odd hours
      const lines: string[] = [];
      for (let time = hour - 8 * HOUR; time < now; time += 600_000) {
        const minute = (time - (hour - 8 * HOUR)) / 60_000;
        const odd = Math.floor(minute / 60) % 2 === 1;
        lines.push(`sensor_reading,device_id=lp-window-1 temp_inlet=${40 + (minute % 60) / 10},voltage=${225 + (minute % 7)},compressor_running=${!(odd && minute % 60 === 50)} ${time}`);
      }
      const write = await fetch(`${influxd?.url}/write?db=heatpump&rp=raw&precision=ms&u=${encodeURIComponent(admin.username)}&p=${encodeURIComponent(admin.password)}`, { method: 'POST', body: lines.join('\n') });
      assert.equal(write.status, 204, await write.text());
      // what cq_hourly would have written for those hours
      await influxQuery(as(admin), aggregateSelect('heatpump', 'hourly', `time >= ${hour - 8 * HOUR}ms AND time < ${hour}ms`));
      // a marker in one aggregated hour shows the answer read it from the aggregates
      const marked = hour - 5 * HOUR;
      const mark = await fetch(`${influxd?.url}/write?db=heatpump&rp=hourly&precision=ms&u=${encodeURIComponent(admin.username)}&p=${encodeURIComponent(admin.password)}`, {
        method: 'POST',
        body: `sensor_reading,device_id=lp-window-1 mean_voltage=999 ${marked}`,
      });
      assert.equal(mark.status, 204, await mark.text());

      // an unaligned start: its partial first window comes from raw data like the newest ones
      const start = hour - 8 * HOUR + 30 * 60_000;
      const answer = await fetch(`${product.baseUrl}/api/devices/lp-window-1/readings?start=${start}&end=${now}&window=1h`);
      const body = (await answer.json()) as { window?: string; count?: number; readings?: Record<string, unknown>[] };
      assert.equal(answer.status, 200, JSON.stringify(body));
      assert.equal(body.window, '3600s');
      const fromRaw = rowsOf(
        await influxQuery(
          as(reader),
          `SELECT mean("temp_inlet") AS "temp_inlet", mean("voltage") AS "voltage", last("compressor_running") AS "compressor_running" FROM "raw"."sensor_reading" ` +
            `WHERE "device_id" = 'lp-window-1' AND time >= ${start}ms AND time <= ${now}ms GROUP BY time(1h) fill(none)`,
          'heatpump',
        ),
      );
      const expected = fromRaw.map((row) => [row.time, row.temp_inlet, Date.parse(String(row.time)) === marked ? 999 : row.voltage, row.compressor_running]);
      const answered = (body.readings ?? []).map((r) => [String(r.timestamp).replace('.000Z', 'Z'), r.temp_inlet, r.voltage, r.compressor_running]);
      assert.ok(expected.length >= 9, `windows from raw: ${expected.length}`);
      assert.deepEqual(answered, expected);
    });
  });
});
