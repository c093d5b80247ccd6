// heatpump-fleet with REDIS_URL set: two fleet config nodes stand for two Node-RED instances on one
// Redis (each has its own connections, as a replica has). A report into either reaches both;
// each answers with the whole fleet; unsetting REDIS_URL keeps the fleet local.
import assert from 'node:assert/strict';
import type { FleetLink } from '../../nodes/shared/fleet-link';
import { alert, reading } from '../fixtures/fleet-events';
import { flowSuiteHooks, helper, nodeById, withCatalog, type NodeInit } from '../support/flow-helper';
import { nodeModule } from '../support/node-red';
import { redisPerTest } from '../support/redis-suite';
import { eventually } from '../support/wait';

const fleetModule = withCatalog(nodeModule('heatpump-fleet') as NodeInit, 'heatpump-fleet');

const fleetLink = (id: string): FleetLink => {
  const fleet = (nodeById(id) as unknown as { fleet?: FleetLink }).fleet;
  assert.ok(fleet, `${id} has no fleet`);
  return fleet;
};

const ENV = ['REDIS_URL', 'HEATPUMP_REDIS_PREFIX', 'HEATPUMP_INSTANCE_ID'] as const;

describe('heatpump-fleet node sharing its state in Redis (REDIS_URL)', function () {
  this.timeout(60_000);
  redisPerTest('flow', ENV);
  flowSuiteHooks();

  const twoInstances = [
    { id: 'fleetA', type: 'heatpump-fleet', name: '', store: '' },
    { id: 'fleetB', type: 'heatpump-fleet', name: '', store: '' },
  ];

  it('a report into one instance reaches the other; both hold the whole fleet with the same counts', async () => {
    await helper.load(fleetModule, twoInstances);
    const a = fleetLink('fleetA');
    const b = fleetLink('fleetB');
    await Promise.all([a.ready, b.ready]);
    const t = Date.now();
    a.reading(reading('hp1', t - 1000), []);
    b.reading(reading('hp1', t, { voltage: 241 }), []);
    b.presence({ event: 'device_online', device_id: 'hp2', last_seen: t, reason: 'data', timestamp: t });
    a.alert(alert('hp2', 'voltage_high', 'raised', 'warning', t));
    a.rejected({ scope: 'payload', device_id: null, field: null, reason: 'not JSON' });
    for (const fleet of [a, b]) {
      await eventually(() => (fleet.state.counters.readings_accepted === 2 && fleet.state.get('hp2')?.alerts.voltage_high ? true : undefined), 10_000, 'the shared fleet on each instance');
      assert.equal(fleet.state.get('hp1')?.reading?.voltage, 241, 'the newest reading, whichever instance took it');
      assert.deepEqual(fleet.state.summary(), { total: 2, online: 1, offline: 0, alerting: 1, warning: 1, critical: 0 });
      assert.equal(fleet.state.counters.payloads_rejected, 1);
      assert.equal(fleet.state.rejections()[0]?.reason, 'not JSON');
    }
    const logs = helper.log().args.map(([entry]) => String((entry as { msg?: unknown }).msg));
    assert.ok(logs.some((message) => /fleet state shared in Redis/.test(message)), 'each instance says it shares its state');
  });

  it('a new instance starts with the fleet the others built', async () => {
    await helper.load(fleetModule, [twoInstances[0] as Record<string, unknown>]);
    const first = fleetLink('fleetA');
    await first.ready;
    first.reading(reading('hp5', Date.now()), []);
    await eventually(() => (first.state.get('hp5') ? true : undefined), 10_000, 'hp5 on the first instance');
    await helper.unload();
    await helper.load(fleetModule, [twoInstances[1] as Record<string, unknown>]);
    const later = fleetLink('fleetB');
    await later.ready;
    assert.equal(later.state.get('hp5')?.device_id, 'hp5');
    assert.equal(later.state.counters.readings_accepted, 1);
  });

  it('REDIS_URL unset: the fleet stays local (another fleet node does not see it)', async () => {
    delete process.env.REDIS_URL;
    await helper.load(fleetModule, twoInstances);
    const a = fleetLink('fleetA');
    const b = fleetLink('fleetB');
    await Promise.all([a.ready, b.ready]);
    a.reading(reading('hp1', Date.now()), []);
    assert.equal(a.state.get('hp1')?.device_id, 'hp1', 'applied at once, as before');
    assert.equal(b.state.get('hp1'), undefined);
  });
});
