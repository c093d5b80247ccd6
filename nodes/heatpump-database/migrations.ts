// The schema of the heatpump-monitor SQLite file, as numbered migrations. A file records the
// version it has reached in `schema_version`; opening it applies the missing ones in order, each in
// its own transaction, so a file from any earlier version (or an empty one) ends up current.
// Pure: works on any executor with exec / get / run (the real database in use and in the tests).

export interface SqlExecutor {
  exec(sql: string): void;
  get(sql: string, params?: SqlValue[]): Record<string, SqlValue> | null;
  all(sql: string, params?: SqlValue[]): Record<string, SqlValue>[];
  run(sql: string, params?: SqlValue[]): { changes: number; lastInsertRowid: number | bigint };
}

export type SqlValue = string | number | bigint | null;

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'change log: setting changes and manual notes',
    sql: `
      CREATE TABLE changelog (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('setting', 'note')),
        time INTEGER NOT NULL,
        device_id TEXT,
        setting TEXT,
        old_value TEXT,
        new_value TEXT,
        unit TEXT,
        source TEXT NOT NULL,
        text TEXT,
        author TEXT,
        updated INTEGER
      );
      CREATE INDEX changelog_time ON changelog (time);
      CREATE INDEX changelog_device_time ON changelog (device_id, time);`,
  },
  {
    version: 2,
    description: 'event log: alerts, presence, SMS commands, setting changes and notes',
    sql: `
      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time INTEGER NOT NULL,
        type TEXT NOT NULL,
        severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
        device_id TEXT,
        message TEXT NOT NULL,
        details TEXT
      );
      CREATE INDEX events_time ON events (time);
      CREATE INDEX events_device_time ON events (device_id, time);`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** The version a file has reached: 0 for a file without the table (new, or not ours yet). */
export function schemaVersion(db: SqlExecutor): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied INTEGER NOT NULL, description TEXT NOT NULL)');
  const row = db.get('SELECT max(version) AS version FROM schema_version');
  return typeof row?.version === 'number' ? row.version : 0;
}

/** The migrations a file at `version` still needs, in order. */
export function pendingMigrations(version: number, migrations: readonly Migration[] = MIGRATIONS): Migration[] {
  return migrations.filter((migration) => migration.version > version);
}

/**
 * Brings the file to the newest version; returns the versions applied. A file from a newer
 * release is refused rather than written with an older schema.
 */
export function migrate(db: SqlExecutor, now: number, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const current = schemaVersion(db);
  const newest = migrations[migrations.length - 1]?.version ?? 0;
  if (current > newest) throw new Error(`the database file has schema version ${current}, newer than this release knows (${newest}): update heatpump-monitor`);
  const applied: number[] = [];
  for (const migration of pendingMigrations(current, migrations)) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(migration.sql);
      db.run('INSERT INTO schema_version (version, applied, description) VALUES (?, ?, ?)', [migration.version, now, migration.description]);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
    applied.push(migration.version);
  }
  return applied;
}
