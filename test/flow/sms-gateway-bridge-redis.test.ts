// sms-gateway-bridge with REDIS_URL set: the limits live in Redis, so the instance that takes over
// (another replica, or this one restarted without a persistent context store) keeps to the rate
// limit and the de-duplication the other one started.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeRedis, openRedis } from '../../nodes/shared/redis-connection';
import { startRedis, type RunningRedis } from '../../scripts/lib/redis-server';
import { eventually } from '../support/wait';
import { nodeRedPath } from '../support/node-red';
import { Collector, bridgeModule, configModule, helper, wait } from '../support/sms-flow';
import { requireBinary } from '../support/system';

const SETTINGS = { smsGatewayBridgeSummaryInterval: 50, smsGatewayBridgeRetryDelay: 10 };
const T0 = Date.now();
const ENV = ['REDIS_URL', 'HEATPUMP_REDIS_PREFIX', 'HEATPUMP_INSTANCE_ID'] as const;
const flow = [
  { id: 'cfg', type: 'sms-gateway-config', transport: 'device-mqtt', defaultCountry: '+49', ackTimeout: 1 },
  { id: 'b', type: 'sms-gateway-bridge', gateway: 'cfg', recipients: '0171 1234567', ratePerHour: 1, wires: [['results'], ['commands'], ['transport'], ['inbound']] },
  { id: 'results', type: 'helper' },
  { id: 'commands', type: 'helper' },
  { id: 'transport', type: 'helper' },
  { id: 'inbound', type: 'helper' },
];
const alert = (alertType: string) => ({ device_id: 'site1', alert_type: alertType, level: 'critical', value: 97.3, threshold: 95, message: 'hot', state: 'raised', timestamp: T0 });

describe('sms-gateway-bridge sharing its limits in Redis (REDIS_URL)', function () {
  this.timeout(60_000);
  let redis: RunningRedis;
  let dataDir: string;
  const saved = Object.fromEntries(ENV.map((name) => [name, process.env[name]]));

  before(async function () {
    const binary = requireBinary(this, 'redis-server', 'redis-server');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sms-redis-'));
    redis = await startRedis({ dataDir, binary });
    helper.init(nodeRedPath, SETTINGS);
    process.env.REDIS_URL = redis.url;
    process.env.HEATPUMP_REDIS_PREFIX = 'sms-flow:';
    process.env.HEATPUMP_INSTANCE_ID = 'replica-1';
  });

  afterEach(async () => {
    await helper.unload();
  });

  after(async () => {
    for (const name of ENV) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    await redis?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('the instance taking over keeps to the rate limit the other used up, and says it held the alert', async () => {
    await helper.load([configModule, bridgeModule], flow);
    const first = new Collector(helper.getNode('transport'));
    helper.getNode('b').receive({ payload: alert('compressor_temp') });
    await first.next(1);
    await helper.unload();

    await helper.load([configModule, bridgeModule], flow);
    const transport = new Collector(helper.getNode('transport'));
    const results = new Collector(helper.getNode('results'));
    helper.getNode('b').receive({ payload: alert('current') });
    const result = (await results.next(1)).payload as Record<string, unknown>;
    assert.deepEqual([result.status, result.reason], ['held', 'rate']);
    await wait(100);
    assert.equal(transport.messages.length, 0, 'nothing sent past the shared rate limit');
  });

  it('the summaries run where the lease is: this instance takes it, and gives it up on close', async () => {
    const redisClient = openRedis(redis.url);
    try {
      await helper.load([configModule, bridgeModule], flow);
      await eventually(async () => ((await redisClient.get('sms-flow:sms:b:summaries')) === 'replica-1' ? true : undefined), 10_000, 'the summary lease held by replica-1');
      await helper.unload();
      assert.equal(await redisClient.get('sms-flow:sms:b:summaries'), null, 'released at once, not left to expire');
    } finally {
      await closeRedis(redisClient);
    }
  });
});
