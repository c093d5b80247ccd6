import assert from 'node:assert/strict';
import { ALERT_THRESHOLDS } from '../../nodes/shared/thresholds';
import { DEFAULT_RULES, applyOverrides, parseControl, parseDeviceOverrides, parseOverrideTable, parseRules, ruleForDeviceAlert } from '../../nodes/threshold-alert/rules';

describe('threshold-alert rules', () => {
  describe('DEFAULT_RULES (alert contract of docs/CONTRACTS.md)', () => {
    const table = DEFAULT_RULES.map((r) => [r.name, r.metric, r.direction, r.warning, r.critical, r.hysteresis, r.forSeconds, r.enabled]);
    it('match the contract table with the documented hysteresis', () => {
      assert.deepEqual(table, [
        ['voltage_high', 'voltage', 'above', 245, 250, 2, 0, true],
        ['voltage_low', 'voltage', 'below', 215, 210, 2, 0, true],
        ['compressor_temp', 'temp_compressor', 'above', 85, 95, 2, 0, true],
        ['pressure_high', 'pressure_high', 'above', 400, 450, 10, 0, true],
        ['pressure_low', 'pressure_low', 'below', 40, 20, 5, 0, true],
        ['current', 'current', 'above', 12, 15, 0.5, 0, true],
      ]);
    });
    it('are the shared thresholds (nodes/shared/thresholds.ts), with no for-duration and enabled', () => {
      assert.deepEqual(
        DEFAULT_RULES.map((r) => ({ ...r })),
        ALERT_THRESHOLDS.map((t) => ({ ...t, forSeconds: 0, enabled: true })),
      );
    });
    it('are themselves valid rules', () => {
      const parsed = parseRules(DEFAULT_RULES.map((r) => ({ ...r })));
      assert.ok(parsed.ok);
      assert.deepEqual(parsed.value, [...DEFAULT_RULES]);
    });
  });

  describe('parseRules', () => {
    const good = { name: 'outlet_hot', metric: 'temp_outlet', direction: 'above', warning: 60, critical: 65 };
    it('takes the defaults for a missing or empty list', () => {
      for (const input of [undefined, null, []]) {
        const parsed = parseRules(input);
        assert.ok(parsed.ok);
        assert.equal(parsed.value.length, DEFAULT_RULES.length);
      }
    });
    it('fills label, hysteresis, forSeconds and enabled', () => {
      const parsed = parseRules([good]);
      assert.ok(parsed.ok);
      assert.deepEqual(parsed.value, [{ ...good, label: 'outlet_hot', hysteresis: 0, forSeconds: 0, enabled: true }]);
    });
    it('takes any plain metric name, not only the sensor fields (Modbus and other sources)', () => {
      for (const metric of ['flow_temperature', 'HP_Alarm_1', 'm'.repeat(64)]) {
        const parsed = parseRules([{ ...good, metric }]);
        assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
        assert.equal(parsed.value[0]?.metric, metric);
      }
    });
    const bad: [string, unknown, RegExp][] = [
      ['not a list', { a: 1 }, /must be a list/],
      ['not an object', [1], /rule 1 is not an object/],
      ['bad name', [{ ...good, name: 'Outlet Hot' }], /name must be lower case/],
      ['reserved name', [{ ...good, name: 'sensor_fault' }], /reserved/],
      ['duplicate name', [good, good], /duplicate name "outlet_hot"/],
      ['unknown property', [{ ...good, treshold: 3 }], /unknown property "treshold"/],
      ['metric with a blank', [{ ...good, metric: 'flow temp' }], /outlet_hot: metric must be a sensor field or metric name .* got "flow temp"/],
      ['metric of 65 characters', [{ ...good, metric: 'm'.repeat(65) }], /metric must be a sensor field or metric name/],
      ['metric missing', [{ ...good, metric: undefined }], /metric must be a sensor field or metric name/],
      ['metric with line-protocol characters', [{ ...good, metric: 'a,b=c' }], /metric must be/],
      ['bad direction', [{ ...good, direction: 'over' }], /direction must be/],
      ['label not text', [{ ...good, label: 5 }], /label must be text/],
      ['a label the InfluxDB client would store changed', [{ ...good, label: "it\\'s hot" }], /label must not contain a backslash before an apostrophe/],
      ['enabled not boolean', [{ ...good, enabled: 'yes' }], /enabled must be true or false/],
      ['warning not a number', [{ ...good, warning: '60' }], /outlet_hot: warning must be a number/],
      ['critical missing', [{ ...good, critical: undefined }], /critical must be a number/],
      ['critical infinite', [{ ...good, critical: Infinity }], /critical must be a number/],
      ['negative hysteresis', [{ ...good, hysteresis: -1 }], /hysteresis must not be negative/],
      ['negative forSeconds', [{ ...good, forSeconds: -5 }], /forSeconds must not be negative/],
      ['above: warning beyond critical', [{ ...good, warning: 70 }], /warning 70 must not be above critical 65/],
      ['below: warning beyond critical', [{ ...good, direction: 'below', warning: 10, critical: 20 }], /warning 10 must not be below critical 20/],
      ['too many rules', Array.from({ length: 51 }, (_, i) => ({ ...good, name: `r${i}` })), /at most 50 rules/],
    ];
    for (const [title, input, error] of bad) {
      it(`rejects: ${title}`, () => {
        const parsed = parseRules(input);
        assert.equal(parsed.ok, false);
        if (!parsed.ok) assert.match(parsed.error, error);
      });
    }
  });

  describe('parseDeviceOverrides', () => {
    it('takes partial overrides of known rules', () => {
      const parsed = parseDeviceOverrides({ voltage_high: { warning: 240, critical: 248 }, current: { enabled: false, forSeconds: 30, hysteresis: 1 } }, DEFAULT_RULES);
      assert.ok(parsed.ok);
      assert.deepEqual(parsed.value, { voltage_high: { warning: 240, critical: 248 }, current: { enabled: false, forSeconds: 30, hysteresis: 1 } });
    });
    const bad: [string, unknown, RegExp][] = [
      ['not an object', [1], /keyed by rule name/],
      ['unknown rule', { voltage_hihg: { warning: 1 } }, /unknown rule "voltage_hihg"/],
      ['prototype key is no rule', JSON.parse('{"constructor": {"warning": 1}}'), /unknown rule "constructor"/],
      ['override not an object', { voltage_high: 240 }, /voltage_high: override must be an object/],
      ['non-number', { voltage_high: { warning: '240' } }, /voltage_high: warning must be a number/],
      ['NaN', { voltage_high: { critical: Number.NaN } }, /critical must be a number/],
      ['unknown property', { voltage_high: { metric: 'current' } }, /unknown property "metric"/],
      ['enabled not boolean', { voltage_high: { enabled: 1 } }, /enabled must be true or false/],
      ['negative hysteresis', { voltage_high: { hysteresis: -2 } }, /hysteresis must not be negative/],
      ['warning above critical (above rule, merged with defaults)', { voltage_high: { warning: 252 } }, /warning 252 must not be above critical 250/],
      ['warning below critical (below rule)', { voltage_low: { critical: 220 } }, /warning 215 must not be below critical 220/],
    ];
    for (const [title, input, error] of bad) {
      it(`rejects: ${title}`, () => {
        const parsed = parseDeviceOverrides(input, DEFAULT_RULES);
        assert.equal(parsed.ok, false);
        if (!parsed.ok) assert.match(parsed.error, error);
      });
    }
  });

  describe('parseOverrideTable (editor JSON)', () => {
    it('blank is no overrides', () => {
      for (const text of [undefined, '', '  ']) {
        const parsed = parseOverrideTable(text, DEFAULT_RULES);
        assert.ok(parsed.ok);
        assert.equal(parsed.value.size, 0);
      }
    });
    it('parses device -> rule -> override', () => {
      const parsed = parseOverrideTable('{"site1": {"voltage_high": {"warning": 240}}, "site2": {}}', DEFAULT_RULES);
      assert.ok(parsed.ok);
      assert.deepEqual([...parsed.value], [['site1', { voltage_high: { warning: 240 } }], ['site2', {}]]);
    });
    const bad: [string, string, RegExp][] = [
      ['bad JSON', '{site1:', /not valid JSON/],
      ['array', '[]', /keyed by device id/],
      ['bad device id', '{"a/b": {}}', /unsafe character/],
      ['bad rule override', '{"site1": {"current": {"critical": 10}}}', /overrides for site1: current: warning 12 must not be above critical 10/],
    ];
    for (const [title, text, error] of bad) {
      it(`rejects: ${title}`, () => {
        const parsed = parseOverrideTable(text, DEFAULT_RULES);
        assert.equal(parsed.ok, false);
        if (!parsed.ok) assert.match(parsed.error, error);
      });
    }
  });

  describe('parseControl (msg.thresholds)', () => {
    it('sets overrides of a device', () => {
      const parsed = parseControl({ device_id: 'site1', rules: { voltage_high: { warning: 240, critical: 248 } } }, DEFAULT_RULES);
      assert.deepEqual(parsed, { ok: true, value: { deviceId: 'site1', rules: { voltage_high: { warning: 240, critical: 248 } } } });
    });
    it('rules: null removes them', () => {
      assert.deepEqual(parseControl({ device_id: 'site1', rules: null }, DEFAULT_RULES), { ok: true, value: { deviceId: 'site1', rules: null } });
    });
    const bad: [string, unknown, RegExp][] = [
      ['not an object', 'site1', /msg.thresholds must be an object/],
      ['unknown property', { device_id: 'site1', rules: null, extra: 1 }, /unknown property "extra"/],
      ['no device id', { rules: null }, /device id must be a string/],
      ['bad device id', { device_id: '', rules: null }, /device id is empty/],
      ['rules missing', { device_id: 'site1' }, /rules is missing/],
      ['unknown rule', { device_id: 'site1', rules: { volt: {} } }, /unknown rule "volt"/],
      ['non-number', { device_id: 'site1', rules: { voltage_high: { warning: 'high' } } }, /warning must be a number/],
      ['wrong order', { device_id: 'site1', rules: { pressure_low: { warning: 10 } } }, /warning 10 must not be below critical 20/],
      ['negative hysteresis', { device_id: 'site1', rules: { current: { hysteresis: -0.5 } } }, /hysteresis must not be negative/],
    ];
    for (const [title, payload, error] of bad) {
      it(`rejects: ${title}`, () => {
        const parsed = parseControl(payload, DEFAULT_RULES);
        assert.equal(parsed.ok, false);
        if (!parsed.ok) assert.match(parsed.error, error);
      });
    }
  });

  describe('applyOverrides', () => {
    it('merges per rule and leaves the others alone', () => {
      const rules = applyOverrides(DEFAULT_RULES, { voltage_high: { warning: 240 }, current: { enabled: false } });
      assert.deepEqual(rules.find((r) => r.name === 'voltage_high'), { ...DEFAULT_RULES[0], warning: 240 });
      assert.equal(rules.find((r) => r.name === 'current')?.enabled, false);
      assert.equal(rules.find((r) => r.name === 'voltage_low'), DEFAULT_RULES[1]);
    });
    it('no overrides is the base list itself', () => {
      assert.equal(applyOverrides(DEFAULT_RULES, undefined), DEFAULT_RULES);
    });
  });

  describe('ruleForDeviceAlert', () => {
    const pick = (alertType: string, value = 0, threshold = 0, rules = DEFAULT_RULES) => ruleForDeviceAlert(rules, { alertType, value, threshold })?.name;
    it('takes the enabled rule of the same name (the firmware uses the rule names)', () => {
      for (const r of DEFAULT_RULES) assert.equal(pick(r.name), r.name);
    });
    it('maps a sensor name onto the rule on that sensor whose direction fits the value', () => {
      assert.equal(pick('voltage', 251, 250), 'voltage_high');
      assert.equal(pick('voltage', 209, 210), 'voltage_low');
      assert.equal(pick('temp_compressor', 96, 95), 'compressor_temp');
      assert.equal(pick('pressure_low', 10, 20), 'pressure_low');
    });
    it('finds nothing for unknown types, a disabled rule or an unchecked sensor', () => {
      const disabled = DEFAULT_RULES.map((r) => (r.name === 'voltage_high' ? { ...r, enabled: false } : r));
      assert.equal(pick('gsm_weak'), undefined);
      assert.equal(pick('voltage_high', 251, 250, disabled), undefined);
      assert.equal(pick('voltage', 251, 250, disabled), undefined);
      assert.equal(pick('voltage', 209, 210, disabled), 'voltage_low');
      assert.equal(pick('temp_inlet', 80, 70), undefined);
    });
  });
});
