// Turns an HTTP API call (the `http in` route, path parameters and query string) or a dashboard
// request object into a validated ApiRequest. Pure: `now` is passed in.
import type { ApiProblem, ApiRequest, HistoryRange, PerformancePeriod } from '../shared/api-request';
import { ENERGY_EVERY, HISTORY_RANGES, PERFORMANCE_PERIODS } from '../shared/api-request';
import { DEFAULT_TIME_ZONE, isTimeZone, PERIOD_KINDS, periodAt, periodsBetween, startOfLocalDate, type PeriodKind } from '../heatpump-performance/periods';
import { deviceIdProblem } from '../shared/device-id';
import { AGGREGATE_LAG_MS } from './influxql';
import { err, ok, type Result } from '../shared/result';

const HOUR = 3_600_000;
/** Raw readings are kept 30 days (retention policy `raw`, docs/CONTRACTS.md). */
export const MAX_READINGS_RANGE_MS = 30 * 24 * HOUR;
/** History charts draw at most this many points a series (issue 5). */
export const MAX_CHART_POINTS = 1000;

export interface HttpRequestLike {
  /** the Express route of the `http in` node, e.g. `/api/devices/:id/status` */
  route: string;
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  /** the URL path as called (with Node-RED's httpNodeRoot), for links to further pages */
  path?: string;
}

type Parsed<T> = Result<T, ApiProblem>;
const badRequest = (error: string): Parsed<never> => err({ statusCode: 400, error });

