// GET /api/devices/:id/effect of the shipped product (`npm start`) against Debian's influxd: two
// weeks of 5-minute cop windows written into the hourly retention policy as heatpump-batch writes
// them, with a known effect: COP +10 % after the change, and a week after it colder than the week
// before. The plain SPFs say it got worse; the comparison on hours of similar outdoor temperature
// must find the +10 %.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startInfluxd, type RunningInfluxd } from '../../scripts/lib/influxd';
import { requireBinary } from '../support/system';
import { copWindowLines } from '../support/cop-windows';
import { eventually, startProduct, type RunningProduct } from '../support/runtime';

const DB = 'heatpump';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TRUE_CHANGE_PERCENT = 10;
/**
 * The generated COP varies ±3 % from hour to hour and by up to 0.2 within a 2 K bin, where the
 * colder week's hours sit lower than the warmer week's: what binning leaves of the weather, about
 * a percentage point here, plus the noise stay within this of the true change.
 */
const TOLERANCE_PERCENT = 1.5;

interface EffectAnswer {
  before: { hours: number; spf: number };
  after: { hours: number; spf: number };
  unbinned_change_percent: number;
  comparable: { hours: number; change_percent: number; interval_percent: [number, number]; days_before: number; days_after: number };
  bins: { outdoor_from: number; hours_before: number; hours_after: number }[];
  hours_left_out: { before: { defrost: number; incomplete: number }; after: { defrost: number; incomplete: number } };
  verdict: string;
}

describe('before / after effect API end to end (npm start, influxd)', function () {
  this.timeout(120_000);
  let influx: RunningInfluxd;
  let influxDir: string;
  let product: RunningProduct;

  const api = async (pathAndQuery: string) => {
    const res = await fetch(`${product.baseUrl}${pathAndQuery}`);
    return { status: res.status, body: (await res.json()) as unknown };
  };

  // the change half past an hour eight days ago: a full week after it, hours aligned to it
  const at = Math.floor(Date.now() / HOUR) * HOUR - 8 * DAY + 30 * 60_000;
  /** hours after the change whose last window defrosts: they and the hour after are left out */
  const defrostAtHourEnd = [30, 60, 90];
  const defrosting = (hour: number, window: number) => (hour >= 0 && window === 11 && defrostAtHourEnd.includes(hour)) || (hour === -100 && window === 4);

  before(async function () {
    requireBinary(this, 'influxd', 'influxdb');
    influxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-effect-api-'));
    influx = await startInfluxd({ dataDir: influxDir, port: 0 });
    product = await startProduct({ INFLUXDB_URL: influx.url });
    await eventually(async () => ((await api('/api/health')).body as { status?: string }).status !== undefined || undefined, 20_000, 'the API answers');
    // into the retention policy heatpump-batch writes cop windows to (nodes/shared/retention.ts)
    const res = await fetch(`${influx.url}/write?db=${DB}&rp=hourly&precision=ms`, { method: 'POST', body: copWindowLines({ deviceId: 'hp-effect', at, days: 7, changePercent: TRUE_CHANGE_PERCENT, defrosting }).join('\n') });
    assert.equal(res.status, 204, await res.text());
  });

  after(async () => {
    const code = await product?.stop();
    await influx?.stop();
    if (influxDir) fs.rmSync(influxDir, { recursive: true, force: true });
    assert.equal(code, 0, 'npm start exits 0 on SIGTERM');
  });

  it(`finds the known +${TRUE_CHANGE_PERCENT} % within ±${TOLERANCE_PERCENT} points where the plain SPFs say worse`, async () => {
    const { status, body } = await api(`/api/devices/hp-effect/effect?at=${new Date(at).toISOString()}&days=7`);
    assert.equal(status, 200, JSON.stringify(body));
    const answer = body as EffectAnswer;
    assert.ok(answer.unbinned_change_percent < 0, `the plain comparison says worse: ${answer.unbinned_change_percent}`);
    assert.ok(answer.after.spf < answer.before.spf);
    const { change_percent: change, interval_percent: interval } = answer.comparable;
    assert.ok(Math.abs(change - TRUE_CHANGE_PERCENT) <= TOLERANCE_PERCENT, `binned change ${change}, interval ${interval}`);
    // the interval covers the scatter between days, not what a 2 K bin leaves of the weather (see TOLERANCE_PERCENT)
    assert.ok(interval[0] <= change && change <= interval[1] && interval[0] > 0, `interval ${interval}`);
    assert.ok(interval[1] - interval[0] < 4, `interval ${interval} is small`);
    assert.equal(answer.verdict, 'improved');
    // only bins both weeks reach count: 0 to 6 °C
    assert.deepEqual(answer.bins.map((bin) => bin.outdoor_from), [0, 2, 4]);
    assert.deepEqual([answer.comparable.days_before, answer.comparable.days_after], [7, 7]);
  });

  it('leaves out the hours a defrost distorts, and the hour its recovery reaches into', async () => {
    const answer = (await api(`/api/devices/hp-effect/effect?at=${at}&days=7`)).body as EffectAnswer;
    assert.deepEqual([answer.hours_left_out.before.defrost, answer.hours_left_out.after.defrost], [1, 2 * defrostAtHourEnd.length]);
    assert.deepEqual([answer.hours_left_out.before.incomplete, answer.hours_left_out.after.incomplete], [0, 0]);
    // every hour has its 12 windows: the spans hold 168 hours each, defrost hours included in the SPFs
    assert.deepEqual([answer.before.hours, answer.after.hours], [168, 168]);
  });

  it('answers 400 for a bad span and 404 for a device nothing knows', async () => {
    const iso = new Date(at).toISOString();
    assert.equal((await api(`/api/devices/hp-effect/effect?at=${iso}&days=61`)).status, 400);
    assert.equal((await api('/api/devices/hp-effect/effect')).status, 400);
    assert.equal((await api(`/api/devices/nobody/effect?at=${iso}`)).status, 404);
  });
});
