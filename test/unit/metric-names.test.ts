// The common metric names in code and in docs/CONTRACTS.md say the same.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { COMMON_METRICS, isCommonMetric } from '../../nodes/shared/metric-names';

const contracts = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'CONTRACTS.md'), 'utf8');

describe('common metric names (nodes/shared/metric-names)', function () {
  it('docs/CONTRACTS.md lists exactly the names and units of the code', function () {
    const section = contracts.split('#### Common metric names')[1]?.split('\n### ')[0] ?? '';
    const rows = [...section.matchAll(/^\| `([a-z_]+)` \| ([^|]+) \| ([^|]+) \|$/gm)].map(([, name, unit]) => [name, unit?.trim()]);
    const documented = Object.fromEntries(rows.map(([name, unit]) => [name, unit === 'boolean' || unit === 'number' ? '' : unit]));
    const coded = Object.fromEntries(Object.entries(COMMON_METRICS).map(([name, { unit }]) => [name, unit]));
    assert.deepEqual(documented, coded);
  });

  it('tells common names from others, own properties only', function () {
    assert.equal(isCommonMetric('flow_temperature'), true);
    assert.equal(isCommonMetric('outside_temperature'), false);
    assert.equal(isCommonMetric('constructor'), false);
  });
});
