// Compressor runtime per local day against Debian's influxd: the InfluxQL heatpump-query makes for
// GET /api/devices/{id}/runtime, run on a known series (a plain day, the spring DST day of
// Europe/Berlin with 23 hours, minutes either side of local midnight, a day without readings), and
// the same endpoint end to end through `npm start`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { periodAt } from '../../nodes/heatpump-performance/periods';
import { influxqlStatements } from '../../nodes/heatpump-query/influxql';
import { parseHttpRequest } from '../../nodes/heatpump-query/request';
import { isDatabaseRequest } from '../../nodes/shared/api-request';
import { databaseResponse } from '../../nodes/shared/api-response';
import { startInfluxd, type RunningInfluxd } from '../../scripts/lib/influxd';
import { influxQuery, rowsOf } from '../../scripts/lib/influx-setup';
import { eventually, startProduct, type RunningProduct } from '../support/runtime';
import { requireBinary } from '../support/system';

const ZONE = 'Europe/Berlin';
/** the product's database (npm start sets it up) and one for the fixed past */
const DB = 'heatpump';
const FIXED_DB = 'runtime_fixed';
const MIN = 60_000;
const DAY = 86_400_000;

/** One reading every 10 s over [from, to), the compressor running over [onFrom, onTo). */
function readings(device: string, from: number, to: number, on: [number, number][]): string[] {
  const lines: string[] = [];
  for (let t = from; t < to; t += 10_000) {
    const running = on.some(([start, end]) => t >= start && t < end);
    lines.push(`sensor_reading,device_id=${device} compressor_running=${running},power=${running ? 1500 : 20} ${t}`);
  }
  return lines;
}

interface RuntimeDay {
  date: string;
  hours: number;
  runtime_minutes: number | null;
  readings: number | null;
}

