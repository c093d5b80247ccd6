// The common metric names in code and in docs/CONTRACTS.md say the same, and every source that
// uses a common name gives it the common unit (°C for temperatures, W for power, ...).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { COMMON_METRICS, isCommonMetric } from '../../nodes/shared/metric-names';
import { loadProfile, PROFILES } from '../../nodes/modbus-poll/profiles';
import { commonMetrics } from '../../nodes/shelly-em/common-metrics';
import { parseShellyStatus } from '../../nodes/shelly-em/parse';
import { decodeFeatures } from '../../nodes/viessmann-device/features';
import { readFixture } from '../support/fixtures';

type Named = { metrics: Record<string, number | boolean>; units: Record<string, string> };

/** The common metrics of a source's values whose unit is not the common one: [name, unit given, common unit]. */
function wrongUnits(values: Named): Array<[string, string, string]> {
  return Object.keys(values.metrics)
    .filter(isCommonMetric)
    .map((name): [string, string, string] => [name, values.units[name] ?? '', COMMON_METRICS[name].unit])
    .filter(([, given, common]) => given !== common);
}

/** The common metrics a source's values use (a test that finds none would check nothing). */
const commonOf = (values: Named): string[] => Object.keys(values.metrics).filter(isCommonMetric).sort();

/** Every source's values as it emits them: each shipped Modbus profile, the recorded Viessmann and Shelly answers. */
function sources(): Array<[string, Named]> {
  const out: Array<[string, Named]> = [];
  for (const { name } of PROFILES) {
    const map = loadProfile(name);
    const metrics = Object.fromEntries(map.registers.map((r): [string, number | boolean] => [r.name, r.data_type === 'bool' ? false : 0]));
    const units = Object.fromEntries(map.registers.filter((r) => r.unit !== undefined).map((r): [string, string] => [r.name, r.unit ?? '']));
    out.push([`modbus profile ${name}`, { metrics, units }]);
  }
  const modulation = {
    data: [
      { feature: 'heating.compressors.0.sensors.power', isEnabled: true, properties: { value: { type: 'number', unit: 'percent', value: 47 } } },
      { feature: 'heating.compressors.0.power', isEnabled: true, properties: { value: { type: 'number', unit: 'kilowatt', value: 16 } } },
    ],
  };
  for (const [name, body] of [
    ...['Vitocal200.json', 'Vitocal200S.json', 'Vitocal222S.json', 'Vitocal250A.json'].map((file): [string, unknown] => [file, JSON.parse(readFixture('viessmann', file))]),
    ['compressor modulation and rated power', modulation] as [string, unknown],
  ]) {
    const decoded = decodeFeatures(body);
    assert.ok(decoded.ok, name);
    out.push([`viessmann-device ${name}`, decoded.value]);
  }
  const shelly: Array<[string, unknown]> = [
    ['Pro 3EM', (JSON.parse(readFixture('shelly', 'aioshelly_gen2_Shelly_Pro_3EM_SPEM-003CEBEU_fw1.1.0_full_dump.json')) as { status: unknown }).status],
    ['Pro EM-50', JSON.parse(readFixture('shelly', 'evcc_proEM50_Shelly.GetStatus_export.json'))],
  ];
  for (const [name, body] of shelly) {
    const parsed = parseShellyStatus(body, 'auto');
    assert.ok(parsed.ok, name);
    const common = commonMetrics(parsed.value, 'all', true);
    out.push([`shelly-em ${name}`, { metrics: { ...parsed.value.metrics, ...common.metrics }, units: { ...parsed.value.units, ...common.units } }]);
  }
  return out;
}

const contracts = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'CONTRACTS.md'), 'utf8');

describe('common metric names (nodes/shared/metric-names)', function () {
  it('docs/CONTRACTS.md lists exactly the names and units of the code', function () {
    const section = contracts.split('#### Common metric names')[1]?.split('\n### ')[0] ?? '';
    const rows = [...section.matchAll(/^\| `([a-z_]+)` \| ([^|]+) \| ([^|]+) \|$/gm)].map(([, name, unit]) => [name, unit?.trim()]);
    const documented = Object.fromEntries(rows.map(([name, unit]) => [name, unit === 'boolean' || unit === 'number' ? '' : unit]));
    const coded = Object.fromEntries(Object.entries(COMMON_METRICS).map(([name, { unit }]) => [name, unit]));
    assert.deepEqual(documented, coded);
  });

  for (const [source, values] of sources()) {
    it(`${source} gives each common metric it uses (${commonOf(values).join(', ')}) the common unit`, function () {
      assert.notDeepEqual(commonOf(values), [], 'uses common names');
      assert.deepEqual(wrongUnits(values), []);
    });
  }

  it('tells common names from others, own properties only', function () {
    assert.equal(isCommonMetric('flow_temperature'), true);
    assert.equal(isCommonMetric('outside_temperature'), false);
    assert.equal(isCommonMetric('constructor'), false);
  });
});
