// heishamon-decode's setting changes, pure parts: which topics are settings, settingChanges over a
// table of cases, the stored known values read back, and the tracker's order and saves (over an
// in-memory store standing in for the node's context).
import assert from 'node:assert/strict';
import type { MetricsReading } from '../../nodes/shared/contract';
import { knownSettingsOf, SettingTracker, type KnownSettings, type SettingChangeEvent } from '../../nodes/shared/gateway-settings';
import { HeishamonDecoder } from '../../nodes/heishamon-decode/decode';
import { SETTING_UNITS, settingChanges, type SettingValues } from '../../nodes/heishamon-decode/settings';
import { MAIN_TOPICS } from '../../nodes/heishamon-decode/topics';

describe('heishamon-decode: setting changes', function () {
  describe('the topic table', function () {
    it('marks the targets, modes, curves and holiday / quiet / powerful settings, not the computed targets or measurements', function () {
      const settings = [...MAIN_TOPICS.values()].filter((def) => def.setting).map((def) => def.id);
      for (const id of ['TOP4', 'TOP9', 'TOP17', 'TOP18', 'TOP19', 'TOP27', 'TOP28', 'TOP29', 'TOP30', 'TOP31', 'TOP32', 'TOP34', 'TOP35', 'TOP76', 'TOP81', 'TOP82', 'TOP83', 'TOP84', 'TOP85']) {
        assert.ok(settings.includes(id), `${id} is a setting`);
      }
      for (const id of ['TOP5', 'TOP6', 'TOP7', 'TOP8', 'TOP10', 'TOP14', 'TOP26', 'TOP42', 'TOP43', 'TOP44', 'TOP69']) assert.ok(!settings.includes(id), `${id} is no setting`);
    });
    it('a setting is known by its metric name with the topic unit', function () {
      assert.equal(SETTING_UNITS.get('dhw_target_temp'), '°C');
      assert.equal(SETTING_UNITS.get('z1_heat_curve_outside_low_temp'), '°C');
      assert.equal(SETTING_UNITS.get('operating_mode_state'), '');
      assert.equal(SETTING_UNITS.get('powerful_mode_time'), 'min');
    });
  });

  describe('settingChanges(previous, values)', function () {
    const CASES: ReadonlyArray<{ name: string; previous: SettingValues; values: Record<string, unknown>; changes: unknown[]; known: SettingValues }> = [
      { name: 'first value: the baseline, no change', previous: {}, values: { dhw_target_temp: 50, operating_mode_state: 4 }, changes: [], known: { dhw_target_temp: 50, operating_mode_state: 4 } },
      { name: 'unchanged: no change', previous: { dhw_target_temp: 50 }, values: { dhw_target_temp: 50 }, changes: [], known: { dhw_target_temp: 50 } },
      {
        name: 'changed: old and new value with the unit',
        previous: { dhw_target_temp: 50, z1_heat_request_temp: 0 },
        values: { dhw_target_temp: 48, z1_heat_request_temp: 0 },
        changes: [{ setting: 'dhw_target_temp', old_value: 50, new_value: 48, unit: '°C' }],
        known: { dhw_target_temp: 48, z1_heat_request_temp: 0 },
      },
      {
        name: 'a mode without a unit: no unit property',
        previous: { quiet_mode_level: 0 },
        values: { quiet_mode_level: 2 },
        changes: [{ setting: 'quiet_mode_level', old_value: 0, new_value: 2 }],
        known: { quiet_mode_level: 2 },
      },
      {
        name: 'persisted previous differs (first value after a restart): a change',
        previous: { z1_heat_curve_target_high_temp: 35 },
        values: { z1_heat_curve_target_high_temp: 38, flow_temperature: 33.5 },
        changes: [{ setting: 'z1_heat_curve_target_high_temp', old_value: 35, new_value: 38, unit: '°C' }],
        known: { z1_heat_curve_target_high_temp: 38 },
      },
      {
        name: 'non-settings ignored, even when they change',
        previous: { dhw_target_temp: 50 },
        values: { main_target_temp: 40, z1_water_target_temp: 31, flow_temperature: 35, defrost_active: true, heat_power_production_extra: 1200 },
        changes: [],
        known: { dhw_target_temp: 50 },
      },
      { name: 'NaN ignored: the known value stays', previous: { dhw_target_temp: 50 }, values: { dhw_target_temp: Number.NaN }, changes: [], known: { dhw_target_temp: 50 } },
      {
        name: 'invalid values ignored (infinity, text, boolean, null)',
        previous: { dhw_target_temp: 50, heat_delta: 5 },
        values: { dhw_target_temp: Number.POSITIVE_INFINITY, heat_delta: '7', holiday_mode_state: true, quiet_mode_level: null },
        changes: [],
        known: { dhw_target_temp: 50, heat_delta: 5 },
      },
      {
        name: 'a setting missing from the reading keeps its value',
        previous: { dhw_target_temp: 50, operating_mode_state: 4 },
        values: { operating_mode_state: 2 },
        changes: [{ setting: 'operating_mode_state', old_value: 4, new_value: 2 }],
        known: { dhw_target_temp: 50, operating_mode_state: 2 },
      },
    ];
    for (const c of CASES) {
      it(c.name, function () {
        const result = settingChanges(c.previous, c.values);
        assert.deepEqual(result.changes, c.changes);
        assert.deepEqual(result.known, c.known);
      });
    }
    it('the decoder offers them with the source heishamon', function () {
      const decoder = new HeishamonDecoder({ base: 'panasonic_heat_pump', deviceId: 'heishamon', raw: false });
      assert.equal(decoder.settings.source, 'heishamon');
      assert.equal(decoder.settings.changes, settingChanges);
    });
  });

  describe('stored known values', function () {
    const CASES: ReadonlyArray<[string, unknown, KnownSettings]> = [
      ['nothing stored', undefined, {}],
      ['not an object', 'x', {}],
      ['an array', [1], {}],
      ['valid values kept per device', { a: { dhw_target_temp: 50 }, b: { heat_delta: 5 } }, { a: { dhw_target_temp: 50 }, b: { heat_delta: 5 } }],
      ['values that are no finite number dropped, and devices left empty', { a: { dhw_target_temp: null, heat_delta: 5 }, b: { x: 'y' }, c: 3 }, { a: { heat_delta: 5 } }],
    ];
    for (const [name, stored, known] of CASES) it(name, () => assert.deepEqual(knownSettingsOf(stored), known));
  });

  describe('SettingTracker', function () {
    const reading = (device: string, metrics: Record<string, number | boolean>, timestamp = 1_706_600_000_000): MetricsReading => ({ device_id: device, timestamp, metrics });

    /** A store that answers its load when `release` is called, recording each save. */
    function store(stored: unknown) {
      let release = (): void => {};
      const loaded = new Promise<unknown>((resolve) => (release = () => resolve(stored)));
      const saves: KnownSettings[] = [];
      return { release: () => release(), saves, load: () => loaded, save: (known: KnownSettings) => (saves.push(structuredClone(known)), Promise.resolve()) };
    }

    it('compares with the stored values once loaded, in order; a change goes out once and is saved', async function () {
      const persisted = store({ heishamon: { dhw_target_temp: 50 } });
      const tracker = new SettingTracker(settingChanges, 'heishamon', persisted, (action, error) => assert.fail(`${action}: ${String(error)}`));
      const sent: SettingChangeEvent[][] = [];
      void tracker.track(reading('heishamon', { dhw_target_temp: 48 }, 1000), (events) => sent.push(events));
      void tracker.track(reading('heishamon', { dhw_target_temp: 48 }, 2000), (events) => sent.push(events));
      void tracker.track(reading('heishamon', { dhw_target_temp: 45 }, 3000), (events) => sent.push(events));
      assert.deepEqual(sent, [], 'nothing before the stored values are loaded');
      persisted.release();
      await tracker.idle();
      assert.deepEqual(sent, [
        [{ device_id: 'heishamon', setting: 'dhw_target_temp', old_value: 50, new_value: 48, unit: '°C', source: 'heishamon', timestamp: 1000 }],
        [{ device_id: 'heishamon', setting: 'dhw_target_temp', old_value: 48, new_value: 45, unit: '°C', source: 'heishamon', timestamp: 3000 }],
      ]);
      assert.deepEqual(persisted.saves, [{ heishamon: { dhw_target_temp: 48 } }, { heishamon: { dhw_target_temp: 45 } }]);
    });

    it('a first value is saved, not sent; devices are kept apart; a reading without a new setting saves nothing', async function () {
      const persisted = store(undefined);
      persisted.release();
      const tracker = new SettingTracker(settingChanges, 'heishamon', persisted, (action, error) => assert.fail(`${action}: ${String(error)}`));
      const sent: SettingChangeEvent[][] = [];
      await tracker.track(reading('a', { quiet_mode_level: 1 }), (events) => sent.push(events));
      await tracker.track(reading('b', { quiet_mode_level: 3 }), (events) => sent.push(events));
      await tracker.track(reading('a', { quiet_mode_level: 1, flow_temperature: 30 }), (events) => sent.push(events));
      assert.deepEqual(sent, []);
      assert.deepEqual(persisted.saves, [{ a: { quiet_mode_level: 1 } }, { a: { quiet_mode_level: 1 }, b: { quiet_mode_level: 3 } }]);
    });

    it('a store that fails to load or save is reported; tracking goes on from memory', async function () {
      const failures: string[] = [];
      const tracker = new SettingTracker(settingChanges, 'heishamon', { load: () => Promise.reject(new Error('disk gone')), save: () => Promise.reject(new Error('disk full')) }, (action, error) => failures.push(`${action}: ${(error as Error).message}`));
      const sent: SettingChangeEvent[][] = [];
      await tracker.track(reading('a', { heat_delta: 5 }), (events) => sent.push(events));
      await tracker.track(reading('a', { heat_delta: 6 }), (events) => sent.push(events));
      assert.deepEqual(failures, ['load: disk gone', 'save: disk full', 'save: disk full']);
      assert.deepEqual(sent.flat().map((event) => [event.old_value, event.new_value]), [[5, 6]]);
    });
  });
});
