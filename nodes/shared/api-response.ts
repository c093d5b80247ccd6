// Response bodies of the HTTP API (README "HTTP API and WebSocket"), built from InfluxDB rows and
// the runtime's own state. Pure: no Node-RED import, `now` passed in.
import type { DatabaseRequest, LiveRequest } from './api-request';
import { METRICS_TAGS, SENSOR_FIELDS, STATE_FIELDS, type MetricsReading } from './contract';
import type { DeviceRecord, FleetState, Health } from '../heatpump-fleet/fleet-state';
import { periodAt, periodsBetween } from '../heatpump-performance/periods';
import { beforeAfter, BIN_KELVIN, BOOTSTRAP_RESAMPLES, INTERVAL_LEVEL, VERDICT_RULE, type HourRow } from '../heatpump-performance/before-after';
import { dailyAverageYearlyEstimate, degreeDaysOfDailyMeans, degreeDayYearlyEstimate, spfOverPeriods, typicalYearDegreeDays, type SpfResult } from '../heatpump-performance/spf';

export interface ApiResponse {
  statusCode: number;
  payload: unknown;
  headers?: Record<string, string>;
}

/** What the live answers read: the fleet's state (heatpump-fleet). */
export type FleetReader = Pick<FleetState, 'get' | 'all' | 'size' | 'summary' | 'counters' | 'health' | 'readingsRange' | 'rejections' | 'dropped'>;

export type Row = Record<string, unknown>;

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

const DAY_MS = 86_400_000;
/** Times from 1970 up to the year 9999 print as `YYYY-MM-DDTHH:MM:SS.mmmZ`; others go through Date. */
const LAST_FOUR_DIGIT_YEAR_MS = 253_402_300_800_000;
const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/**
 * toISOString for many times in a row: the rows of a page share their day, so the date part is
 * formatted once per day and the time of day by arithmetic (a 10,000-row page spent most of its
 * shaping time in Date).
 */
export function isoFormatter(): (ms: number) => string {
  let dayStart = NaN;
  let datePart = '';
  return (ms) => {
    if (!Number.isInteger(ms) || ms < 0 || ms >= LAST_FOUR_DIGIT_YEAR_MS) return new Date(ms).toISOString();
    const day = ms - (ms % DAY_MS);
    if (day !== dayStart) {
      dayStart = day;
      datePart = new Date(day).toISOString().slice(0, 11);
    }
    const inDay = ms - day;
    const seconds = Math.floor(inDay / 1000);
    return `${datePart}${pad2(Math.floor(seconds / 3600))}:${pad2(Math.floor(seconds / 60) % 60)}:${pad2(seconds % 60)}.${pad3(inDay % 1000)}Z`;
  };
}

/** InfluxDB row times arrive as Date (node-influx), ISO strings (after JSON) or numbers. */
export function rowTime(row: Row): number | null {
  return timeOf(row.time);
}

function timeOf(time: unknown): number | null {
  if (time instanceof Date) return time.getTime();
  if (typeof time === 'string') {
    const parsed = Date.parse(time);
    return Number.isFinite(parsed) ? parsed : null;
  }
  return typeof time === 'number' ? time : null;
}

/** One series of a statement's answer as InfluxDB's JSON has it: column names and rows of values. */
export interface Series {
  columns: string[];
  values: unknown[][];
}

interface RawResult {
  series?: Series[];
  error?: string;
}

/**
 * InfluxDB's own JSON answer (`{results: [{series: [{columns, values}]}]}`): what `influxdb in`
 * gives with msg.rawOutput, which heatpump-query sets so that no row object and Date is made for
 * every point before the answer is shaped.
 */
function rawResultsOf(results: unknown): RawResult[] | undefined {
  if (typeof results !== 'object' || results === null || Array.isArray(results)) return undefined;
  const list = (results as { results?: unknown }).results;
  return Array.isArray(list) ? (list as RawResult[]) : undefined;
}

/** The error InfluxDB reported for one of the statements of a raw answer (node-influx throws these only when it parses). */
export function statementError(results: unknown): string | undefined {
  return rawResultsOf(results)?.find((result) => typeof result?.error === 'string')?.error;
}

const isSeries = (value: unknown): value is Series =>
  typeof value === 'object' && value !== null && Array.isArray((value as Series).columns) && Array.isArray((value as Series).values);

/** The series of each statement, from a raw answer; undefined for node-influx rows. */
function rawSeriesSets(results: unknown, statements: number): Series[][] | undefined {
  const raw = rawResultsOf(results);
  if (raw === undefined) return undefined;
  return Array.from({ length: statements }, (_, i) => (Array.isArray(raw[i]?.series) ? raw[i].series.filter(isSeries) : []));
}

