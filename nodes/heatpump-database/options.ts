// The heatpump-database node's settings as the values it runs with. Pure.
import path from 'node:path';

export const DEFAULT_FILE = 'heatpump-monitor.db';
export const DEFAULT_RETENTION_DAYS = 365;

/** The file: blank = DEFAULT_FILE in the user directory; a relative path is taken from the user directory. */
export function databasePath(configured: string | undefined, userDir: string): string {
  const file = (configured ?? '').trim();
  return path.resolve(userDir, file === '' ? DEFAULT_FILE : file);
}

export function retentionDaysOf(configured: string | number | undefined): number | undefined {
  if (configured === undefined || configured === '') return DEFAULT_RETENTION_DAYS;
  const days = Number(configured);
  return Number.isInteger(days) && days >= 0 ? days : undefined;
}
