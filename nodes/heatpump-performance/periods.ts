// Calendar periods (day, ISO week, month, year) in an IANA time zone, with Intl only. A period is
// a half-open span [start, end) in ms since epoch; local midnights are found through the zone's
// offset, so DST days come out 23 or 25 hours long.

/** The calendar periods; the performance endpoint's `period` takes these and `custom`. */
export const PERIOD_KINDS = ['day', 'week', 'month', 'year'] as const;
export type PeriodKind = (typeof PERIOD_KINDS)[number];
export const DEFAULT_TIME_ZONE = 'Europe/Berlin';

export interface Period { start: number; end: number; /** 2024-03-31, 2024-W13, 2024-03, 2024 */ label: string }

interface LocalDate { year: number; month: number /* 1..12 */; day: number }
interface LocalTime extends LocalDate { hour: number; minute: number; second: number }

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True when Intl knows the zone (config validation). */
export function isTimeZone(timeZone: unknown): timeZone is string {
  if (typeof timeZone !== 'string' || timeZone === '') return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Wall-clock time of an instant in the zone. */
export function localTime(t: number, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(t))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return { year: parts.year ?? 0, month: parts.month ?? 0, day: parts.day ?? 0, hour: parts.hour ?? 0, minute: parts.minute ?? 0, second: parts.second ?? 0 };
}

/** Zone offset at an instant in ms (local wall clock − UTC), whole seconds. */
function offsetAt(t: number, timeZone: string): number {
  const local = localTime(t, timeZone);
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
  return wall - Math.floor(t / 1000) * 1000;
}

/** The instant of local midnight starting a date (month/day may overflow, Date.UTC normalises). */
export function startOfLocalDate(date: LocalDate, timeZone: string): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day);
  const first = wall - offsetAt(wall, timeZone);
  const second = wall - offsetAt(first, timeZone);
  // Where midnight does not exist (a zone that springs forward at 00:00) the later guess is the
  // first instant of the day.
  return Math.max(first, second);
}

function normalised(date: LocalDate): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** Monday = 0 … Sunday = 6. */
function isoWeekday(date: LocalDate): number {
  return (new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay() + 6) % 7;
}

function firstLocalDate(date: LocalDate, every: PeriodKind): LocalDate {
  switch (every) {
    case 'day': return date;
    case 'week': return normalised({ ...date, day: date.day - isoWeekday(date) });
    case 'month': return { year: date.year, month: date.month, day: 1 };
    case 'year': return { year: date.year, month: 1, day: 1 };
  }
}

function nextLocalDate(date: LocalDate, every: PeriodKind): LocalDate {
  switch (every) {
    case 'day': return normalised({ ...date, day: date.day + 1 });
    case 'week': return normalised({ ...date, day: date.day + 7 });
    case 'month': return normalised({ ...date, month: date.month + 1 });
    case 'year': return { year: date.year + 1, month: 1, day: 1 };
  }
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** ISO 8601 week label of the week starting on this Monday (its Thursday decides the year). */
function isoWeekLabel(monday: LocalDate): string {
  const thursday = normalised({ ...monday, day: monday.day + 3 });
  const dayOfYear = (Date.UTC(thursday.year, thursday.month - 1, thursday.day) - Date.UTC(thursday.year, 0, 1)) / 86_400_000;
  return `${thursday.year}-W${pad(Math.floor(dayOfYear / 7) + 1)}`;
}

function labelOf(date: LocalDate, every: PeriodKind): string {
  switch (every) {
    case 'day': return `${date.year}-${pad(date.month)}-${pad(date.day)}`;
    case 'week': return isoWeekLabel(date);
    case 'month': return `${date.year}-${pad(date.month)}`;
    case 'year': return String(date.year);
  }
}

/** The period of the given kind that contains instant t. */
export function periodAt(t: number, every: PeriodKind, timeZone = DEFAULT_TIME_ZONE): Period {
  const first = firstLocalDate(localTime(t, timeZone), every);
  return {
    start: startOfLocalDate(first, timeZone),
    end: startOfLocalDate(nextLocalDate(first, every), timeZone),
    label: labelOf(first, every),
  };
}

/**
 * The periods that overlap [start, end), in order; the first starts at or before `start`, the
 * last ends at or after `end` (whole calendar periods, never clipped).
 */
export function periodsBetween(start: number, end: number, every: PeriodKind, timeZone = DEFAULT_TIME_ZONE): Period[] {
  const periods: Period[] = [];
  if (!(end > start)) return periods;
  let date = firstLocalDate(localTime(start, timeZone), every);
  let periodStart = startOfLocalDate(date, timeZone);
  while (periodStart < end) {
    const next = nextLocalDate(date, every);
    const periodEnd = startOfLocalDate(next, timeZone);
    periods.push({ start: periodStart, end: periodEnd, label: labelOf(date, every) });
    date = next;
    periodStart = periodEnd;
  }
  return periods;
}
