// InfluxQL for each database request, against the layout `npm run db:setup` creates: retention
// policies raw (default, 30 d), hourly and daily with continuous queries writing mean_/min_/max_
// fields, and the performance figures in the policies shared/retention.ts assigns them. Device ids reach here validated (deviceIdProblem), and are still escaped as literals.
import type { DatabaseRequest } from '../shared/api-request';
import { MEASUREMENT_COP } from '../heatpump-performance/analyser';
import { MEASUREMENT_ENERGY_DAILY } from '../heatpump-performance/daily';
import { MEASUREMENT_ALERT, MEASUREMENT_METRICS, MEASUREMENT_READING, SENSOR_FIELDS, STATE_FIELDS } from '../shared/contract';
import { storedMeasurement } from '../shared/retention';

const HOUR = 3_600_000;
const RAW = `"raw"."${MEASUREMENT_READING}"`;
const HOURLY = `"hourly"."${MEASUREMENT_READING}"`;
const ALERTS = `"raw"."${MEASUREMENT_ALERT}"`;
/** Readings of polled sources: no continuous queries aggregate them, so every read is of raw data. */
const METRICS = `"raw"."${MEASUREMENT_METRICS}"`;

export function stringLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const deviceIs = (id: string) => `"device_id" = ${stringLiteral(id)}`;
const heatpumpIs = (id: string) => `"heatpump_id" = ${stringLiteral(id)}`;
const between = (start: number, end: number) => `time >= ${Math.floor(start)}ms AND time <= ${Math.floor(end)}ms`;
const duration = (ms: number) => (ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`);

const RAW_FIELDS = [...SENSOR_FIELDS, ...STATE_FIELDS].map((f) => `"${f}"`).join(', ');
/** Windowed reads: mean of each sensor, the last state of each boolean. */
const WINDOWED_FIELDS = [
  ...SENSOR_FIELDS.map((f) => `mean("${f}") AS "${f}"`),
  ...STATE_FIELDS.map((f) => `last("${f}") AS "${f}"`),
].join(', ');
/** The same windows from the hourly aggregates: mean of the hourly means, last of the hourly last states. */
const WINDOWED_HOURLY_FIELDS = [
  ...SENSOR_FIELDS.map((f) => `mean("mean_${f}") AS "${f}"`),
  ...STATE_FIELDS.map((f) => `last("last_${f}") AS "${f}"`),
].join(', ');
/** One-hour windows are the hourly aggregates themselves: read as they are, far faster than grouped. */
const HOURLY_READING_FIELDS = [...SENSOR_FIELDS.map((f) => `"mean_${f}" AS "${f}"`), ...STATE_FIELDS.map((f) => `"last_${f}" AS "${f}"`)].join(', ');
const MEAN_FIELDS = SENSOR_FIELDS.map((f) => `mean("${f}") AS "${f}"`).join(', ');
const HOURLY_FIELDS = SENSOR_FIELDS.map((f) => `"mean_${f}" AS "${f}"`).join(', ');

/** Days (kept forever) and COP windows (a year) in the retention policies heatpump-batch writes them to. */
const ENERGY_DAILY = storedMeasurement(MEASUREMENT_ENERGY_DAILY);
const COP = storedMeasurement(MEASUREMENT_COP);
/** Half-open [start, end): a day stored at local midnight `end` belongs to the next period. */
const within = (start: number, end: number) => `time >= ${Math.floor(start)}ms AND time < ${Math.floor(end)}ms`;

/** How far back the yearly estimate looks for years with measured outdoor temperatures. */
const TYPICAL_YEARS_MS = 5 * 366 * 24 * HOUR;

/** Hourly continuous queries lag up to an hour (they run after each hour ends): newer windows come from raw data. */
export const AGGREGATE_LAG_MS = 2 * HOUR;

interface ReadingsPart {
  source: 'raw' | 'hourly';
  start: number;
  end: { at: number; inclusive: boolean };
}

/**
 * Where the windows of a windowed readings request come from. Whole-hour windows that lie entirely
 * within the aggregated past are read from the hourly aggregates (a few hundred points instead of
 * tens of thousands of raw rows); a partial first window and the newest windows the continuous
 * query has not aggregated yet come from raw data. Windows align to the epoch like GROUP BY time,
 * so no window is split between two sources.
 */
export function windowedReadings(start: number, end: number, windowMs: number, now: number): ReadingsPart[] {
  const [from, to] = [Math.floor(start), Math.floor(end)];
  const whole = Math.ceil(from / windowMs) * windowMs;
  const split = Math.floor((Math.min(to, now) - AGGREGATE_LAG_MS) / windowMs) * windowMs;
  if (windowMs % HOUR !== 0 || whole >= split) return [{ source: 'raw', start: from, end: { at: to, inclusive: true } }];
  const parts: ReadingsPart[] = [];
  if (from < whole) parts.push({ source: 'raw', start: from, end: { at: whole, inclusive: false } });
  parts.push({ source: 'hourly', start: whole, end: { at: split, inclusive: false } }, { source: 'raw', start: split, end: { at: to, inclusive: true } });
  return parts;
}

/**
 * The statements for a request at `now`; several are joined with `;` and come back as one result
 * each. `knownDevice`: the fleet knows the device, so readings need no look-up to tell an unknown
 * device (404) from a known one without data in the range.
 */
export function influxqlStatements(request: DatabaseRequest, now: number, knownDevice = false): string[] {
  switch (request.kind) {
    case 'readings': {
      const { window_ms: windowMs, limit } = request;
      if (request.source === 'metrics') {
        // the metrics are whatever the source sends: every field, windows as means of the numeric ones
        const grouped = windowMs === null ? '' : ` GROUP BY time(${duration(windowMs)}) fill(none)`;
        const fields = windowMs === null ? '*' : 'mean(*)';
        return [`SELECT ${fields} FROM ${METRICS} WHERE ${heatpumpIs(request.device_id)} AND ${between(request.start, request.end)}${grouped} ORDER BY time DESC LIMIT ${limit}`];
      }
      const newest = `ORDER BY time DESC LIMIT ${limit}`;
      const select = (fields: string, from: string, range: string, grouped: boolean) =>
        `SELECT ${fields} FROM ${from} WHERE ${deviceIs(request.device_id)} AND ${range}${grouped ? ` GROUP BY time(${duration(windowMs ?? 0)}) fill(none)` : ''} ${newest}`;
      const selects =
        windowMs === null
          ? [select(RAW_FIELDS, RAW, between(request.start, request.end), false)]
          : windowedReadings(request.start, request.end, windowMs, now).map(({ source, start, end }) => {
              const range = `time >= ${start}ms AND time ${end.inclusive ? '<=' : '<'} ${end.at}ms`;
              if (source === 'raw') return select(WINDOWED_FIELDS, RAW, range, true);
              return windowMs === HOUR ? select(HOURLY_READING_FIELDS, HOURLY, range, false) : select(WINDOWED_HOURLY_FIELDS, HOURLY, range, true);
            });
      if (knownDevice) return selects;
      return [...selects, `SHOW TAG VALUES FROM "${MEASUREMENT_READING}" WITH KEY = "device_id" WHERE ${deviceIs(request.device_id)}`];
    }
    case 'history': {
      const grouped = (start: number) =>
        `SELECT ${MEAN_FIELDS} FROM ${RAW} WHERE ${deviceIs(request.device_id)} AND ${between(start, request.end)} GROUP BY time(${duration(request.window_ms)}) fill(none)`;
      if (request.split === null) return [grouped(request.start)];
      return [
        `SELECT ${HOURLY_FIELDS} FROM ${HOURLY} WHERE ${deviceIs(request.device_id)} AND time >= ${request.start}ms AND time < ${request.split}ms`,
        grouped(request.split),
      ];
    }
    case 'alerts': {
      const conditions = [`time > now() - ${request.hours}h`];
      if (request.device_id !== null) conditions.push(deviceIs(request.device_id));
      if (request.level !== null) conditions.push(`"level" = ${stringLiteral(request.level)}`);
      return [`SELECT * FROM ${ALERTS} WHERE ${conditions.join(' AND ')} ORDER BY time DESC LIMIT ${request.limit}`];
    }
    case 'performance': {
      const where = `${deviceIs(request.device_id)} AND ${within(request.start, request.end)}`;
      // the days are summed in JS (SPF of sums, electricity-weighted COPs); the windows only averaged
      const statements = [
        `SELECT * FROM ${ENERGY_DAILY} WHERE ${where}`,
        `SELECT mean("carnot_percent") AS "carnot_percent", mean("quality") AS "quality" FROM ${COP} WHERE ${where}`,
      ];
      // the yearly estimate: the outdoor means of earlier years give the site's typical degree days
      if (request.estimate_at !== null) {
        statements.push(`SELECT "outdoor_mean" FROM ${ENERGY_DAILY} WHERE ${deviceIs(request.device_id)} AND ${within(request.start - TYPICAL_YEARS_MS, request.start)}`);
      }
      return statements;
    }
    case 'energy':
      // no GROUP BY time: InfluxDB 1.x groups in UTC, local weeks and months are summed in JS
      return [`SELECT "heat_energy", "electrical_energy" FROM ${ENERGY_DAILY} WHERE ${deviceIs(request.device_id)} AND ${within(request.start, request.end)}`];
    case 'cop_series':
    case 'days':
      return calendarStatements(request);
    case 'runtime':
      return runtimeStatements(request, knownDevice);
    case 'effect':
      return [effectStatement(request)];
  }
}

/**
 * Hourly means of the `cop` windows that have an electrical power, hours starting at the change
 * (GROUP BY offset) so no hour straddles it. Means rather than sums: an hour's energy is its mean
 * power × 1 h whatever window length heatpump-performance is set to. The counts tell whether every
 * window of the hour has the same heat figure; the defrost shares which hours a defrost distorts.
 */
function effectStatement(request: Extract<DatabaseRequest, { kind: 'effect' }>): string {
  const offset = ((request.at % HOUR) + HOUR) % HOUR;
  const groups = offset === 0 ? '1h' : `1h, ${duration(offset)}`;
  const fields = [
    'mean("electrical_power") AS "electrical_power"',
    'count("electrical_power") AS "windows"',
    'mean("thermal_power_delta_t") AS "thermal_power_delta_t"',
    'count("thermal_power_delta_t") AS "delta_t_windows"',
    'mean("thermal_power_modulation") AS "thermal_power_modulation"',
    'count("thermal_power_modulation") AS "modulation_windows"',
    'mean("outdoor_temperature") AS "outdoor_temperature"',
    'max("defrost_share") AS "defrost_share_max"',
    'last("defrost_share") AS "defrost_share_last"',
  ].join(', ');
  return `SELECT ${fields} FROM ${COP} WHERE ${deviceIs(request.device_id)} AND "electrical_power" >= 0 AND ${within(request.start, request.end)} GROUP BY time(${groups}) fill(none)`;
}

/** Means of the thermal methods' COPs per chart window. */
const COP_SERIES_FIELDS = ['cop_modulation', 'cop_delta_t', 'cop_running'].map((f) => `mean("${f}") AS "${f}"`).join(', ');

/** Statements of the Performance page's requests (kinds cop_series and days). */
function calendarStatements(request: Extract<DatabaseRequest, { kind: 'cop_series' | 'days' }>): string[] {
  const where = `${deviceIs(request.device_id)} AND ${within(request.start, request.end)}`;
  if (request.kind === 'days') return [`SELECT * FROM ${ENERGY_DAILY} WHERE ${where}`];
  // windows start at the period's local midnight (InfluxQL aligns them to the epoch, in UTC)
  const offset = ((request.start % request.window_ms) + request.window_ms) % request.window_ms;
  const groups = offset === 0 ? duration(request.window_ms) : `${duration(request.window_ms)}, ${duration(offset)}`;
  return [`SELECT ${COP_SERIES_FIELDS} FROM ${COP} WHERE ${where} GROUP BY time(${groups}) fill(none)`];
}

/**
 * Compressor minutes per local day: a minute counts when a reading in it says the compressor runs
 * (devices report every few seconds), counted per day in the zone by InfluxDB (tz() also gives the
 * 23- and 25-hour days of a DST change); and the readings per day, so a day without any is told
 * from a day the compressor stood still.
 */
function runtimeStatements(request: Extract<DatabaseRequest, { kind: 'runtime' }>, knownDevice: boolean): string[] {
  const range = within(request.raw_start, request.end);
  const localDays = `GROUP BY time(1d) fill(none) tz(${stringLiteral(request.time_zone)})`;
  const statements = [
    `SELECT count("running") AS "minutes" FROM (SELECT count("compressor_running") AS "running" FROM ${RAW} WHERE ${deviceIs(request.device_id)} AND "compressor_running" = true AND ${range} GROUP BY time(1m) fill(none)) WHERE ${range} ${localDays}`,
    `SELECT count("compressor_running") AS "readings" FROM ${RAW} WHERE ${deviceIs(request.device_id)} AND ${range} ${localDays}`,
  ];
  if (knownDevice) return statements;
  return [...statements, `SHOW TAG VALUES FROM "${MEASUREMENT_READING}" WITH KEY = "device_id" WHERE ${deviceIs(request.device_id)}`];
}

export function influxql(request: DatabaseRequest, now: number, knownDevice = false): string {
  return influxqlStatements(request, now, knownDevice).join('; ');
}
