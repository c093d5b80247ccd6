import assert from 'node:assert/strict';
import type { AlertEvent, AlertLevel, SensorField } from '../../nodes/shared/contract';
import { AlertEngine, STATE_VERSION, deviceAlertInput, isAlertShape } from '../../nodes/threshold-alert/engine';
import { MAX_DEVICE_ONLY_TYPES, deviceSilenceSeconds, type DeviceAlertInput } from '../../nodes/threshold-alert/evaluate';
import { DEFAULT_RULES } from '../../nodes/threshold-alert/rules';
import type { AlertRule } from '../../nodes/threshold-alert/types';

const T0 = 1706600000000;

function reading(seconds: number, values: Partial<Record<SensorField, number>>, deviceId = 'site1') {
  return { deviceId, timestamp: T0 + seconds * 1000, values, invalid: new Set<SensorField>() };
}

function alert(seconds: number, alertType: string, level: AlertLevel, value: number, threshold: number, patch: Partial<DeviceAlertInput> = {}): DeviceAlertInput {
  return { deviceId: 'site1', alertType, level, value, threshold, message: `${alertType} ${level}`, timestamp: T0 + seconds * 1000, cleared: false, ...patch };
}

type Step = ['r', number, Partial<Record<SensorField, number>>] | ['a', DeviceAlertInput];

const show = (e: AlertEvent) => `${(e.timestamp - T0) / 1000} ${e.alert_type} ${e.state} ${e.level}${e.source === 'device' ? ' device' : ''}`;

/** Runs readings and device alerts of site1 through one engine; events as "t type state level [device]". */
function run(steps: Step[], engine = new AlertEngine({ rules: DEFAULT_RULES, overrides: new Map(), cooldownSeconds: 300, faultAfterSeconds: 600 })) {
  const events: AlertEvent[] = [];
  const levels: Record<string, AlertLevel>[] = [];
  for (const step of steps) {
    if (step[0] === 'r') {
      const result = engine.process(reading(step[1], step[2]));
      events.push(...result.events);
      levels.push(result.alerts);
    } else {
      const result = engine.processDeviceAlert(step[1]);
      assert.ok(result.ok, result.ok ? '' : result.error);
      events.push(...result.value.events);
      levels.push(result.value.alerts);
    }
  }
  return { events, shown: events.map(show), levels, engine };
}