describe('compressor runtime per local day (heatpump-query InfluxQL, influxd)', function () {
  this.timeout(120_000);
  let influx: RunningInfluxd;
  let dataDir: string;

  const write = async (db: string, lines: string[]) => {
    for (let i = 0; i < lines.length; i += 5000) {
      const res = await fetch(`${influx.url}/write?db=${db}&rp=raw&precision=ms`, { method: 'POST', body: lines.slice(i, i + 5000).join('\n') });
      assert.equal(res.status, 204, await res.text());
    }
  };

  before(async function () {
    const binary = requireBinary(this, 'influxd', 'influxdb');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-runtime-influx-'));
    influx = await startInfluxd({ dataDir, port: 0, binary });
  });

  after(async () => {
    await influx?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  describe('the statements on a fixed series around the spring DST change', () => {
    // local times in Europe/Berlin: CET (UTC+1) until 2026-03-29 02:00, CEST (UTC+2) after
    const cet = (iso: string) => Date.parse(`${iso}+01:00`);
    const cest = (iso: string) => Date.parse(`${iso}+02:00`);
    const now = cest('2026-03-31T12:00:00');

    before(async () => {
      // the product's layout (db:setup) keeps raw data 30 days; a fixed past needs it kept for ever
      await influxQuery({ url: influx.url }, `CREATE DATABASE "${FIXED_DB}" WITH DURATION INF NAME "raw"`);
      await write(FIXED_DB, [
        // 28 March, a plain day: 45 minutes from 06:30
        ...readings('rt-1', cet('2026-03-28T06:00:00'), cet('2026-03-28T08:00:00'), [[cet('2026-03-28T06:30:00'), cet('2026-03-28T07:15:00')]]),
        // 29 March, 23 hours: 01:30 CET to 03:30 CEST is 60 minutes across the skipped hour, and 23:50 to midnight 10 more
        ...readings('rt-1', cet('2026-03-29T01:00:00'), cest('2026-03-29T04:00:00'), [[cet('2026-03-29T01:30:00'), cest('2026-03-29T03:30:00')]]),
        // 23:50 .. 00:20: the first 10 minutes belong to 29 March, the next 20 to 30 March (UTC would put all 30 in 29 March)
        ...readings('rt-1', cest('2026-03-29T23:40:00'), cest('2026-03-30T00:30:00'), [[cest('2026-03-29T23:50:00'), cest('2026-03-30T00:20:00')]]),
        // 31 March: readings, the compressor off
        ...readings('rt-1', cest('2026-03-31T08:00:00'), cest('2026-03-31T09:00:00'), []),
        // another device at the same times: not counted
        ...readings('rt-2', cet('2026-03-28T06:00:00'), cet('2026-03-28T08:00:00'), [[cet('2026-03-28T06:00:00'), cet('2026-03-28T08:00:00')]]),
      ]);
    });

    const runtime = async (query: Record<string, string>, device = 'rt-1') => {
      const parsed = parseHttpRequest({ route: '/api/devices/:id/runtime', params: { id: device }, query }, now, ZONE);
      assert.ok(parsed.ok && isDatabaseRequest(parsed.value), JSON.stringify(parsed));
      const statements = influxqlStatements(parsed.value, now);
      const sets = [];
      for (const statement of statements) sets.push(rowsOf(await influxQuery({ url: influx.url }, statement, FIXED_DB)));
      return databaseResponse(parsed.value, sets, undefined, statements.length);
    };

    it('counts the minutes per local day, the DST day with 23 hours, and tells a day without readings from one without running', async () => {
      const { statusCode, payload } = await runtime({ days: '5' });
      assert.equal(statusCode, 200, JSON.stringify(payload));
      const answer = payload as { days: RuntimeDay[]; total_minutes: number; time_zone: string };
      assert.deepEqual(
        answer.days.map((day) => [day.date, day.hours, day.runtime_minutes, day.readings]),
        [
          ['2026-03-27', 24, null, 0],
          ['2026-03-28', 24, 45, 720],
          ['2026-03-29', 23, 70, 720 + 120],
          ['2026-03-30', 24, 20, 180],
          ['2026-03-31', 24, 0, 360],
        ],
      );
      assert.equal(answer.total_minutes, 135);
      assert.equal(answer.time_zone, ZONE);
    });

    it('gives no figure for days before the 30 days of raw data, and 404 for a device nothing knows', async () => {
      const { payload } = await runtime({ days: '40' });
      const days = (payload as { days: RuntimeDay[]; raw_data_from: string }).days;
      assert.equal(days.length, 40);
      const beyond = days.filter((day) => day.readings === null);
      // 20 February .. 28 February end before now - 30 days (1 March, 12:00)
      assert.deepEqual([beyond[0]?.date, beyond.at(-1)?.date, beyond.length], ['2026-02-20', '2026-02-28', 9]);
      assert.ok(beyond.every((day) => day.runtime_minutes === null));
      assert.equal((payload as { raw_data_from: string }).raw_data_from, new Date(now - 30 * DAY).toISOString());
      assert.equal((await runtime({ days: '3' }, 'rt-none')).statusCode, 404);
    });

    it('counts in another zone when asked (tz)', async () => {
      // in UTC the 20 minutes after local midnight of 30 March fall on 29 March
      const { payload } = await runtime({ days: '5', tz: 'UTC' });
      const days = (payload as { days: RuntimeDay[] }).days;
      assert.deepEqual(days.find((day) => day.date === '2026-03-29')?.runtime_minutes, 90);
    });
  });

  describe('GET /api/devices/{id}/runtime through npm start', () => {
    let product: RunningProduct;
    const api = async (pathAndQuery: string) => {
      const res = await fetch(`${product.baseUrl}${pathAndQuery}`);
      return { status: res.status, body: (await res.json()) as unknown };
    };

    before(async () => {
      product = await startProduct({ INFLUXDB_URL: influx.url, HEATPUMP_TIME_ZONE: ZONE });
      await eventually(async () => ((await api('/api/health')).body as { status?: string }).status !== undefined || undefined, 20_000, 'the API answers');
    });

    after(async () => {
      assert.equal(await product?.stop(), 0, 'npm start exits 0 on SIGTERM');
    });

    it('answers the stored minutes of the day before yesterday, and 400 for days outside 1..366', async () => {
      const twoDaysAgo = periodAt(periodAt(Date.now(), 'day', ZONE).start - DAY - DAY / 2, 'day', ZONE);
      const nine = twoDaysAgo.start + 9 * 3_600_000;
      await write(DB, readings('rt-e2e', nine, nine + 30 * MIN, [[nine + 5 * MIN, nine + 17 * MIN]]));
      const { status, body } = await api('/api/devices/rt-e2e/runtime?days=3');
      assert.equal(status, 200, JSON.stringify(body));
      const days = (body as { days: RuntimeDay[] }).days;
      assert.deepEqual(
        days.map((day) => [day.date, day.runtime_minutes, day.readings]),
        [
          [twoDaysAgo.label, 12, 180],
          [days[1]?.date, null, 0],
          [days[2]?.date, null, 0],
        ],
      );
      for (const bad of ['0', '367', 'many']) {
        const answer = await api(`/api/devices/rt-e2e/runtime?days=${bad}`);
        assert.equal(answer.status, 400, bad);
        assert.match(String((answer.body as { error?: string }).error), /^days must be/);
      }
    });
  });
});
