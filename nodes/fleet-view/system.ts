// The System page: connection health, the fleet's counters, per-minute rates and the last
// rejections, as raw values and as ready texts. Pure: the translator and the time are passed in.
import { healthStatus } from '../shared/api-response';
import type { CounterName, Counters, Dropped, Health, Rejection } from '../heatpump-fleet/fleet-state';
import type { Translate } from './format';
import type { Rates } from './rates';
import { rejectionRows, type RejectionRow } from './rows';

/** What the System view reads of the fleet. */
export interface SystemSource {
  health: Health;
  counters: Counters;
  dropped(): Dropped;
  rejections(): readonly Rejection[];
  /** why history is off; empty when it is on */
  historyNote: string;
  /** 'memory only' when the fleet's store is not configured; else empty */
  storeNote: string;
}

export interface SystemTexts {
  status: string;
  mqtt: string;
  influxdb: string;
  history: string;
  nodered: string;
  store: string;
  readings_rate: string;
  points_rate: string;
  rejected_rate: string;
  alerts_rate: string;
  readings_total: string;
  payloads_rejected: string;
  fields_left_out: string;
  alerts_total: string;
  points_written: string;
  write_errors: string;
  points_lost: string;
}

export interface SystemPayload {
  status: 'healthy' | 'degraded' | 'unhealthy';
  health: Health;
  counters: Counters;
  /** what the pipeline gave up, by reason */
  dropped: Dropped;
  /** per minute over the last minute; null while there are too few samples */
  rates: Rates;
  text: SystemTexts;
  /** newest first, for a ui-table */
  rejections: RejectionRow[];
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export function uptimeText(t: Translate, startedAt: number, now: number): string {
  const up = Math.max(0, now - startedAt);
  if (up < HOUR) return t('text.uptime-minutes', { minutes: Math.floor(up / MINUTE) });
  if (up < 48 * HOUR) return t('text.uptime-hours', { hours: (up / HOUR).toFixed(1) });
  return t('text.uptime-days', { days: (up / (24 * HOUR)).toFixed(1) });
}

/** The fleet's notes are written to follow a colon; on their own line they start a sentence. */
const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

const yesNo = (t: Translate, value: boolean | null, yes: string, no: string) => t(`text.${value === null ? 'unknown' : value ? yes : no}`);

export function systemPayload(source: SystemSource, rates: Rates, t: Translate, now: number): SystemPayload {
  const { health, counters } = source;
  const dropped = source.dropped();
  // points lost with their reasons, e.g. "5000 (spool_full 5000)": the names are the /metrics labels
  const lostBy = Object.entries(dropped)
    .filter(([reason, count]) => reason !== 'payload_rejected' && count > 0)
    .map(([reason, count]) => `${reason} ${count}`);
  const status = healthStatus(health);
  const rate = (name: CounterName, key: string) => {
    const value = rates[name];
    return value === null ? '\u2013' : t(`text.${key}`, { rate: value.toFixed(1) });
  };
  // the widget's label names the counter: the value is the bare number
  const total = (name: CounterName) => String(counters[name]);
  return {
    status,
    health: { ...health },
    counters: { ...counters },
    dropped,
    rates: { ...rates },
    text: {
      status: health.history ? t(`text.${status}`) : t('text.status-history-off', { status: t(`text.${status}`) }),
      mqtt: yesNo(t, health.mqtt_connected, 'connected', 'disconnected'),
      influxdb: health.history ? yesNo(t, health.influxdb_connected, 'connected', 'not-reachable') : t('text.not-used'),
      history: health.history ? t('text.history-on') : capitalised(source.historyNote) || t('text.history-off'),
      nodered: uptimeText(t, health.started_at, now),
      store: source.storeNote ? t('text.memory-only') : t('text.persisted'),
      readings_rate: rate('readings_accepted', 'readings-rate'),
      points_rate: rate('points_written', 'points-rate'),
      rejected_rate: rate('payloads_rejected', 'rejected-rate'),
      alerts_rate: rate('alerts', 'alerts-rate'),
      readings_total: total('readings_accepted'),
      payloads_rejected: total('payloads_rejected'),
      fields_left_out: total('fields_left_out'),
      alerts_total: total('alerts'),
      points_written: total('points_written'),
      write_errors: total('write_errors'),
      points_lost: lostBy.length > 0 ? `${total('points_lost')} (${lostBy.join(', ')})` : total('points_lost'),
    },
    rejections: rejectionRows(source.rejections()),
  };
}
