// The change log and event log API (GET/POST /api/changelog, PUT/DELETE /api/changelog/{id},
// GET /api/events) as validated requests, from the http in node's method, route, parameters,
// query string and body. Pure.
import { deviceIdProblem } from '../shared/device-id';
import type { HttpCall } from '../shared/http-call';
import { err, ok, type Result } from '../shared/result';
import { EVENT_TYPES, SEVERITIES, type ChangelogFilter, type EventFilter, type EventType, type NoteUpdate, type Severity } from '../heatpump-database/records';

export type LogRequest =
  | { kind: 'list'; filter: ChangelogFilter }
  | { kind: 'add'; text: string; device_id: string | null; author: string | null; time: number | null }
  | { kind: 'update'; id: number; update: NoteUpdate }
  | { kind: 'delete'; id: number }
  | { kind: 'events'; filter: EventFilter };

export interface LogProblem {
  statusCode: 400 | 404 | 405;
  error: string;
}

type Parsed<T> = Result<T, LogProblem>;
const badRequest = (error: string): Parsed<never> => err({ statusCode: 400, error });

export const MAX_LIMIT = 1000;
export const DEFAULT_LIMIT = 100;
export const MAX_NOTE_LENGTH = 2000;
export const MAX_AUTHOR_LENGTH = 100;
const SOURCE = /^[a-z][a-z0-9_-]{0,31}$/;
/** The latest instant a JavaScript Date can show. */
const MAX_INSTANT_MS = 8.64e15;

function firstValue(value: unknown): string | undefined {
  if (Array.isArray(value)) return firstValue(value[0]);
  return typeof value === 'string' ? value : undefined;
}

/** ISO 8601 or ms since the epoch. */
export function parseInstant(text: string): number | undefined {
  const value = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  return Number.isFinite(value) && value >= 0 && value <= MAX_INSTANT_MS ? value : undefined;
}

function instantParam(query: Record<string, unknown>, name: string): Parsed<number | null> {
  const text = firstValue(query[name]);
  if (text === undefined || text === '') return ok(null);
  const value = parseInstant(text);
  return value === undefined ? badRequest(`${name} must be an ISO 8601 time or milliseconds since the epoch, got ${JSON.stringify(text)}`) : ok(value);
}

function limitParam(query: Record<string, unknown>): Parsed<number> {
  const text = firstValue(query.limit);
  if (text === undefined || text === '') return ok(DEFAULT_LIMIT);
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  return value >= 1 && value <= MAX_LIMIT ? ok(value) : badRequest(`limit must be a whole number from 1 to ${MAX_LIMIT}, got ${JSON.stringify(text)}`);
}

function deviceParam(value: unknown): Parsed<string | null> {
  if (value === undefined || value === null || value === '') return ok(null);
  if (typeof value !== 'string') return badRequest('device_id must be a string');
  const problem = deviceIdProblem(value);
  return problem === undefined ? ok(value) : badRequest(`invalid device_id: ${problem}`);
}