/** The rows of a series, each a Row with `time` in ms since the epoch when the series has times. */
function rowsOfSeries(series: Series): Row[] {
  const { columns, values } = series;
  return values.map((value) => {
    const row: Row = {};
    columns.forEach((column, i) => {
      row[column] = column === 'time' ? timeOf(value[i]) : value[i];
    });
    return row;
  });
}

/** The rows of each statement from what `influxdb in` gave: raw InfluxDB JSON, or node-influx rows (one array for one statement, an array of them for several). */
export function resultSets(results: unknown, statements: number): Row[][] {
  const raw = rawSeriesSets(results, statements);
  if (raw !== undefined) return raw.map((set) => set.flatMap(rowsOfSeries));
  const isRows = (value: unknown): value is Row[] => Array.isArray(value) && value.every((row) => typeof row === 'object' && row !== null && !Array.isArray(row));
  if (statements === 1) return [isRows(results) ? results : []];
  if (!Array.isArray(results)) return Array.from({ length: statements }, () => []);
  return Array.from({ length: statements }, (_, i) => (isRows(results[i]) ? (results[i] as Row[]) : []));
}

/** The series of each statement; node-influx rows become one series of their time and the `fields` asked for. */
function seriesSets(results: unknown, statements: number, fields: readonly string[]): Series[][] {
  const raw = rawSeriesSets(results, statements);
  if (raw !== undefined) return raw;
  const columns = ['time', ...fields];
  return resultSets(results, statements).map((rows) => [{ columns, values: rows.map((row) => [rowTime(row), ...fields.map((field) => row[field])]) }]);
}

const READING_FIELDS = [...SENSOR_FIELDS, ...STATE_FIELDS];

/** The reading fields of `row` (null where missing or of the wrong type). */
function readingValues(row: Row): Row {
  const values: Row = {};
  for (const field of READING_FIELDS) {
    const value = row[field];
    values[field] = typeof value === 'number' || typeof value === 'boolean' ? value : null;
  }
  return values;
}

/** A page of readings, oldest first, and the time of its oldest (where the next page ends). */
interface ReadingsPage {
  readings: Row[];
  oldest: number | null;
}

/**
 * The newest `limit` readings of all result sets (the statements' parts of the range, each
 * already limited), oldest first, shaped straight from InfluxDB's value rows.
 */
function readingsOf(sets: Series[][], limit: number): ReadingsPage {
  const times: number[] = [];
  const rows: unknown[][] = [];
  const positions: number[][] = [];
  for (const set of sets) {
    for (const { columns, values } of set) {
      const timeAt = columns.indexOf('time');
      if (timeAt < 0) continue; // SHOW TAG VALUES: the device exists, no readings
      const at = READING_FIELDS.map((field) => columns.indexOf(field));
      for (const value of values) {
        const time = timeOf(value[timeAt]);
        if (time === null) continue;
        times.push(time);
        rows.push(value);
        positions.push(at);
      }
    }
  }
  // each statement's rows come newest first: a descending run, which sorting takes in one pass
  const order = times.map((_, i) => i).sort((a, b) => (times[a] as number) - (times[b] as number));
  const timestampOf = isoFormatter();
  const page = order.slice(Math.max(0, order.length - limit));
  const oldest = page.length === 0 ? null : (times[page[0] as number] as number);
  const readings = page.map((i) => {
    const value = rows[i] as unknown[];
    const at = positions[i] as number[];
    const reading: Row = { timestamp: timestampOf(times[i] as number) };
    READING_FIELDS.forEach((field, k) => {
      const v = value[at[k] as number];
      reading[field] = typeof v === 'number' || typeof v === 'boolean' ? v : null;
    });
    return reading;
  });
  return { readings, oldest };
}

const METRICS_TAG_COLUMNS: ReadonlySet<string> = new Set(['heatpump_id', ...METRICS_TAGS]);
const MEAN_PREFIX = 'mean_';

/**
 * Rows of `heatpump_metrics` (newest first per statement) as readings, oldest first: `{timestamp,
 * <metric>: value}` with the tag columns left out; windowed rows (mean(*)) named by their metric.
 */