describe('threshold-alert device-raised alerts', () => {
  it('a device alert for a new episode is sent once, with source device, in the rule\'s words', () => {
    const { events, shown } = run([['a', alert(0, 'compressor_temp', 'critical', 96.4, 95)], ['a', alert(5, 'compressor_temp', 'critical', 96.8, 95)]]);
    assert.deepEqual(shown, ['0 compressor_temp raised critical device']);
    assert.deepEqual(events[0], {
      device_id: 'site1',
      alert_type: 'compressor_temp',
      level: 'critical',
      value: 96.4,
      threshold: 95,
      message: 'Compressor temperature: 96.4 °C > 95 °C (critical, device)',
      state: 'raised',
      timestamp: T0,
      source: 'device',
      field: 'temp_compressor',
    });
  });

  it('device first: the readings of the same episode send nothing, and clear it inside the hysteresis band', () => {
    const { shown, levels } = run([
      ['a', alert(0, 'compressor_temp', 'critical', 96, 95)],
      ['r', 0, { temp_compressor: 96 }],
      ['r', 10, { temp_compressor: 96.5 }],
      ['r', 20, { temp_compressor: 92 }],
      ['r', 30, { temp_compressor: 83.5 }],
      ['r', 40, { temp_compressor: 83 }],
    ]);
    assert.deepEqual(shown, ['0 compressor_temp raised critical device', '40 compressor_temp cleared critical']);
    assert.deepEqual(levels, [{ compressor_temp: 'critical' }, { compressor_temp: 'critical' }, { compressor_temp: 'critical' }, { compressor_temp: 'warning' }, { compressor_temp: 'warning' }, {}]);
  });

  it('server first: the device alert of an active type and level (or below) sends nothing', () => {
    const { shown } = run([
      ['r', 0, { temp_compressor: 96 }],
      ['a', alert(0, 'compressor_temp', 'critical', 96, 95)],
      ['a', alert(10, 'compressor_temp', 'warning', 90, 85)],
      ['r', 20, { temp_compressor: 80 }],
    ]);
    assert.deepEqual(shown, ['0 compressor_temp raised critical', '20 compressor_temp cleared critical']);
  });

  it('a device alert above the announced level escalates (source device); the readings do not escalate again', () => {
    const { shown, events } = run([
      ['r', 0, { voltage: 247 }],
      ['a', alert(5, 'voltage_high', 'critical', 251.3, 250)],
      ['r', 5, { voltage: 251.3 }],
      ['r', 15, { voltage: 252 }],
    ]);
    assert.deepEqual(shown, ['0 voltage_high raised warning', '5 voltage_high escalated critical device']);
    assert.equal(events[1]?.message, 'High voltage: 251.3 V > 250 V (critical, device)');
  });

  it('one cooldown: after a device-raised episode the threshold check does not raise the same level again within it', () => {
    const { shown } = run([
      ['a', alert(0, 'voltage_high', 'critical', 251, 250)],
      ['r', 0, { voltage: 251 }],
      ['r', 10, { voltage: 240 }],
      ['r', 20, { voltage: 251 }],
      ['r', 299, { voltage: 251 }],
      ['r', 300, { voltage: 251 }],
    ]);
    assert.deepEqual(shown, ['0 voltage_high raised critical device', '10 voltage_high cleared critical', '300 voltage_high raised critical']);
  });

  it('one cooldown: a device alert within the cooldown of a server-raised level sends nothing, after it does', () => {
    const { shown } = run([
      ['r', 0, { voltage: 251 }],
      ['r', 10, { voltage: 240 }],
      ['a', alert(20, 'voltage_high', 'critical', 251, 250)],
      ['r', 30, { voltage: 240 }],
      ['a', alert(320, 'voltage_high', 'critical', 251, 250)],
    ]);
    assert.deepEqual(shown, ['0 voltage_high raised critical', '10 voltage_high cleared critical', '320 voltage_high raised critical device']);
  });

  it('readings taken before the device alert (a buffered batch arriving later) cannot end its episode', () => {
    const { shown, levels } = run([
      ['a', alert(100, 'compressor_temp', 'critical', 96, 95)],
      ['r', 0, { temp_compressor: 70 }],
      ['r', 50, { temp_compressor: 71 }],
      ['r', 90, { temp_compressor: 72 }],
      ['r', 100, { temp_compressor: 96 }],
      ['r', 110, { temp_compressor: 70 }],
    ]);
    assert.deepEqual(shown, ['100 compressor_temp raised critical device', '110 compressor_temp cleared critical']);
    assert.deepEqual(levels.slice(0, 5), Array.from({ length: 5 }, () => ({ compressor_temp: 'critical' })));
  });

  it('device-only knowledge: without a reading of the field the episode ends when the device stops repeating it', () => {
    assert.equal(deviceSilenceSeconds(300), 600);
    assert.equal(deviceSilenceSeconds(0), 600);
    assert.equal(deviceSilenceSeconds(900), 1800);
    const { shown, events } = run([
      ['a', alert(0, 'current', 'critical', 15.6, 15)],
      ['r', 290, { voltage: 230 }],
      // the firmware repeats an alert that still holds every 300 s: the episode goes on
      ['a', alert(300, 'current', 'critical', 15.8, 15)],
      ['r', 890, { voltage: 230 }],
      ['r', 900, { voltage: 230 }],
      ['r', 910, { voltage: 230 }],
    ]);
    assert.deepEqual(shown, ['0 current raised critical device', '900 current cleared critical device']);
    assert.deepEqual(events[1], {
      device_id: 'site1',
      alert_type: 'current',
      level: 'critical',
      value: 15.8,
      threshold: 11.5,
      message: 'Overcurrent cleared: no repeat from the device for 600 s',
      state: 'cleared',
      timestamp: T0 + 900_000,
      source: 'device',
      field: 'current',
    });
  });

  it('device-only knowledge also ends on the device\'s next alert of another type when no readings come', () => {
    const { shown } = run([
      ['a', alert(0, 'current', 'warning', 12.5, 12)],
      ['a', alert(700, 'voltage_high', 'warning', 246, 245)],
    ]);
    assert.deepEqual(shown, ['0 current raised warning device', '700 voltage_high raised warning device', '700 current cleared warning device']);
  });

  it('a device alert with state cleared ends an episode only the device knows, not one the readings decided', () => {
    const cleared = { cleared: true };
    const { shown } = run([
      ['a', alert(0, 'current', 'warning', 12.5, 12)],
      ['a', alert(60, 'current', 'warning', 11, 12, cleared)],
      ['r', 100, { voltage: 251 }],
      ['a', alert(110, 'voltage_high', 'critical', 240, 250, cleared)],
      ['r', 120, { voltage: 251 }],
    ]);
    assert.deepEqual(shown, ['0 current raised warning device', '60 current cleared warning device', '100 voltage_high raised critical']);
  });

  it('maps a device alert named after the sensor onto the rule whose direction fits', () => {
    const { shown } = run([
      ['a', alert(0, 'voltage', 'critical', 251, 250)],
      ['a', alert(10, 'voltage', 'warning', 214, 215)],
    ]);
    assert.deepEqual(shown, ['0 voltage_high raised critical device', '10 voltage_low raised warning device']);
  });

  it('an alert type no enabled rule checks gets its own episode, de-duplicated and with the cooldown', () => {
    const engine = new AlertEngine({
      rules: DEFAULT_RULES.map((r): AlertRule => (r.name === 'current' ? { ...r, enabled: false } : r)),
      overrides: new Map(),
      cooldownSeconds: 300,
      faultAfterSeconds: 600,
    });
    const { shown, events, levels } = run(
      [
        ['a', alert(0, 'gsm_weak', 'warning', 8, 10, { message: 'GSM signal weak' })],
        ['a', alert(60, 'gsm_weak', 'warning', 7, 10)],
        ['a', alert(70, 'current', 'critical', 15.5, 15, { field: 'current' })],
        ['r', 660, { voltage: 230 }],
        ['r', 680, { voltage: 230 }],
        ['a', alert(700, 'gsm_weak', 'warning', 8, 10)],
      ],
      engine,
    );
    assert.deepEqual(shown, ['0 gsm_weak raised warning device', '70 current raised critical device', '660 gsm_weak cleared warning device', '680 current cleared critical device', '700 gsm_weak raised warning device']);
    assert.deepEqual(events[0], { device_id: 'site1', alert_type: 'gsm_weak', level: 'warning', value: 8, threshold: 10, message: 'GSM signal weak', state: 'raised', timestamp: T0, source: 'device' });
    assert.equal(events[1]?.message, 'current critical');
    assert.equal(events[1]?.field, 'current');
    assert.deepEqual(levels[2], { gsm_weak: 'warning', current: 'critical' });
    assert.deepEqual(engine.counts(), { warning: 1, critical: 0 });
  });

  it(`refuses more than ${MAX_DEVICE_ONLY_TYPES} alert types no rule checks per device`, () => {
    const engine = new AlertEngine({ rules: DEFAULT_RULES, overrides: new Map(), cooldownSeconds: 300, faultAfterSeconds: 600 });
    for (let i = 0; i < MAX_DEVICE_ONLY_TYPES; i += 1) assert.ok(engine.processDeviceAlert(alert(i, `odd_${i}`, 'warning', 1, 0)).ok);
    assert.deepEqual(engine.processDeviceAlert(alert(30, 'odd_x', 'warning', 1, 0)), { ok: false, error: `more than ${MAX_DEVICE_ONLY_TYPES} alert types no rule checks` });
    assert.ok(engine.processDeviceAlert(alert(31, 'odd_3', 'warning', 1, 0)).ok);
  });

  it('a device alert keeps time running forward for the device (older readings are checked at its time)', () => {
    const { events } = run([
      ['a', alert(100, 'voltage_high', 'warning', 246, 245)],
      ['r', 50, { voltage: 251 }],
    ]);
    assert.deepEqual(events.map(show), ['100 voltage_high raised warning device', '100 voltage_high escalated critical']);
  });

  it('ignores a device alert older than the silence period (queued on the device, arriving late)', () => {
    const { shown, levels } = run([
      ['r', 700, { voltage: 230 }],
      ['a', alert(100, 'current', 'critical', 15.6, 15)],
      ['a', alert(100, 'gsm_weak', 'warning', 8, 10)],
      ['a', alert(150, 'voltage_high', 'critical', 251, 250)],
    ]);
    assert.deepEqual(shown, ['700 voltage_high raised critical device']);
    assert.deepEqual(levels.slice(1), [{}, {}, { voltage_high: 'critical' }]);
  });

  it('snapshot -> restore keeps device marks and device-only episodes (state version 2)', () => {
    const { engine } = run([
      ['a', alert(0, 'current', 'critical', 15.6, 15)],
      ['a', alert(0, 'gsm_weak', 'warning', 8, 10)],
    ]);
    const stored: unknown = JSON.parse(JSON.stringify(engine.snapshot()));
    assert.equal((stored as { version: number }).version, STATE_VERSION);
    assert.equal(STATE_VERSION, 2);
    const restarted = new AlertEngine({ rules: DEFAULT_RULES, overrides: new Map(), cooldownSeconds: 300, faultAfterSeconds: 600 });
    assert.deepEqual(restarted.restore(stored), []);
    assert.deepEqual(restarted.counts(), { warning: 1, critical: 1 });
    const { shown } = run(
      [
        ['a', alert(10, 'current', 'critical', 15.6, 15)],
        ['a', alert(10, 'gsm_weak', 'warning', 8, 10)],
        ['r', 20, { voltage: 230 }],
        ['r', 610, { voltage: 230 }],
      ],
      restarted,
    );
    assert.deepEqual(shown, ['610 current cleared critical device', '610 gsm_weak cleared warning device']);
  });

  it('restores a version 1 snapshot (from before device alerts) and saves it as version 2', () => {
    const engine = new AlertEngine({ rules: DEFAULT_RULES, overrides: new Map(), cooldownSeconds: 300, faultAfterSeconds: 600 });
    const v1 = {
      version: 1,
      devices: [['site1', { lastTs: T0, rules: { voltage_high: { level: 'critical', announced: 'critical', lastSent: { critical: T0 }, pendingSince: {} } }, faults: {} }]],
      overrides: [['site2', { current: { warning: 11 } }]],
    };
    assert.deepEqual(engine.restore(v1), []);
    assert.deepEqual(engine.counts(), { warning: 0, critical: 1 });
    const { shown } = run([['a', alert(10, 'voltage_high', 'critical', 251, 250)]], engine);
    assert.deepEqual(shown, []);
    const saved = engine.snapshot();
    assert.equal(saved.version, 2);
    assert.deepEqual(saved.devices[0]?.[1].deviceOnly, {});
  });

  it('restore drops malformed device marks and device-only episodes and says so', () => {
    const engine = new AlertEngine({ rules: DEFAULT_RULES, overrides: new Map(), cooldownSeconds: 300, faultAfterSeconds: 600 });
    const track = { level: 'warning', announced: 'warning', lastSent: { warning: T0 } };
    const problems = engine.restore({
      version: 2,
      devices: [
        ['ok', { lastTs: T0, rules: { current: { ...track, pendingSince: {}, device: { at: T0, level: 'warning', value: 12.5 } } }, faults: {}, deviceOnly: { gsm: { ...track, device: { at: T0, level: 'warning', value: 8 }, threshold: 10 } } }],
        ['bad1', { lastTs: T0, rules: { current: { ...track, pendingSince: {}, device: { at: 'x', level: 'warning', value: 1 } } }, faults: {}, deviceOnly: {} }],
        ['bad2', { lastTs: T0, rules: {}, faults: {}, deviceOnly: { gsm: { ...track, threshold: 10 } } }],
        ['bad3', { lastTs: T0, rules: {}, faults: {} }],
      ],
      overrides: [],
    });
    assert.equal(problems.length, 3);
    assert.deepEqual(engine.counts(), { warning: 2, critical: 0 });
  });
});

