import assert from 'node:assert/strict';
import type { InfluxPoint } from '../../nodes/shared/contract';
import { byRetentionPolicy, retentionPolicyOf, storedMeasurement } from '../../nodes/shared/retention';

const at = (measurement: string, i: number, retentionPolicy?: string): InfluxPoint => ({
  measurement,
  tags: { device_id: 'hp1' },
  fields: { value: i },
  timestamp: new Date(i),
  ...(retentionPolicy === undefined ? {} : { retentionPolicy }),
});

describe('retention policies of the measurements', function () {
  const policies: Array<[string, string | undefined, string]> = [
    ['energy_daily', 'daily', '"daily"."energy_daily"'],
    ['cop', 'hourly', '"hourly"."cop"'],
    ['thermal_power_modulation', 'hourly', '"hourly"."thermal_power_modulation"'],
    ['thermal_power_delta_t', 'hourly', '"hourly"."thermal_power_delta_t"'],
    ['sensor_reading', undefined, '"raw"."sensor_reading"'],
    ['alert', undefined, '"raw"."alert"'],
    ['heatpump_metrics', undefined, '"raw"."heatpump_metrics"'],
  ];
  for (const [measurement, policy, stored] of policies) {
    it(`${measurement} is written to ${policy ?? 'the default policy'} and read from ${stored}`, function () {
      assert.equal(retentionPolicyOf(measurement), policy);
      assert.equal(storedMeasurement(measurement), stored);
    });
  }

  const splits: Array<{ name: string; points: InfluxPoint[]; runs: Array<[string | undefined, number[]]> }> = [
    { name: 'nothing', points: [], runs: [] },
    { name: 'one policy stays one run', points: [at('sensor_reading', 1), at('alert', 2)], runs: [[undefined, [1, 2]]] },
    {
      name: 'runs in the order each policy first appears, points in order within',
      points: [at('cop', 1), at('sensor_reading', 2), at('energy_daily', 3), at('thermal_power_delta_t', 4), at('sensor_reading', 5)],
      runs: [
        ['hourly', [1, 4]],
        [undefined, [2, 5]],
        ['daily', [3]],
      ],
    },
    {
      name: "a point's own policy wins over its measurement's",
      points: [at('energy_daily', 1, 'autogen'), at('energy_daily', 2), at('sensor_reading', 3, 'daily')],
      runs: [
        ['autogen', [1]],
        ['daily', [2, 3]],
      ],
    },
  ];
  for (const { name, points, runs } of splits) {
    it(`splits into runs of one policy: ${name}`, function () {
      assert.deepEqual(
        byRetentionPolicy(points).map((run) => [run.retentionPolicy, run.points.map((p) => p.timestamp.getTime())]),
        runs,
      );
    });
  }
});
