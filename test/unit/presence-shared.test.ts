// The decisions on one device's shared presence record (shared-record.ts): table-driven, no Redis.
import assert from 'node:assert/strict';
import type { PersistedDevice } from '../../nodes/online-tracker/presence';
import { applyStep, mergeDevice, type PresenceStep, type SharedDevice } from '../../nodes/online-tracker/shared-record';

const S = 1000;
const T0 = 1_706_600_000_000;
const TIMEOUT = 600 * S;
const record = (device: PersistedDevice, rev = 3): SharedDevice => ({ device, rev });
const online = (lastSeen: number, since = T0, activeAt = lastSeen): PersistedDevice => ['site1', 1, lastSeen, since, activeAt];
const offline = (lastSeen: number | null, since: number, activeAt = lastSeen ?? since): PersistedDevice => ['site1', 0, lastSeen, since, activeAt];

describe('online-tracker shared presence record', () => {
  const steps: Record<string, (at: number) => PresenceStep> = {
    data: (at) => (table) => table.seen('site1', at),
    will: (at) => (table) => table.statusMessage('site1', 'offline', at),
    retainedOnline: (at) => (table) => table.statusMessage('site1', 'online', at, true),
    sweep: (at) => (table) => table.expired(at)[0],
  };
  const cases: Array<{ name: string; stored: unknown; step: PresenceStep; event: string | undefined; next: SharedDevice | undefined; announce: boolean }> = [
    { name: 'data, nothing stored: online, announced', stored: undefined, step: steps.data!(T0), event: 'device_online data', next: record(online(T0), 1), announce: true },
    { name: 'data on an online record: last_seen and clock only, not announced', stored: record(online(T0)), step: steps.data!(T0 + 5 * S), event: undefined, next: record(online(T0 + 5 * S), 4), announce: false },
    { name: 'data older than the stored last_seen (handled late): nothing moves back, nothing to store', stored: record(online(T0 + 9 * S)), step: steps.data!(T0 + 5 * S), event: undefined, next: undefined, announce: false },
    { name: 'data on an offline record: online again, announced', stored: record(offline(T0, T0 + 700 * S)), step: steps.data!(T0 + 800 * S), event: 'device_online data', next: record(online(T0 + 800 * S, T0 + 800 * S), 4), announce: true },
    { name: 'last will on an online record: offline', stored: record(online(T0)), step: steps.will!(T0 + 10 * S), event: 'device_offline status', next: record(offline(T0, T0 + 10 * S, T0), 4), announce: true },
    { name: 'last will on an offline record (the other instance got it first): nothing', stored: record(offline(T0, T0 + 10 * S)), step: steps.will!(T0 + 11 * S), event: undefined, next: undefined, announce: false },
    { name: 'last will of an unknown device: known offline, announced, no event', stored: undefined, step: steps.will!(T0), event: undefined, next: record(offline(null, T0, T0), 1), announce: true },
    { name: 'retained online, nothing stored: online without last_seen', stored: undefined, step: steps.retainedOnline!(T0), event: 'device_online status', next: record(['site1', 1, null, T0, T0], 1), announce: true },
    { name: 'sweep of a record still silent and online: offline once', stored: record(online(T0)), step: steps.sweep!(T0 + 601 * S), event: 'device_offline timeout', next: record(offline(T0, T0 + 601 * S), 4), announce: true },
    { name: 'sweep of a record another instance heard meanwhile: nothing', stored: record(online(T0 + 300 * S)), step: steps.sweep!(T0 + 601 * S), event: undefined, next: undefined, announce: false },
    { name: 'sweep of a record already offline: nothing', stored: record(offline(T0, T0 + 601 * S)), step: steps.sweep!(T0 + 700 * S), event: undefined, next: undefined, announce: false },
    { name: 'a malformed stored value counts as unknown', stored: { device: ['site1', 7], rev: 2 }, step: steps.data!(T0), event: 'device_online data', next: record(online(T0), 1), announce: true },
    { name: "another device's record counts as unknown", stored: record(['site2', 1, T0, T0, T0]), step: steps.data!(T0), event: 'device_online data', next: record(online(T0), 1), announce: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const outcome = applyStep(c.stored, 'site1', TIMEOUT, c.step);
      assert.equal(outcome.event && `${outcome.event.event} ${outcome.event.reason}`, c.event);
      assert.deepEqual(outcome.next, c.next);
      assert.equal(outcome.announce, c.announce);
      assert.deepEqual(outcome.record, c.next ?? c.stored);
    });
  }

  const merges: Array<{ name: string; stored: SharedDevice | undefined; local: PersistedDevice; next: SharedDevice | undefined }> = [
    { name: 'nothing stored: the local view as it is', stored: undefined, local: online(T0), next: record(online(T0), 1) },
    {
      name: 'went offline here after Redis last changed: offline, with the later last_seen',
      stored: record(online(T0 + 50 * S, T0)),
      local: offline(T0 + 40 * S, T0 + 700 * S),
      next: record(['site1', 0, T0 + 50 * S, T0 + 700 * S, T0 + 50 * S], 4),
    },
    {
      name: 'an older local state: Redis keeps its state, takes the later clock',
      stored: record(offline(T0, T0 + 700 * S)),
      local: online(T0 + 650 * S, T0 + 10 * S),
      next: record(['site1', 0, T0 + 650 * S, T0 + 700 * S, T0 + 650 * S], 4),
    },
    { name: 'the same view: nothing to store', stored: record(online(T0)), local: online(T0), next: undefined },
  ];
  for (const m of merges) {
    it(`merge: ${m.name}`, () => {
      const outcome = mergeDevice(m.stored, 'site1', m.local);
      assert.deepEqual(outcome.next, m.next);
      assert.equal(outcome.event, undefined, 'a merge announces no transition');
    });
  }
});
