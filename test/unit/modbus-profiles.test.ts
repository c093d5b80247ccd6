import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ruleProblem } from '../../nodes/threshold-alert/rules';
import type { AlertRule } from '../../nodes/threshold-alert/types';
import { planReads } from '../../nodes/modbus-poll/block-plan';
import { parseCsv } from '../../nodes/modbus-poll/csv';
import { nibeCsvText, parseNibeCsv } from '../../nodes/modbus-poll/nibe-csv';
import { PROFILES, defaultRules, loadProfile, profileYaml } from '../../nodes/modbus-poll/profiles';
import { decodeBlock } from '../../nodes/modbus-poll/register-decode';
import { validateMap, type RegisterDef, type RegisterMap } from '../../nodes/modbus-poll/register-map';
import { STIEBEL_TABLES, readStiebelTables, stiebelProfileYaml } from '../../scripts/stiebel-profiles';
import { fixturePath, repoRoot } from '../support/fixtures';

const ALERT_RULE_KEYS: Array<keyof AlertRule> = ['name', 'label', 'metric', 'direction', 'warning', 'critical', 'hysteresis', 'forSeconds', 'enabled'];

function byName(map: RegisterMap, name: string): RegisterDef {
  const def = map.registers.find((r) => r.name === name);
  assert.ok(def, `${map.model} has ${name}`);
  return def;
}

