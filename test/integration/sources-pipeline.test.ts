// A Viessmann heat pump with a Shelly meter through the shipped flow as `npm start` runs it: the "Viessmann heat pumps" tab against
// the Viessmann stand-in (test/support/viessmann-standin.ts, a recorded Vitocal 250-A) and the
// "Shelly meters" tab polling a stand-in Shelly that replays a recorded Pro 3EM answer, both
// enabled and configured through their environment variables only, the meter given the heat
// pump's id, Debian's influxd. Both sources land as heatpump_metrics rows under that id, and the
// API shows the heat pump's temperatures, modulation and electrical power side by side.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startInfluxd, type RunningInfluxd } from '../../scripts/lib/influxd';
import { influxQuery, rowsOf } from '../../scripts/lib/influx-setup';
import { loadShippedFlows, type FlowNode } from '../../scripts/lib/shipped-flows';
import { readFixture } from '../support/fixtures';
import { requireBinary } from '../support/system';
import { eventually, startProduct, type RunningProduct } from '../support/runtime';
import { GATEWAY_SERIAL, INSTALLATION_ID, startStandIn, type StandIn } from '../support/viessmann-standin';

const DB = 'heatpump';
const HEATPUMP = 'vitocal-1';
const CLIENT_ID = 'stand-in-client';
const PRO3EM_STATUS = JSON.stringify((JSON.parse(readFixture('shelly', 'aioshelly_gen2_Shelly_Pro_3EM_SPEM-003CEBEU_fw1.1.0_full_dump.json')) as { status: unknown }).status);
/** the recorded Vitocal 250-A carries no compressor modulation: the stand-in's answer adds the feature as the API names it */
const MODULATION = { feature: 'heating.compressors.0.sensors.power', isEnabled: true, isReady: true, properties: { value: { type: 'number', unit: 'percent', value: 47 } } };

