// The simulator against a real broker (aedes in-process): a large fleet shares a few connections,
// every device still publishes under its own id, and the publish rate can be capped.
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startInProcessBroker, type InProcessBroker } from '../support/aedes-broker';
import { startSimulator, type RunningSimulator } from '../../scripts/lib/simulator';

describe('simulator (scripts/lib/simulator) on a broker', function () {
  let broker: InProcessBroker;
  let simulator: RunningSimulator | undefined;
  beforeEach(async () => {
    broker = await startInProcessBroker();
  });
  afterEach(async () => {
    await simulator?.stop();
    simulator = undefined;
    await broker.close();
  });

  /** data topics seen per device, and the connections the broker had */
  async function watch(ms: number, run: () => Promise<RunningSimulator>) {
    const watcher = mqtt.connect(broker.url, { clientId: 'watcher' });
    await new Promise((resolve) => watcher.once('connect', resolve));
    await watcher.subscribeAsync('heatpump/#', { qos: 1 });
    const data = new Map<string, number>();
    const online = new Set<string>();
    const payloads: unknown[] = [];
    watcher.on('message', (topic, payload) => {
      const [, device, ...rest] = topic.split('/');
      if (device === undefined) return;
      if (rest.join('/') === 'status/online' && payload.toString() === 'online') online.add(device);
      if (rest.join('/') === 'data') {
        data.set(device, (data.get(device) ?? 0) + 1);
        payloads.push(JSON.parse(payload.toString()));
      }
    });
    simulator = await run();
    await new Promise((resolve) => setTimeout(resolve, ms));
    await watcher.endAsync();
    return { data, online, payloads };
  }

  it('publishes for 40 devices over 2 shared connections, each device under its own id, with its online status', async () => {
    const { data, online, payloads } = await watch(1500, () => startSimulator({ brokerUrl: broker.url, devices: 40, intervalMs: 100, batch: 3, connections: 2, faultRate: 0 }));
    assert.equal(data.size, 40, 'every device published');
    assert.equal(online.size, 40, 'every device announced itself online');
    assert.ok(payloads.every((p) => Array.isArray(p) && p.length === 3), 'arrays of --batch readings');
    assert.deepEqual([...broker.clients].filter((id) => id !== 'watcher').sort(), ['sim-1-1-of-2', 'sim-1-2-of-2'], 'two connections for the 40 devices');
  });

  it('caps the publishes per second over the fleet, the rest wait their turn', async () => {
    const { data } = await watch(1000, () => startSimulator({ brokerUrl: broker.url, devices: 50, intervalMs: 50, connections: 1, faultRate: 0, maxPublishesPerSecond: 20 }));
    const dataMessages = [...data.values()].reduce((a, b) => a + b, 0);
    // 50 devices every 50 ms would be 2,000 data messages (and as many metrics) in a second
    assert.ok(dataMessages <= 20, `at most 20 publishes in the second, got ${dataMessages} data messages`);
    assert.ok(dataMessages > 0, 'some were published');
    assert.ok((simulator?.waiting() ?? 0) > 0, 'the others are waiting');
  });
});