function metricsRowsOf(sets: Row[][], limit: number, windowed: boolean): ReadingsPage {
  const readings: { time: number; row: Row }[] = [];
  for (const row of sets.flat()) {
    const time = rowTime(row);
    if (time === null) continue;
    const values: Row = { timestamp: iso(time) };
    for (const [column, value] of Object.entries(row)) {
      if (column === 'time' || METRICS_TAG_COLUMNS.has(column) || value === null || value === undefined) continue;
      values[windowed && column.startsWith(MEAN_PREFIX) ? column.slice(MEAN_PREFIX.length) : column] = value;
    }
    readings.push({ time, row: values });
  }
  readings.sort((a, b) => a.time - b.time);
  const page = readings.slice(Math.max(0, readings.length - limit));
  return { readings: page.map(({ row }) => row), oldest: page[0]?.time ?? null };
}

type ReadingsRequest = Extract<DatabaseRequest, { kind: 'readings' }>;

/** A window as the `window` parameter writes it (`30s`, `5m`, `1h`, `1d`). */
function windowParam(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms / 1000}s`;
}

/**
 * The link to the next, older page after a full page: the same start and window, the end just
 * before the page's oldest reading (stored times are whole milliseconds), so that following the
 * links gives every reading of the range once. Null when the page is not full or the range is done.
 */
export function nextReadingsPage(request: ReadingsRequest, count: number, oldest: number | null): string | null {
  if (count < request.limit || oldest === null || oldest - 1 < request.start) return null;
  const params = [`start=${Math.floor(request.start)}`, `end=${oldest - 1}`, `limit=${request.limit}`];
  if (request.window_ms !== null) params.push(`window=${windowParam(request.window_ms)}`);
  return `${request.path ?? `/api/devices/${encodeURIComponent(request.device_id)}/readings`}?${params.join('&')}`;
}

/**
 * The device's metrics as the API shows them: the merged metrics readings of its sources (metrics,
 * units, info: source, model, name, location), timestamp the newest, `updated` when each metric was
 * last reported.
 */
function metricsValues(device: DeviceRecord & { metrics: MetricsReading }): Row {
  const reading = device.metrics;
  const updated = Object.fromEntries(Object.keys(reading.metrics).map((metric) => [metric, iso(device.metric_times?.[metric] ?? reading.timestamp)]));
  return { timestamp: iso(reading.timestamp), metrics: { ...reading.metrics }, units: { ...reading.units }, updated, info: { ...reading.info } };
}

/** A device the fleet knows by the metrics readings of a polled source, and by no ESP32 reading. */
export function isMetricsDevice(device: DeviceRecord | undefined): device is DeviceRecord & { metrics: MetricsReading } {
  return device !== undefined && device.reading === null && device.metrics !== undefined;
}

const notFound = (id: string): ApiResponse => ({ statusCode: 404, payload: { error: `unknown device ${JSON.stringify(id)}` } });

export function healthStatus(health: Health): 'healthy' | 'degraded' | 'unhealthy' {
  // Without InfluxDB on purpose (history off) the live pipeline still works: degraded, not down.
  if (!health.history) return 'degraded';
  if (health.influxdb_connected !== true) return 'unhealthy';
  // readings wait on disk for the database: nothing is lost, but history is behind
  if (health.spooled_points > 0) return 'degraded';
  return health.mqtt_connected === true ? 'healthy' : 'degraded';
}

function healthResponse(fleet: FleetReader, now: number, historyNote: string): ApiResponse {
  const { health } = fleet;
  const status = healthStatus(health);
  const payload: Row = {
    status,
    influxdb_connected: health.influxdb_connected === true,
    mqtt_connected: health.mqtt_connected === true,
    history: health.history,
    spooled_points: health.spooled_points,
    dropped: fleet.dropped(),
    timestamp: iso(now),
  };
  if (!health.history) payload.notice = `${historyNote.charAt(0).toUpperCase()}${historyNote.slice(1)}; readings are not stored.`;
  return { statusCode: status === 'unhealthy' ? 503 : 200, payload };
}

/** Fleet counters exposed on /metrics, by their Prometheus name. */
export const METRICS: { name: string; counter: keyof FleetReader['counters']; help: string }[] = [
  { name: 'readings_total', counter: 'readings_accepted', help: 'Readings accepted: decoded by heatpump-decode, and metrics readings of polled sources.' },
  { name: 'readings_rejected_total', counter: 'payloads_rejected', help: 'Payloads and readings rejected by heatpump-decode.' },
  { name: 'fields_left_out_total', counter: 'fields_left_out', help: 'Fields left out of accepted readings (out of range, wrong type).' },
  { name: 'alerts_total', counter: 'alerts', help: 'Alerts raised or escalated (threshold and device-raised, one per episode).' },
  { name: 'points_written_total', counter: 'points_written', help: 'Points written to InfluxDB.' },
  { name: 'write_errors_total', counter: 'write_errors', help: 'Failed InfluxDB batch writes.' },
  { name: 'points_lost_total', counter: 'points_lost', help: 'Points given up after every write retry failed.' },
  { name: 'mqtt_outages_total', counter: 'mqtt_outages', help: 'Times the MQTT broker connection was lost.' },
];

const labelValue = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Prometheus text exposition format 0.0.4. */
export function prometheusText(fleet: FleetReader): string {
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, samples: Iterable<[string, number]>) => {
    lines.push(`# HELP heatpump_${name} ${help}`, `# TYPE heatpump_${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`heatpump_${name}${labels} ${value}`);
  };
  for (const { name, counter, help } of METRICS) metric(name, 'counter', help, [['', fleet.counters[counter]]]);
  const summary = fleet.summary();
  metric('devices_online', 'gauge', 'Devices currently online.', [['', summary.online]]);
  metric('devices_total', 'gauge', 'Devices known to the fleet.', [['', summary.total]]);
  metric('alerts_active', 'gauge', 'Active alerts by level.', [
    ['{level="warning"}', summary.warning],
    ['{level="critical"}', summary.critical],
  ]);
  const perDevice = (pick: (device: DeviceRecord) => number | null) =>
    (function* () {
      for (const device of fleet.all()) {
        const value = pick(device);
        if (value !== null) yield [`{device_id="${labelValue(device.device_id)}"}`, value] as [string, number];
      }
    })();
  metric('device_online', 'gauge', '1 when the device is online.', perDevice((d) => (d.online === null ? null : d.online ? 1 : 0)));
  metric('device_last_seen_seconds', 'gauge', 'When the device last sent a reading or message, in seconds since the epoch.', perDevice((d) => (d.last_seen === null ? null : d.last_seen / 1000)));
  metric(
    'dropped_total',
    'counter',
    'Readings and points the pipeline gave up, by reason: payload_rejected (heatpump-decode), buffer_full, retries_exhausted, spool_full, spool_failed, beyond_retention (heatpump-batch).',
    Object.entries(fleet.dropped()).map(([reason, count]) => [`{reason="${labelValue(reason)}"}`, count]),
  );
  metric('spooled_points', 'gauge', 'Points waiting in write spools on disk for InfluxDB.', [['', fleet.health.spooled_points]]);
  metric('mqtt_connected', 'gauge', '1 when the MQTT broker connection is up.', [['', fleet.health.mqtt_connected ? 1 : 0]]);
  metric('influxdb_connected', 'gauge', '1 when InfluxDB answers.', [['', fleet.health.influxdb_connected ? 1 : 0]]);
  return `${lines.join('\n')}\n`;
}

