import assert from 'node:assert/strict';
import { isMetricsReading } from '../../nodes/shared/contract';
import {
  deviceIdFromMac,
  deviceIdFromPrefix,
  detectProfile,
  parseComponentStatus,
  parseJsonObject,
  parseMqttStatus,
  parseShellyStatus,
  type MeterValues,
} from '../../nodes/shelly-em/parse';
import { resolveOptions } from '../../nodes/shelly-em/options';
import { commonMetrics, parseChannels, type HeatPumpChannels } from '../../nodes/shelly-em/common-metrics';
import { baseUrlOf } from '../../nodes/shelly-em/rpc-client';
import { backoffDelay, MAX_BACKOFF_MS, Reachability } from '../../nodes/shelly-em/reachability';
import { readFixture } from '../support/fixtures';

const fixture = (name: string): Record<string, unknown> => JSON.parse(readFixture('shelly', name)) as Record<string, unknown>;
const PRO3EM_DUMP = fixture('aioshelly_gen2_Shelly_Pro_3EM_SPEM-003CEBEU_fw1.1.0_full_dump.json');
const PRO3EM_STATUS = PRO3EM_DUMP.status as Record<string, unknown>;
const EM0 = fixture('aioshelly_pro3em_EM.GetStatus_em0.json');
const EMDATA0 = fixture('aioshelly_pro3em_EMData.GetStatus_emdata0.json');
const PROEM50 = fixture('evcc_proEM50_Shelly.GetStatus_export.json');

/** The values of the fixture answers, as the device wrote them (units as the Shelly API documents). */
const EM0_EXPECTED: Record<string, [number, string | undefined]> = {
  a_act_power: [375.5, 'W'],
  a_aprt_power: [547.4, 'VA'],
  a_current: [2.392, 'A'],
  a_freq: [50.0, 'Hz'],
  a_pf: [0.76, undefined],
  a_voltage: [229.0, 'V'],
  b_act_power: [170.8, 'W'],
  b_aprt_power: [237.2, 'VA'],
  b_current: [1.037, 'A'],
  b_freq: [50.0, 'Hz'],
  b_pf: [0.78, undefined],
  b_voltage: [229.0, 'V'],
  c_act_power: [12.7, 'W'],
  c_aprt_power: [97.8, 'VA'],
  c_current: [0.428, 'A'],
  c_freq: [50.0, 'Hz'],
  c_pf: [0.53, undefined],
  c_voltage: [229.2, 'V'],
  total_act_power: [558.965, 'W'],
  total_aprt_power: [882.413, 'VA'],
  total_current: [3.856, 'A'],
};
const EMDATA0_EXPECTED: Record<string, [number, string]> = {
  a_total_act_energy: [2034616.71, 'Wh'],
  a_total_act_ret_energy: [0.0, 'Wh'],
  b_total_act_energy: [185686.89, 'Wh'],
  b_total_act_ret_energy: [40.7, 'Wh'],
  c_total_act_energy: [369469.8, 'Wh'],
  c_total_act_ret_energy: [985.91, 'Wh'],
  total_act: [2589773.39, 'Wh'],
  total_act_ret: [1026.61, 'Wh'],
};
const EM50_EXPECTED: Record<string, [number, string | undefined]> = {
  em1_0_current: [1.473, 'A'],
  em1_0_voltage: [226.9, 'V'],
  em1_0_act_power: [-332.2, 'W'],
  em1_0_aprt_power: [335.0, 'VA'],
  em1_0_pf: [0.99, undefined],
  em1_0_freq: [50.0, 'Hz'],
  em1_1_current: [0.428, 'A'],
  em1_1_voltage: [227.0, 'V'],
  em1_1_act_power: [-38.5, 'W'],
  em1_1_aprt_power: [97.4, 'VA'],
  em1_1_pf: [0.38, undefined],
  em1_1_freq: [50.0, 'Hz'],
  em1_0_total_act_energy: [1264.15, 'Wh'],
  em1_0_total_act_ret_energy: [144792.28, 'Wh'],
  em1_1_total_act_energy: [48002.83, 'Wh'],
  em1_1_total_act_ret_energy: [33241.59, 'Wh'],
};

