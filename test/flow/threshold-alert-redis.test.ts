// threshold-alert with REDIS_URL set: the device states live in Redis, so an instance that takes
// over a device (another replica, or this one restarted without a persistent context store)
// goes on from the episode the other left: no second "raised", no lost transition.
import assert from 'node:assert/strict';
import type { AlertEvent } from '../../nodes/shared/contract';
import { collect, flowSuiteHooks, flowWithCatch, helper, nodeById, withCatalog, type NodeInit } from '../support/flow-helper';
import { nodeModule } from '../support/node-red';
import { redisPerTest } from '../support/redis-suite';
import { openRedis, closeRedis } from '../../nodes/shared/redis-connection';
import { SharedHash } from '../../nodes/shared/shared-hash';
import { eventually } from '../support/wait';

const thresholdAlert = withCatalog(nodeModule('threshold-alert') as NodeInit, 'threshold-alert');
const T0 = Date.now() - 3600_000;
const reading = (seconds: number, voltage: number) => ({ topic: 'site1', payload: { device_id: 'site1', timestamp: T0 + seconds * 1000, voltage } });
const ENV = ['REDIS_URL', 'HEATPUMP_REDIS_PREFIX'] as const;

describe('threshold-alert sharing its device states in Redis (REDIS_URL)', function () {
  this.timeout(60_000);
  const redis = redisPerTest('alerts', ENV);
  flowSuiteHooks();

  /** The events n1 sends for `msg`, as "state level". */
  async function eventsFor(msg: ReturnType<typeof reading>): Promise<string[]> {
    const out = collect('readings', 1);
    const events: string[] = [];
    const listener = (event: { payload: AlertEvent }) => events.push(`${event.payload.state} ${event.payload.level}`);
    nodeById('events').on('input', listener);
    nodeById('n1').receive(msg);
    await out;
    nodeById('events').removeListener('input', listener);
    return events;
  }

  it('an instance taking over goes on from the shared episode: escalated, not raised again; cleared once', async () => {
    const flow = flowWithCatch('threshold-alert', ['events', 'readings'], { store: '' });
    await helper.load(thresholdAlert, flow);
    assert.deepEqual(await eventsFor(reading(0, 247)), ['raised warning']);
    await helper.unload();
    // the other replica: same flow (same node id), its own empty memory
    await helper.load(thresholdAlert, flow);
    assert.deepEqual(await eventsFor(reading(10, 247)), [], 'the warning is already announced');
    assert.deepEqual(await eventsFor(reading(20, 252)), ['escalated critical']);
    await helper.unload();
    await helper.load(thresholdAlert, flow);
    assert.deepEqual(await eventsFor(reading(30, 230)), ['cleared critical']);
  });

  it('msg.reset forgets the shared state too', async () => {
    const flow = flowWithCatch('threshold-alert', ['events', 'readings'], { store: '' });
    await helper.load(thresholdAlert, flow);
    assert.deepEqual(await eventsFor(reading(0, 252)), ['raised critical']);
    nodeById('n1').receive({ topic: 'site1', reset: true } as never);
    // close waits for the queued reset
    await helper.unload();
    await helper.load(thresholdAlert, flow);
    assert.deepEqual(await eventsFor(reading(10, 252)), ['raised critical']);
  });

  it('a run-time override made on another instance applies here at once; one made here is shared', async () => {
    const flow = flowWithCatch('threshold-alert', ['events', 'readings'], { store: '' });
    await helper.load(thresholdAlert, flow);
    assert.deepEqual(await eventsFor(reading(0, 240)), [], '240 V is normal by the default rules');
    // the other replica, as its rules API stores a change: the same node id, so the same keys
    const client = openRedis(redis.url());
    try {
      const other = new SharedHash(client, `${process.env.HEATPUMP_REDIS_PREFIX}alerts:n1:overrides`);
      await other.set('site1', { voltage_high: { warning: 238, critical: 250 } });
      let second = 10;
      await eventually(async () => ((await eventsFor(reading((second += 1), 240))).includes('raised warning') ? true : undefined), 5000, 'the shared override to raise 240 V');
      nodeById('n1').receive({ thresholds: { device_id: 'site2', rules: { voltage_high: { warning: 235 } } } } as never);
      assert.deepEqual(await eventually(() => other.get('site2'), 5000, 'site2 shared'), { voltage_high: { warning: 235 } });
      await other.set('site1', null);
      await eventually(async () => ((await eventsFor(reading((second += 1), 241))).includes('cleared warning') ? true : undefined), 5000, 'the removed override to clear 241 V');
    } finally {
      await closeRedis(client);
    }
  });
});
