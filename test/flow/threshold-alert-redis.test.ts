// threshold-alert with REDIS_URL set: the device states live in Redis, so an instance that takes
// over a device (another replica, or this one restarted without a persistent context store)
// goes on from the episode the other left: no second "raised", no lost transition.
import assert from 'node:assert/strict';
import type { AlertEvent } from '../../nodes/shared/contract';
import { collect, flowSuiteHooks, flowWithCatch, helper, nodeById, withCatalog, type NodeInit } from '../support/flow-helper';
import { nodeModule } from '../support/node-red';
import { redisPerTest } from '../support/redis-suite';

const thresholdAlert = withCatalog(nodeModule('threshold-alert') as NodeInit, 'threshold-alert');
const T0 = Date.now() - 3600_000;
const reading = (seconds: number, voltage: number) => ({ topic: 'site1', payload: { device_id: 'site1', timestamp: T0 + seconds * 1000, voltage } });
const ENV = ['REDIS_URL', 'HEATPUMP_REDIS_PREFIX'] as const;

describe('threshold-alert sharing its device states in Redis (REDIS_URL)', function () {
  this.timeout(60_000);
  redisPerTest('alerts', ENV);
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
});
