// The alert numbers live in nodes/shared/thresholds.ts; everything that repeats them (firmware,
// simulator, help texts) is checked against it here, and the editor takes them from the runtime
// (test/flow/threshold-alert-settings.test.ts checks what the runtime exports).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ALERT_COOLDOWN_SECONDS, ALERT_THRESHOLDS, SENSOR_FAULT_AFTER_SECONDS, thresholdDrift, thresholdOf } from '../../nodes/shared/thresholds';
import { DEFAULT_RULES } from '../../nodes/threshold-alert/rules';
import { LIMITS } from '../../scripts/lib/sim-model';
import { projectRoot } from '../support/node-red';

const read = (...parts: string[]) => fs.readFileSync(path.join(projectRoot, ...parts), 'utf8');

/** `#define NAME value` of a C header, numbers only. */
function defines(header: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const match of header.matchAll(/^\s*#define\s+([A-Z0-9_]+)\s+(-?[0-9.]+)f?\s*$/gm)) {
    if (match[1] !== undefined && match[2] !== undefined) found.set(match[1], Number(match[2]));
  }
  return found;
}

/** The firmware's macro prefix of each alert type (config.h). */
const FIRMWARE_PREFIX: Record<string, string> = {
  voltage_high: 'VOLTAGE_HIGH',
  voltage_low: 'VOLTAGE_LOW',
  compressor_temp: 'COMP_TEMP',
  pressure_high: 'PRESSURE_HIGH',
  pressure_low: 'PRESSURE_LOW',
  current: 'CURRENT',
};

