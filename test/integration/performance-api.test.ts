// The performance and energy endpoints of the shipped product (`npm start`) against Debian's
// influxd: energy_daily days and cop windows written as heatpump-performance writes them, read
// back through GET /api/devices/:id/performance and /energy.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { periodAt } from '../../nodes/heatpump-performance/periods';
import { startInfluxd, type RunningInfluxd } from '../../scripts/lib/influxd';
import { requireBinary } from '../support/system';
import { eventually, startProduct, type RunningProduct } from '../support/runtime';

const DB = 'heatpump';
const ZONE = 'Europe/Berlin';
const DAY = 86_400_000;

describe('performance and energy API end to end (npm start, influxd)', function () {
  this.timeout(120_000);
  let influx: RunningInfluxd;
  let influxDir: string;
  let product: RunningProduct;

  const api = async (pathAndQuery: string) => {
    const res = await fetch(`${product.baseUrl}${pathAndQuery}`);
    return { status: res.status, body: (await res.json()) as unknown };
  };
  /** into the retention policy heatpump-batch writes the measurement to */
  const write = async (rp: string, lines: string[]) => {
    const res = await fetch(`${influx.url}/write?db=${DB}&rp=${rp}&precision=ms`, { method: 'POST', body: lines.join('\n') });
    assert.equal(res.status, 204, await res.text());
  };

  // three local days ending yesterday: the cop windows inside the hourly retention (52 weeks) the product sets up
  const today = periodAt(Date.now(), 'day', ZONE);
  const days = [3, 2, 1].map((back) => periodAt(today.start - back * DAY + DAY / 2, 'day', ZONE));
  const figures = [
    { heat: 10, electricity: 2, starts: 5, cop: 5 },
    { heat: 20, electricity: 5, starts: 9, cop: 4 },
    { heat: 12, electricity: 3, starts: 4, cop: 4 },
  ];

  before(async function () {
    requireBinary(this, 'influxd', 'influxdb');
    influxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-performance-api-'));
    influx = await startInfluxd({ dataDir: influxDir, port: 0 });
    product = await startProduct({ INFLUXDB_URL: influx.url, HEATPUMP_TIME_ZONE: ZONE });
    await eventually(async () => ((await api('/api/health')).body as { status?: string }).status !== undefined || undefined, 20_000, 'the API answers');
    await write('daily', [
      ...days.map((day, i) => {
        const { heat, electricity, starts, cop } = figures[i] as (typeof figures)[number];
        return `energy_daily,device_id=hp-e2e heat_energy=${heat},electrical_energy=${electricity},spf=${heat / electricity},cop_combined=${cop},quality=0.9,sound=true,defrost_count=1i,defrost_minutes=5,defrost_heat=0.2,compressor_starts=${starts}i,short_cycling=false ${day.start}`;
      }),
    ]);
    await write('hourly', [
      `cop,device_id=hp-e2e carnot_percent=40,quality=1 ${(days[0] as { start: number }).start + 3_600_000}`,
      `cop,device_id=hp-e2e carnot_percent=50,quality=0.8 ${(days[2] as { start: number }).start + 3_600_000}`,
    ]);
  });

  after(async () => {
    const code = await product?.stop();
    await influx?.stop();
    if (influxDir) fs.rmSync(influxDir, { recursive: true, force: true });
    assert.equal(code, 0, 'npm start exits 0 on SIGTERM');
  });

  const custom = () => `start=${new Date((days[0] as { start: number }).start).toISOString()}&end=${new Date(today.start).toISOString()}`;

  it('sums the stored days of a custom range: Σheat / Σelectricity, starts, defrosts, Carnot and quality of the windows', async () => {
    const { status, body } = await api(`/api/devices/hp-e2e/performance?period=custom&${custom()}`);
    assert.equal(status, 200, JSON.stringify(body));
    const answer = body as Record<string, unknown>;
    // 42 kWh heat / 10 kWh electricity; COP combined (5×2 + 4×5 + 4×3) / 10
    assert.deepEqual(
      [answer.days, answer.heat_kwh, answer.electricity_kwh, answer.spf, answer.cop_combined, answer.starts, answer.defrosts, answer.carnot_percent, answer.quality, answer.sound],
      [3, 42, 10, 4.2, 4.2, 18, { count: 3, minutes: 15, heat_kwh: 0.6 }, 45, 0.9, true],
    );
  });

  it('answers energy per local day, and 404 for a device nothing knows, 400 for a bad period', async () => {
    const { status, body } = await api(`/api/devices/hp-e2e/energy?every=1d&${custom()}`);
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(
      (body as Record<string, unknown>[]).map((day) => [day.period, day.heat_kwh, day.electricity_kwh, day.spf]),
      days.map((day, i) => [day.label, figures[i]?.heat, figures[i]?.electricity, (figures[i]?.heat ?? 0) / (figures[i]?.electricity ?? 1)]),
    );
    assert.equal((await api('/api/devices/nobody/performance?period=month')).status, 404);
    assert.equal((await api('/api/devices/hp-e2e/performance?period=decade')).status, 400);
  });

  it('answers the current year with both yearly estimates', async () => {
    const { status, body } = await api('/api/devices/hp-e2e/performance?period=year');
    assert.equal(status, 200, JSON.stringify(body));
    const answer = body as { heat_kwh: number; estimate: Record<string, { heat_kwh: number; spf: number }> };
    // in the first days of January some of the three days belong to last year
    const year = periodAt(Date.now(), 'year', ZONE);
    const heatThisYear = days.reduce((sum, day, i) => sum + (day.start >= year.start ? (figures[i]?.heat ?? 0) : 0), 0);
    assert.equal(answer.heat_kwh, heatThisYear);
    for (const estimate of Object.values(answer.estimate)) assert.ok(estimate.heat_kwh >= heatThisYear, JSON.stringify(answer.estimate));
    assert.deepEqual(Object.keys(answer.estimate), ['year_kwh_daily_average', 'year_kwh_degree_days']);
  });
});
