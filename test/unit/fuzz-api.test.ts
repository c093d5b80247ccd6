// Random API parameters (seeded, 50,000 calls by default) through heatpump-query's request parsing
// and the InfluxQL it builds: nothing throws, a bad parameter is a clean 400 (404 only for a
// route the API does not have), and no parameter changes the shape of a query: with every string
// literal masked and every number replaced, each statement is the one a harmless request of the
// same kind builds, its literals are exactly the device id / level asked for, and its times are
// whole milliseconds InfluxDB can hold.
import assert from 'node:assert/strict';
import { isDatabaseRequest, type ApiRequest, type DatabaseRequest } from '../../nodes/shared/api-request';
import { deviceIdProblem } from '../../nodes/shared/device-id';
import { isTimeZone } from '../../nodes/heatpump-performance/periods';
import { influxqlStatements } from '../../nodes/heatpump-query/influxql';
import { parseHttpRequest, parseRequestObject } from '../../nodes/heatpump-query/request';
import { Random, apiValue, fuzzCases, fuzzSeed, randomApiCall } from '../fixtures/bad-input-fuzz';

/** InfluxDB 1.x stores int64 nanoseconds: the latest time it can hold, in ms. */
const MAX_INFLUX_MS = 9_223_372_036_854;

const LITERAL = /'(?:[^'\\]|\\.)*'/g;
const unquote = (literal: string): string => literal.slice(1, -1).replace(/\\(.)/g, '$1');
/** The statement with literals masked and numbers replaced: what a parameter may not change. */
const skeleton = (statement: string): string => statement.replace(LITERAL, "'?'").replace(/\d+/g, 'N');

/**
 * A harmless request of the same shape: what its statements must look like. Times stay: which
 * sources a windowed readings request reads (hourly aggregates, raw) depends on its range.
 */
function harmless(request: DatabaseRequest): DatabaseRequest {
  switch (request.kind) {
    case 'readings':
    case 'history':
    case 'performance':
    case 'energy':
    case 'cop_series':
    case 'days':
    case 'runtime':
    case 'effect':
      return { ...request, device_id: 'site1' };
    case 'alerts':
      return { ...request, device_id: request.device_id === null ? null : 'site1', level: request.level === null ? null : 'warning' };
  }
}

/** What is wrong with an accepted request and its InfluxQL; empty when nothing. */
function requestProblems(request: ApiRequest, askedDevice: unknown, now: number): string[] {
  const problems: string[] = [];
  if ('device_id' in request && request.device_id !== null) {
    if (deviceIdProblem(request.device_id) !== undefined) problems.push(`accepted the unsafe device id ${JSON.stringify(request.device_id)}`);
    // a repeated parameter (an array, nested with qs brackets) counts by its first value
    let asked = askedDevice;
    while (Array.isArray(asked)) asked = asked[0];
    if (askedDevice !== undefined && String(asked) !== request.device_id) problems.push(`device id ${JSON.stringify(request.device_id)} is not the one asked for`);
  }
  if (!isDatabaseRequest(request)) return problems;
  const statements = influxqlStatements(request, now);
  const expected = influxqlStatements(harmless(request), now).map(skeleton);
  statements.forEach((statement, i) => {
    if (skeleton(statement) !== expected[i]) problems.push(`statement shape changed: ${statement.slice(0, 300)}`);
    for (const literal of statement.match(LITERAL) ?? []) {
      const value = unquote(literal);
      // runtime groups by local day: tz() names the zone, one Intl knows
      const zone = request.kind === 'runtime' && isTimeZone(request.time_zone) ? request.time_zone : undefined;
      if (value !== request.device_id && value !== (request.kind === 'alerts' ? request.level : undefined) && value !== zone) problems.push(`literal ${literal} is neither the device id, the level nor the time zone`);
    }
    for (const match of statement.matchAll(/(-?\d+)ms\b/g)) {
      const ms = Number(match[1]);
      if (!(ms >= 0 && ms <= MAX_INFLUX_MS)) problems.push(`time ${match[1]}ms is outside what InfluxDB holds`);
    }
  });
  if (statements.some((s) => s.includes(';') && s.replace(LITERAL, '').includes(';'))) problems.push('a statement separator outside a literal');
  return problems;
}

describe('API parameters: request parsing -> InfluxQL', function () {
  it('fuzz: random ids, ranges and query strings, no injection, bad input a clean 400', function () {
    this.timeout(60_000);
    const seed = fuzzSeed();
    const count = fuzzCases(50_000);
    const random = new Random(seed);
    const now = Date.now();
    const devices = ['site1', "o'r;1", 'wärme-😀', 'a.b:c'];
    const tally = { cases: 0, crashes: 0, injected: 0, accepted: 0, refused: 0, statements: 0 };
    const failures: string[] = [];
    const fail = (kind: 'crashes' | 'injected', call: unknown, detail: string) => {
      tally[kind]++;
      if (failures.length < 5) failures.push(`${kind}: ${detail}\n    ${JSON.stringify(call)}`);
    };
    for (let i = 0; i < count; i++) {
      tally.cases++;
      const fromDashboard = random.chance(0.2);
      const call = fromDashboard
        ? { kind: random.pick(['history', 'readings', 'alerts', 'active_alerts', 'status', 'latest', 'devices', 'nothing']), device_id: random.chance(0.5) ? random.pick(devices) : apiValue(random, now), range: random.pick(['1h', '24h', '7d', '30d', '1y', '__proto__', 'toString']), ...randomApiCall(random, now, devices).query }
        : randomApiCall(random, now, devices);
      try {
        const result = 'route' in call ? parseHttpRequest(call, now) : parseRequestObject(call, now);
        if (!result.ok) {
          tally.refused++;
          const wanted = 'route' in call && call.route === '/api/nothing' ? 404 : 400;
          if (result.error.statusCode !== wanted || typeof result.error.error !== 'string') fail('injected', call, `refused with ${result.error.statusCode}, expected ${wanted}`);
          continue;
        }
        tally.accepted++;
        if (isDatabaseRequest(result.value)) tally.statements += influxqlStatements(result.value, now).length;
        const asked = 'route' in call ? (call.params.id ?? call.query.device_id) : call.device_id;
        for (const problem of requestProblems(result.value, asked, now)) fail('injected', call, problem);
      } catch (thrown) {
        fail('crashes', call, thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown));
      }
    }
    console.log(
      `      cases ${tally.cases}, seed ${seed}, crashes ${tally.crashes}, injected ${tally.injected}, refused ${tally.refused}` +
        ` (accepted ${tally.accepted}, InfluxQL statements ${tally.statements}; replay: HEATPUMP_FUZZ_SEED=${seed})`,
    );
    assert.deepEqual(failures, [], `seed ${seed}`);
    assert.ok(tally.statements > count / 20 && tally.refused > count / 10, 'the calls reach both outcomes: queries and refusals');
  });
});
