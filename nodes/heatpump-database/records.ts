// What the change log and the event log hold, and the filters they are read with. Pure.

/** A setting that changed on a device (modbus-poll output 3, viessmann-device output 3, or any source). */
export interface SettingChange {
  /** null: a change for every device (a flow's alert rule) */
  device_id: string | null;
  setting: string;
  old_value: unknown;
  new_value: unknown;
  unit?: string;
  /** where the change was seen: modbus, viessmann, heishamon, api, editor, ... */
  source: string;
  /** who made the change, when known (the login user of an API write) */
  author?: string;
  /** ms since the epoch */
  time: number;
}

export interface Note {
  text: string;
  device_id: string | null;
  author: string | null;
  time: number;
}

export const EVENT_TYPES = [
  'alert_raised',
  'alert_escalated',
  'alert_cleared',
  'device_online',
  'device_offline',
  'sms_command',
  'setting_change',
  'note',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface LogEvent {
  time: number;
  type: EventType;
  severity: Severity;
  device_id: string | null;
  message: string;
  /** the original payload's fields worth keeping (alert value and threshold, SMS sender, ...) */
  details: Record<string, unknown> | null;
}

/** One row of the change log as the API shows it. */
export interface ChangelogEntry {
  id: number;
  kind: 'setting' | 'note';
  time: string;
  device_id: string | null;
  setting: string | null;
  old_value: unknown;
  new_value: unknown;
  unit: string | null;
  source: string;
  text: string | null;
  author: string | null;
  updated: string | null;
}

export interface EventEntry extends Omit<LogEvent, 'time'> {
  id: number;
  time: string;
}

/** Filters of GET /api/changelog; null = not filtered. `to` is exclusive. */
export interface ChangelogFilter {
  device_id: string | null;
  source: string | null;
  from: number | null;
  to: number | null;
  limit: number;
}

/** Filters of GET /api/events; null = not filtered. `to` is exclusive. */
export interface EventFilter {
  device_id: string | null;
  type: EventType | null;
  severity: Severity | null;
  from: number | null;
  to: number | null;
  limit: number;
}

/** A change to a note (PUT /api/changelog/{id}): the fields given are replaced. */
export interface NoteUpdate {
  text?: string;
  device_id?: string | null;
  author?: string | null;
}