describe('modbus shipped profiles', () => {
  describe('every shipped profile', () => {
    it('is listed once and has its YAML file in nodes/modbus-poll/profiles/', () => {
      const files = fs.readdirSync(path.join(repoRoot, 'nodes', 'modbus-poll', 'profiles')).filter((f) => f.endsWith('.yml')).sort();
      assert.deepEqual(files, PROFILES.map((p) => `${p.name}.yml`).sort());
    });
    for (const { name } of PROFILES) {
      describe(name, () => {
        it('loads and validates', () => {
          const map = loadProfile(name);
          assert.equal(map.model, name);
          assert.ok(map.registers.length > 0);
          assert.deepEqual(validateMap(map), []);
        });
        it('plans into reads within the protocol limits, each register read once', () => {
          const map = loadProfile(name);
          const blocks = planReads(map.registers);
          assert.ok(blocks.every((b) => b.count <= 125));
          assert.equal(blocks.reduce((n, b) => n + b.registers.length, 0), map.registers.length);
        });
        it('has default alert rules in threshold-alert\'s rule shape, on its own metrics', () => {
          const rules = defaultRules(name);
          assert.ok(rules.length > 0);
          const metrics = new Set(loadProfile(name).registers.map((r) => r.name));
          for (const rule of rules) {
            assert.deepEqual(Object.keys(rule).sort(), [...ALERT_RULE_KEYS].sort());
            assert.equal(ruleProblem(rule as unknown as AlertRule), undefined);
            assert.ok(metrics.has(rule.metric), rule.metric);
          }
        });
      });
    }
    it('refuses an unknown profile name', () => assert.throws(() => loadProfile('nibe-x-series'), /unknown profile "nibe-x-series"/));
    it('defaultRules gives copies, not the cached map\'s rules', () => {
      const [rule] = defaultRules('nibe-s-series');
      assert.ok(rule);
      rule.warning = -1;
      assert.equal(defaultRules('nibe-s-series')[0]?.warning, 60);
    });
  });

  describe('Stiebel Eltron ISG profiles agree with the ISG register tables', () => {
    for (const kind of ['wpm', 'lwz'] as const) {
      const name = `stiebel-eltron-isg-${kind}`;
      it(`${name}.yml is what scripts/stiebel-profiles.ts generates from the CSVs`, () => {
        assert.equal(profileYaml(name), stiebelProfileYaml(kind, readStiebelTables(kind)));
      });
      it(`${name}: every CSV row (but the commands) at its address - 1, with the data type of its ISG code`, () => {
        const map = loadProfile(name);
        const codes: Record<string, [string, number]> = { 2: ['int16', 0.1], 6: ['uint16', 1], 7: ['int16', 0.01], 8: ['uint16', 1] };
        let rows = 0;
        for (const file of STIEBEL_TABLES[kind]) {
          const [header = [], ...body] = parseCsv(fs.readFileSync(fixturePath('modbus', 'stiebel_eltron_isg', file), 'utf8'), ',');
          const typeColumn = header.findIndex((h) => h.trim() === 'Data type');
          const modeColumn = header.findIndex((h) => h.startsWith('Write'));
          for (const cells of body.filter((r) => r.length > 1)) {
            const [address = '', designation = ''] = cells;
            if (['RESET', 'RESTART ISG'].includes(designation.trim())) continue;
            rows++;
            const def = map.registers.find((r) => r.description?.startsWith(`${address} ${designation.trim()}`));
            assert.ok(def, `${file}: ${address} ${designation}`);
            assert.equal(def.address, Number(address) - 1);
            assert.equal(def.register_type, cells[modeColumn] === 'r/w' ? 'holding' : 'input');
            assert.equal(def.setting, cells[modeColumn] === 'r/w' ? true : undefined);
            const [dataType, scale] = codes[cells[typeColumn] ?? ''] ?? [];
            // BUS STATUS (-4..0) is the documented signed type 6
            assert.equal(def.data_type, designation === 'BUS STATUS' ? 'int16' : dataType, def.name);
            assert.equal(def.scale, scale);
            const bitCoded = cells.some((cell) => cell === 'bit-coded');
            assert.equal(def.unavailable, bitCoded ? undefined : def.data_type === 'int16' ? -32768 : 32768, def.name);
          }
        }
        assert.equal(map.registers.length, rows);
      });
    }
    const keys: Array<[string, string, number, string]> = [
      ['wpm', 'outdoor_temperature', 506, '507 OUTSIDE TEMPERATURE'],
      ['wpm', 'flow_temperature', 514, '515 ACTUAL FLOW TEMPERATURE'],
      ['wpm', 'return_temperature', 515, '516 ACTUAL RETURN TEMPERATURE'],
      ['wpm', 'dhw_temperature', 521, '522 ACTUAL TEMPERATURE DHW'],
      ['wpm', 'high_pressure', 539, '540 HIGH PRESSURE'],
      ['wpm', 'produced_compressor_heating_total_kwh', 3501, '3502 VD HEATING TOTAL (LOW)'],
      ['wpm', 'produced_compressor_heating_total_mwh', 3502, '3503 VD HEATING TOTAL (HI)'],
      ['wpm', 'hc1_heating_curve_rise', 1503, '1504 HEATING CURVE RISE (HK 1)'],
      ['lwz', 'outdoor_temperature', 6, '7 OUTSIDE TEMPERATURE'],
      ['lwz', 'flow_temperature', 11, '12 FLOW TEMPERATURE'],
      ['lwz', 'high_pressure', 28, '29 HIGH PRESSURE'],
      ['lwz', 'compressor_starts_high', 30, '31 COMPRESSOR STARTS (HI)'],
      ['lwz', 'compressor_starts_low', 33, '34 COMPRESSOR STARTS (LOW)'],
    ];
    for (const [kind, metric, address, description] of keys) {
      it(`${kind}: ${metric} is ${description}`, () => {
        const def = byName(loadProfile(`stiebel-eltron-isg-${kind}`), metric);
        assert.equal(def.address, address);
        assert.ok(def.description?.startsWith(description), def.description);
      });
    }
    it('decodes a WPM flow temperature and leaves out the ISG\'s "unavailable" 0x8000', () => {
      const map = loadProfile('stiebel-eltron-isg-wpm');
      const block = planReads(map.registers).find((b) => b.register_type === 'input' && b.address === 500);
      assert.ok(block);
      const words = Array.from({ length: block.count }, () => 0x8000);
      words[514 - 500] = 0x00d7; // 21.5 °C
      words[506 - 500] = 0xffec; // -2.0 °C
      const decoded = decodeBlock(block, words);
      assert.deepEqual(decoded.values, { outdoor_temperature: -2, flow_temperature: 21.5 });
      assert.equal(decoded.rejected.length, block.registers.length - 2);
      assert.ok(decoded.rejected.every((r) => r.reason === 'unavailable'));
    });
  });

  describe('NIBE profiles agree with the real register exports', () => {
    const cases: Array<[string, string]> = [
      ['nibe-f-series', 'f1145_f1245.csv'],
      ['nibe-s-series', 's1155_s1255.csv'],
    ];
    for (const [profile, file] of cases) {
      it(`${profile}: every register as the importer reads it from ${file}`, () => {
        const parsed = parseNibeCsv(nibeCsvText(fs.readFileSync(fixturePath('modbus', 'nibe', file))));
        assert.ok(parsed.ok);
        for (const def of loadProfile(profile).registers) {
          const id = def.description?.split(' ')[0];
          const imported: RegisterDef | undefined = parsed.value.registers.find((r) => r.description?.startsWith(`${id} `));
          assert.ok(imported, `${def.name}: NIBE register ${id} in the export`);
          const fields = ['address', 'register_type', 'data_type', 'scale', 'unit', 'unavailable', 'min', 'max'] as const;
          assert.deepEqual(
            fields.map((f) => def[f]),
            fields.map((f) => imported[f]),
            def.name,
          );
          if (['int32', 'uint32'].includes(def.data_type)) assert.equal(def.word_order, imported.word_order, def.name);
          // the export marks degree minutes writable; the profile does not report it as a setting
          if (def.name !== 'degree_minutes') assert.equal(def.setting, imported.setting, def.name);
        }
      });
    }
  });

  it('nibe-f-series: a 32-bit counter low word first, a missing sensor left out', () => {
    const map = loadProfile('nibe-f-series');
    const [block] = planReads(map.registers.filter((r) => ['compressor_starts', 'compressor_operating_hours'].includes(r.name)), { maxGap: 2 });
    assert.ok(block);
    assert.deepEqual([block.address, block.count], [3415, 6]);
    // 43416 = 100000 starts (0x000186A0, low word first), 43420 = s32 -2^31: no value
    const decoded = decodeBlock(block, [0x86a0, 0x0001, 0, 0, 0x0000, 0x8000]);
    assert.deepEqual(decoded.values, { compressor_starts: 100000 });
    assert.deepEqual(decoded.rejected, [{ register: 'compressor_operating_hours', reason: 'unavailable', raw: -2147483648 }]);
  });

  describe('generic-example', () => {
    it('shows every field of a register definition', () => {
      const map = loadProfile('generic-example');
      const used = new Set(map.registers.flatMap((r) => Object.keys(r)));
      const all: Array<keyof RegisterDef> = ['name', 'address', 'register_type', 'data_type', 'unit', 'scale', 'offset', 'word_order', 'byte_order', 'interval_s', 'setting', 'min', 'max', 'unavailable', 'description'];
      assert.deepEqual(all.filter((k) => !used.has(k)), []);
      assert.deepEqual([...new Set(map.registers.map((r) => r.register_type))].sort(), ['coil', 'discrete', 'holding', 'input']);
    });
  });
});