describe('alert thresholds: one source (nodes/shared/thresholds.ts)', () => {
  it('are the alert contract table (the numbers must not change by accident)', () => {
    assert.deepEqual(
      ALERT_THRESHOLDS.map((t) => [t.name, t.metric, t.direction, t.warning, t.critical, t.hysteresis]),
      [
        ['voltage_high', 'voltage', 'above', 245, 250, 2],
        ['voltage_low', 'voltage', 'below', 215, 210, 2],
        ['compressor_temp', 'temp_compressor', 'above', 85, 95, 2],
        ['pressure_high', 'pressure_high', 'above', 400, 450, 10],
        ['pressure_low', 'pressure_low', 'below', 40, 20, 5],
        ['current', 'current', 'above', 12, 15, 0.5],
      ],
    );
    assert.equal(ALERT_COOLDOWN_SECONDS, 300);
    assert.equal(SENSOR_FAULT_AFTER_SECONDS, 600);
  });

  it('firmware/include/config.h has the same warning / critical defaults and cooldown', () => {
    const found = defines(read('firmware', 'include', 'config.h'));
    const drift: string[] = [];
    for (const t of ALERT_THRESHOLDS) {
      const prefix = FIRMWARE_PREFIX[t.name];
      if (prefix === undefined) {
        drift.push(`${t.name}: no firmware macro prefix known to this test`);
        continue;
      }
      for (const level of ['warning', 'critical'] as const) {
        const name = `${prefix}_${level.toUpperCase()}`;
        if (found.get(name) !== t[level]) drift.push(`${name} is ${found.get(name)}, thresholds.ts ${t.name}.${level} is ${t[level]}`);
      }
    }
    const known = new Set(Object.values(FIRMWARE_PREFIX).flatMap((p) => [`${p}_WARNING`, `${p}_CRITICAL`]));
    for (const name of found.keys()) if (/_(WARNING|CRITICAL)$/.test(name) && !known.has(name)) drift.push(`${name}: a threshold thresholds.ts does not have`);
    if (found.get('ALERT_COOLDOWN') !== ALERT_COOLDOWN_SECONDS * 1000) drift.push(`ALERT_COOLDOWN is ${found.get('ALERT_COOLDOWN')} ms, thresholds.ts ${ALERT_COOLDOWN_SECONDS} s`);
    assert.deepEqual(drift, []);
  });

  it('the firmware core\'s kDefaultThresholds (alerts.cpp) agree too', () => {
    const source = read('firmware', 'lib', 'core', 'src', 'alerts.cpp');
    const names = [...source.matchAll(/\{"([a-z_]+)",\s*"/g)].map((m) => m[1]);
    const table = /kDefaultThresholds\s*=\s*\{\s*\{([^}]*)\},\s*\{([^}]*)\}/.exec(source);
    assert.ok(table?.[1] !== undefined && table[2] !== undefined, 'kDefaultThresholds not found in alerts.cpp');
    const numbers = (list: string) => list.split(',').map((n) => Number(n.trim().replace(/f$/, '')));
    const warning = numbers(table[1]);
    const critical = numbers(table[2]);
    assert.deepEqual(
      names.map((name, i) => [name, warning[i], critical[i]]),
      ALERT_THRESHOLDS.map((t) => [t.name, t.warning, t.critical]),
    );
  });

  it('the simulator takes them (scripts/lib/sim-model.ts LIMITS)', () => {
    assert.deepEqual(LIMITS, {
      voltageHigh: { warning: thresholdOf('voltage_high').warning, critical: thresholdOf('voltage_high').critical },
      voltageLow: { warning: thresholdOf('voltage_low').warning, critical: thresholdOf('voltage_low').critical },
      compressorTemp: { warning: thresholdOf('compressor_temp').warning, critical: thresholdOf('compressor_temp').critical },
      pressureHigh: { warning: thresholdOf('pressure_high').warning, critical: thresholdOf('pressure_high').critical },
      pressureLow: { warning: thresholdOf('pressure_low').warning, critical: thresholdOf('pressure_low').critical },
      current: { warning: thresholdOf('current').warning, critical: thresholdOf('current').critical },
    });
  });

  for (const lang of ['en-US', 'de']) {
    it(`the help table (${lang}) shows them`, () => {
      const help = read('nodes', 'threshold-alert', 'locales', lang, 'threshold-alert.html');
      const number = (cell: string) => Number(/-?[0-9]+(?:[.,][0-9]+)?/.exec(cell)?.[0].replace(',', '.'));
      const rows = [...help.matchAll(/<tr><td>([a-z_]+)<\/td><td>([a-z_]+)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><\/tr>/g)].map((m) => [
        m[1],
        m[2],
        number(m[3] ?? ''),
        number(m[4] ?? ''),
        number(m[5] ?? ''),
      ]);
      assert.deepEqual(
        rows,
        ALERT_THRESHOLDS.map((t) => [t.name, t.metric, t.warning, t.critical, t.hysteresis]),
      );
      assert.match(help, new RegExp(`\\(\\w+ ${ALERT_COOLDOWN_SECONDS} s\\)`));
    });
  }

  it('the editor has no numbers of its own: it reads the defaults from the runtime settings', () => {
    const editor = read('nodes', 'threshold-alert', 'threshold-alert.html');
    const script = editor.slice(0, editor.indexOf('data-template-name'));
    assert.match(script, /RED\.settings\.thresholdAlertDefaultRules/);
    assert.match(script, /RED\.settings\.thresholdAlertDefaultCooldown/);
    assert.match(script, /RED\.settings\.thresholdAlertDefaultFaultAfter/);
    const numbers = new Set([...ALERT_THRESHOLDS.flatMap((t) => [t.warning, t.critical]), ALERT_COOLDOWN_SECONDS, SENSOR_FAULT_AFTER_SECONDS].map(String));
    const repeated = [...script.matchAll(/\b\d+(?:\.\d+)?\b/g)].map((m) => m[0]).filter((n) => numbers.has(n));
    assert.deepEqual(repeated, []);
  });
});

describe('thresholdDrift (for the shipped flows and examples)', () => {
  const defaults = DEFAULT_RULES.map((r) => ({ ...r }));
  it('finds nothing for the defaults, an empty or missing rule list, blank or default times', () => {
    assert.deepEqual(thresholdDrift({ rules: defaults, cooldown: 300, faultAfter: '600' }), []);
    assert.deepEqual(thresholdDrift({ rules: [] }), []);
    assert.deepEqual(thresholdDrift({ cooldown: '', faultAfter: undefined }), []);
    // parseRules fills forSeconds and enabled the same way
    assert.deepEqual(thresholdDrift({ rules: defaults.map(({ forSeconds: _f, enabled: _e, ...rest }) => rest) }), []);
  });

  it('lists every rule or setting that differs', () => {
    const rules = defaults.filter((r) => r.name !== 'current').map((r) => (r.name === 'voltage_high' ? { ...r, warning: 240 } : r));
    assert.deepEqual(thresholdDrift({ rules: [...rules, { name: 'outlet_hot', metric: 'temp_outlet' }], cooldown: 200, faultAfter: 600 }), [
      'cooldown: 200 (default 300)',
      'voltage_high.warning: 240 (default 245)',
      'current: missing',
      'outlet_hot: not a default rule',
    ]);
    assert.deepEqual(thresholdDrift({ rules: 'x' }), ['rules: not a list']);
  });
});
