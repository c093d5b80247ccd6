// Table rows for a dashboard: change log entries and events as flat, ready-to-show texts (the
// "answer as" option `rows` of heatpump-changelog), and the choice between the answer formats. Pure.
import type { ChangelogEntry, EventEntry } from '../heatpump-database/records';
import type { LogRequest } from './request';
import type { Answer } from './answer';
import { markerChartOptions } from './markers';

export type AnswerFormat = 'api' | 'rows' | 'markers';
export const ANSWER_FORMATS: readonly AnswerFormat[] = ['api', 'rows', 'markers'];

export interface ChangelogRow {
  id: number;
  /** ISO 8601, formatted by the browser */
  time: string;
  device: string;
  /** the device for a request about this entry (the effect of a change); null: every device */
  device_id: string | null;
  /** the setting's name, or "note" */
  what: string;
  /** "old -> new unit" for a setting, the text of a note */
  change: string;
  source: string;
  author: string;
  /** the label of the row's delete button: notes only, settings cannot be deleted */
  delete: string;
}

export interface EventRow {
  id: number;
  time: string;
  device: string;
  type: string;
  severity: string;
  message: string;
}

const ALL_DEVICES = 'all devices';

function valueText(value: unknown): string {
  if (value === null || value === undefined) return '–';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function changelogRow(entry: ChangelogEntry): ChangelogRow {
  const isNote = entry.kind === 'note';
  const unit = entry.unit ? ` ${entry.unit}` : '';
  return {
    id: entry.id,
    time: entry.time,
    device: entry.device_id ?? ALL_DEVICES,
    device_id: entry.device_id,
    what: isNote ? 'note' : (entry.setting ?? ''),
    change: isNote ? (entry.text ?? '') : `${valueText(entry.old_value)} -> ${valueText(entry.new_value)}${unit}`,
    source: entry.source,
    author: entry.author ?? '',
    delete: isNote ? 'Delete' : '',
  };
}

export function eventRow(event: EventEntry): EventRow {
  return { id: event.id, time: event.time, device: event.device_id ?? ALL_DEVICES, type: event.type, severity: event.severity, message: event.message };
}

/**
 * The answer in the chosen format: a list of rows instead of {count, entries} / {count, events}, or
 * the change log as chart markers `{chartOptions}` (an event list stays API JSON); writes unchanged.
 */
export function formatAnswer(request: LogRequest, result: Answer, format: AnswerFormat): Answer {
  if (format === 'api' || result.statusCode !== 200) return result;
  if (format === 'markers') {
    if (request.kind !== 'list') return result;
    return { ...result, payload: { chartOptions: markerChartOptions((result.payload as { entries: ChangelogEntry[] }).entries) } };
  }
  if (request.kind === 'list') return { ...result, payload: (result.payload as { entries: ChangelogEntry[] }).entries.map(changelogRow) };
  if (request.kind === 'events') return { ...result, payload: (result.payload as { events: EventEntry[] }).events.map(eventRow) };
  return result;
}
