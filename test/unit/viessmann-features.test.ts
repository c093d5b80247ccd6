// The features of the four recorded Viessmann heat pumps (test/fixtures/viessmann/, PyViCare's
// test responses) decoded as metrics and settings, setting changes between polls, and what the
// API's error bodies mean.
import assert from 'node:assert/strict';
import { isMetricsReading } from '../../nodes/shared/contract';
import { classifyApiError, devicesOf, gatewaysOf } from '../../nodes/viessmann-account/api';
import { decodeFeatures, settingChanges, type DecodedFeatures } from '../../nodes/viessmann-device/features';
import { resolveDeviceOptions } from '../../nodes/viessmann-device/options';
import { readFixture } from '../support/fixtures';

const dump = (name: string): unknown => JSON.parse(readFixture('viessmann', name));
const errorBody = (name: string): unknown => JSON.parse(readFixture('viessmann', 'errors', name));

function decoded(name: string): DecodedFeatures {
  const result = decodeFeatures(dump(name));
  assert.ok(result.ok, `${name} decodes`);
  return result.value;
}

describe('viessmann features', () => {
  const expected: Array<[string, Record<string, number | boolean>, Record<string, string>]> = [
    [
      'Vitocal200.json',
      { outdoor_temperature: 11.6, return_temperature: 22.7, flow_temperature: 23.4, dhw_temperature: 47.9, compressor_running: false, circulation_pump_circuit_0: true, dhw_circulation_pump: false },
      { outdoor_temperature: '°C', return_temperature: '°C', flow_temperature: '°C', dhw_temperature: '°C' },
    ],
    [
      'Vitocal200S.json',
      { outdoor_temperature: 13.5, return_temperature: 27.9, flow_temperature: 27.8, dhw_temperature: 53.9, compressor_running: false, circulation_pump_circuit_0: false, dhw_circulation_pump: false },
      { outdoor_temperature: '°C', return_temperature: '°C', flow_temperature: '°C', dhw_temperature: '°C' },
    ],
    [
      'Vitocal222S.json',
      { outdoor_temperature: 12.1, return_temperature: 25.1, flow_temperature: 26.7, dhw_temperature: 50.9, compressor_running: true, circulation_pump_circuit_0: true },
      { outdoor_temperature: '°C', return_temperature: '°C', flow_temperature: '°C', dhw_temperature: '°C' },
    ],
    [
      'Vitocal250A.json',
      { outdoor_temperature: 12.2, return_temperature: 34.2, flow_temperature: 29.8, dhw_temperature: 46.8, compressor_running: false, circulation_pump_circuit_0: true, dhw_circulation_pump: true },
      { outdoor_temperature: '°C', return_temperature: '°C', flow_temperature: '°C', dhw_temperature: '°C' },
    ],
  ];
  for (const [name, metrics, units] of expected) {
    it(`${name}: temperatures, compressor and pumps; disabled circuits and absent features skipped`, () => {
      const value = decoded(name);
      assert.deepEqual(value.metrics, metrics);
      assert.deepEqual(value.units, units);
      assert.ok(isMetricsReading({ device_id: 'viessmann-1-0', timestamp: 1, metrics: value.metrics, units: value.units, info: { source: 'viessmann' } }), 'a valid MetricsReading');
    });
  }

  const settings: Array<[string, Record<string, number>, string[]]> = [
    ['Vitocal200.json', { target_temperature_comfort_circuit_0: 20, target_temperature_normal_circuit_0: 22, target_temperature_reduced_circuit_0: 20, dhw_target_temperature: 50 }, ['heating_schedule_circuit_0', 'dhw_schedule', 'circulation_schedule']],
    // older firmware: unit "" on the program temperatures, read as °C
    ['Vitocal200S.json', { target_temperature_comfort_circuit_0: 21, target_temperature_normal_circuit_0: 20, target_temperature_reduced_circuit_0: 18, dhw_target_temperature: 40 }, ['heating_schedule_circuit_0', 'dhw_schedule', 'circulation_schedule']],
    // E3 controllers: comfortHeating / normalHeating / reducedHeating; no DHW circulation pump
    ['Vitocal222S.json', { target_temperature_comfort_circuit_0: 23, target_temperature_normal_circuit_0: 22, target_temperature_reduced_circuit_0: 15, dhw_target_temperature: 52 }, ['heating_schedule_circuit_0', 'dhw_schedule']],
    ['Vitocal250A.json', { target_temperature_comfort_circuit_0: 22, target_temperature_normal_circuit_0: 20, target_temperature_reduced_circuit_0: 18, dhw_target_temperature: 55 }, ['heating_schedule_circuit_0', 'dhw_schedule', 'circulation_schedule']],
  ];
  for (const [name, temperatures, schedules] of settings) {
    it(`${name}: target temperatures and schedules as settings`, () => {
      const value = decoded(name);
      const numbers = Object.fromEntries(Object.entries(value.settings).filter(([, v]) => typeof v === 'number'));
      assert.deepEqual(numbers, temperatures);
      assert.deepEqual(Object.keys(value.settings).filter((key) => typeof value.settings[key] === 'object').sort(), [...schedules].sort());
      for (const key of Object.keys(temperatures)) assert.equal(value.settingUnits[key], '°C');
      const schedule = value.settings.heating_schedule_circuit_0 as { active: boolean; entries: Record<string, unknown> };
      assert.deepEqual(Object.keys(schedule.entries).sort(), ['fri', 'mon', 'sat', 'sun', 'thu', 'tue', 'wed']);
    });
  }

  it('reads compressor modulation (%) and rated power (kW) where a device has them', () => {
    const body = {
      data: [
        { feature: 'heating.compressors.0.sensors.power', isEnabled: true, properties: { value: { type: 'number', unit: 'percent', value: 47 } } },
        { feature: 'heating.compressors.0.power', isEnabled: true, properties: { value: { type: 'number', unit: 'kilowatt', value: 16 } } },
        { feature: 'heating.sensors.temperature.outside', isEnabled: true, properties: { status: { type: 'string', value: 'notConnected' } } },
      ],
    };
    const result = decodeFeatures(body);
    assert.ok(result.ok);
    assert.deepEqual(result.value.metrics, { compressor_modulation: 47, compressor_rated_power: 16 });
    assert.deepEqual(result.value.units, { compressor_modulation: '%', compressor_rated_power: 'kW' });
  });

  it("names the first circuit's supply flow_temperature and the others' flow_temperature_circuit_N (common names)", () => {
    const supply = (circuit: number, value: number) => ({ feature: `heating.circuits.${circuit}.sensors.temperature.supply`, isEnabled: true, properties: { value: { type: 'number', unit: 'celsius', value } } });
    const result = decodeFeatures({ data: [supply(0, 35.5), supply(1, 30.2), supply(2, 28)] });
    assert.ok(result.ok);
    assert.deepEqual(result.value.metrics, { flow_temperature: 35.5, flow_temperature_circuit_1: 30.2, flow_temperature_circuit_2: 28 });
  });

  for (const [title, body] of [
    ['no object', 'Internal Server Error'],
    ['no data array', { viErrorId: 'x' }],
  ] as Array<[string, unknown]>) {
    it(`refuses an answer with ${title}`, () => assert.equal(decodeFeatures(body).ok, false));
  }

  describe('setting changes', () => {
    const base = decoded('Vitocal250A.json');
    const changed = (edit: (features: { data: Array<{ feature: string; properties: Record<string, { value: unknown }> }> }) => void): DecodedFeatures => {
      const features = dump('Vitocal250A.json') as { data: Array<{ feature: string; properties: Record<string, { value: unknown }> }> };
      edit(features);
      const result = decodeFeatures(features);
      assert.ok(result.ok);
      return result.value;
    };
    const feature = (features: { data: Array<{ feature: string; properties: Record<string, { value: unknown }> }> }, name: string) => features.data.find((f) => f.feature === name)!;

    it('the same features twice: no change', () => {
      assert.deepEqual(settingChanges(base.settings, base).changes, []);
    });
    it('a DHW target and a comfort temperature changed: two changes with old and new value and unit', () => {
      const next = changed((f) => {
        feature(f, 'heating.dhw.temperature.main').properties.value!.value = 50;
        feature(f, 'heating.circuits.0.operating.programs.comfortHeating').properties.temperature!.value = 21.5;
      });
      assert.deepEqual(settingChanges(base.settings, next).changes, [
        { setting: 'target_temperature_comfort_circuit_0', old_value: 22, new_value: 21.5, unit: '°C' },
        { setting: 'dhw_target_temperature', old_value: 55, new_value: 50, unit: '°C' },
      ]);
    });
    it('a schedule entry moved: one change carrying both schedules', () => {
      const next = changed((f) => {
        const entries = feature(f, 'heating.dhw.schedule').properties.entries!.value as Record<string, Array<{ start: string }>>;
        entries.mon![0]!.start = '02:00';
      });
      const { changes } = settingChanges(base.settings, next);
      assert.deepEqual(changes.map((c) => c.setting), ['dhw_schedule']);
      assert.notDeepEqual(changes[0]!.old_value, changes[0]!.new_value);
    });
    it('a setting missing from one poll keeps its value: no change when it returns', () => {
      const without = changed((f) => (f.data = f.data.filter((x) => x.feature !== 'heating.dhw.temperature.main')));
      const first = settingChanges(base.settings, without);
      assert.deepEqual(first.changes, []);
      assert.deepEqual(settingChanges(first.known, base).changes, []);
    });
  });

  describe('API errors (recorded bodies)', () => {
    const cases: Array<[string, number, string, number | undefined]> = [
      ['gateway_offline.json', 400, 'gateway-offline', undefined],
      ['device_offline.json', 400, 'device-offline', undefined],
      ['error_500.json', 500, 'server-error', undefined],
      ['error_502.json', 502, 'server-error', undefined],
      ['expired_token.json', 401, 'expired-token', undefined],
      ['rate_limit.json', 429, 'rate-limited', 1584462010106],
    ];
    for (const [file, status, kind, resetAt] of cases) {
      it(`${file} (HTTP ${status}) is ${kind}`, () => {
        const error = classifyApiError(status, errorBody(file));
        assert.equal(error.kind, kind);
        assert.equal(error.resetAt, resetAt);
        assert.match(error.message, new RegExp(`^HTTP ${status}`));
      });
    }
    it('an unknown 4xx is a failed request', () => assert.equal(classifyApiError(404, '<html>').kind, 'request-failed'));
  });

  it('discovery: gateways of the installations, then their devices', () => {
    const gateways = gatewaysOf({ data: [{ id: 123456, description: 'Home', gateways: [{ serial: '7633107093013212', gatewayType: 'VitoconnectOpto1' }, { gatewayType: 'no serial' }] }, { id: 'x' }] });
    assert.deepEqual(gateways, [{ installationId: '123456', installation: 'Home', gatewaySerial: '7633107093013212', gatewayType: 'VitoconnectOpto1' }]);
    assert.deepEqual(devicesOf(gateways[0]!, { data: [{ id: '0', modelId: 'E3_Vitocal', deviceType: 'heating', status: 'Online' }, { modelId: 'no id' }] }), [
      { installationId: '123456', gatewaySerial: '7633107093013212', deviceId: '0', modelId: 'E3_Vitocal', deviceType: 'heating', status: 'Online' },
    ]);
    assert.deepEqual(gatewaysOf('nonsense'), []);
  });

  describe('device options', () => {
    const cases: Array<[string, Record<string, unknown>, string | { heatpumpId: string; intervalMs: number }]> = [
      ['defaults: 5 minutes, an id from gateway and device', { installationId: '1', gatewaySerial: '7633', deviceId: '0' }, { heatpumpId: 'viessmann-7633-0', intervalMs: 300_000 }],
      ['an own heat pump id and interval', { installationId: '1', gatewaySerial: '7633', deviceId: '0', heatpumpId: 'garage', interval: '600' }, { heatpumpId: 'garage', intervalMs: 600_000 }],
      ['no device chosen', { installationId: '1' }, 'choose a device: installation, gateway serial and device id are needed'],
      ['an unsafe heat pump id', { installationId: '1', gatewaySerial: '7633', deviceId: '0', heatpumpId: 'a/b' }, 'heat pump id: device id contains the unsafe character "/"'],
      ['a too short interval', { installationId: '1', gatewaySerial: '7633', deviceId: '0', interval: 5 }, 'interval must be at least 10 seconds'],
    ];
    for (const [title, config, expectedResult] of cases) {
      it(title, () => {
        const result = resolveDeviceOptions(config);
        if (typeof expectedResult === 'string') return assert.deepEqual(result, { ok: false, error: expectedResult });
        assert.ok(result.ok);
        assert.equal(result.value.heatpumpId, expectedResult.heatpumpId);
        assert.equal(result.value.intervalMs, expectedResult.intervalMs);
      });
    }
  });
});
