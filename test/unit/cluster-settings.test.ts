import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import jsonata from 'jsonata';
import { clusterSettings, DEFAULT_SHARE_GROUP, type ClusterSettings } from '../../nodes/shared/cluster';
import { projectRoot } from '../support/node-red';

describe('clusterSettings (environment of a replica)', () => {
  const cases: Array<{ name: string; env: Record<string, string>; expect: ClusterSettings | undefined | RegExp }> = [
    { name: 'REDIS_URL unset: one instance', env: {}, expect: undefined },
    { name: 'REDIS_URL blank: one instance', env: { REDIS_URL: '  ' }, expect: undefined },
    {
      name: 'defaults: id from host and pid, default group and prefix',
      env: { REDIS_URL: 'redis://redis:6379' },
      expect: { redisUrl: 'redis://redis:6379', instanceId: 'box-42', keyPrefix: 'heatpump:', shareGroup: 'heatpump-monitor' },
    },
    {
      name: 'everything set',
      env: { REDIS_URL: 'rediss://:pw@r:6380/2', HEATPUMP_INSTANCE_ID: 'nr-a', HEATPUMP_SHARE_GROUP: 'site_1', HEATPUMP_REDIS_PREFIX: 'hp1:' },
      expect: { redisUrl: 'rediss://:pw@r:6380/2', instanceId: 'nr-a', keyPrefix: 'hp1:', shareGroup: 'site_1' },
    },
    { name: 'not a redis URL', env: { REDIS_URL: 'http://redis:6379' }, expect: /REDIS_URL must start with redis:\/\// },
    { name: 'a group with a topic separator', env: { REDIS_URL: 'redis://r', HEATPUMP_SHARE_GROUP: 'a/b' }, expect: /HEATPUMP_SHARE_GROUP/ },
    { name: 'a group with a wildcard', env: { REDIS_URL: 'redis://r', HEATPUMP_SHARE_GROUP: 'a+' }, expect: /HEATPUMP_SHARE_GROUP/ },
  ];
  for (const { name, env, expect } of cases) {
    it(name, () => {
      if (expect instanceof RegExp) assert.throws(() => clusterSettings(env, 'box', 42), expect);
      else assert.deepEqual(clusterSettings(env, 'box', 42), expect);
    });
  }

  describe("the shipped flow's subscriptions (flows/00-config.json, JSONata on the environment)", () => {
    const env = (JSON.parse(fs.readFileSync(path.join(projectRoot, 'flows', '00-config.json'), 'utf8')) as Array<{ id: string; env?: Array<{ name: string; value: string }> }>).find((node) => node.id === 'hp_global_env')?.env ?? [];
    const topic = async (name: string, vars: Record<string, string>) => {
      const expression = env.find((entry) => entry.name === name)?.value;
      assert.ok(expression, `${name} in the global environment`);
      return (await jsonata(expression).evaluate({}, { env: (key: string) => vars[key] })) as string;
    };
    const cases: Array<{ vars: Record<string, string>; expect: string }> = [
      { vars: {}, expect: 'heatpump/+/data' },
      { vars: { REDIS_URL: 'redis://r' }, expect: `$share/${DEFAULT_SHARE_GROUP}/heatpump/+/data` },
      { vars: { REDIS_URL: 'redis://r', HEATPUMP_SHARE_GROUP: 'site_1' }, expect: '$share/site_1/heatpump/+/data' },
    ];
    for (const { vars, expect } of cases) {
      it(`${JSON.stringify(vars)} -> ${expect} (and the same for metrics and alerts)`, async () => {
        assert.equal(await topic('HEATPUMP_DATA_TOPIC', vars), expect);
        assert.equal(await topic('HEATPUMP_METRICS_TOPIC', vars), expect.replace(/data$/, 'metrics'));
        assert.equal(await topic('HEATPUMP_ALERTS_TOPIC', vars), expect.replace(/data$/, 'alerts'));
      });
    }
  });
});