/** A Shelly Pro 3EM on the local network, as far as polling goes: Shelly.GetStatus answered with the recording. */
async function startShellyStandIn(): Promise<{ host: string; polls: () => number; close: () => Promise<void> }> {
  let polls = 0;
  const server = http.createServer((req, res) => {
    if (req.url !== '/rpc/Shelly.GetStatus') return res.writeHead(404).end();
    polls += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(PRO3EM_STATUS);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    polls: () => polls,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The shipped flow with both source tabs enabled; the account talks to the stand-in and starts logged in (a refresh token in its credentials). */
function shippedWithSources(standIn: StandIn): FlowNode[] {
  const flows = loadShippedFlows().map((node) => structuredClone(node));
  const byId = (id: string) => {
    const node = flows.find((n) => n.id === id);
    assert.ok(node, `the shipped flow has ${id}`);
    return node;
  };
  Object.assign(byId('hp_tab_shelly'), { disabled: false });
  Object.assign(byId('hp_tab_viessmann'), { disabled: false });
  Object.assign(byId('hp_shelly_em'), { interval: '1' });
  Object.assign(byId('hp_viessmann_account'), {
    authorizeUrl: standIn.authorizeUrl,
    tokenUrl: standIn.tokenUrl,
    apiUrl: standIn.apiUrl,
    credentials: { refreshToken: standIn.issueRefreshToken() },
  });
  return flows;
}

describe('a Viessmann heat pump and its Shelly meter through the shipped flow (npm start, stand-ins, InfluxDB, API)', function () {
  this.timeout(120_000);
  let influx: RunningInfluxd;
  let influxDir: string;
  let standIn: StandIn;
  let shelly: Awaited<ReturnType<typeof startShellyStandIn>>;
  let product: RunningProduct;

  const query = async (q: string) => rowsOf(await influxQuery({ url: influx.url }, q, DB));
  const api = async (pathAndQuery: string) => {
    const res = await fetch(`${product.baseUrl}${pathAndQuery}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  before(async function () {
    requireBinary(this, 'influxd', 'influxdb');
    standIn = await startStandIn(CLIENT_ID);
    const recorded = JSON.parse(readFixture('viessmann', 'Vitocal250A.json')) as { data: unknown[] };
    standIn.featureBodies.set('0', JSON.stringify({ ...recorded, data: [...recorded.data, MODULATION] }));
    shelly = await startShellyStandIn();
    influxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-sources-influx-'));
    influx = await startInfluxd({ dataDir: influxDir, port: 0 });
    // configured as a user would: through the tabs' environment variables only
    const env = {
      INFLUXDB_URL: influx.url,
      HEATPUMP_RESET_FLOWS: '0',
      SHELLY_HOST: shelly.host,
      SHELLY_DEVICE_ID: HEATPUMP,
      VIESSMANN_CLIENT_ID: CLIENT_ID,
      VIESSMANN_INSTALLATION_ID: INSTALLATION_ID,
      VIESSMANN_GATEWAY_SERIAL: GATEWAY_SERIAL,
      VIESSMANN_HEATPUMP_ID: HEATPUMP,
    };
    product = await startProduct(env, { flows: shippedWithSources(standIn) });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(product?.output().split('\n').slice(-40).join('\n'));
  });

  after(async () => {
    const code = await product?.stop();
    await influx?.stop();
    await shelly?.close();
    await standIn?.close();
    if (influxDir) fs.rmSync(influxDir, { recursive: true, force: true });
    assert.equal(code, 0, 'npm start exits 0 on SIGTERM');
  });

  it('stores the readings of both sources as heatpump_metrics rows of the heat pump', async () => {
    const rows = await eventually(async () => {
      const found = await query(`SELECT * FROM "raw"."heatpump_metrics" WHERE "heatpump_id" = '${HEATPUMP}'`);
      const viessmann = found.filter((row) => typeof row.outdoor_temperature === 'number');
      const meter = found.filter((row) => typeof row.electrical_power === 'number');
      return viessmann.length >= 1 && meter.length >= 2 ? { viessmann, meter } : undefined;
    }, 60_000, 'heatpump_metrics rows of the Viessmann and the Shelly');
    assert.equal(rows.viessmann[0]?.outdoor_temperature, 12.2);
    assert.equal(rows.viessmann[0]?.compressor_modulation, 47);
    assert.equal(rows.meter[0]?.electrical_power, 558.965);
    assert.equal(rows.meter[0]?.electrical_energy, 2589.77339);
    assert.equal(rows.meter[0]?.total_act_power, 558.965, "Shelly's own keys are kept");
  });

  it('answers the heat pump with temperatures, modulation and electrical power side by side, each with its update time', async () => {
    const latest = await eventually(async () => {
      const answer = await api(`/api/devices/${HEATPUMP}/readings/latest`);
      const metrics = answer.body.metrics as Record<string, unknown> | undefined;
      return answer.status === 200 && metrics?.outdoor_temperature !== undefined && metrics.electrical_power !== undefined ? answer.body : undefined;
    }, 30_000, 'the merged latest reading');
    const metrics = latest.metrics as Record<string, unknown>;
    const units = latest.units as Record<string, string>;
    const updated = latest.updated as Record<string, string>;
    // flow_temperature: the supply of circuit 0 under its common name
    assert.deepEqual([metrics.outdoor_temperature, metrics.flow_temperature, metrics.compressor_modulation, metrics.electrical_power], [12.2, 29.8, 47, 558.965]);
    assert.deepEqual([units.outdoor_temperature, units.compressor_modulation, units.electrical_power], ['°C', '%', 'W']);
    // the meter polls every second, the Viessmann every 5 minutes: their metrics carry their own times
    await eventually(async () => {
      const again = (await api(`/api/devices/${HEATPUMP}/readings/latest`)).body.updated as Record<string, string>;
      return again.electrical_power !== undefined && again.electrical_power > updated.outdoor_temperature! ? true : undefined;
    }, 20_000, 'a newer meter reading than the Viessmann one');
    const status = await api(`/api/devices/${HEATPUMP}/status`);
    assert.equal(status.status, 200);
    const statusMetrics = status.body.metrics as Record<string, unknown>;
    assert.deepEqual([statusMetrics.outdoor_temperature, statusMetrics.compressor_modulation, statusMetrics.electrical_power], [12.2, 47, 558.965]);
    assert.ok(shelly.polls() >= 2);
  });
});