function deviceStatus(device: DeviceRecord): Row {
  return {
    device_id: device.device_id,
    is_online: device.online === true,
    last_seen: iso(device.last_seen),
    ...(isMetricsDevice(device) ? metricsValues(device) : readingValues((device.reading ?? {}) as Row)),
    alerts: Object.values(device.alerts).map((alert) => ({ ...alert, since: iso(alert.since), timestamp: iso(alert.timestamp) })),
  };
}

/** One device of /api/devices; a polled source's device also says which source and model it is. */
function deviceListEntry(device: DeviceRecord): Row {
  const entry: Row = { device_id: device.device_id, is_online: device.online === true, last_seen: iso(device.last_seen) };
  const info = device.metrics?.info;
  if (info?.source !== undefined) entry.source = info.source;
  if (info?.model !== undefined) entry.model = info.model;
  return entry;
}

function activeAlerts(fleet: FleetReader, deviceId: string | null): Row[] {
  const devices = deviceId === null ? fleet.all() : [fleet.get(deviceId)].filter((d): d is DeviceRecord => d !== undefined);
  const rows: { at: number; row: Row }[] = [];
  for (const device of devices) {
    for (const alert of Object.values(device.alerts)) {
      rows.push({ at: alert.timestamp, row: { device_id: device.device_id, ...alert, since: iso(alert.since), timestamp: iso(alert.timestamp) } });
    }
  }
  return rows.sort((a, b) => b.at - a.at).map(({ row }) => row);
}

