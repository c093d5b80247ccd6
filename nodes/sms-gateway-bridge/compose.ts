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

/** "3 min", "5 h", "2 d": how long ago, short enough for one SMS. */
function age(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60000));
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} d`;
}

function readingLines(reading: Reading): string[] {
  const v = (value: number | undefined, decimals: number) => (value === undefined ? '-' : number(value, decimals));
  const temps = [reading.temp_inlet, reading.temp_outlet, reading.temp_ambient, reading.temp_compressor].map((t) => v(t, 0)).join('/');
  return [`Temps: ${temps}C`, `V: ${v(reading.voltage, 0)}V I: ${v(reading.current, 1)}A P: ${v(reading.power, 0)}W`];
}

function dataLine(reading: Reading, now: number): string {
  const extras = [reading.signal === undefined ? '' : ` Sig ${number(reading.signal, 0)}%`, reading.overflow ? ` Lost ${reading.overflow}` : ''].join('');
  return `Data: ${age(now - reading.timestamp)} ago${extras}`;
}

/**
 * The STATUS answer (docs/CONTRACTS.md "STATUS text"). The server does not know the device's buffer fill, so
 * the last line says how old the reading is (plus signal or dropped readings when the device
 * reported them) instead of "Buffer: 12/100 readings".
 */
export function composeStatus(reading: Reading, active: ActiveAlerts | undefined, now: number): string {
  const lines = ['HEAT PUMP STATUS', `Device: ${reading.device_id}`, ...readingLines(reading), alertsLine(active), dataLine(reading, now)];
  return fitSegments(toGsm7Friendly(lines.join('\n')), 1);
}

/** The STATUS answer for a device nothing is known about yet. */
export function composeNoReading(deviceId: string): string {
  return fitSegments(toGsm7Friendly(`HEAT PUMP STATUS\nDevice: ${deviceId}\nNo reading received yet.`), 1);
}

/** What the fleet node knows of one device (its DeviceRecord, read only). */
export interface FleetDeviceView {
  device_id: string;
  /** null: no presence report yet */
  online: boolean | null;
  /** ms: the last reading or message from the device */
  last_seen: number | null;
  reading: Reading | null;
  alerts: Readonly<Record<string, { level: AlertLevel }>>;
}

/**
 * STATUS from the fleet's record: presence on the device line, the active alerts even without a
 * reading since the restart, and when the device was last heard if that is later than the
 * reading (a status message, say). Critical alerts come first, so that a cut text keeps them.
 */
export function composeFleetStatus(device: FleetDeviceView, now: number): string {
  const presence = device.online === true ? ' (online)' : device.online === false ? ' (OFFLINE)' : '';
  const active = new Map<string, AlertLevel>();
  for (const level of ['critical', 'warning'] as const) {
    for (const [type, alert] of Object.entries(device.alerts)) if (alert.level === level) active.set(type, level);
  }
  const { reading, last_seen: lastSeen } = device;
  const lines = ['HEAT PUMP STATUS', `Device: ${device.device_id}${presence}`];
  if (reading) lines.push(...readingLines(reading), alertsLine(active), dataLine(reading, now));
  else lines.push('No reading received yet.', alertsLine(active));
  const seenLater = lastSeen !== null && (!reading || age(now - lastSeen) !== age(now - reading.timestamp));
  if (seenLater) lines.push(`Seen: ${age(now - lastSeen)} ago`);
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