/** An integer query parameter within [min, max], or `fallback` when absent. */
export function intParam(query: Record<string, unknown>, name: string, min: number, max: number, fallback: number): Parsed<number> {
  const raw = firstValue(query[name]);
  if (raw === undefined || raw === '') return ok(fallback);
  if (!/^-?\d+$/.test(raw)) return badRequest(`${name} must be a whole number between ${min} and ${max}, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (value < min || value > max) return badRequest(`${name} must be between ${min} and ${max}, got ${value}`);
  return ok(value);
}

function firstValue(value: unknown): string | undefined {
  if (Array.isArray(value)) return firstValue(value[0]);
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' ? value : undefined;
}

function deviceParam(value: unknown, name = 'device id'): Parsed<string> {
  const id = firstValue(value);
  const problem = deviceIdProblem(id);
  return problem === undefined && id !== undefined ? ok(id) : badRequest(`invalid ${name}: ${problem}`);
}

/** `10s`, `5m`, `1h`, `1d` -> milliseconds. */
export function parseWindow(text: string): number | undefined {
  const match = /^(\d{1,4})(s|m|h|d)$/.exec(text.trim());
  if (!match) return undefined;
  const unit = { s: 1000, m: 60_000, h: HOUR, d: 24 * HOUR }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

/** The latest time InfluxDB can hold (int64 ns since the epoch, 2262-04-11), in whole ms. */
export const MAX_INSTANT_MS = 9_223_372_036_854;

/** An ISO 8601 date or milliseconds since the epoch, from 1970 to the latest time InfluxDB holds. */
function parseInstant(text: string): number | undefined {
  const value = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  // outside it InfluxDB fails the query (a 503 for what is a bad parameter) or the number prints as 1e+21
  return Number.isFinite(value) && value >= 0 && value <= MAX_INSTANT_MS ? value : undefined;
}

/** The largest `limit` a readings call may ask for; more is a 400. */
export const MAX_READINGS_LIMIT = 10_000;
/**
 * The most readings one answer holds: a larger `limit` is clamped to it and the answer links the
 * next page. On a year of data for 100 devices (bench/api.bench.ts, a shared 2-CPU machine) a raw
 * 30-day page of 10,000 took 0.36 s at the median (p99 1.6 s), of 5,000 0.12 s (p99 0.6 s), of
 * 2,000 0.05 s (p99 0.23 s), against the API's 200 ms p99.
 */
export const MAX_READINGS_PAGE = 2000;

function parseReadings(deviceId: string, query: Record<string, unknown>, now: number, path?: string): Parsed<ApiRequest> {
  const limit = intParam(query, 'limit', 1, MAX_READINGS_LIMIT, 1000);
  if (!limit.ok) return limit;
  const startText = firstValue(query.start);
  const endText = firstValue(query.end);
  let start: number;
  let end: number;
  if (startText !== undefined || endText !== undefined) {
    const parsedStart = startText === undefined ? undefined : parseInstant(startText);
    const parsedEnd = endText === undefined ? now : parseInstant(endText);
    if (parsedStart === undefined) return badRequest('start must be an ISO 8601 time or milliseconds since the epoch, from 1970 to 2262');
    if (parsedEnd === undefined) return badRequest('end must be an ISO 8601 time or milliseconds since the epoch, from 1970 to 2262');
    [start, end] = [parsedStart, parsedEnd];
  } else {
    const hours = intParam(query, 'hours', 1, 720, 24);
    if (!hours.ok) return hours;
    [start, end] = [now - hours.value * HOUR, now];
  }
  if (end <= start) return badRequest('end must be after start');
  if (end - start > MAX_READINGS_RANGE_MS) return badRequest('the time range may span at most 30 days (raw data retention)');
  const windowText = firstValue(query.window);
  let windowMs: number | null = null;
  if (windowText !== undefined && windowText !== '') {
    const parsed = parseWindow(windowText);
    if (parsed === undefined || parsed < 1000 || parsed > 24 * HOUR) {
      return badRequest('window must be a duration from 1s to 1d such as 30s, 5m, 1h');
    }
    windowMs = parsed;
  }
  const page = { kind: 'readings' as const, device_id: deviceId, start, end, window_ms: windowMs, limit: Math.min(limit.value, MAX_READINGS_PAGE) };
  return ok(path === undefined ? page : { ...page, path });
}

/** Performance and energy ranges span at most 5 years (of 366 days): one answer stays a few thousand days. */
export const MAX_PERFORMANCE_RANGE_MS = 5 * 366 * 24 * HOUR;

/** The `tz` parameter (an IANA zone) or the installation's zone. */
function timeZoneParam(query: Record<string, unknown>, fallback: string): Parsed<string> {
  const text = firstValue(query.tz);
  if (text === undefined || text === '') return ok(fallback);
  return isTimeZone(text) ? ok(text) : badRequest(`tz must be an IANA time zone such as Europe/Berlin, got ${JSON.stringify(text)}`);
}

/** A date `2026-03-01` is local midnight starting that day in the zone; anything else as parseInstant. */
function parseLocalInstant(text: string, timeZone: string): number | undefined {
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!date) return parseInstant(text);
  const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
  const start = startOfLocalDate({ year, month, day }, timeZone);
  return start >= 0 && start <= MAX_INSTANT_MS ? start : undefined;
}

/** start and end (end exclusive), both required, end after start, at most MAX_PERFORMANCE_RANGE_MS apart. */
function customRange(query: Record<string, unknown>, timeZone: string): Parsed<{ start: number; end: number }> {
  const startText = firstValue(query.start);
  const endText = firstValue(query.end);
  if (startText === undefined || startText === '' || endText === undefined || endText === '') return badRequest('start and end are both needed, as ISO 8601 dates or times');
  const start = parseLocalInstant(startText, timeZone);
  if (start === undefined) return badRequest(`start must be an ISO 8601 date or time, got ${JSON.stringify(startText)}`);
  const end = parseLocalInstant(endText, timeZone);
  if (end === undefined) return badRequest(`end must be an ISO 8601 date or time, got ${JSON.stringify(endText)}`);
  if (end <= start) return badRequest('end must be after start');
  if (end - start > MAX_PERFORMANCE_RANGE_MS) return badRequest('the time range may span at most 5 years');
  return ok({ start, end });
}

function parsePerformance(deviceId: string, query: Record<string, unknown>, now: number, installationZone: string): Parsed<ApiRequest> {
  const timeZone = timeZoneParam(query, installationZone);
  if (!timeZone.ok) return timeZone;
  const periodText = firstValue(query.period) ?? 'day';
  if (!(PERFORMANCE_PERIODS as readonly string[]).includes(periodText)) {
    return badRequest(`period must be one of ${PERFORMANCE_PERIODS.join(', ')}, got ${JSON.stringify(periodText)}`);
  }
  const period = periodText as PerformancePeriod;
  const base = { kind: 'performance' as const, device_id: deviceId, period, time_zone: timeZone.value };
  if (period === 'custom') {
    const range = customRange(query, timeZone.value);
    return range.ok ? ok({ ...base, ...range.value, estimate_at: null }) : range;
  }
  // the current calendar period in the zone; its end may lie ahead (days not yet had)
  const { start, end } = periodAt(now, period, timeZone.value);
  return ok({ ...base, start, end, estimate_at: period === 'year' ? now : null });
}

/** `period`: the current local day, week, month or year (required when `required`). */
function calendarPeriodParam(query: Record<string, unknown>, required: boolean): Parsed<PeriodKind | undefined> {
  const text = firstValue(query.period);
  if (text === undefined || text === '') return required ? badRequest(`period must be one of ${PERIOD_KINDS.join(', ')}`) : ok(undefined);
  return (PERIOD_KINDS as readonly string[]).includes(text) ? ok(text as PeriodKind) : badRequest(`period must be one of ${PERIOD_KINDS.join(', ')}, got ${JSON.stringify(text)}`);
}

/** COP chart resolution per period: about 100 to 400 points, e.g. hourly means for a week, daily for a year. */
export const COP_SERIES_WINDOWS: Record<PeriodKind, number> = { day: 15 * 60_000, week: HOUR, month: 6 * HOUR, year: 24 * HOUR };

/** The COP series or the stored days of the current local period (the Performance page). */
function parseCalendarRequest(kind: 'cop_series' | 'days', deviceId: string, query: Record<string, unknown>, now: number, installationZone: string): Parsed<ApiRequest> {
  const timeZone = timeZoneParam(query, installationZone);
  if (!timeZone.ok) return timeZone;
  const period = calendarPeriodParam(query, true);
  if (!period.ok) return period;
  const kindOf = period.value ?? 'day';
  const { start, end } = periodAt(now, kindOf, timeZone.value);
  const base = { device_id: deviceId, period: kindOf, start, end, time_zone: timeZone.value };
  return ok(kind === 'days' ? { kind, ...base } : { kind, ...base, window_ms: COP_SERIES_WINDOWS[kindOf] });
}

/** Default span of the energy endpoint when neither hours nor start/end are given. */
const ENERGY_DEFAULT_HOURS = { '1d': 31 * 24, '1w': 12 * 7 * 24, '1mo': 366 * 24 } as const;

function parseEnergy(deviceId: string, query: Record<string, unknown>, now: number, installationZone: string): Parsed<ApiRequest> {
  const timeZone = timeZoneParam(query, installationZone);
  if (!timeZone.ok) return timeZone;
  const everyText = firstValue(query.every) ?? '1d';
  if (!Object.hasOwn(ENERGY_EVERY, everyText)) return badRequest(`every must be one of ${Object.keys(ENERGY_EVERY).join(', ')}, got ${JSON.stringify(everyText)}`);
  const every = everyText as keyof typeof ENERGY_EVERY;
  const period = calendarPeriodParam(query, false);
  if (!period.ok) return period;
  let range: { start: number; end: number };
  if (period.value !== undefined) {
    // the current local period, e.g. every=1mo with period=year: the twelve months of this year
    range = periodAt(now, period.value, timeZone.value);
  } else if (firstValue(query.start) !== undefined || firstValue(query.end) !== undefined) {
    const custom = customRange(query, timeZone.value);
    if (!custom.ok) return custom;
    range = custom.value;
  } else {
    const hours = intParam(query, 'hours', 1, MAX_PERFORMANCE_RANGE_MS / HOUR, ENERGY_DEFAULT_HOURS[every]);
    if (!hours.ok) return hours;
    range = { start: now - hours.value * HOUR, end: now };
  }
  // whole calendar periods: the first from its local start, the last to its local end
  const periods = periodsBetween(range.start, range.end, ENERGY_EVERY[every], timeZone.value);
  const first = periods[0];
  const last = periods[periods.length - 1];
  if (!first || !last) return badRequest('end must be after start');
  // a period reaching past what InfluxDB holds is read up to that edge
  const [start, end] = [Math.max(0, first.start), Math.min(MAX_INSTANT_MS, last.end)];
  return ok({ kind: 'energy', device_id: deviceId, every: ENERGY_EVERY[every], start, end, time_zone: timeZone.value });
}

const DAY = 24 * HOUR;
/** Days of GET /api/devices/{id}/runtime: up to a year, a month by default. */
export const MAX_RUNTIME_DAYS = 366;
export const DEFAULT_RUNTIME_DAYS = 30;

/** The last `days` local days, today included; minutes are counted from raw data, kept MAX_READINGS_RANGE_MS. */
function parseRuntime(deviceId: string, query: Record<string, unknown>, now: number, installationZone: string): Parsed<ApiRequest> {
  const timeZone = timeZoneParam(query, installationZone);
  if (!timeZone.ok) return timeZone;
  const days = intParam(query, 'days', 1, MAX_RUNTIME_DAYS, DEFAULT_RUNTIME_DAYS);
  if (!days.ok) return days;
  const today = periodAt(now, 'day', timeZone.value);
  // noon of the first day: a DST shift of an hour cannot move it into a neighbouring day
  const first = periodAt(today.start - (days.value - 1) * DAY + DAY / 2, 'day', timeZone.value);
  return ok({ kind: 'runtime', device_id: deviceId, days: days.value, start: first.start, end: today.end, raw_start: Math.max(first.start, now - MAX_READINGS_RANGE_MS), time_zone: timeZone.value });
}

/** Days on each side of GET /api/devices/{id}/effect: up to 60, a week by default. */
export const MAX_EFFECT_DAYS = 60;
export const DEFAULT_EFFECT_DAYS = 7;

/**
 * `at` (required: the change, ISO 8601 or ms, taken to the whole minute so hours can start at it)
 * and `days` on each side. A recent change gets a shorter span on both sides, whole hours up to now:
 * the two spans stay equal.
 */
function parseEffect(deviceId: string, query: Record<string, unknown>, now: number): Parsed<ApiRequest> {
  const atText = firstValue(query.at);
  if (atText === undefined || atText === '') return badRequest('at is needed: the time of the change, as an ISO 8601 time or milliseconds since the epoch');
  const parsed = parseInstant(atText);
  if (parsed === undefined) return badRequest(`at must be an ISO 8601 time or milliseconds since the epoch, from 1970 to 2262, got ${JSON.stringify(atText)}`);
  const days = intParam(query, 'days', 1, MAX_EFFECT_DAYS, DEFAULT_EFFECT_DAYS);
  if (!days.ok) return days;
  const at = Math.floor(parsed / 60_000) * 60_000;
  const span = Math.min(days.value * DAY, Math.floor((now - at) / HOUR) * HOUR);
  if (span < HOUR) return badRequest('at must be at least an hour ago: there is nothing after it to compare yet');
  if (at - span < 0) return badRequest('at must leave its span before it after 1970');
  return ok({ kind: 'effect', device_id: deviceId, at, days: days.value, start: at - span, end: at + span });
}

function optionalDevice(query: Record<string, unknown>): Parsed<string | null> {
  if (firstValue(query.device_id) === undefined || firstValue(query.device_id) === '') return ok(null);
  return deviceParam(query.device_id, 'device_id');
}

function parseActiveAlerts(query: Record<string, unknown>): Parsed<ApiRequest> {
  const device = optionalDevice(query);
  return device.ok ? ok({ kind: 'active_alerts', device_id: device.value }) : device;
}

function parseAlerts(query: Record<string, unknown>): Parsed<ApiRequest> {
  const hours = intParam(query, 'hours', 1, 168, 24);
  if (!hours.ok) return hours;
  const limit = intParam(query, 'limit', 1, 500, 50);
  if (!limit.ok) return limit;
  const device = optionalDevice(query);
  if (!device.ok) return device;
  const deviceId = device.value;
  const levelText = firstValue(query.level);
  let level: 'warning' | 'critical' | null = null;
  if (levelText !== undefined && levelText !== '') {
    if (levelText !== 'warning' && levelText !== 'critical') return badRequest('level must be warning or critical');
    level = levelText;
  }
  return ok({ kind: 'alerts', device_id: deviceId, level, hours: hours.value, limit: limit.value });
}

/** Chart window for a history range: the smallest round step that keeps a series within MAX_CHART_POINTS. */
export function historyWindow(rangeMs: number): number {
  const steps = [5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, HOUR];
  return steps.find((step) => rangeMs / step <= MAX_CHART_POINTS) ?? HOUR;
}

export function historyRequest(deviceId: string, range: HistoryRange, now: number): ApiRequest {
  const rangeMs = HISTORY_RANGES[range];
  // A week or more reads the hourly aggregates, and raw data only for the recent hours the
  // continuous query has not aggregated yet.
  const fromAggregates = rangeMs >= HISTORY_RANGES['7d'];
  const windowMs = fromAggregates ? HOUR : historyWindow(rangeMs);
  const split = fromAggregates ? Math.floor((now - AGGREGATE_LAG_MS) / HOUR) * HOUR : null;
  return { kind: 'history', device_id: deviceId, range, start: now - rangeMs, end: now, window_ms: windowMs, split };
}

/** Routes are matched by their ending, so the API also works under a custom httpNodeRoot. */
const ROUTES: { pattern: RegExp; parse: (http: HttpRequestLike, now: number, timeZone: string) => Parsed<ApiRequest> }[] = [
  { pattern: /\/api\/health\/?$/, parse: () => ok({ kind: 'health' }) },
  { pattern: /\/metrics\/?$/, parse: () => ok({ kind: 'metrics' }) },
  { pattern: /\/api\/stats\/?$/, parse: () => ok({ kind: 'stats' }) },
  { pattern: /\/api\/devices\/?$/, parse: () => ok({ kind: 'devices' }) },
  { pattern: /\/api\/alerts\/active\/?$/, parse: (http) => parseActiveAlerts(http.query) },
  { pattern: /\/api\/alerts\/?$/, parse: (http) => parseAlerts(http.query) },
  {
    pattern: /\/api\/devices\/:[a-z_]+\/status\/?$/,
    parse: (http) => withDevice(http, (id) => ok({ kind: 'status', device_id: id })),
  },
  {
    pattern: /\/api\/devices\/:[a-z_]+\/readings\/latest\/?$/,
    parse: (http) => withDevice(http, (id) => ok({ kind: 'latest', device_id: id })),
  },
  {
    pattern: /\/api\/devices\/:[a-z_]+\/readings\/?$/,
    parse: (http, now) => withDevice(http, (id) => parseReadings(id, http.query, now, http.path)),
  },
  {
    pattern: /\/api\/devices\/:[a-z_]+\/performance\/?$/,
    parse: (http, now, timeZone) => withDevice(http, (id) => parsePerformance(id, http.query, now, timeZone)),
  },
  {
    pattern: /\/api\/devices\/:[a-z_]+\/energy\/?$/,
    parse: (http, now, timeZone) => withDevice(http, (id) => parseEnergy(id, http.query, now, timeZone)),
  },
  {
    pattern: /\/api\/devices\/:[a-z_]+\/runtime\/?$/,
    parse: (http, now, timeZone) => withDevice(http, (id) => parseRuntime(id, http.query, now, timeZone)),
  },
  {
    pattern: /\/api\/devices\/:[a-z_]+\/effect\/?$/,
    parse: (http, now) => withDevice(http, (id) => parseEffect(id, http.query, now)),
  },
];

function withDevice(http: HttpRequestLike, next: (id: string) => Parsed<ApiRequest>): Parsed<ApiRequest> {
  const device = deviceParam(http.params.id ?? http.params.device_id);
  return device.ok ? next(device.value) : device;
}

/** `timeZone`: the installation's zone, for calendar periods when the call names no `tz`. */
export function parseHttpRequest(http: HttpRequestLike, now: number, timeZone = DEFAULT_TIME_ZONE): Parsed<ApiRequest> {
  const route = ROUTES.find((candidate) => candidate.pattern.test(http.route));
  if (!route) return err({ statusCode: 404, error: `no API endpoint for ${http.route}` });
  return route.parse(http, now, timeZone);
}

/**
 * A request object from a flow (dashboard): `{kind: 'history', device_id, range}`,
 * `{kind: 'alerts', device_id?, level?, hours?, limit?}`, or any other kind with the same
 * parameters the HTTP API takes.
 */
export function parseRequestObject(payload: unknown, now: number, timeZone = DEFAULT_TIME_ZONE): Parsed<ApiRequest> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return badRequest('msg.payload must be a request object such as {"kind":"history","device_id":"site1","range":"24h"}');
  }
  const request = payload as Record<string, unknown>;
  switch (request.kind) {
    case 'history': {
      const device = deviceParam(request.device_id, 'device_id');
      if (!device.ok) return device;
      const range = request.range ?? '24h';
      if (typeof range !== 'string' || !(range in HISTORY_RANGES)) {
        return badRequest(`range must be one of ${Object.keys(HISTORY_RANGES).join(', ')}`);
      }
      return ok(historyRequest(device.value, range as HistoryRange, now));
    }
    case 'alerts':
      return parseAlerts(request);
    case 'active_alerts':
      return parseActiveAlerts(request);
    case 'readings':
      return withDevice({ route: '', params: { id: request.device_id }, query: {} }, (id) => parseReadings(id, request, now));
    case 'performance':
      return withDevice({ route: '', params: { id: request.device_id }, query: {} }, (id) => parsePerformance(id, request, now, timeZone));
    case 'energy':
      return withDevice({ route: '', params: { id: request.device_id }, query: {} }, (id) => parseEnergy(id, request, now, timeZone));
    case 'cop_series':
    case 'days': {
      const kind = request.kind;
      return withDevice({ route: '', params: { id: request.device_id }, query: {} }, (id) => parseCalendarRequest(kind, id, request, now, timeZone));
    }
    case 'runtime':
      return withDevice({ route: '', params: { id: request.device_id }, query: {} }, (id) => parseRuntime(id, request, now, timeZone));
    case 'effect':
      return withDevice({ route: '', params: { id: request.device_id }, query: {} }, (id) => parseEffect(id, request, now));
    case 'status':
    case 'latest':
      return withDevice({ route: '', params: { id: request.device_id }, query: {} }, (id) => ok({ kind: request.kind as 'status' | 'latest', device_id: id }));
    case 'devices':
    case 'stats':
    case 'health':
    case 'metrics':
      return ok({ kind: request.kind });
    default:
      return badRequest(`unknown request kind ${JSON.stringify(request.kind)}`);
  }
}
