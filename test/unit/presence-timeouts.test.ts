// online-tracker's control timeouts as Redis holds them, against this instance's (shared-timeouts.ts
// timeoutChanges): table-driven, no Redis.
import assert from 'node:assert/strict';
import { timeoutChanges, type TimeoutChange } from '../../nodes/online-tracker/shared-timeouts';

describe('online-tracker shared timeouts: what changes here', () => {
  const cases: Array<{ name: string; current: Record<string, number>; stored: Array<[string, unknown]>; whole: boolean; changes: TimeoutChange[]; bad?: string[] }> = [
    { name: 'an announced new timeout', current: {}, stored: [['site1', 1800]], whole: false, changes: [['site1', 1800]] },
    { name: 'an announced change of a timeout', current: { site1: 60 }, stored: [['site1', 1800]], whole: false, changes: [['site1', 1800]] },
    { name: 'an announced timeout this instance has already', current: { site1: 1800 }, stored: [['site1', 1800]], whole: false, changes: [] },
    { name: 'an announced clear (no field)', current: { site1: 1800 }, stored: [['site1', undefined]], whole: false, changes: [['site1', null]] },
    { name: 'an announced clear of a timeout this instance never had', current: {}, stored: [['site1', undefined]], whole: false, changes: [] },
    { name: 'announced devices only: the others stay', current: { site1: 60, site2: 120 }, stored: [['site1', 90]], whole: false, changes: [['site1', 90]] },
    { name: 'read whole: a device missing from Redis has none', current: { site1: 60, site2: 120 }, stored: [['site1', 60]], whole: true, changes: [['site2', null]] },
    { name: 'read whole: new, changed and kept', current: { site1: 60, site2: 120 }, stored: [['site2', 120], ['site3', 0.5], ['site1', 61]], whole: true, changes: [['site3', 0.5], ['site1', 61]] },
    { name: 'read whole, nothing stored: every timeout cleared', current: { site1: 60 }, stored: [], whole: true, changes: [['site1', null]] },
    { name: 'a numeric text counts (redis-cli HSET of "1800" as JSON text)', current: {}, stored: [['site1', '1800']], whole: false, changes: [['site1', 1800]] },
    { name: 'a value that is no timeout counts as none, and is reported', current: { site1: 60 }, stored: [['site1', 0], ['site2', 'soon'], ['site3', { s: 1 }], ['site4', -5]], whole: false, changes: [['site1', null]], bad: ['site1', 'site2', 'site3', 'site4'] },
    { name: 'a field that is no device id is skipped and reported', current: {}, stored: [['a/b', 60]], whole: true, changes: [], bad: ['a/b'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = timeoutChanges(new Map(Object.entries(c.current)), c.stored, c.whole);
      assert.deepEqual(result, { changes: c.changes, bad: c.bad ?? [] });
    });
  }
});