/** Metrics and units the expectation table gives, plus the `_negative` flag beside each active power. */
function expectedValues(table: Record<string, [number, string | undefined]>): Pick<MeterValues, 'metrics' | 'units'> {
  const metrics: Record<string, number | boolean> = {};
  const units: Record<string, string> = {};
  for (const [name, [value, unit]] of Object.entries(table)) {
    metrics[name] = value;
    if (unit !== undefined) units[name] = unit;
    if (name.endsWith('act_power')) metrics[`${name}_negative`] = value < 0;
  }
  return { metrics, units };
}

describe('Shelly Gen2 answers -> metrics (shelly-em parse)', () => {
  describe('real answers (fixtures)', () => {
    const cases: Array<{ name: string; parse: () => ReturnType<typeof parseComponentStatus>; expected: Record<string, [number, string | undefined]>; negative: string[] }> = [
      { name: 'EM.GetStatus?id=0 of a Pro 3EM', parse: () => parseComponentStatus('em:0', EM0), expected: EM0_EXPECTED, negative: [] },
      { name: 'EMData.GetStatus?id=0 of a Pro 3EM', parse: () => parseComponentStatus('emdata:0', EMDATA0), expected: EMDATA0_EXPECTED, negative: [] },
      {
        name: 'Shelly.GetStatus of a Pro 3EM (triphase)',
        parse: () => {
          const r = parseShellyStatus(PRO3EM_STATUS, 'auto');
          return r.ok ? { ok: true, value: r.value } : r;
        },
        expected: { ...EM0_EXPECTED, ...EMDATA0_EXPECTED },
        negative: [],
      },
      {
        name: 'Shelly.GetStatus of a Pro EM-50 exporting on both channels',
        parse: () => {
          const r = parseShellyStatus(PROEM50, 'auto');
          return r.ok ? { ok: true, value: r.value } : r;
        },
        expected: EM50_EXPECTED,
        negative: ['em1_0_act_power', 'em1_1_act_power'],
      },
    ];
    for (const { name, parse, expected, negative } of cases) {
      it(name, () => {
        const result = parse();
        assert.ok(result.ok, result.ok ? '' : result.error);
        const { metrics, units } = expectedValues(expected);
        assert.deepEqual(result.value.metrics, metrics);
        assert.deepEqual(result.value.units, units);
        assert.deepEqual(result.value.negative.sort(), negative.sort());
        assert.deepEqual(result.value.warnings, []);
      });
    }

    it('leaves n_current: null out instead of storing 0', () => {
      const result = parseComponentStatus('em:0', EM0);
      assert.ok(result.ok);
      assert.equal(EM0.n_current, null);
      assert.equal('n_current' in result.value.metrics, false);
    });

    it('keeps negative power with its sign and flags it (never clipped)', () => {
      const result = parseShellyStatus(PROEM50, 'em50');
      assert.ok(result.ok);
      assert.equal(result.value.metrics.em1_0_act_power, -332.2);
      assert.equal(result.value.metrics.em1_0_act_power_negative, true);
      assert.equal(result.value.metrics.em1_1_act_power_negative, true);
    });

    it('detects the profile and derives the device id shelly-<mac> from sys.mac', () => {
      const pro3em = parseShellyStatus(PRO3EM_STATUS, 'auto');
      const em50 = parseShellyStatus(PROEM50, 'auto');
      assert.ok(pro3em.ok && em50.ok);
      assert.deepEqual([pro3em.value.profile, pro3em.value.derivedDeviceId], ['triphase', 'shelly-aabbccddeeff']);
      assert.deepEqual([em50.value.profile, em50.value.derivedDeviceId], ['em50', 'shelly-08f9e0e8af2c']);
      assert.deepEqual(pro3em.value.components, ['em:0', 'emdata:0']);
      assert.deepEqual(em50.value.components, ['em1:0', 'em1:1', 'em1data:0', 'em1data:1']);
    });

    it('builds a MetricsReading the contract accepts', () => {
      const result = parseShellyStatus(PRO3EM_STATUS, 'triphase');
      assert.ok(result.ok);
      assert.ok(isMetricsReading({ device_id: 'shelly-aabbccddeeff', timestamp: 1707326927000, metrics: result.value.metrics, units: result.value.units, info: { source: 'shelly' } }));
    });
  });

  describe('profiles', () => {
    const em1 = (id: number) => ({ id, current: 1, voltage: 230, act_power: 100, aprt_power: 110, pf: 0.9, freq: 50 });
    const table: Array<[string, string[], ReturnType<typeof detectProfile>]> = [
      ['em:0 + emdata:0', ['em:0', 'emdata:0'], 'triphase'],
      ['three em1 channels, energy disabled', ['em1:0', 'em1:1', 'em1:2'], 'monophase'],
      ['two em1 channels with energy', ['em1:0', 'em1:1', 'em1data:0', 'em1data:1'], 'em50'],
      ['one em1 channel', ['em1:0'], 'monophase'],
      ['no meter', [], undefined],
    ];
    for (const [name, components, profile] of table) it(`${name} -> ${String(profile)}`, () => assert.equal(detectProfile(components), profile));

    it('monophase without em1data (disabled energy entities) is fine: no energy metrics', () => {
      const result = parseShellyStatus({ 'em1:0': em1(0), 'em1:1': em1(1), 'em1:2': em1(2) }, 'monophase');
      assert.ok(result.ok);
      assert.deepEqual(Object.keys(result.value.metrics).filter((name) => name.includes('energy')), []);
      assert.equal(result.value.metrics.em1_2_act_power, 100);
    });

    it('a configured profile the answer does not match is a clear error', () => {
      const result = parseShellyStatus(PROEM50, 'triphase');
      assert.deepEqual(result, { ok: false, error: 'the answer lacks em:0 of the triphase profile (it has em1:0, em1:1, em1data:0, em1data:1): check the profile' });
    });
  });

  describe('errors in answers', () => {
    const refused: Array<[string, () => { ok: boolean; error?: string }, RegExp]> = [
      ['an array', () => parseShellyStatus([], 'auto'), /not a JSON object/],
      ['no meter at all', () => parseShellyStatus({ sys: { mac: 'AABBCCDDEEFF' } }, 'auto'), /no energy meter \(em:0, em1:0\)/],
      ['a JSON-RPC error', () => parseShellyStatus({ code: -103, message: 'Resource unavailable' }, 'auto'), /error -103: Resource unavailable/],
      ['an error envelope', () => parseShellyStatus({ id: 1, error: { code: 401, message: 'unauthorized' } }, 'auto'), /error 401: unauthorized/],
      ['em:0 that is not an object', () => parseShellyStatus({ 'em:0': 'x' }, 'auto'), /em:0: the status must be a JSON object, got string/],
      ['garbage JSON', () => parseJsonObject('<html>', 'the answer'), /the answer is not JSON: "<html>"/],
    ];
    for (const [name, run, message] of refused) {
      it(`refuses ${name}`, () => {
        const result = run();
        assert.equal(result.ok, false);
        assert.match(result.error ?? '', message);
      });
    }

    it('drops a value the device flags out of range, keeps the rest, and says so', () => {
      const result = parseComponentStatus('em:0', { ...EM0, a_errors: ['out_of_range:active_power'], a_act_power: 99999 });
      assert.ok(result.ok);
      assert.equal('a_act_power' in result.value.metrics, false);
      assert.equal(result.value.metrics.b_act_power, 170.8);
      assert.deepEqual(result.value.warnings, ['em:0: a_errors out_of_range:active_power']);
    });

    it('takes no value of a meter that reports power_meter_failure', () => {
      const result = parseComponentStatus('em:0', { ...EM0, errors: ['power_meter_failure'] });
      assert.ok(result.ok);
      assert.deepEqual(result.value.metrics, {});
      assert.deepEqual(result.value.warnings, ['em:0: power_meter_failure']);
    });
  });

  describe('MQTT status messages', () => {
    const table: Array<[string, string, unknown, unknown]> = [
      ['em:0 as an object (mqtt in, parsed JSON)', 'shellypro3em-aabbccddeeff/status/em:0', EM0, 'meter'],
      ['emdata:0 as a string', 'shellypro3em-aabbccddeeff/status/emdata:0', JSON.stringify(EMDATA0), 'meter'],
      ['em1:1 as a buffer', 'home/meter/status/em1:1', Buffer.from(JSON.stringify({ id: 1, act_power: -5 })), 'meter'],
      ['sys', 'shellypro3em-aabbccddeeff/status/sys', { mac: 'AABBCCDDEEFF' }, 'sys'],
      ['another component', 'shellypro3em-aabbccddeeff/status/switch:0', { output: true }, 'other'],
      ['online false', 'shellypro3em-aabbccddeeff/online', 'false', 'online'],
    ];
    for (const [name, topic, payload, kind] of table) {
      it(`reads ${name}`, () => {
        const result = parseMqttStatus(topic, payload);
        assert.ok(result.ok, result.ok ? '' : result.error);
        assert.equal(result.value.kind, kind);
      });
    }

    it('reads NotifyStatus on <prefix>/events/rpc: only the values that changed', () => {
      const frame = { src: 'shellypro3em-aabbccddeeff', dst: 'shellypro3em-aabbccddeeff/events', method: 'NotifyStatus', params: { ts: 1707326930.12, 'em:0': { id: 0, a_act_power: -12.5, total_act_power: 300.1 } } };
      const result = parseMqttStatus('shellypro3em-aabbccddeeff/events/rpc', JSON.stringify(frame));
      assert.ok(result.ok && result.value.kind === 'meter');
      assert.deepEqual(result.value.values.metrics, { a_act_power: -12.5, a_act_power_negative: true, total_act_power: 300.1, total_act_power_negative: false });
      assert.deepEqual(result.value.values.negative, ['a_act_power']);
    });

    it('reads NotifyFullStatus: every meter value of the recorded Pro 3EM, and the device id from sys.mac', () => {
      const result = parseMqttStatus('home/meter/events/rpc', { method: 'NotifyFullStatus', params: { ts: 1707326927.5, ...PRO3EM_STATUS } });
      assert.ok(result.ok && result.value.kind === 'meter');
      assert.deepEqual(result.value.values.metrics, expectedValues({ ...EM0_EXPECTED, ...EMDATA0_EXPECTED }).metrics);
      assert.equal(result.value.derivedDeviceId, 'shelly-aabbccddeeff');
    });

    it('passes over notifications without readings (NotifyEvent, NotifyStatus of another component)', () => {
      const event = parseMqttStatus('p/events/rpc', { method: 'NotifyEvent', params: { ts: 1, events: [{ component: 'sys', event: 'scheduled_restart' }] } });
      const other = parseMqttStatus('p/events/rpc', { method: 'NotifyStatus', params: { ts: 1, 'switch:0': { id: 0, output: true } } });
      assert.deepEqual([event, other], [
        { ok: true, value: { kind: 'other', prefix: 'p' } },
        { ok: true, value: { kind: 'other', prefix: 'p' } },
      ]);
    });

    it('emdata:0 over MQTT gives the energy half only (nothing invented)', () => {
      const result = parseMqttStatus('p/status/emdata:0', EMDATA0);
      assert.ok(result.ok && result.value.kind === 'meter');
      assert.deepEqual(result.value.values.metrics, expectedValues(EMDATA0_EXPECTED).metrics);
    });

    const refused: Array<[string, unknown, unknown, RegExp]> = [
      ['no topic', undefined, EM0, /msg.topic must be the MQTT topic/],
      ['not a Shelly topic', 'heatpump/site1/data', EM0, /is not a Shelly topic <prefix>\/status\/<component>/],
      ['a notification without method', 'p/events/rpc', { params: {} }, /must be a JSON-RPC notification/],
      ['NotifyStatus without params', 'p/events/rpc', { method: 'NotifyStatus' }, /NotifyStatus without params/],
      ['garbage JSON', 'p/status/em:0', '{"a_act', /p\/status\/em:0: the payload is not JSON/],
      ['a number as the status', 'p/status/em:0', 42, /em:0: the status must be a JSON object, got number/],
      ['online that is not a boolean', 'p/online', 'maybe', /the payload is not JSON|must be true or false/],
    ];
    for (const [name, topic, payload, message] of refused) {
      it(`refuses ${name}`, () => {
        const result = parseMqttStatus(topic, payload);
        assert.equal(result.ok, false);
        assert.match(result.ok ? '' : result.error, message);
      });
    }

    it('derives the device id from the default topic prefix or a MAC', () => {
      assert.equal(deviceIdFromPrefix('shellypro3em-aabbccddeeff'), 'shelly-aabbccddeeff');
      assert.equal(deviceIdFromPrefix('home/shellyproem50-08F9E0E8AF2C'), 'shelly-08f9e0e8af2c');
      assert.equal(deviceIdFromPrefix('home/meter'), undefined);
      assert.equal(deviceIdFromMac('08:F9:E0:E8:AF:2C'), 'shelly-08f9e0e8af2c');
      assert.equal(deviceIdFromMac('nope'), undefined);
    });
  });
});

