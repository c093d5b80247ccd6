// InfluxQL for each database request, against the layout `npm run db:setup` creates: retention
// policies raw (default, 30 d), hourly and daily with continuous queries writing mean_/min_/max_
// fields. Device ids reach here validated (deviceIdProblem), and are still escaped as literals.
import type { DatabaseRequest } from '../shared/api-request';
import { MEASUREMENT_ALERT, MEASUREMENT_READING, SENSOR_FIELDS, STATE_FIELDS } from '../shared/contract';

const RAW = `"raw"."${MEASUREMENT_READING}"`;
const HOURLY = `"hourly"."${MEASUREMENT_READING}"`;
const ALERTS = `"raw"."${MEASUREMENT_ALERT}"`;

export function stringLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const deviceIs = (id: string) => `"device_id" = ${stringLiteral(id)}`;
const between = (start: number, end: number) => `time >= ${Math.floor(start)}ms AND time <= ${Math.floor(end)}ms`;
const duration = (ms: number) => (ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`);

const RAW_FIELDS = [...SENSOR_FIELDS, ...STATE_FIELDS].map((f) => `"${f}"`).join(', ');
/** Windowed reads: mean of each sensor, the last state of each boolean. */
const WINDOWED_FIELDS = [
  ...SENSOR_FIELDS.map((f) => `mean("${f}") AS "${f}"`),
  ...STATE_FIELDS.map((f) => `last("${f}") AS "${f}"`),
].join(', ');
const MEAN_FIELDS = SENSOR_FIELDS.map((f) => `mean("${f}") AS "${f}"`).join(', ');
const HOURLY_FIELDS = SENSOR_FIELDS.map((f) => `"mean_${f}" AS "${f}"`).join(', ');

/** The statements for a request; several are joined with `;` and come back as one result each. */
export function influxqlStatements(request: DatabaseRequest): string[] {
  switch (request.kind) {
    case 'readings': {
      const where = `WHERE ${deviceIs(request.device_id)} AND ${between(request.start, request.end)}`;
      const select =
        request.window_ms === null
          ? `SELECT ${RAW_FIELDS} FROM ${RAW} ${where} ORDER BY time DESC LIMIT ${request.limit}`
          : `SELECT ${WINDOWED_FIELDS} FROM ${RAW} ${where} GROUP BY time(${duration(request.window_ms)}) fill(none) ORDER BY time DESC LIMIT ${request.limit}`;
      // The second statement tells an unknown device (404) from a known one with no data in range.
      return [select, `SHOW TAG VALUES FROM "${MEASUREMENT_READING}" WITH KEY = "device_id" WHERE ${deviceIs(request.device_id)}`];
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
  }
}

export function influxql(request: DatabaseRequest): string {
  return influxqlStatements(request).join('; ');
}