function oneOf<T extends string>(query: Record<string, unknown>, name: string, allowed: readonly T[]): Parsed<T | null> {
  const text = firstValue(query[name]);
  if (text === undefined || text === '') return ok(null);
  return (allowed as readonly string[]).includes(text) ? ok(text as T) : badRequest(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(text)}`);
}

function range(query: Record<string, unknown>): Parsed<{ from: number | null; to: number | null }> {
  const from = instantParam(query, 'from');
  if (!from.ok) return from;
  const to = instantParam(query, 'to');
  if (!to.ok) return to;
  if (from.value !== null && to.value !== null && to.value <= from.value) return badRequest('to must be after from');
  return ok({ from: from.value, to: to.value });
}

function parseList(query: Record<string, unknown>): Parsed<LogRequest> {
  const device = deviceParam(firstValue(query.device_id));
  if (!device.ok) return device;
  const source = firstValue(query.source);
  if (source !== undefined && source !== '' && !SOURCE.test(source)) return badRequest(`source must be a source name such as modbus, viessmann or manual, got ${JSON.stringify(source)}`);
  const times = range(query);
  if (!times.ok) return times;
  const limit = limitParam(query);
  if (!limit.ok) return limit;
  return ok({ kind: 'list', filter: { device_id: device.value, source: source || null, ...times.value, limit: limit.value } });
}

function parseEvents(query: Record<string, unknown>): Parsed<LogRequest> {
  const device = deviceParam(firstValue(query.device_id));
  if (!device.ok) return device;
  const type = oneOf<EventType>(query, 'type', EVENT_TYPES);
  if (!type.ok) return type;
  const severity = oneOf<Severity>(query, 'severity', SEVERITIES);
  if (!severity.ok) return severity;
  const times = range(query);
  if (!times.ok) return times;
  const limit = limitParam(query);
  if (!limit.ok) return limit;
  return ok({ kind: 'events', filter: { device_id: device.value, type: type.value, severity: severity.value, ...times.value, limit: limit.value } });
}

const NOTE_FIELDS = ['text', 'device_id', 'author', 'time'];

function bodyObject(body: unknown, allowed: readonly string[]): Parsed<Record<string, unknown>> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return badRequest('the body must be a JSON object (Content-Type: application/json), e.g. {"text": "flow temperature lowered", "device_id": "site1"}');
  }
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) return badRequest(`unknown field ${JSON.stringify(unknown[0])}: a note has ${allowed.join(', ')}`);
  return ok(body as Record<string, unknown>);
}

function noteText(value: unknown): Parsed<string> {
  if (typeof value !== 'string' || value.trim() === '') return badRequest('text is needed: the note, a non-empty string');
  if (value.length > MAX_NOTE_LENGTH) return badRequest(`text may be at most ${MAX_NOTE_LENGTH} characters`);
  return ok(value.trim());
}

function author(value: unknown): Parsed<string | null> {
  if (value === undefined || value === null || value === '') return ok(null);
  if (typeof value !== 'string') return badRequest('author must be a string');
  if (value.length > MAX_AUTHOR_LENGTH) return badRequest(`author may be at most ${MAX_AUTHOR_LENGTH} characters`);
  return ok(value.trim());
}

function parseAdd(body: unknown): Parsed<LogRequest> {
  const fields = bodyObject(body, NOTE_FIELDS);
  if (!fields.ok) return fields;
  const text = noteText(fields.value.text);
  if (!text.ok) return text;
  const device = deviceParam(fields.value.device_id);
  if (!device.ok) return device;
  const by = author(fields.value.author);
  if (!by.ok) return by;
  const timeValue = fields.value.time;
  let time: number | null = null;
  if (timeValue !== undefined && timeValue !== null) {
    const parsed = typeof timeValue === 'number' || typeof timeValue === 'string' ? parseInstant(String(timeValue)) : undefined;
    if (parsed === undefined) return badRequest('time must be an ISO 8601 time or milliseconds since the epoch');
    time = parsed;
  }
  return ok({ kind: 'add', text: text.value, device_id: device.value, author: by.value, time });
}

function parseUpdate(id: number, body: unknown): Parsed<LogRequest> {
  const fields = bodyObject(body, ['text', 'device_id', 'author']);
  if (!fields.ok) return fields;
  const update: NoteUpdate = {};
  if ('text' in fields.value) {
    const text = noteText(fields.value.text);
    if (!text.ok) return text;
    update.text = text.value;
  }
  if ('device_id' in fields.value) {
    const device = deviceParam(fields.value.device_id);
    if (!device.ok) return device;
    update.device_id = device.value;
  }
  if ('author' in fields.value) {
    const by = author(fields.value.author);
    if (!by.ok) return by;
    update.author = by.value;
  }
  if (Object.keys(update).length === 0) return badRequest('nothing to change: give text, device_id or author');
  return ok({ kind: 'update', id, update });
}

function idParam(params: Record<string, unknown>): Parsed<number> {
  const text = firstValue(params.id);
  const id = text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : NaN;
  return id >= 1 ? ok(id) : badRequest(`the entry id must be a positive whole number, got ${JSON.stringify(text ?? '')}`);
}

/** Routes are matched by their ending, so the API also works under a custom httpNodeRoot. */
export function parseLogRequest(call: HttpCall): Parsed<LogRequest> {
  const method = call.method.toUpperCase();
  const notAllowed = (allowed: string): Parsed<never> => err({ statusCode: 405, error: `${method} is not allowed on ${call.route}: use ${allowed}` });
  if (/\/api\/events\/?$/.test(call.route)) return method === 'GET' ? parseEvents(call.query) : notAllowed('GET');
  if (/\/api\/changelog\/?$/.test(call.route)) {
    if (method === 'GET') return parseList(call.query);
    return method === 'POST' ? parseAdd(call.body) : notAllowed('GET or POST');
  }
  if (/\/api\/changelog\/:[a-z_]+\/?$/.test(call.route)) {
    if (method !== 'PUT' && method !== 'DELETE') return notAllowed('PUT or DELETE');
    const id = idParam(call.params);
    if (!id.ok) return id;
    return method === 'PUT' ? parseUpdate(id.value, call.body) : ok({ kind: 'delete', id: id.value });
  }
  return err({ statusCode: 404, error: `no change log endpoint for ${call.route}` });
}
