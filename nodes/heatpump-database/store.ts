// The change log and the event log in one SQLite file: writes, reads with filters, retention.
// Pure SQL over an executor (the opened file in use, the same in the tests).
import type { SqlExecutor, SqlValue } from './migrations';
import type { ChangelogEntry, ChangelogFilter, EventEntry, EventFilter, LogEvent, Note, NoteUpdate, SettingChange } from './records';

type Row = Record<string, SqlValue>;

const iso = (ms: SqlValue | undefined): string | null => (typeof ms === 'number' ? new Date(ms).toISOString() : null);
const text = (value: SqlValue | undefined): string | null => (typeof value === 'string' ? value : null);
/** Values are kept as JSON: a number stays a number, a schedule stays an object. */
const fromJson = (value: SqlValue | undefined): unknown => (typeof value === 'string' ? (JSON.parse(value) as unknown) : null);

/** `WHERE ...` and its parameters for the filters given (null filters are left out). */
export function whereOf(conditions: [column: string, operator: '=' | '>=' | '<', value: string | number | null][]): { sql: string; params: SqlValue[] } {
  const used = conditions.filter(([, , value]) => value !== null);
  if (used.length === 0) return { sql: '', params: [] };
  return { sql: `WHERE ${used.map(([column, operator]) => `${column} ${operator} ?`).join(' AND ')}`, params: used.map(([, , value]) => value) };
}

function changelogEntryOf(row: Row): ChangelogEntry {
  return {
    id: Number(row.id),
    kind: row.kind === 'note' ? 'note' : 'setting',
    time: iso(row.time) ?? '',
    device_id: text(row.device_id),
    setting: text(row.setting),
    old_value: fromJson(row.old_value),
    new_value: fromJson(row.new_value),
    unit: text(row.unit),
    source: text(row.source) ?? '',
    text: text(row.text),
    author: text(row.author),
    updated: iso(row.updated),
  };
}

function eventEntryOf(row: Row): EventEntry {
  return {
    id: Number(row.id),
    time: iso(row.time) ?? '',
    type: row.type as EventEntry['type'],
    severity: row.severity as EventEntry['severity'],
    device_id: text(row.device_id),
    message: text(row.message) ?? '',
    details: fromJson(row.details) as EventEntry['details'],
  };
}

const valueText = (value: unknown): string => JSON.stringify(value === undefined ? null : value);

export function settingChangeMessage(change: SettingChange): string {
  const unit = change.unit ? ` ${change.unit}` : '';
  const shown = (value: unknown) => (typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value));
  return `${change.setting} changed from ${shown(change.old_value)}${unit} to ${shown(change.new_value)}${unit}`;
}

export class LogStore {
  constructor(private readonly db: SqlExecutor) {}

  private transaction<T>(work: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      // a failed BEGIN leaves no transaction to roll back
      try {
        this.db.exec('ROLLBACK');
      } catch {
        /* nothing was begun */
      }
      throw error;
    }
  }

  private insertEvent(event: LogEvent): number {
    const info = this.db.run('INSERT INTO events (time, type, severity, device_id, message, details) VALUES (?, ?, ?, ?, ?, ?)', [
      event.time,
      event.type,
      event.severity,
      event.device_id,
      event.message,
      event.details === null ? null : JSON.stringify(event.details),
    ]);
    return Number(info.lastInsertRowid);
  }

  /** Records several writes in one transaction (all or none). */
  writeAll(writes: readonly LogWrite[]): void {
    this.transaction(() => {
      for (const write of writes) {
        if (write.kind === 'event') this.insertEvent(write.event);
        else this.insertSettingChange(write.change);
      }
    });
  }

  private insertSettingChange(change: SettingChange): number {
    const info = this.db.run(
      "INSERT INTO changelog (kind, time, device_id, setting, old_value, new_value, unit, source, author) VALUES ('setting', ?, ?, ?, ?, ?, ?, ?, ?)",
      [change.time, change.device_id, change.setting, valueText(change.old_value), valueText(change.new_value), change.unit ?? null, change.source, change.author ?? null],
    );
    this.insertEvent({
      time: change.time,
      type: 'setting_change',
      severity: 'info',
      device_id: change.device_id,
      message: settingChangeMessage(change),
      details: { setting: change.setting, old_value: change.old_value ?? null, new_value: change.new_value ?? null, source: change.source, ...(change.author ? { author: change.author } : {}) },
    });
    return Number(info.lastInsertRowid);
  }

  addNote(note: Note): ChangelogEntry {
    return this.transaction(() => {
      const info = this.db.run("INSERT INTO changelog (kind, time, device_id, source, text, author) VALUES ('note', ?, ?, 'manual', ?, ?)", [
        note.time,
        note.device_id,
        note.text,
        note.author,
      ]);
      this.insertEvent({ time: note.time, type: 'note', severity: 'info', device_id: note.device_id, message: note.text, details: note.author === null ? null : { author: note.author } });
      return this.entry(Number(info.lastInsertRowid)) as ChangelogEntry;
    });
  }

  entry(id: number): ChangelogEntry | undefined {
    const row = this.db.get('SELECT * FROM changelog WHERE id = ?', [id]);
    return row ? changelogEntryOf(row) : undefined;
  }

  /** Replaces the given fields of a note; undefined when there is no entry with that id. */
  updateNote(id: number, update: NoteUpdate, now: number): ChangelogEntry | undefined {
    return this.transaction(() => {
      const existing = this.entry(id);
      if (!existing || existing.kind !== 'note') return existing;
      this.db.run('UPDATE changelog SET text = ?, device_id = ?, author = ?, updated = ? WHERE id = ?', [
        update.text ?? existing.text,
        update.device_id === undefined ? existing.device_id : update.device_id,
        update.author === undefined ? existing.author : update.author,
        now,
        id,
      ]);
      return this.entry(id);
    });
  }

  /** Deletes a note; returns what was there (a setting change is returned and kept). */
  deleteNote(id: number): ChangelogEntry | undefined {
    return this.transaction(() => {
      const existing = this.entry(id);
      if (existing?.kind === 'note') this.db.run('DELETE FROM changelog WHERE id = ?', [id]);
      return existing;
    });
  }

  /** Newest first. */
  changelog(filter: ChangelogFilter): ChangelogEntry[] {
    const where = whereOf([
      ['device_id', '=', filter.device_id],
      ['source', '=', filter.source],
      ['time', '>=', filter.from],
      ['time', '<', filter.to],
    ]);
    return this.db.all(`SELECT * FROM changelog ${where.sql} ORDER BY time DESC, id DESC LIMIT ?`, [...where.params, filter.limit]).map(changelogEntryOf);
  }

  /** Newest first. */
  events(filter: EventFilter): EventEntry[] {
    const where = whereOf([
      ['device_id', '=', filter.device_id],
      ['type', '=', filter.type],
      ['severity', '=', filter.severity],
      ['time', '>=', filter.from],
      ['time', '<', filter.to],
    ]);
    return this.db.all(`SELECT * FROM events ${where.sql} ORDER BY time DESC, id DESC LIMIT ?`, [...where.params, filter.limit]).map(eventEntryOf);
  }

  /** Retention: deletes the events older than `before`; returns how many. */
  pruneEvents(before: number): number {
    return this.db.run('DELETE FROM events WHERE time < ?', [before]).changes;
  }
}

/** A write from the flows (setting changes, events): queued and retried while the file is unusable. */
export type LogWrite = { kind: 'setting'; change: SettingChange } | { kind: 'event'; event: LogEvent };
