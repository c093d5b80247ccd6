// InfluxDB line protocol for our points, written the way node-red-contrib-influxdb's `influxdb
// batch` (node-influx) writes them, so that a database filled through either has the same field
// types: every number is a float (no `i` suffix), booleans are true/false, strings are quoted.
// Timestamps are in ms (the write's precision=ms): every point of ours has a ms-resolution Date.
import type { InfluxPoint } from './contract';

const MEASUREMENT_SPECIAL = /[, ]/;
const MEASUREMENT_ESCAPE = /[, ]/g;
const KEY_SPECIAL = /[,= ]/;
const KEY_ESCAPE = /[,= ]/g;
const STRING_ESCAPE = /["\\]/g;

/** escaped only when needed: almost every name and tag value of ours has nothing to escape */
const measurementOf = (name: string): string => (MEASUREMENT_SPECIAL.test(name) ? name.replace(MEASUREMENT_ESCAPE, '\\$&') : name);
const keyOf = (key: string): string => (KEY_SPECIAL.test(key) ? key.replace(KEY_ESCAPE, '\\$&') : key);

function fieldValue(value: number | boolean | string): string {
  if (typeof value === 'string') return `"${value.replace(STRING_ESCAPE, '\\$&')}"`;
  return String(value);
}

/**
 * One point as a line; tags and fields in their order. (node-influx sorts the fields by name;
 * InfluxDB takes them in any order, and not sorting halves the cost of a line.)
 */
export function toLine(point: InfluxPoint): string {
  let line = measurementOf(point.measurement);
  // Object.keys, not Object.entries: one array a point instead of one more per tag and field
  const { tags, fields } = point;
  for (const key of Object.keys(tags)) line += `,${keyOf(key)}=${keyOf(tags[key] as string)}`;
  let separator = ' ';
  for (const name of Object.keys(fields)) {
    line += `${separator}${keyOf(name)}=${fieldValue(fields[name] as number | boolean | string)}`;
    separator = ',';
  }
  return `${line} ${point.timestamp.getTime()}`;
}

/** The body of one write: a line per point, precision ms. */
export function toLines(points: readonly InfluxPoint[]): string {
  let body = '';
  let separator = '';
  for (const point of points) {
    body += separator + toLine(point);
    separator = '\n';
  }
  return body;
}
