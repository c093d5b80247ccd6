// Response bodies of the HTTP API (seed 000 sections 5.2 and 7.2), built from InfluxDB rows and
// the runtime's own state. Pure: no Node-RED import, `now` passed in.
import type { ApiRequest, DatabaseRequest } from './api-request';
import { SENSOR_FIELDS, STATE_FIELDS, type FleetSummary } from './contract';

export interface ApiResponse {
  statusCode: number;
  payload: unknown;
  headers?: Record<string, string>;
}

/** What the flow knows besides InfluxDB: filled from global context by the shipped API flow. */
export interface RuntimeState {
  fleet?: FleetSummary | undefined;
  health?: HealthFlags | undefined;
  metrics?: Partial<Record<MetricName, number>> | undefined;
}

export interface HealthFlags {
  mqtt_connected?: boolean;
  influxdb_connected?: boolean;
  /** false when the runtime was started without any InfluxDB on purpose */
  history?: boolean;
}

export type Row = Record<string, unknown>;

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/** InfluxDB row times arrive as Date (node-influx), ISO strings (after JSON) or numbers. */
export function rowTime(row: Row): number | null {
  const time = row.time;
  if (time instanceof Date) return time.getTime();
  if (typeof time === 'string') {
    const parsed = Date.parse(time);
    return Number.isFinite(parsed) ? parsed : null;
  }
  return typeof time === 'number' ? time : null;
}

/** `influxdb in` gives one row array for one statement and an array of row arrays for several. */
export function resultSets(results: unknown, statements: number): Row[][] {
  const isRows = (value: unknown): value is Row[] => Array.isArray(value) && value.every((row) => typeof row === 'object' && row !== null && !Array.isArray(row));
  if (statements === 1) return [isRows(results) ? results : []];
  if (!Array.isArray(results)) return Array.from({ length: statements }, () => []);
  return Array.from({ length: statements }, (_, i) => (isRows(results[i]) ? (results[i] as Row[]) : []));
}

function readingValues(row: Row): Row {
  const values: Row = {};
  for (const field of [...SENSOR_FIELDS, ...STATE_FIELDS]) {
    const value = row[field];
    values[field] = typeof value === 'number' || typeof value === 'boolean' ? value : null;
  }
  return values;
}

const fleetDevice = (fleet: FleetSummary | undefined, id: string) => fleet?.devices.find((d) => d.device_id === id);
const notFound = (id: string): ApiResponse => ({ statusCode: 404, payload: { error: `unknown device ${JSON.stringify(id)}` } });

export function healthStatus(flags: HealthFlags): 'healthy' | 'degraded' | 'unhealthy' {
  // Without InfluxDB on purpose (history off) the live pipeline still works: degraded, not down.
  if (flags.history === false) return 'degraded';
  if (!flags.influxdb_connected) return 'unhealthy';
  return flags.mqtt_connected ? 'healthy' : 'degraded';
}

function healthResponse(flags: HealthFlags, now: number): ApiResponse {
  const status = healthStatus(flags);
  const payload: Row = {
    status,
    influxdb_connected: flags.influxdb_connected === true,
    mqtt_connected: flags.mqtt_connected === true,
    history: flags.history !== false,
    timestamp: iso(now),
  };
  if (flags.history === false) payload.notice = 'History is off: no InfluxDB is configured or reachable, readings are not stored.';
  return { statusCode: status === 'unhealthy' ? 503 : 200, payload };
}

export const METRICS: { name: MetricName; help: string; type: 'counter' | 'gauge' }[] = [
  { name: 'readings_total', help: 'Readings accepted by heatpump-decode.', type: 'counter' },
  { name: 'readings_rejected', help: 'Readings and payloads rejected by heatpump-decode.', type: 'counter' },
  { name: 'alerts_total', help: 'Alerts raised or escalated (threshold and device-raised).', type: 'counter' },
  { name: 'points_written', help: 'Points written to InfluxDB.', type: 'counter' },
  { name: 'write_errors', help: 'Failed InfluxDB batch writes.', type: 'counter' },
];
export type MetricName = 'readings_total' | 'readings_rejected' | 'alerts_total' | 'points_written' | 'write_errors';

