// Readings pages against Debian's influxd in `npm run db:setup`'s layout: the statements
// heatpump-query makes for GET /api/devices/{id}/readings, sent the way `influxdb in` sends them
// (node-influx, epoch ms, InfluxDB's JSON passed on with msg.rawOutput), shaped by heatpump-response's
// core and followed page by page over `next`: every stored reading once, oldest first, and each
// page the same as from node-influx's parsed rows.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InfluxDB } from 'influx';
import { influxqlStatements } from '../../nodes/heatpump-query/influxql';
import { MAX_READINGS_PAGE, parseHttpRequest } from '../../nodes/heatpump-query/request';
import type { DatabaseRequest } from '../../nodes/shared/api-request';
import { databaseResponse } from '../../nodes/shared/api-response';
import { startInfluxd, type RunningInfluxd } from '../../scripts/lib/influxd';
import { setupInfluxDb } from '../../scripts/lib/influx-setup';
import { requireBinary } from '../support/system';

const DB = 'heatpump';
const MINUTE = 60_000;
const DEVICE = 'pages-1';
/** 8 days at one reading a minute: several pages of MAX_READINGS_PAGE, across weekly shards */
const READINGS = 8 * 24 * 60;

interface Page {
  limit: number;
  count: number;
  next: string | null;
  readings: { timestamp: string; voltage: number | null; compressor_running: boolean | null; temp_inlet: number | null }[];
}

describe('readings pages (heatpump-query InfluxQL, influxd, next links)', function () {
  this.timeout(120_000);
  let influx: RunningInfluxd;
  let dataDir: string;
  let client: InfluxDB;
  const now = Math.floor(Date.now() / MINUTE) * MINUTE;
  const first = now - (READINGS - 1) * MINUTE;
  const times = Array.from({ length: READINGS }, (_, k) => first + k * MINUTE);

  before(async function () {
    const binary = requireBinary(this, 'influxd', 'influxdb');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-readings-pages-'));
    influx = await startInfluxd({ dataDir, port: 0, binary });
    await setupInfluxDb({ url: influx.url, database: DB });
    client = new InfluxDB({ host: '127.0.0.1', port: influx.port, database: DB });
    // every 7th reading without its inlet sensor (left out as heatpump-decode leaves an invalid value out)
    const lines = times.map((t, k) => `sensor_reading,device_id=${DEVICE} voltage=${230 + (k % 10)},compressor_running=${k % 2 === 0}${k % 7 === 0 ? '' : `,temp_inlet=${40 + (k % 5)}`} ${t}`);
    for (let i = 0; i < lines.length; i += 5000) {
      const res = await fetch(`${influx.url}/write?db=${DB}&precision=ms`, { method: 'POST', body: lines.slice(i, i + 5000).join('\n') });
      assert.equal(res.status, 204, await res.text());
    }
  });

  after(async () => {
    await influx?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** One page as the shipped flow answers it, and the same page from node-influx's parsed rows. */
  const answer = async (query: Record<string, string>, known = true) => {
    const parsed = parseHttpRequest({ route: '/api/devices/:id/readings', params: { id: DEVICE }, query, path: `/api/devices/${DEVICE}/readings` }, now);
    assert.ok(parsed.ok && parsed.value.kind === 'readings', JSON.stringify(parsed));
    const request = parsed.value as DatabaseRequest;
    const statements = influxqlStatements(request, now, known);
    const raw = await client.queryRaw(statements.join('; '), { precision: 'ms' });
    const rows = await client.query(statements.join('; '), { precision: 'ms' });
    const fromRaw = databaseResponse(request, raw, undefined, statements.length);
    assert.deepEqual(fromRaw, databaseResponse(request, rows, undefined, statements.length), 'the same answer from node-influx rows');
    assert.equal(fromRaw.statusCode, 200, JSON.stringify(fromRaw.payload));
    return fromRaw.payload as Page;
  };

  it('gives every reading of 8 days once over the next links, a limit of 10000 clamped to the page size', async () => {
    const seen: Page['readings'] = [];
    let query: Record<string, string> = { start: String(first), end: String(now), limit: '10000' };
    const counts: number[] = [];
    for (let pages = 0; pages < 10; pages++) {
      const page = await answer(query);
      assert.equal(page.limit, MAX_READINGS_PAGE);
      counts.push(page.count);
      seen.unshift(...page.readings);
      if (page.next === null) break;
      const next = new URL(page.next, 'http://localhost');
      assert.equal(next.pathname, `/api/devices/${DEVICE}/readings`);
      query = Object.fromEntries(next.searchParams);
    }
    const full = Math.floor(READINGS / MAX_READINGS_PAGE);
    assert.deepEqual(counts, [...Array.from({ length: full }, () => MAX_READINGS_PAGE), READINGS - full * MAX_READINGS_PAGE]);
    assert.deepEqual(
      seen.map((reading) => reading.timestamp),
      times.map((t) => new Date(t).toISOString()),
    );
    // the stored values, a left-out sensor as null
    const values = (k: number) => [seen[k]?.voltage, seen[k]?.compressor_running, seen[k]?.temp_inlet];
    assert.deepEqual(values(700), [230, true, null]);
    assert.deepEqual(values(701), [231, false, 41]);
  });

  it('answers a page of a device it has to look up (SHOW TAG VALUES in the same request), and one with no readings in the range', async () => {
    const page = await answer({ hours: '1', limit: '10' }, false);
    assert.deepEqual([page.count, page.next], [10, `/api/devices/${DEVICE}/readings?start=${now - 3_600_000}&end=${now - 9 * MINUTE - 1}&limit=10`]);
    const empty = await answer({ start: String(first - 3_600_000), end: String(first - 1) }, false);
    assert.deepEqual([empty.count, empty.next, empty.readings], [0, null, []]);
  });
});