/** Answers from the fleet's live state (heatpump-query output 2). */
export function liveResponse(request: LiveRequest, fleet: FleetReader, now: number, historyNote = ''): ApiResponse {
  switch (request.kind) {
    case 'health':
      return healthResponse(fleet, now, historyNote);
    case 'metrics':
      return { statusCode: 200, payload: prometheusText(fleet), headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' } };
    case 'stats': {
      const range = fleet.readingsRange();
      return {
        statusCode: 200,
        payload: {
          total_readings: fleet.counters.readings_accepted,
          total_alerts: fleet.counters.alerts,
          devices_online: fleet.summary().online,
          oldest_reading: iso(range?.[0]),
          newest_reading: iso(range?.[1]),
          points_written: fleet.counters.points_written,
          dropped: fleet.dropped(),
        },
      };
    }
    case 'devices': {
      const devices = [...fleet.all()].sort((a, b) => (a.device_id < b.device_id ? -1 : a.device_id > b.device_id ? 1 : 0));
      return { statusCode: 200, payload: devices.map(deviceListEntry) };
    }
    case 'status': {
      const device = fleet.get(request.device_id);
      return device ? { statusCode: 200, payload: deviceStatus(device) } : notFound(request.device_id);
    }
    case 'latest': {
      const device = fleet.get(request.device_id);
      if (isMetricsDevice(device)) return { statusCode: 200, payload: { device_id: request.device_id, ...metricsValues(device) } };
      const reading = device?.reading;
      if (!reading) return { statusCode: 404, payload: { error: `no reading from device ${JSON.stringify(request.device_id)}` } };
      return { statusCode: 200, payload: { device_id: request.device_id, timestamp: iso(reading.timestamp), ...readingValues(reading as Row) } };
    }
    case 'active_alerts':
      return { statusCode: 200, payload: activeAlerts(fleet, request.device_id) };
  }
}

/** History is off: no query is made, and the caller learns why (the fleet's note, "history is off: ..."). */
export function historyOffResponse(note: string): ApiResponse {
  return { statusCode: 503, payload: { error: note } };
}

/** 503 for a query InfluxDB failed or did not answer in time (the influxdb config node's timeout). */
export function queryFailedResponse(reason: string): ApiResponse {
  return { statusCode: 503, payload: { error: `InfluxDB query failed: ${reason}` } };
}

type PerformanceRequest = Extract<DatabaseRequest, { kind: 'performance' }>;
type EnergyRequest = Extract<DatabaseRequest, { kind: 'energy' }>;

/** Three decimals: kWh to the watt-hour, ratios far finer than any meter. */
const rounded = (value: number | null): number | null => (value === null ? null : Math.round(value * 1000) / 1000);
const numberOf = (row: Row, field: string): number | null => (typeof row[field] === 'number' && Number.isFinite(row[field]) ? (row[field] as number) : null);
const kWhOf = (rows: Row[], field: string) => rows.map((row) => ({ kWh: numberOf(row, field) ?? 0 }));

/** Σ heat, Σ electricity and their SPF over the days' fields `<prefix>heat_energy` / `<prefix>electrical_energy`. */
function energyOf(days: Row[], prefix = ''): SpfResult {
  return spfOverPeriods(kWhOf(days, `${prefix}heat_energy`), kWhOf(days, `${prefix}electrical_energy`));
}

const energyFigures = ({ heatKwh, electricityKwh, spf }: SpfResult) => ({ heat_kwh: rounded(heatKwh), electricity_kwh: rounded(electricityKwh), spf: rounded(spf) });

/**
 * A daily COP over several days, each day weighted by its electricity: that is Σ heat / Σ
 * electricity of the days' own windows, never a plain mean of ratios; null when no day has one.
 */
function electricityWeightedCop(days: Row[], field: string): number | null {
  let weighted = 0;
  let weights = 0;
  for (const day of days) {
    const cop = numberOf(day, field);
    const electricity = numberOf(day, 'electrical_energy');
    if (cop === null || electricity === null || electricity <= 0) continue;
    weighted += cop * electricity;
    weights += electricity;
  }
  return weights > 0 ? weighted / weights : null;
}

function sumOf(days: Row[], field: string): number | null {
  const values = days.map((day) => numberOf(day, field)).filter((value): value is number => value !== null);
  return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0);
}

function timedRows(rows: Row[]): { time: number; row: Row }[] {
  return rows.flatMap((row) => {
    const time = rowTime(row);
    return time === null ? [] : [{ time, row }];
  });
}

/**
 * The year's figures extrapolated to its end: per day so far, and by degree days (hot water per
 * day). The degree days so far come from the days' mean outdoor temperatures (a day without one
 * weighs as the mean of the measured ones); the rest of the year gets the typical monthly share of
 * the site's typical year, the mean of the earlier years measured in full (`earlier`: their days'
 * outdoor_mean). Without such a year the degree days so far stand for the year's share so far, so
 * the weather-dependent energy is extrapolated by the typical monthly share alone.
 */
