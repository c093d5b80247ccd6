// One device's presence as several Node-RED instances share it (REDIS_URL): what a message or an
// expiry check does to the stored record, decided by PresenceTable's own rules on a one-device
// copy, so the rules exist once. Pure: no Redis, no clock (shared-presence.ts stores the results).
import type { PresenceEvent } from '../shared/contract';
import { isPersistedDevice, PresenceTable, type PersistedDevice } from './presence';

/** What Redis holds per device: the persisted form and a revision that grows with every store. */
export interface SharedDevice {
  device: PersistedDevice;
  rev: number;
}

/** A change to one device, run on a table holding that device alone; returns its transition, if any. */
export type PresenceStep = (table: PresenceTable) => PresenceEvent | undefined;

export interface StepOutcome {
  /** the record to store; undefined: the step changed nothing */
  next: SharedDevice | undefined;
  /** the transition the step made: sent only by the instance whose store succeeded */
  event: PresenceEvent | undefined;
  /** the device as it is after the step (stored or unchanged); undefined if it is still unknown */
  record: SharedDevice | undefined;
  /** true when the others' tables must follow at once: a new device, or a new state; plain last_seen updates are not announced */
  announce: boolean;
}

export function isSharedDevice(value: unknown): value is SharedDevice {
  if (typeof value !== 'object' || value === null) return false;
  const { device, rev } = value as Record<string, unknown>;
  return isPersistedDevice(device) && typeof rev === 'number' && Number.isInteger(rev) && rev > 0;
}

/** Runs `step` on the stored record of `id` (anything malformed counts as unknown) with the device's timeout. */
export function applyStep(stored: unknown, id: string, timeoutMs: number, step: PresenceStep): StepOutcome {
  const current = isSharedDevice(stored) && stored.device[0] === id ? stored : undefined;
  const restored = current && PresenceTable.fromJSON({ version: 1, devices: [current.device] }, timeoutMs);
  const table = restored?.ok ? restored.value.table : new PresenceTable(timeoutMs);
  const event = step(table);
  const after = table.entry(id);
  return outcome(current, after, event);
}

/**
 * This instance's view of a device, kept while Redis was away, merged into the stored one: the
 * later transition (larger `since`) decides the state, last_seen and the silence clock take the
 * later of both. Nothing is announced: each instance announced its own transitions meanwhile.
 */
export function mergeDevice(stored: unknown, id: string, local: PersistedDevice): StepOutcome {
  const current = isSharedDevice(stored) && stored.device[0] === id ? stored : undefined;
  if (!current) return outcome(undefined, local, undefined);
  const [, storedOnline, storedLastSeen, storedSince, storedActiveAt] = current.device;
  const [, localOnline, localLastSeen, localSince, localActiveAt] = local;
  const localWins = localSince > storedSince;
  const lastSeen = storedLastSeen === null ? localLastSeen : localLastSeen === null ? storedLastSeen : Math.max(storedLastSeen, localLastSeen);
  const merged: PersistedDevice = [
    id,
    localWins ? localOnline : storedOnline,
    lastSeen,
    localWins ? localSince : storedSince,
    Math.max(storedActiveAt, localActiveAt),
  ];
  return outcome(current, merged, undefined);
}

/** The outcome of turning `current` into `after`: nothing to store when they are the same. */
function outcome(current: SharedDevice | undefined, after: PersistedDevice | undefined, event: PresenceEvent | undefined): StepOutcome {
  if (after === undefined || (current && sameDevice(after, current.device))) return { next: undefined, event: undefined, record: current, announce: false };
  const next = { device: after, rev: (current?.rev ?? 0) + 1 };
  const announce = !current || current.device[1] !== after[1] || current.device[3] !== after[3];
  return { next, event, record: next, announce };
}

function sameDevice(a: PersistedDevice, b: PersistedDevice): boolean {
  return a.every((value, index) => value === b[index]);
}