describe('shelly-em common metrics: electrical_power (W) and electrical_energy (kWh) of the heat pump', () => {
  const answer = (body: Record<string, unknown>): MeterValues => {
    const parsed = parseShellyStatus(body, 'auto');
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    return parsed.value;
  };
  const em1 = (channel: number, power: number, energyWh?: number): MeterValues['metrics'] => ({
    [`em1_${channel}_act_power`]: power,
    ...(energyWh === undefined ? {} : { [`em1_${channel}_total_act_energy`]: energyWh }),
  });
  const cases: Array<{ name: string; values: () => Pick<MeterValues, 'metrics'>; channels: HeatPumpChannels; complete: boolean; expected: Record<string, number> }> = [
    { name: 'triphase Pro 3EM: total_act_power and total_act / 1000', values: () => answer(PRO3EM_STATUS), channels: 'all', complete: true, expected: { electrical_power: 558.965, electrical_energy: 2589.77339 } },
    { name: 'triphase power alone (an em:0 MQTT message)', values: () => ({ metrics: { total_act_power: 558.965 } }), channels: 'all', complete: false, expected: { electrical_power: 558.965 } },
    { name: 'triphase energy alone (an emdata:0 MQTT message)', values: () => ({ metrics: { total_act: 2589773.39 } }), channels: 'all', complete: false, expected: { electrical_energy: 2589.77339 } },
    { name: 'Pro EM-50, all channels: the sum, negative kept', values: () => answer(PROEM50), channels: 'all', complete: true, expected: { electrical_power: -370.7, electrical_energy: 49.26698 } },
    { name: 'Pro EM-50, channel 1 only', values: () => answer(PROEM50), channels: [1], complete: true, expected: { electrical_power: -38.5, electrical_energy: 48.00283 } },
    { name: 'monophase channels 0 and 2 of three, without float noise', values: () => ({ metrics: { ...em1(0, 0.1, 100), ...em1(1, 5), ...em1(2, 0.2, 200) } }), channels: [0, 2], complete: true, expected: { electrical_power: 0.3, electrical_energy: 0.3 } },
    { name: 'a listed channel missing from the reading: no sum (one MQTT channel is not the whole)', values: () => ({ metrics: em1(0, 100, 1000) }), channels: [0, 1], complete: false, expected: {} },
    { name: "'all' and a one-channel MQTT message: nothing", values: () => ({ metrics: em1(0, 100, 1000) }), channels: 'all', complete: false, expected: {} },
    { name: 'the listed channel in an MQTT message', values: () => ({ metrics: em1(0, 100, 1000) }), channels: [0], complete: false, expected: { electrical_power: 100, electrical_energy: 1 } },
    { name: 'energy entities disabled: power only', values: () => ({ metrics: { ...em1(0, 100), ...em1(1, 50) } }), channels: 'all', complete: true, expected: { electrical_power: 150 } },
  ];
  for (const { name, values, channels, complete, expected } of cases) {
    it(name, () => {
      const common = commonMetrics(values(), channels, complete);
      assert.deepEqual(common.metrics, expected);
      assert.deepEqual(common.units, Object.fromEntries(Object.keys(expected).map((metric) => [metric, metric === 'electrical_power' ? 'W' : 'kWh'])));
    });
  }

  const channelTexts: Array<[string, HeatPumpChannels | RegExp]> = [
    ['', 'all'],
    [' 1 ', [1]],
    ['0,1', [0, 1]],
    ['0, 2, 2', [0, 2]],
    ['x', /must be blank \(all\) or channel numbers/],
    ['-1', /must be blank/],
    ['0,', /must be blank/],
  ];
  for (const [text, expected] of channelTexts) {
    it(`reads the channels setting ${JSON.stringify(text)}`, () => {
      const parsed = parseChannels(text);
      if (expected instanceof RegExp) assert.match(parsed.ok ? '' : parsed.error, expected);
      else assert.deepEqual(parsed, { ok: true, value: expected });
    });
  }
});

