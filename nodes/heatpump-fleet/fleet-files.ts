// Pure core of the fleet's own files (heatpump-fleet's "changed devices, in files" save mode).
// Node-RED's file context store writes a node's whole context at every flush: with 100,000
// devices that is the whole fleet, about 31 MB, each time (stringified, escaped into the store's
// JSON, written: over half a second of the runtime). Here a save appends only the devices changed
// since the last one, with the totals, as one line to a change log beside a snapshot of the whole
// fleet; once the log has grown as large as the snapshot, the next save writes a new snapshot and
// starts a new log.
//
// Files of generation g: snapshot-<g>.json (the fleet as FleetState.toJSON() gives it) and
// changes-<g>.ndjson (one line per save: {devices, removed, totals}). A snapshot is written to a
// temporary name and renamed, so the newest snapshot is always whole; a log of another generation
// is never read with it, so a log cut short by a kill between the rename and the deletion of the
// old files misleads nothing. A line cut off by a kill mid-append is left out (its changes are the
// last few seconds); the first save after a load always writes a new snapshot, so nothing is ever
// appended behind a cut-off line.
import fs from 'node:fs/promises';
import path from 'node:path';

/** The file operations the fleet's files need (durableFs below: node:fs/promises). */
export interface FleetFilesFs {
  mkdir(dir: string, options: { recursive: true }): Promise<unknown>;
  readdir(dir: string): Promise<string[]>;
  readFile(file: string, encoding: 'utf8'): Promise<string>;
  writeFile(file: string, text: string): Promise<void>;
  appendFile(file: string, text: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(file: string): Promise<void>;
  rm(dir: string, options: { recursive: true; force: true }): Promise<void>;
}

/** node:fs/promises, with writeFile on disk (fdatasync) when it resolves: a snapshot renamed over the old files must be whole after a power cut. */
export const durableFs: FleetFilesFs = {
  mkdir: (dir, options) => fs.mkdir(dir, options),
  readdir: (dir) => fs.readdir(dir),
  readFile: (file, encoding) => fs.readFile(file, encoding),
  writeFile: async (file, text) => {
    const handle = await fs.open(file, 'w');
    try {
      await handle.writeFile(text);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  },
  appendFile: (file, text) => fs.appendFile(file, text),
  rename: (from, to) => fs.rename(from, to),
  unlink: (file) => fs.unlink(file),
  rm: (dir, options) => fs.rm(dir, options),
};

/** What a save takes from the fleet (FleetState). */
export interface SavableFleet {
  /** the whole state, as restore() takes it */
  toJSON(): { devices: ReadonlyArray<{ device_id: string }> };
  /** the records of devices changed since the last call, and the ids of devices gone since */
  takeUnsaved(): { devices: Array<{ device_id: string }>; removed: string[] };
  /** everything toJSON() holds beside the devices */
  totals(): Record<string, unknown>;
}

export interface FleetFilesLimits {
  /** a new snapshot once the log is this many times the snapshot's size... */
  logToSnapshot: number;
  /** ...and at least this many bytes (a small fleet's log is not rewritten every few saves) */
  minLogBytes: number;
}

export interface LoadedFleet {
  /** the fleet as FleetState.restore() takes it; undefined when no snapshot was written yet */
  state: { devices: unknown[]; [key: string]: unknown } | undefined;
  /** log lines that could not be read (the last one cut off by a kill, or damage) */
  unreadableLines: number;
}

const DEFAULT_LIMITS: FleetFilesLimits = { logToSnapshot: 1, minLogBytes: 1_000_000 };
const SNAPSHOT = /^snapshot-(\d{12})\.json$/;
const pad = (generation: number): string => String(generation).padStart(12, '0');
const snapshotName = (generation: number): string => `snapshot-${pad(generation)}.json`;
const logName = (generation: number): string => `changes-${pad(generation)}.ndjson`;
/** a file of this store: a snapshot, a change log, or a snapshot's .tmp a kill left behind */
const isStoreFile = (name: string): boolean => {
  const digits = /-(\d{12})\./.exec(name)?.[1];
  if (digits === undefined) return false;
  const generation = Number(digits);
  return name === snapshotName(generation) || name === `${snapshotName(generation)}.tmp` || name === logName(generation);
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export class FleetFiles {
  /** the generation of the newest snapshot; 0: none written */
  private generation = 0;
  private snapshotBytes = 0;
  private logBytes = 0;
  /** true until a snapshot was written by this instance: the first save writes one */
  private snapshotDue = true;

  constructor(
    private readonly fs: FleetFilesFs,
    readonly dir: string,
    private readonly limits: FleetFilesLimits = DEFAULT_LIMITS,
  ) {}

  /** The fleet as last saved: the newest snapshot with its log applied, line by line. */
  async load(): Promise<LoadedFleet> {
    await this.fs.mkdir(this.dir, { recursive: true });
    const generations = (await this.fs.readdir(this.dir))
      .map((name) => SNAPSHOT.exec(name)?.[1])
      .filter((found): found is string => found !== undefined)
      .map(Number)
      .sort((a, b) => b - a);
    const newest = generations[0];
    if (newest === undefined) return { state: undefined, unreadableLines: 0 };
    this.generation = newest;
    const snapshot = JSON.parse(await this.fs.readFile(path.join(this.dir, snapshotName(newest)), 'utf8')) as unknown;
    if (!isRecord(snapshot) || !Array.isArray(snapshot.devices)) throw new Error(`${snapshotName(newest)} is not a saved fleet`);
    const devices = new Map<string, unknown>();
    // an entry without an id stays, under a key of its own: restore() skips it and says so
    snapshot.devices.forEach((device, index) => devices.set(isRecord(device) ? String(device.device_id) : `\0${index}`, device));
    let totals: Record<string, unknown> = snapshot;
    let unreadableLines = 0;
    for (const line of (await this.readLog(newest)).split('\n')) {
      if (line === '') continue;
      let change: unknown;
      try {
        change = JSON.parse(line);
      } catch {
        unreadableLines += 1;
        continue;
      }
      if (!isRecord(change) || !Array.isArray(change.devices) || !Array.isArray(change.removed) || !isRecord(change.totals)) {
        unreadableLines += 1;
        continue;
      }
      for (const device of change.devices) if (isRecord(device)) devices.set(String(device.device_id), device);
      for (const id of change.removed) devices.delete(String(id));
      totals = change.totals;
    }
    return { state: { ...totals, version: snapshot.version, devices: [...devices.values()] }, unreadableLines };
  }

  /** Saves what changed since the last save, or the whole fleet when a new snapshot is due. */
  async save(fleet: SavableFleet): Promise<void> {
    const { devices, removed } = fleet.takeUnsaved();
    if (this.snapshotDue || this.logBytes > Math.max(this.limits.minLogBytes, this.snapshotBytes * this.limits.logToSnapshot)) {
      return this.writeSnapshot(fleet);
    }
    const line = `${JSON.stringify({ devices, removed, totals: fleet.totals() })}\n`;
    try {
      await this.fs.appendFile(path.join(this.dir, logName(this.generation)), line);
      this.logBytes += Buffer.byteLength(line);
    } catch (thrown) {
      // the changes taken are not on disk: the next save writes the whole fleet
      this.snapshotDue = true;
      throw thrown;
    }
  }

  /** Deletes the fleet's files (its node was deleted). */
  async remove(): Promise<void> {
    await this.fs.rm(this.dir, { recursive: true, force: true });
    this.snapshotDue = true;
  }

  /** Files of older generations (a kill during the last snapshot's clean-up) are deleted by the next snapshot. */
  private async writeSnapshot(fleet: SavableFleet): Promise<void> {
    // the changes are taken already: until a snapshot is written, every save tries one
    this.snapshotDue = true;
    const text = JSON.stringify(fleet.toJSON());
    const next = this.generation + 1;
    const file = path.join(this.dir, snapshotName(next));
    await this.fs.mkdir(this.dir, { recursive: true });
    await this.fs.writeFile(`${file}.tmp`, text);
    await this.fs.rename(`${file}.tmp`, file);
    this.generation = next;
    this.snapshotBytes = Buffer.byteLength(text);
    this.logBytes = 0;
    this.snapshotDue = false;
    for (const name of await this.fs.readdir(this.dir)) {
      if (name === snapshotName(next)) continue;
      if (isStoreFile(name)) await this.fs.unlink(path.join(this.dir, name));
    }
  }

  private async readLog(generation: number): Promise<string> {
    try {
      return await this.fs.readFile(path.join(this.dir, logName(generation)), 'utf8');
    } catch (thrown) {
      if ((thrown as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw thrown;
    }
  }
}
