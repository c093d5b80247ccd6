// The requests heatpump-query understands (from `http in` routes or from a dashboard) and that
// heatpump-response shapes answers for. Pure: no Node-RED import.
import type { AlertLevel } from './contract';
import { PERIOD_KINDS, type PeriodKind } from '../heatpump-performance/periods';

export const HISTORY_RANGES = { '1h': 3_600_000, '24h': 86_400_000, '7d': 604_800_000, '30d': 2_592_000_000 } as const;
export type HistoryRange = keyof typeof HISTORY_RANGES;

/** Requests answered from InfluxDB (heatpump-query output 1 -> influxdb in -> heatpump-response). */
export type DatabaseRequest =
  /**
   * A page of at most `limit` readings, the newest of [start, end]. `source: 'metrics'` (set by
   * heatpump-query for a device the fleet knows by its metrics readings): read `heatpump_metrics`
   * instead of `sensor_reading`. `path`: the URL path it was asked on, for the next page's link.
   */
  | { kind: 'readings'; device_id: string; start: number; end: number; window_ms: number | null; limit: number; source?: 'metrics'; path?: string }
  | { kind: 'history'; device_id: string; range: HistoryRange; start: number; end: number; window_ms: number; split: number | null }
  | { kind: 'alerts'; device_id: string | null; level: AlertLevel | null; hours: number; limit: number }
  /**
   * Heat pump performance over [start, end) from `energy_daily` days and `cop` windows;
   * `estimate_at` (period=year only): the instant the yearly estimate extrapolates from
   */
  | { kind: 'performance'; device_id: string; period: PerformancePeriod; start: number; end: number; time_zone: string; estimate_at: number | null }
  /** Heat and electricity per local day, ISO week or month over [start, end) (whole periods) */
  | { kind: 'energy'; device_id: string; every: EnergyPeriodKind; start: number; end: number; time_zone: string }
  /**
   * The current local day, week, month or year of `cop` windows for a chart: their means per
   * `window_ms`, the windows starting at `start` (a local midnight) so a day is one bucket
   */
  | { kind: 'cop_series'; device_id: string; period: PeriodKind; start: number; end: number; window_ms: number; time_zone: string }
  /** The stored `energy_daily` days of the current local day, week, month or year, one row each */
  | { kind: 'days'; device_id: string; period: PeriodKind; start: number; end: number; time_zone: string }
  /**
   * Compressor minutes per local day over [start, end) (whole local days ending today), counted from
   * raw readings from `raw_start` on (raw data is kept 30 days; earlier days have no figure)
   */
  | { kind: 'runtime'; device_id: string; days: number; start: number; end: number; raw_start: number; time_zone: string }
  /**
   * COP before and after the instant `at` (a change), hourly from the `cop` windows of
   * [start, at) and [at, end), two equal spans of `days` days or shorter when `at` is recent
   */
  | { kind: 'effect'; device_id: string; at: number; days: number; start: number; end: number };

export const PERFORMANCE_PERIODS = [...PERIOD_KINDS, 'custom'] as const;
export type PerformancePeriod = (typeof PERFORMANCE_PERIODS)[number];
/** `every` of the energy endpoint and the calendar period each stands for. */
export const ENERGY_EVERY = { '1d': 'day', '1w': 'week', '1mo': 'month' } as const satisfies Record<string, PeriodKind>;
export type EnergyPeriodKind = (typeof ENERGY_EVERY)[keyof typeof ENERGY_EVERY];

/** Requests answered from the fleet's live state, without InfluxDB (heatpump-query output 2). */
export type LiveRequest =
  | { kind: 'health' }
  | { kind: 'metrics' }
  | { kind: 'stats' }
  | { kind: 'devices' }
  | { kind: 'status'; device_id: string }
  | { kind: 'latest'; device_id: string }
  | { kind: 'active_alerts'; device_id: string | null };

export type ApiRequest = DatabaseRequest | LiveRequest;

const DATABASE_KINDS: ReadonlySet<string> = new Set<DatabaseRequest['kind']>(['readings', 'history', 'alerts', 'performance', 'energy', 'cop_series', 'days', 'runtime', 'effect']);

export function isDatabaseRequest(request: ApiRequest): request is DatabaseRequest {
  return DATABASE_KINDS.has(request.kind);
}

/** True for the kind of a request answered from InfluxDB (heatpump-response checks what it is given). */
export function isDatabaseKind(kind: unknown): boolean {
  return typeof kind === 'string' && DATABASE_KINDS.has(kind);
}

/** A request that cannot be answered: the HTTP status and a message for the caller. */
export interface ApiProblem {
  statusCode: 400 | 404;
  error: string;
}
