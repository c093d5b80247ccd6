// The alert rules API's pure parts: requests, the effective rules with their origin, and the rule
// changes a write or a deploy makes (what the change log records). Table-driven.
import assert from 'node:assert/strict';
import type { HttpCall } from '../../nodes/shared/http-call';
import { DEFAULT_RULES } from '../../nodes/threshold-alert/rules';
import { editorChanges, editorTableOf, parseRulesRequest, ruleChanges, rulesAnswer, ruleSettingChange, type EditorTable } from '../../nodes/threshold-alert/rules-api';
import type { AlertRule } from '../../nodes/threshold-alert/types';

const ROUTE = '/api/devices/:id/rules';
const call = (method: string, id: unknown, body?: unknown, extra: Partial<HttpCall> = {}): HttpCall => ({ method, route: ROUTE, params: { id }, query: {}, body, user: null, ...extra });
const rule = (name: string): AlertRule => {
  const found = DEFAULT_RULES.find((r) => r.name === name);
  if (found === undefined) throw new Error(name);
  return { ...found };
};

describe('threshold-alert rules API (pure)', () => {
  describe('parseRulesRequest', () => {
    const valid: [string, HttpCall, unknown][] = [
      ['GET', call('GET', 'site1'), { kind: 'get', deviceId: 'site1' }],
      ['GET under a custom httpNodeRoot', call('GET', 'site1', undefined, { route: '/hp/api/devices/:id/rules/' }), { kind: 'get', deviceId: 'site1' }],
      ['PUT with the login user as author', call('PUT', 'site1', { voltage_low: { warning: 225, critical: 220 } }, { user: 'operator' }), { kind: 'put', deviceId: 'site1', overrides: { voltage_low: { warning: 225, critical: 220 } }, author: 'operator' }],
      ['PUT {} (no overrides left)', call('put', 'site1', {}), { kind: 'put', deviceId: 'site1', overrides: {}, author: null }],
      ['PUT disabling a rule', call('PUT', 'site1', { current: { enabled: false } }), { kind: 'put', deviceId: 'site1', overrides: { current: { enabled: false } }, author: null }],
      ['DELETE', call('DELETE', 'site1', undefined, { user: 'operator' }), { kind: 'delete', deviceId: 'site1', author: 'operator' }],
      ['a long user name is cut to the change log limit', call('DELETE', 'site1', undefined, { user: 'u'.repeat(150) }), { kind: 'delete', deviceId: 'site1', author: 'u'.repeat(100) }],
    ];
    for (const [name, request, expected] of valid) {
      it(`accepts ${name}`, () => assert.deepEqual(parseRulesRequest(request, DEFAULT_RULES), { ok: true, value: expected }));
    }
    const invalid: [string, HttpCall, number, RegExp][] = [
      ['an unsafe device id', call('GET', 'a b'), 400, /^invalid device id/],
      ['an empty device id', call('GET', ''), 400, /^invalid device id/],
      ['a body that is not an object', call('PUT', 'site1', [{ voltage_low: {} }]), 400, /^rules must be an object keyed by rule name; the body is/],
      ['no body', call('PUT', 'site1', undefined), 400, /^rules must be an object/],
      ['an unknown rule (only the flow rules can be overridden)', call('PUT', 'site1', { voltage_lowest: { warning: 200 } }), 400, /^unknown rule "voltage_lowest"/],
      ['a threshold that is not a number', call('PUT', 'site1', { voltage_low: { warning: '225' } }), 400, /^voltage_low: warning must be a number/],
      ['warning beyond critical', call('PUT', 'site1', { voltage_low: { warning: 200 } }), 400, /^voltage_low: warning 200 must not be below critical 210/],
      ['a property that cannot be overridden', call('PUT', 'site1', { voltage_low: { metric: 'current' } }), 400, /^voltage_low: unknown property "metric"/],
      ['a negative hysteresis', call('PUT', 'site1', { current: { hysteresis: -1 } }), 400, /hysteresis must not be negative/],
      ['POST', call('POST', 'site1', {}), 405, /^POST is not allowed on \/api\/devices\/:id\/rules: use GET, PUT or DELETE$/],
      ['another route', call('GET', 'site1', undefined, { route: '/api/devices/:id/status' }), 404, /^no alert rules endpoint/],
    ];
    for (const [name, request, statusCode, error] of invalid) {
      it(`refuses ${name} with ${statusCode}`, () => {
        const parsed = parseRulesRequest(request, DEFAULT_RULES);
        assert.equal(parsed.ok, false);
        if (parsed.ok) return;
        assert.equal(parsed.error.statusCode, statusCode);
        assert.match(parsed.error.error, error);
      });
    }
  });

  describe('rulesAnswer: the rules in effect, each with where it comes from', () => {
    const cases: [string, Parameters<typeof rulesAnswer>[2], Parameters<typeof rulesAnswer>[3], Record<string, [origin: string, overridden: string[], warning: number]>, unknown][] = [
      ['no overrides: the flow rules', undefined, undefined, { voltage_low: ['flow', [], 215], current: ['flow', [], 12] }, null],
      ['the editor overrides of the device', { voltage_low: { warning: 220 } }, undefined, { voltage_low: ['flow_override', ['warning'], 220], current: ['flow', [], 12] }, null],
      ['the device overrides', undefined, { current: { warning: 10, critical: 13 } }, { voltage_low: ['flow', [], 215], current: ['device_override', ['warning', 'critical'], 10] }, { current: { warning: 10, critical: 13 } }],
      ['the device overrides replace the editor ones', { voltage_low: { warning: 220 } }, { current: { warning: 10 } }, { voltage_low: ['flow', [], 215], current: ['device_override', ['warning'], 10] }, { current: { warning: 10 } }],
    ];
    for (const [name, editor, device, expected, overrides] of cases) {
      it(name, () => {
        const answer = rulesAnswer('site1', DEFAULT_RULES, editor, device);
        assert.equal(answer.device_id, 'site1');
        assert.deepEqual(answer.overrides, overrides);
        assert.deepEqual(
          answer.rules.map((r) => r.name),
          DEFAULT_RULES.map((r) => r.name),
          'every flow rule, in order',
        );
        for (const [ruleName, [origin, overridden, warning]] of Object.entries(expected)) {
          const shown = answer.rules.find((r) => r.name === ruleName);
          assert.deepEqual([shown?.origin, shown?.overridden, shown?.warning], [origin, overridden, warning], ruleName);
        }
      });
    }
  });

  describe('ruleChanges: the properties that differ, before and after', () => {
    const lowered = { ...rule('voltage_low'), warning: 225, critical: 220 };
    const custom: AlertRule = { name: 'flow_low', label: 'Low flow', metric: 'flow_rate', direction: 'below', warning: 8, critical: 5, hysteresis: 1, forSeconds: 60, enabled: true };
    const cases: [string, AlertRule[], AlertRule[], unknown[]][] = [
      ['nothing changed', [rule('voltage_low')], [rule('voltage_low')], []],
      ['thresholds changed', [rule('voltage_low'), rule('current')], [lowered, rule('current')], [{ rule: 'voltage_low', old_value: { warning: 215, critical: 210 }, new_value: { warning: 225, critical: 220 } }]],
      ['a rule disabled', [rule('current')], [{ ...rule('current'), enabled: false }], [{ rule: 'current', old_value: { enabled: true }, new_value: { enabled: false } }]],
      [
        'a rule added',
        [rule('current')],
        [rule('current'), custom],
        [{ rule: 'flow_low', old_value: null, new_value: { label: 'Low flow', metric: 'flow_rate', direction: 'below', warning: 8, critical: 5, hysteresis: 1, forSeconds: 60, enabled: true } }],
      ],
      ['a rule removed', [rule('current'), custom], [rule('current')], [{ rule: 'flow_low', old_value: { label: 'Low flow', metric: 'flow_rate', direction: 'below', warning: 8, critical: 5, hysteresis: 1, forSeconds: 60, enabled: true }, new_value: null }]],
      ['a rule renamed is one removed and one added', [rule('current')], [{ ...rule('current'), name: 'overcurrent' }], [
        { rule: 'current', old_value: { label: 'Overcurrent', metric: 'current', direction: 'above', warning: 12, critical: 15, hysteresis: 0.5, forSeconds: 0, enabled: true }, new_value: null },
        { rule: 'overcurrent', old_value: null, new_value: { label: 'Overcurrent', metric: 'current', direction: 'above', warning: 12, critical: 15, hysteresis: 0.5, forSeconds: 0, enabled: true } },
      ]],
    ];
    for (const [name, before, after, expected] of cases) it(name, () => assert.deepEqual(ruleChanges(before, after), expected));
  });

  describe('editorChanges: what a deploy changed', () => {
    const table = (rules: AlertRule[], overrides: EditorTable['overrides'] = {}): EditorTable => ({ rules, overrides });
    const cases: [string, EditorTable, EditorTable, unknown[]][] = [
      ['the same table', table([...DEFAULT_RULES]), table([...DEFAULT_RULES]), []],
      [
        'a flow rule changed: for every device (device_id null)',
        table([rule('voltage_high')]),
        table([{ ...rule('voltage_high'), critical: 255 }]),
        [{ device_id: null, rule: 'voltage_high', old_value: { critical: 250 }, new_value: { critical: 255 } }],
      ],
      [
        'a device override added, changed and removed',
        table([rule('voltage_high'), rule('current')], { site1: { current: { warning: 10 } }, site2: { voltage_high: { critical: 260 } } }),
        table([rule('voltage_high'), rule('current')], { site1: { current: { warning: 11 } }, site3: { current: { enabled: false } } }),
        [
          { device_id: 'site1', rule: 'current', old_value: { warning: 10 }, new_value: { warning: 11 } },
          { device_id: 'site2', rule: 'voltage_high', old_value: { critical: 260 }, new_value: { critical: 250 } },
          { device_id: 'site3', rule: 'current', old_value: { enabled: true }, new_value: { enabled: false } },
        ],
      ],
      [
        'a flow rule changed under an unchanged override is reported once, for every device',
        table([rule('current')], { site1: { current: { warning: 10 } } }),
        table([{ ...rule('current'), critical: 16 }], { site1: { current: { warning: 10 } } }),
        [{ device_id: null, rule: 'current', old_value: { critical: 15 }, new_value: { critical: 16 } }],
      ],
    ];
    for (const [name, previous, current, expected] of cases) it(name, () => assert.deepEqual(editorChanges(previous, current), expected));
  });

  describe('editorTableOf: the stored table, checked like the editor input', () => {
    const cases: [string, unknown, EditorTable | undefined][] = [
      ['none stored (state of an older release)', undefined, undefined],
      ['not an object', 'rules', undefined],
      ['rules not a list', { rules: {}, overrides: {} }, undefined],
      ['an invalid rule', { rules: [{ ...rule('current'), warning: 20 }], overrides: {} }, undefined],
      ['an override of a rule the table lacks', { rules: [rule('current')], overrides: { site1: { voltage_low: { warning: 220 } } } }, undefined],
      ['a valid table', { rules: [rule('current')], overrides: { site1: { current: { warning: 10 } } } }, { rules: [rule('current')], overrides: { site1: { current: { warning: 10 } } } }],
      ['an empty rule list is the defaults (as in the editor)', { rules: [], overrides: {} }, { rules: [...DEFAULT_RULES], overrides: {} }],
    ];
    for (const [name, stored, expected] of cases) it(name, () => assert.deepEqual(editorTableOf(stored), expected));
  });

  describe('ruleSettingChange: the change log shape', () => {
    const change = { device_id: 'site1', rule: 'voltage_low', old_value: { warning: 215 }, new_value: { warning: 225 } };
    const cases: [string, 'api' | 'editor' | 'flow', string | null, unknown][] = [
      ['from the API with its author', 'api', 'operator', { device_id: 'site1', setting: 'rule:voltage_low', old_value: { warning: 215 }, new_value: { warning: 225 }, source: 'api', author: 'operator', timestamp: 42 }],
      ['from the editor without one', 'editor', null, { device_id: 'site1', setting: 'rule:voltage_low', old_value: { warning: 215 }, new_value: { warning: 225 }, source: 'editor', timestamp: 42 }],
    ];
    for (const [name, source, author, expected] of cases) it(name, () => assert.deepEqual(ruleSettingChange(change, source, author, 42), expected));
  });
});