const labelValue = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Prometheus text exposition format 0.0.4. */
export function prometheusText(state: RuntimeState): string {
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
    lines.push(`# HELP heatpump_${name} ${help}`, `# TYPE heatpump_${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`heatpump_${name}${labels} ${value}`);
  };
  for (const { name, help, type } of METRICS) {
    const exposed = type === 'counter' && !name.endsWith('_total') ? `${name}_total` : name;
    metric(exposed, type, help, [['', state.metrics?.[name] ?? 0]]);
  }
  const devices = state.fleet?.devices ?? [];
  metric('devices_online', 'gauge', 'Devices currently online.', [['', devices.filter((d) => d.online).length]]);
  metric('devices_total', 'gauge', 'Devices known to online-tracker.', [['', devices.length]]);
  metric('device_online', 'gauge', '1 when the device is online.', devices.map((d) => [`{device_id="${labelValue(d.device_id)}"}`, d.online ? 1 : 0]));
  metric(
    'device_last_seen_seconds',
    'gauge',
    'When the device was last heard from, in seconds since the epoch.',
    devices.filter((d) => d.last_seen !== null).map((d) => [`{device_id="${labelValue(d.device_id)}"}`, (d.last_seen ?? 0) / 1000]),
  );
  metric('mqtt_connected', 'gauge', '1 when the MQTT broker connection is up.', [['', state.health?.mqtt_connected ? 1 : 0]]);
  metric('influxdb_connected', 'gauge', '1 when InfluxDB answers.', [['', state.health?.influxdb_connected ? 1 : 0]]);
  return `${lines.join('\n')}\n`;
}

/** Answers for requests that need no database (heatpump-query output 2). */
export function localResponse(request: Extract<ApiRequest, { kind: 'health' | 'metrics' }>, state: RuntimeState, now: number): ApiResponse {
  if (request.kind === 'health') return healthResponse(state.health ?? {}, now);
  return { statusCode: 200, payload: prometheusText(state), headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' } };
}

/** The response to a database request from the rows of its `statements` InfluxQL statements. */
export function databaseResponse(request: DatabaseRequest, results: unknown, state: RuntimeState, statements: number): ApiResponse {
  const sets = resultSets(results, statements);
  const first = sets[0] ?? [];
  const fleet = state.fleet;
  switch (request.kind) {
    case 'devices': {
      const byId = new Map<string, { device_id: string; is_online: boolean; last_seen: number | null }>();
      for (const row of first) {
        if (typeof row.device_id !== 'string') continue;
        byId.set(row.device_id, { device_id: row.device_id, is_online: false, last_seen: rowTime(row) });
      }
      for (const device of fleet?.devices ?? []) {
        const stored = byId.get(device.device_id);
        const lastSeen = Math.max(stored?.last_seen ?? 0, device.last_seen ?? 0) || null;
        byId.set(device.device_id, { device_id: device.device_id, is_online: device.online, last_seen: lastSeen });
      }
      const devices = [...byId.values()].sort((a, b) => a.device_id.localeCompare(b.device_id));
      return { statusCode: 200, payload: devices.map((d) => ({ ...d, last_seen: iso(d.last_seen) })) };
    }
    case 'status':
    case 'latest': {
      const row = first[0];
      const tracked = fleetDevice(fleet, request.device_id);
      if (!row && !tracked) return notFound(request.device_id);
      if (request.kind === 'latest') {
        if (!row) return { statusCode: 404, payload: { error: `no stored reading for device ${JSON.stringify(request.device_id)}` } };
        return { statusCode: 200, payload: { device_id: request.device_id, timestamp: iso(rowTime(row)), ...readingValues(row) } };
      }
      const lastSeen = Math.max(row ? (rowTime(row) ?? 0) : 0, tracked?.last_seen ?? 0) || null;
      return {
        statusCode: 200,
        payload: { device_id: request.device_id, is_online: tracked?.online ?? false, last_seen: iso(lastSeen), ...readingValues(row ?? {}) },
      };
    }
    case 'readings': {
      if (first.length === 0 && !fleetDevice(fleet, request.device_id) && (sets[1] ?? []).length === 0) return notFound(request.device_id);
      const readings = first
        .map((row) => ({ time: rowTime(row), values: readingValues(row) }))
        .filter((r): r is { time: number; values: Row } => r.time !== null)
        .sort((a, b) => a.time - b.time)
        .map((r) => ({ timestamp: iso(r.time), ...r.values }));
      return {
        statusCode: 200,
        payload: {
          device_id: request.device_id,
          start: iso(request.start),
          end: iso(request.end),
          window: request.window_ms === null ? null : `${request.window_ms / 1000}s`,
          count: readings.length,
          readings,
        },
      };
    }
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
    case 'stats': {
      const counts = sets[0]?.[0] ?? {};
      const readingCounts = Object.entries(counts)
        .filter(([key, value]) => key.startsWith('count_') && typeof value === 'number')
        .map(([, value]) => value as number);
      const oldest = sets[2]?.[0];
      const newest = sets[3]?.[0];
      return {
        statusCode: 200,
        payload: {
          total_readings: readingCounts.length > 0 ? Math.max(...readingCounts) : 0,
          total_alerts: typeof sets[1]?.[0]?.count === 'number' ? sets[1][0].count : 0,
          devices_online: fleet?.online ?? 0,
          oldest_reading: oldest ? iso(rowTime(oldest)) : null,
          newest_reading: newest ? iso(rowTime(newest)) : null,
        },
      };
    }
  }
}
