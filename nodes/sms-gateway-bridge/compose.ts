// The texts the bridge sends: alert, presence, STATUS, HELP and hold-back summary SMS.
// Pure: time comes in as numbers, the time zone as an option.
import type { AlertEvent, AlertLevel, PresenceEvent, Reading } from '../shared/contract';
import { fitSegments, toGsm7Friendly } from './gsm7';

export interface ComposeOptions {
  /** IANA time zone for times in texts; default UTC */
  timeZone?: string;
}

const UNIT_BY_ALERT: Record<string, string> = {
  voltage_high: 'V',
  voltage_low: 'V',
  compressor_temp: 'C',
  pressure_high: 'PSI',
  pressure_low: 'PSI',
  current: 'A',
};

/** "2024-01-30 07:33 UTC" in the given zone; a bad zone falls back to UTC rather than throwing. */
export function formatTime(ms: number, timeZone = 'UTC'): string {
  let zone = timeZone;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
  } catch {
    zone = 'UTC';
  }
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).formatToParts(new Date(ms));
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} ${get('timeZoneName')}`;
}

function number(value: number, decimals: number): string {
  return Number.isFinite(value) ? String(Number(value.toFixed(decimals))) : '-';
}

/** One SMS per alert: level, device, alert, value against threshold, time. Fits 160 GSM-7 chars. */
export function composeAlert(alert: AlertEvent, options: ComposeOptions = {}): string {
  const unit = UNIT_BY_ALERT[alert.alert_type] ?? '';
  const below = alert.alert_type.endsWith('_low');
  const value = `${number(alert.value, 1)}${unit}`;
  const limit = `${number(alert.threshold, 1)}${unit}`;
  const when = formatTime(alert.timestamp, options.timeZone);
  let text: string;
  if (alert.state === 'cleared') text = `CLEARED ${alert.device_id}: ${alert.alert_type} ${value}, limit ${limit}. ${when}`;
  else {
    const head = alert.state === 'escalated' ? `${alert.level.toUpperCase()} (escalated)` : alert.level.toUpperCase();
    text = `${head} ${alert.device_id}: ${alert.alert_type} ${value} ${below ? '<' : '>'} ${limit}. ${when}`;
  }
  return fitSegments(toGsm7Friendly(text), 1);
}

export function composePresence(event: PresenceEvent, options: ComposeOptions = {}): string {
  const when = formatTime(event.timestamp, options.timeZone);
  const text =
    event.event === 'device_offline'
      ? `OFFLINE ${event.device_id}: no data since ${event.last_seen === null ? 'start' : formatTime(event.last_seen, options.timeZone)}. ${when}`
      : `ONLINE ${event.device_id} again. ${when}`;
  return fitSegments(toGsm7Friendly(text), 1);
}

export type ActiveAlerts = ReadonlyMap<string, AlertLevel>;

function alertsLine(active: ActiveAlerts | undefined): string {
  if (!active || active.size === 0) return 'Alerts: OK';
  const entries = [...active].map(([type, level]) => `${type}${level === 'critical' ? '!' : ''}`);
  return `Alerts: ${entries.join(',')}`;
}

/**
 * The STATUS answer of seed section 4.5. The server does not know the device's buffer fill, so
 * the last line says how old the reading is (plus signal or dropped readings when the device
 * reported them) instead of "Buffer: 12/100 readings".
 */
export function composeStatus(reading: Reading, active: ActiveAlerts | undefined, now: number): string {
  const v = (value: number | undefined, decimals: number) => (value === undefined ? '-' : number(value, decimals));
  const temps = [reading.temp_inlet, reading.temp_outlet, reading.temp_ambient, reading.temp_compressor].map((t) => v(t, 0)).join('/');
  const ageMinutes = Math.max(0, Math.round((now - reading.timestamp) / 60000));
  const extras = [
    reading.signal === undefined ? '' : ` Sig ${v(reading.signal, 0)}%`,
    reading.overflow ? ` Lost ${reading.overflow}` : '',
  ].join('');
  const lines = [
    'HEAT PUMP STATUS',
    `Device: ${reading.device_id}`,
    `Temps: ${temps}C`,
    `V: ${v(reading.voltage, 0)}V I: ${v(reading.current, 1)}A P: ${v(reading.power, 0)}W`,
    alertsLine(active),
    `Data: ${ageMinutes} min ago${extras}`,
  ];
  return fitSegments(toGsm7Friendly(lines.join('\n')), 1);
}

export function composeHelp(deviceIds: readonly string[]): string {
  const several = deviceIds.length > 1;
  const arg = several ? ' <device>' : '';
  const text = `Commands: STATUS${arg} - readings; RESET${arg} - restart device; HELP - this list.${several ? ` Devices: ${deviceIds.join(', ')}` : ''}`;
  return fitSegments(text, 1);
}

export function composeHeldBackSummary(count: number, since: number, options: ComposeOptions = {}): string {
  return `${count} more alert${count === 1 ? '' : 's'} held back since ${formatTime(since, options.timeZone)} (SMS limit).`;
}