function yearlyEstimates(request: PerformanceRequest, days: Row[], earlier: Row[], now: number) {
  const toDate = energyOf(days);
  const year = { start: request.start, end: request.end };
  const hotWater = energyOf(days, 'dhw_');
  const dailyAverage = dailyAverageYearlyEstimate(toDate, year, now);
  const measured = degreeDaysOfDailyMeans(days.map((day) => numberOf(day, 'outdoor_mean')));
  const measuredDays = measured.days - measured.daysWithoutData;
  const degreeDaysToDate = measuredDays > 0 ? (measured.degreeDays * measured.days) / measuredDays : 0;
  const typicalYear = typicalYearDegreeDays(timedRows(earlier).map(({ time, row }) => ({ t: time, outdoorMeanC: numberOf(row, 'outdoor_mean') })), request.time_zone);
  const degreeDays = degreeDayYearlyEstimate({ toDate, degreeDaysToDate, year, now, timeZone: request.time_zone, baseLoadToDate: hotWater, ...(typicalYear === undefined ? {} : { typicalYearDegreeDays: typicalYear }) });
  return {
    year_kwh_daily_average: energyFigures(dailyAverage),
    year_kwh_degree_days: { ...energyFigures(degreeDays), degree_days_to_date: measuredDays > 0 ? rounded(degreeDaysToDate) : null, typical_year_degree_days: rounded(typicalYear ?? null) },
  };
}

function performanceResponse(request: PerformanceRequest, sets: Row[][], fleet: FleetReader | undefined): ApiResponse {
  const days = timedRows(sets[0] ?? []).sort((a, b) => a.time - b.time).map(({ row }) => row);
  if (days.length === 0 && !fleet?.get(request.device_id)) return notFound(request.device_id);
  const windows = sets[1]?.[0] ?? {};
  const total = energyOf(days);
  const split = Object.fromEntries((['space', 'dhw', 'cooling'] as const).map((mode) => {
    const { heat_kwh, electricity_kwh, spf } = energyFigures(energyOf(days, `${mode}_`));
    return [mode, { heat_kwh, electricity_kwh, cop: spf }];
  }));
  const startsPerHour = days.map((day) => numberOf(day, 'max_starts_per_hour')).filter((value): value is number => value !== null);
  const cyclingDays = days.filter((day) => typeof day.short_cycling === 'boolean');
  const payload: Row = {
    device_id: request.device_id,
    period: request.period,
    time_zone: request.time_zone,
    start: iso(request.start),
    end: iso(request.end),
    days: days.length,
    ...energyFigures(total),
    cop_combined: rounded(electricityWeightedCop(days, 'cop_combined')),
    cop_running: rounded(electricityWeightedCop(days, 'cop_running')),
    split,
    defrosts: { count: sumOf(days, 'defrost_count'), minutes: rounded(sumOf(days, 'defrost_minutes')), heat_kwh: rounded(sumOf(days, 'defrost_heat')) },
    starts: sumOf(days, 'compressor_starts'),
    max_starts_per_hour: startsPerHour.length === 0 ? null : Math.max(...startsPerHour),
    short_cycling_days: cyclingDays.length === 0 ? null : cyclingDays.filter((day) => day.short_cycling === true).length,
    carnot_percent: rounded(numberOf(windows, 'carnot_percent')),
    quality: rounded(numberOf(windows, 'quality')),
    sound: days.length > 0 && days.every((day) => day.sound === true),
  };
  if (request.estimate_at !== null) payload.estimate = yearlyEstimates(request, days, sets[2] ?? [], request.estimate_at);
  return { statusCode: 200, payload };
}

/** Days bucketed into local days, ISO weeks or months (InfluxDB 1.x would group them in UTC). */
function energyResponse(request: EnergyRequest, sets: Row[][], fleet: FleetReader | undefined): ApiResponse {
  const days = timedRows(sets[0] ?? []);
  if (days.length === 0 && !fleet?.get(request.device_id)) return notFound(request.device_id);
  const payload = periodsBetween(request.start, request.end, request.every, request.time_zone).map((period) => {
    const inside = days.filter(({ time }) => time >= period.start && time < period.end).map(({ row }) => row);
    const figures = inside.length === 0 ? { heat_kwh: null, electricity_kwh: null, spf: null } : energyFigures(energyOf(inside));
    return { period: period.label, start: iso(period.start), end: iso(period.end), days: inside.length, ...figures };
  });
  return { statusCode: 200, payload };
}

type CopSeriesRequest = Extract<DatabaseRequest, { kind: 'cop_series' }>;
type DaysRequest = Extract<DatabaseRequest, { kind: 'days' }>;

