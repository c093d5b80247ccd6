// What the flows send the change log node, recognised by shape and turned into log writes: setting
// changes (modbus-poll, viessmann-device and heishamon-decode output 3, threshold-alert output 4,
// or {device_id, setting, old_value, new_value, source, author?} from any other source), alert events
// (threshold-alert output 1), presence transitions (online-tracker output 1) and inbound SMS reports
// (sms-gateway-bridge output 4). Pure: `now` is the time for a message that carries none.
import { deviceIdProblem } from '../shared/device-id';
import { err, ok, type Result } from '../shared/result';
import type { LogEvent, Severity } from '../heatpump-database/records';
import type { LogWrite } from '../heatpump-database/store';
import { MAX_AUTHOR_LENGTH } from './request';

type Fields = Record<string, unknown>;
const SOURCE = /^[a-z][a-z0-9_-]{0,31}$/;
const MAX_SETTING_LENGTH = 200;

const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);

function timeOf(fields: Fields, now: number): number {
  const time = fields.timestamp;
  return typeof time === 'number' && Number.isFinite(time) && time >= 0 ? time : now;
}

function deviceOf(value: unknown, required: boolean): Result<string | null, string> {
  if (!required && (value === undefined || value === null || value === '')) return ok(null);
  const problem = deviceIdProblem(typeof value === 'string' ? value : undefined);
  return problem === undefined ? ok(value as string) : err(`device_id: ${problem}`);
}

function settingChangeOf(fields: Fields, now: number): Result<LogWrite, string> {
  // null (given, not left out) is a change for every device, such as a flow's alert rule
  const device = deviceOf(fields.device_id, fields.device_id !== null);
  if (!device.ok) return device;
  const { setting, source, unit, author } = fields;
  if (typeof setting !== 'string' || setting.trim() === '' || setting.length > MAX_SETTING_LENGTH) return err(`setting must be a name of 1 to ${MAX_SETTING_LENGTH} characters`);
  if (typeof source !== 'string' || !SOURCE.test(source)) return err('source must name where the change was seen, such as modbus, viessmann or heishamon');
  if (!('old_value' in fields) || !('new_value' in fields)) return err('old_value and new_value are both needed');
  if (unit !== undefined && typeof unit !== 'string') return err('unit must be a string');
  if (author !== undefined && author !== null && (typeof author !== 'string' || author.length > MAX_AUTHOR_LENGTH)) return err(`author must be a name of at most ${MAX_AUTHOR_LENGTH} characters`);
  return ok({
    kind: 'setting',
    change: {
      device_id: device.value,
      setting,
      old_value: fields.old_value,
      new_value: fields.new_value,
      ...(unit ? { unit } : {}),
      source,
      ...(typeof author === 'string' && author !== '' ? { author } : {}),
      time: timeOf(fields, now),
    },
  });
}

const ALERT_STATES = { raised: 'alert_raised', escalated: 'alert_escalated', cleared: 'alert_cleared' } as const;

function alertOf(fields: Fields, now: number): Result<LogWrite, string> {
  const device = deviceOf(fields.device_id, true);
  if (!device.ok) return device;
  const state = fields.state;
  if (state !== 'raised' && state !== 'escalated' && state !== 'cleared') return err('an alert event needs state raised, escalated or cleared');
  const level = fields.level === 'critical' ? 'critical' : 'warning';
  const severity: Severity = state === 'cleared' ? 'info' : level;
  const message = typeof fields.message === 'string' && fields.message !== '' ? fields.message : `${String(fields.alert_type)} ${state}`;
  const details: Fields = {};
  for (const key of ['alert_type', 'level', 'value', 'threshold', 'field', 'source']) if (fields[key] !== undefined) details[key] = fields[key];
  const event: LogEvent = { time: timeOf(fields, now), type: ALERT_STATES[state], severity, device_id: device.value, message, details };
  return ok({ kind: 'event', event });
}

function presenceOf(fields: Fields, now: number): Result<LogWrite, string> {
  const device = deviceOf(fields.device_id, true);
  if (!device.ok) return device;
  const online = fields.event === 'device_online';
  const reason = typeof fields.reason === 'string' ? fields.reason : null;
  const event: LogEvent = {
    time: timeOf(fields, now),
    type: online ? 'device_online' : 'device_offline',
    severity: online ? 'info' : 'warning',
    device_id: device.value,
    message: `${device.value as string} is ${online ? 'online' : 'offline'}${reason ? ` (${reason})` : ''}`,
    details: { reason, last_seen: typeof fields.last_seen === 'number' ? fields.last_seen : null },
  };
  return ok({ kind: 'event', event });
}

function smsOf(fields: Fields, now: number): Result<LogWrite, string> {
  if (typeof fields.text !== 'string' || typeof fields.from !== 'string') return err('an SMS report needs from and text');
  const device = deviceOf(fields.device, false);
  const accepted = fields.accepted === true;
  const reason = typeof fields.reason === 'string' ? fields.reason : 'command';
  const details: Fields = { from: fields.from, text: fields.text, accepted, reason };
  for (const key of ['command', 'requested', 'transport']) if (typeof fields[key] === 'string') details[key] = fields[key];
  const event: LogEvent = {
    time: timeOf(fields, now),
    type: 'sms_command',
    severity: accepted ? 'info' : 'warning',
    device_id: device.ok ? device.value : null,
    message: `SMS ${JSON.stringify(fields.text.slice(0, 160))} from ${fields.from}: ${accepted ? 'accepted' : `refused (${reason})`}`,
    details,
  };
  return ok({ kind: 'event', event });
}

/** The log write a flow message's payload stands for, or why it is none of the known shapes. */
export function logWriteOf(payload: unknown, now: number): Result<LogWrite, string> {
  if (!isObject(payload)) return err('msg.payload must be a setting change, alert event, presence transition or SMS report object');
  if ('setting' in payload) return settingChangeOf(payload, now);
  if ('alert_type' in payload) return alertOf(payload, now);
  if (payload.event === 'device_online' || payload.event === 'device_offline') return presenceOf(payload, now);
  if ('accepted' in payload && 'text' in payload) return smsOf(payload, now);
  return err('msg.payload is none of: a setting change {device_id, setting, old_value, new_value, source}, an alert event {device_id, alert_type, state, ...}, a presence transition {event: device_online | device_offline, device_id} or an SMS report {from, text, accepted}');
}
