import assert from 'node:assert/strict';
import { clusterSettings, sharedTopic, type ClusterSettings } from '../../nodes/shared/cluster';

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

  it('sharedTopic: the group share with a cluster, the topic itself without', () => {
    assert.equal(sharedTopic('heatpump/+/data', { shareGroup: 'g1' }), '$share/g1/heatpump/+/data');
    assert.equal(sharedTopic('heatpump/+/data', undefined), 'heatpump/+/data');
  });
});