/** COP means per chart window, oldest first: `[{time, cop_modulation, cop_delta_t, cop_running}]`. */
function copSeriesResponse(request: CopSeriesRequest, sets: Row[][], fleet: FleetReader | undefined): ApiResponse {
  const windows = timedRows(sets[0] ?? []).sort((a, b) => a.time - b.time);
  if (windows.length === 0 && !fleet?.get(request.device_id)) return notFound(request.device_id);
  const payload = windows.map(({ time, row }) => ({
    time: iso(time),
    cop_modulation: rounded(numberOf(row, 'cop_modulation')),
    cop_delta_t: rounded(numberOf(row, 'cop_delta_t')),
    cop_running: rounded(numberOf(row, 'cop_running')),
  }));
  return { statusCode: 200, payload };
}

/** One row per stored day, oldest first, with its local date and whether its figures are sound. */
function daysResponse(request: DaysRequest, sets: Row[][], fleet: FleetReader | undefined): ApiResponse {
  const days = timedRows(sets[0] ?? []).sort((a, b) => a.time - b.time);
  if (days.length === 0 && !fleet?.get(request.device_id)) return notFound(request.device_id);
  const payload = days.map(({ time, row }) => ({
    day: periodAt(time, 'day', request.time_zone).label,
    time: iso(time),
    heat_kwh: rounded(numberOf(row, 'heat_energy')),
    electricity_kwh: rounded(numberOf(row, 'electrical_energy')),
    spf: rounded(numberOf(row, 'spf')),
    defrosts: numberOf(row, 'defrost_count'),
    defrost_minutes: rounded(numberOf(row, 'defrost_minutes')),
    starts: numberOf(row, 'compressor_starts'),
    max_starts_per_hour: numberOf(row, 'max_starts_per_hour'),
    short_cycling: typeof row.short_cycling === 'boolean' ? row.short_cycling : null,
    quality: rounded(numberOf(row, 'quality')),
    // a day not stored as sound is not shown as sound
    sound: row.sound === true,
  }));
  return { statusCode: 200, payload };
}

type RuntimeRequest = Extract<DatabaseRequest, { kind: 'runtime' }>;

/** Each local day of the request with its compressor minutes; null before the raw data kept and on days without readings. */
function runtimeResponse(request: RuntimeRequest, sets: Row[][], fleet: FleetReader | undefined): ApiResponse {
  const perDay = (set: Row[] | undefined, field: string) => new Map(timedRows(set ?? []).map(({ time, row }) => [time, numberOf(row, field) ?? 0]));
  const minutes = perDay(sets[0], 'minutes');
  const readings = perDay(sets[1], 'readings');
  const lookedUp = sets[2] ?? [];
  if (readings.size === 0 && !fleet?.get(request.device_id) && lookedUp.length === 0) return notFound(request.device_id);
  // InfluxDB stamps a local day with its local midnight, or with the range start for a partial first day
  const inDay = (values: Map<number, number>, day: { start: number; end: number }) => [...values].find(([time]) => time >= day.start && time < day.end)?.[1] ?? 0;
  const days = periodsBetween(request.start, request.end, 'day', request.time_zone).map((day) => {
    const count = inDay(readings, day);
    const kept = day.end > request.raw_start;
    return {
      date: day.label,
      start: iso(day.start),
      hours: (day.end - day.start) / 3_600_000,
      runtime_minutes: kept && count > 0 ? inDay(minutes, day) : null,
      readings: kept ? count : null,
    };
  });
  const known = days.flatMap((day) => (day.runtime_minutes === null ? [] : [day.runtime_minutes]));
  return {
    statusCode: 200,
    payload: {
      device_id: request.device_id,
      time_zone: request.time_zone,
      start: iso(request.start),
      end: iso(request.end),
      raw_data_from: iso(request.raw_start),
      total_minutes: known.reduce((sum, value) => sum + value, 0),
      days,
    },
  };
}

type EffectRequest = Extract<DatabaseRequest, { kind: 'effect' }>;

/** An hourly row of the effect statement (influxql.ts) as the pure comparison takes it. */
function hourRowOf(time: number, row: Row): HourRow {
  return {
    time,
    windows: numberOf(row, 'windows') ?? 0,
    electricalW: numberOf(row, 'electrical_power'),
    deltaTW: numberOf(row, 'thermal_power_delta_t'),
    deltaTWindows: numberOf(row, 'delta_t_windows') ?? 0,
    modulationW: numberOf(row, 'thermal_power_modulation'),
    modulationWindows: numberOf(row, 'modulation_windows') ?? 0,
    outdoorC: numberOf(row, 'outdoor_temperature'),
    defrostShareMax: numberOf(row, 'defrost_share_max'),
    defrostShareLast: numberOf(row, 'defrost_share_last'),
  };
}