describe('threshold-alert device alert input', () => {
  const now = T0 + 1000;
  const decoded = { device_id: 'site1', alert_type: 'compressor_temp', level: 'critical', value: 96, threshold: 95, message: 'High compressor temperature', state: 'raised', timestamp: T0, source: 'device', field: 'temp_compressor' };

  it('tells an alert from a reading by its shape', () => {
    assert.equal(isAlertShape(decoded), true);
    assert.equal(isAlertShape({ device_id: 'site1', timestamp: T0, voltage: 230 }), false);
    assert.equal(isAlertShape('text'), false);
  });

  it('takes what heatpump-decode sends on output 2', () => {
    assert.deepEqual(deviceAlertInput(decoded, 'site1', now), {
      ok: true,
      value: { deviceId: 'site1', alertType: 'compressor_temp', level: 'critical', value: 96, threshold: 95, message: 'High compressor temperature', timestamp: T0, cleared: false, field: 'temp_compressor' },
    });
  });

  it('takes the device from the topic and the receive time when they are missing', () => {
    const { device_id: _id, timestamp: _ts, message: _m, ...rest } = decoded;
    const parsed = deviceAlertInput(rest, 'site2', now);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.deviceId, 'site2');
    assert.equal(parsed.value.timestamp, now);
    assert.equal(parsed.value.message, 'compressor_temp critical: 96 (threshold 95)');
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['own events fed back (no source)', { source: undefined }, /only device-raised alerts/],
    ['another source', { source: 'threshold' }, /only device-raised alerts/],
    ['unsafe device id', { device_id: 'a/b' }, /unsafe character/],
    ['bad alert type', { alert_type: 'Voltage High' }, /alert_type must match/],
    ['bad level', { level: 'info' }, /level must be/],
    ['value not a number', { value: '96' }, /value and threshold must be numbers/],
    ['bad state', { state: 'gone' }, /state must be/],
    ['bad timestamp', { timestamp: 'now' }, /timestamp must be/],
  ];
  for (const [title, patch, error] of bad) {
    it(`rejects: ${title}`, () => {
      const parsed = deviceAlertInput({ ...decoded, ...patch }, 'site1', now);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.match(parsed.error, error);
    });
  }
});