describe('shelly-em configuration and backoff', () => {
  it('resolves the defaults: 10 s, auto profile, derived device id', () => {
    assert.deepEqual(resolveOptions({ host: '192.168.1.105' }), { ok: true, value: { intervalMs: 10_000, profile: 'auto', channels: 'all', base: new URL('http://192.168.1.105/') } });
  });
  it('interval 0 or no host: no polling', () => {
    const zero = resolveOptions({ host: 'meter.local', interval: '0' });
    const noHost = resolveOptions({ host: '' });
    assert.ok(zero.ok && noHost.ok);
    assert.equal(zero.value.base, undefined);
    assert.equal(noHost.value.base, undefined);
  });
  const refused: Array<[string, Parameters<typeof resolveOptions>[0], RegExp]> = [
    ['a negative interval', { interval: '-1' }, /poll interval "-1" must be seconds/],
    ['an unknown profile', { profile: 'quad' as never }, /profile "quad" is not auto/],
    ['an unsafe device id', { deviceId: 'a/b' }, /unsafe character "\/"/],
    ['a non-HTTP URL', { host: 'ftp://meter' }, /ftp: is not http: or https:/],
    ['heat pump channels that are no channel numbers', { channels: '0, a' }, /heat pump channels "0, a" must be blank \(all\) or channel numbers/],
  ];
  for (const [name, config, message] of refused) {
    it(`refuses ${name}`, () => {
      const result = resolveOptions(config);
      assert.equal(result.ok, false);
      assert.match(result.ok ? '' : result.error, message);
    });
  }
  it('takes a host, host:port or full URL', () => {
    assert.equal(String(baseUrlOf('10.0.0.5')), 'http://10.0.0.5/');
    assert.equal(String(baseUrlOf('meter.local:8080')), 'http://meter.local:8080/');
    assert.equal(String(baseUrlOf('https://gw.example/shelly')), 'https://gw.example/shelly/');
  });

  it('backs off 10 s -> 20 s -> ... up to 5 min while unreachable, and back to 10 s when answered', () => {
    const reach = new Reachability(10_000);
    const steps = [reach.polled('answered'), ...Array.from({ length: 8 }, () => reach.polled('unreachable')), reach.polled('answered'), reach.polled('answered')];
    assert.deepEqual(
      steps.map((step) => [step.delayMs, step.transition ?? '']),
      [
        [10_000, 'online'],
        [10_000, 'offline'],
        [20_000, ''],
        [40_000, ''],
        [80_000, ''],
        [160_000, ''],
        [MAX_BACKOFF_MS, ''],
        [MAX_BACKOFF_MS, ''],
        [MAX_BACKOFF_MS, ''],
        [10_000, 'online'],
        [10_000, ''],
      ],
    );
  });
  it('an unreachable meter at start is one offline transition', () => {
    const reach = new Reachability(10_000);
    assert.deepEqual([reach.polled('unreachable').transition, reach.polled('unreachable').transition], ['offline', undefined]);
  });
  it('never waits longer than 5 min, nor shorter than the interval', () => {
    assert.equal(backoffDelay(10_000, 1000), MAX_BACKOFF_MS);
    assert.equal(backoffDelay(600_000, 3), 600_000);
  });
});