/** COP before and after a change on hours of similar outdoor temperature (before-after.ts). */
function effectResponse(request: EffectRequest, sets: Row[][], fleet: FleetReader | undefined): ApiResponse {
  const hours = timedRows(sets[0] ?? []);
  if (hours.length === 0 && !fleet?.get(request.device_id)) return notFound(request.device_id);
  const result = beforeAfter(
    hours.map(({ time, row }) => hourRowOf(time, row)),
    request.at,
  );
  return {
    statusCode: 200,
    payload: {
      device_id: request.device_id,
      at: iso(request.at),
      days: request.days,
      before: { start: iso(request.start), end: iso(request.at), ...result.unbinned.before },
      after: { start: iso(request.at), end: iso(request.end), ...result.unbinned.after },
      unbinned_change_percent: result.unbinned.change_percent,
      bin_kelvin: BIN_KELVIN,
      comparable: {
        hours: result.binned.comparable_hours,
        before: result.binned.before,
        after: result.binned.after,
        change_percent: result.binned.change_percent,
        interval_percent: result.binned.interval_percent,
        interval: `${INTERVAL_LEVEL * 100} % day-block bootstrap, ${BOOTSTRAP_RESAMPLES} resamples`,
        days_before: result.binned.days_before,
        days_after: result.binned.days_after,
      },
      bins: result.binned.bins,
      bins_one_sided: result.binned.bins_one_sided,
      hours_left_out: result.left_out,
      verdict: result.verdict,
      verdict_rule: VERDICT_RULE,
    },
  };
}

/**
 * A page of readings: the newest `limit` of the range, oldest first, with the link to the next
 * older page. The statements read parts of the range and, for a device the fleet does not know,
 * look it up (SHOW TAG VALUES has no time: found, never a reading).
 */
function readingsResponse(request: ReadingsRequest, results: unknown, fleet: FleetReader | undefined, statements: number): ApiResponse {
  let page: ReadingsPage;
  let anyRow: boolean;
  if (request.source === 'metrics') {
    const sets = resultSets(results, statements);
    page = metricsRowsOf(sets, request.limit, request.window_ms !== null);
    anyRow = sets.some((set) => set.length > 0);
  } else {
    const sets = seriesSets(results, statements, READING_FIELDS);
    page = readingsOf(sets, request.limit);
    anyRow = sets.some((set) => set.some((series) => series.values.length > 0));
  }
  const { readings, oldest } = page;
  if (readings.length === 0 && !anyRow && !fleet?.get(request.device_id)) return notFound(request.device_id);
  return {
    statusCode: 200,
    payload: {
      device_id: request.device_id,
      start: iso(request.start),
      end: iso(request.end),
      window: request.window_ms === null ? null : `${request.window_ms / 1000}s`,
      limit: request.limit,
      count: readings.length,
      next: nextReadingsPage(request, readings.length, oldest),
      readings,
    },
  };
}

/** The response to a database request from the answer to its `statements` InfluxQL statements. */
export function databaseResponse(request: DatabaseRequest, results: unknown, fleet: FleetReader | undefined, statements: number): ApiResponse {
  if (request.kind === 'readings') return readingsResponse(request, results, fleet, statements);
  const sets = resultSets(results, statements);
  const first = sets[0] ?? [];
  switch (request.kind) {
    case 'history': {
      // Hourly aggregates first, then the raw tail they do not cover yet; one series by time.
      const points = new Map<number, Row>();
      for (const set of sets) {
        for (const row of set) {
          const time = rowTime(row);
          if (time === null) continue;
          const values: Row = { time };
          for (const field of SENSOR_FIELDS) if (typeof row[field] === 'number') values[field] = row[field];
          points.set(time, values);
        }
      }
      return { statusCode: 200, payload: [...points.values()].sort((a, b) => (a.time as number) - (b.time as number)) };
    }
    case 'alerts':
      return {
        statusCode: 200,
        payload: first.map((row) => ({
          device_id: row.device_id,
          alert_type: row.alert_type,
          level: row.level,
          value: row.value,
          message: row.message,
          timestamp: iso(rowTime(row)),
        })),
      };
    case 'performance':
      return performanceResponse(request, sets, fleet);
    case 'energy':
      return energyResponse(request, sets, fleet);
    case 'cop_series':
      return copSeriesResponse(request, sets, fleet);
    case 'days':
      return daysResponse(request, sets, fleet);
    case 'runtime':
      return runtimeResponse(request, sets, fleet);
    case 'effect':
      return effectResponse(request, sets, fleet);
  }
}
