// Opens the SQLite file with node-sqlite3-wasm (SQLite compiled to WebAssembly, reading and writing
// the real file through Node's fs; no native module, so the same install works on every Node and
// platform; docs/STORAGE-SQLITE.md says why) and tells the failures apart for the user.
import fs from 'node:fs';
import { Database } from 'node-sqlite3-wasm';
import type { SqlExecutor, SqlValue } from './migrations';

export interface SqliteFile extends SqlExecutor {
  close(): void;
}

export type FileProblem = 'locked' | 'corrupt' | 'unusable';

/** locked: another connection holds the file; corrupt: not an SQLite file or damaged; else unusable. */
export function problemOf(error: unknown): FileProblem {
  const message = error instanceof Error ? error.message : String(error);
  if (/database is locked|database table is locked|SQLITE_BUSY/i.test(message)) return 'locked';
  if (/file is not a database|malformed|SQLITE_CORRUPT|SQLITE_NOTADB/i.test(message)) return 'corrupt';
  return 'unusable';
}

/**
 * The library locks a file with a directory `<file>.lock` held only while a statement or
 * transaction runs (milliseconds). One that old was left by a process that died mid-write: the
 * file's journal then rolls the unfinished write back once the lock is gone.
 */
export const STALE_LOCK_MS = 60_000;

export function isStaleLock(lockChangedAt: number, now: number): boolean {
  return now - lockChangedAt > STALE_LOCK_MS;
}

/** Removes a stale lock directory; returns true when it did. */
export function clearStaleLock(file: string, now: number): boolean {
  const lock = `${file}.lock`;
  let changedAt: number;
  try {
    changedAt = fs.statSync(lock).mtimeMs;
  } catch {
    return false;
  }
  if (!isStaleLock(changedAt, now)) return false;
  fs.rmdirSync(lock);
  return true;
}

export function openSqliteFile(file: string): SqliteFile {
  const db = new Database(file);
  const params = (values: SqlValue[] | undefined) => values ?? [];
  return {
    exec: (sql) => db.exec(sql),
    get: (sql, values) => db.get(sql, params(values)) as Record<string, SqlValue> | null,
    all: (sql, values) => db.all(sql, params(values)) as Record<string, SqlValue>[],
    run: (sql, values) => db.run(sql, params(values)),
    close: () => db.close(),
  };
}
