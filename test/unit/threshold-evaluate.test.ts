import assert from 'node:assert/strict';
import type { AlertEvent, SensorField } from '../../nodes/shared/contract';
import { AlertEngine, MAX_CLOCK_AHEAD_MS, readingInput } from '../../nodes/threshold-alert/engine';
import { currentLevels, evaluateDevice, nextAlertState, type DeviceInput } from '../../nodes/threshold-alert/evaluate';
import { DEFAULT_RULES } from '../../nodes/threshold-alert/rules';
import type { AlertRule, DeviceState, RuleState } from '../../nodes/threshold-alert/types';

const T0 = 1706600000000;
const rule = (name: string, patch: Partial<AlertRule> = {}): AlertRule => {
  const found = DEFAULT_RULES.find((r) => r.name === name);
  if (found === undefined) throw new Error(`no rule ${name}`);
  return { ...found, ...patch };
};

type Point = [seconds: number, value: number | undefined];

/** Runs a value series through one rule; events as "t state level", plus the level after each step. */
function run(r: AlertRule, series: Point[], cooldownSeconds = 300): { events: string[]; levels: (string | null)[]; last: AlertEvent[] } {
  let state: RuleState | undefined;
  const events: string[] = [];
  const levels: (string | null)[] = [];
  const last: AlertEvent[] = [];
  for (const [t, value] of series) {
    const step = nextAlertState(state, { deviceId: 'site1', value }, r, T0 + t * 1000, cooldownSeconds);
    state = step.state;
    levels.push(state.level);
    if (step.event) {
      events.push(`${t} ${step.event.state} ${step.event.level}`);
      last.push(step.event);
    }
  }
  return { events, levels, last };
}

describe('threshold-alert nextAlertState', () => {
  const cases: { title: string; rule: AlertRule; series: Point[]; events: string[]; levels?: (string | null)[]; cooldown?: number }[] = [
    { title: 'above: normal values raise nothing', rule: rule('voltage_high'), series: [[0, 230], [10, 245], [20, 244]], events: [] },
    { title: 'above: warning is raised past the threshold (strictly)', rule: rule('voltage_high'), series: [[0, 245], [10, 245.1]], events: ['10 raised warning'] },
    { title: 'above: warning escalates to critical', rule: rule('voltage_high'), series: [[0, 246], [10, 251]], events: ['0 raised warning', '10 escalated critical'] },
    { title: 'above: straight to critical is one raise', rule: rule('voltage_high'), series: [[0, 251], [10, 252]], events: ['0 raised critical'] },
    {
      title: 'above: hysteresis keeps warning until threshold - 2 V',
      rule: rule('voltage_high'),
      series: [[0, 246], [10, 244], [20, 243.1], [30, 243]],
      events: ['0 raised warning', '30 cleared warning'],
      levels: ['warning', 'warning', 'warning', null],
    },
    {
      title: 'above: critical falls back to warning silently (de-escalation)',
      rule: rule('voltage_high'),
      series: [[0, 251], [10, 249], [20, 247.9], [30, 246]],
      events: ['0 raised critical'],
      levels: ['critical', 'critical', 'warning', 'warning'],
    },
    {
      title: 'above: re-escalation within the cooldown stays silent (no spam)',
      rule: rule('voltage_high'),
      series: [[0, 251], [10, 247], [20, 251], [30, 247], [40, 251]],
      events: ['0 raised critical'],
      levels: ['critical', 'warning', 'critical', 'warning', 'critical'],
    },
    {
      title: 'above: re-escalation after the cooldown is announced again',
      rule: rule('voltage_high'),
      series: [[0, 251], [10, 247], [400, 251]],
      events: ['0 raised critical', '400 escalated critical'],
    },
    {
      title: 'above: de-escalated alert clears once inside the warning band',
      rule: rule('voltage_high'),
      series: [[0, 251], [10, 247], [20, 242]],
      events: ['0 raised critical', '20 cleared critical'],
    },
    {
      title: 'cooldown: a new raise of the same level after cleared is held back, level stays truthful',
      rule: rule('voltage_high'),
      series: [[0, 246], [10, 240], [20, 246], [30, 240]],
      events: ['0 raised warning', '10 cleared warning'],
      levels: ['warning', null, 'warning', null],
    },
    {
      title: 'cooldown: a held-back raise goes out once the cooldown has passed and it still holds',
      rule: rule('voltage_high'),
      series: [[0, 246], [10, 240], [20, 246], [299, 246], [300, 246], [310, 246]],
      events: ['0 raised warning', '10 cleared warning', '300 raised warning'],
    },
    {
      title: 'cooldown: warning -> critical escalation passes although critical is cooling down',
      rule: rule('voltage_high'),
      series: [[0, 251], [10, 240], [20, 246], [30, 251]],
      events: ['0 raised critical', '10 cleared critical', '20 raised warning', '30 escalated critical'],
    },
    {
      title: 'cooldown: a held-back critical that falls to warning is raised as warning (not cooling down)',
      rule: rule('voltage_high'),
      series: [[0, 251], [10, 240], [20, 251], [30, 247]],
      events: ['0 raised critical', '10 cleared critical', '30 raised warning'],
      levels: ['critical', null, 'critical', 'warning'],
    },
    { title: 'cooldown 0 repeats every raise', rule: rule('voltage_high'), cooldown: 0, series: [[0, 246], [10, 240], [20, 246]], events: ['0 raised warning', '10 cleared warning', '20 raised warning'] },
    {
      title: 'below: low voltage raises, escalates, holds with hysteresis and clears',
      rule: rule('voltage_low'),
      series: [[0, 216], [10, 214], [20, 209], [30, 211], [40, 216], [50, 217]],
      events: ['10 raised warning', '20 escalated critical', '50 cleared critical'],
      levels: [null, 'warning', 'critical', 'critical', 'warning', null],
    },
    {
      title: 'below: low pressure with 5 PSI hysteresis',
      rule: rule('pressure_low'),
      series: [[0, 39], [10, 19], [20, 24], [30, 25], [40, 44], [50, 45]],
      events: ['0 raised warning', '10 escalated critical', '50 cleared critical'],
      levels: ['warning', 'critical', 'critical', 'warning', 'warning', null],
    },
    { title: 'hysteresis 0 clears at the threshold', rule: rule('current', { hysteresis: 0 }), series: [[0, 12.5], [10, 12]], events: ['0 raised warning', '10 cleared warning'] },
    {
      title: 'warning = critical: a critical-only rule',
      rule: rule('compressor_temp', { warning: 95 }),
      series: [[0, 90], [10, 96], [20, 94], [30, 93]],
      events: ['10 raised critical', '30 cleared critical'],
    },
    {
      title: 'for-duration: fires only after holding for N s of reading time',
      rule: rule('voltage_high', { forSeconds: 30 }),
      series: [[0, 246], [10, 246], [20, 246], [30, 246]],
      events: ['30 raised warning'],
    },
    {
      title: 'for-duration: a dip restarts it',
      rule: rule('voltage_high', { forSeconds: 30 }),
      series: [[0, 246], [10, 240], [20, 246], [40, 246], [50, 246]],
      events: ['50 raised warning'],
    },
    {
      title: 'for-duration: a missing value restarts it',
      rule: rule('voltage_high', { forSeconds: 30 }),
      series: [[0, 246], [10, undefined], [20, 246], [40, 246], [50, 246]],
      events: ['50 raised warning'],
    },
    {
      title: 'for-duration: critical has its own start',
      rule: rule('voltage_high', { forSeconds: 30 }),
      series: [[0, 246], [30, 251], [40, 251], [60, 251]],
      events: ['30 raised warning', '60 escalated critical'],
    },
    {
      title: 'for-duration: both held from the start -> critical directly',
      rule: rule('voltage_high', { forSeconds: 30 }),
      series: [[0, 251], [10, 251], [30, 251]],
      events: ['30 raised critical'],
    },
    {
      title: 'for-duration: clearing is immediate (hysteresis only)',
      rule: rule('voltage_high', { forSeconds: 30 }),
      series: [[0, 246], [30, 246], [40, 243]],
      events: ['30 raised warning', '40 cleared warning'],
    },
    {
      title: 'missing values never raise',
      rule: rule('voltage_high'),
      series: [[0, undefined], [10, undefined]],
      events: [],
      levels: [null, null],
    },
    {
      title: 'missing values never clear an active alert',
      rule: rule('voltage_high'),
      series: [[0, 251], [10, undefined], [20, undefined], [30, 240]],
      events: ['0 raised critical', '30 cleared critical'],
      levels: ['critical', 'critical', 'critical', null],
    },
  ];

  for (const c of cases) {
    it(c.title, () => {
      const result = run(c.rule, c.series, c.cooldown);
      assert.deepEqual(result.events, c.events);
      if (c.levels) assert.deepEqual(result.levels, c.levels);
    });
  }

  it('builds the contract event with unit, threshold and field', () => {
    const { last } = run(rule('voltage_high'), [[0, 251.23], [10, 240]]);
    assert.deepEqual(last[0], {
      device_id: 'site1',
      alert_type: 'voltage_high',
      level: 'critical',
      value: 251.23,
      threshold: 250,
      message: 'High voltage: 251.23 V > 250 V (critical)',
      state: 'raised',
      timestamp: T0,
      field: 'voltage',
    });
    assert.deepEqual(last[1], {
      device_id: 'site1',
      alert_type: 'voltage_high',
      level: 'critical',
      value: 240,
      threshold: 243,
      message: 'High voltage cleared: 240 V',
      state: 'cleared',
      timestamp: T0 + 10000,
      field: 'voltage',
    });
  });

  it('writes below-rules with "<" and the unit of the metric', () => {
    const { last } = run(rule('pressure_low'), [[0, 18]]);
    assert.equal(last[0]?.message, 'Low pressure: 18 PSI < 20 PSI (critical)');
  });

  it('returns the same state object when nothing changed', () => {
    const first = nextAlertState(undefined, { deviceId: 'site1', value: 251 }, rule('voltage_high'), T0, 300).state;
    const second = nextAlertState(first, { deviceId: 'site1', value: 252 }, rule('voltage_high'), T0 + 10000, 300).state;
    assert.equal(second, first);
  });
});

function input(seconds: number, values: Partial<Record<SensorField, number>>, invalid: SensorField[] = [], deviceId = 'site1'): DeviceInput {
  return { deviceId, timestamp: T0 + seconds * 1000, values, invalid: new Set(invalid) };
}

const OPTIONS = { cooldownSeconds: 300, faultAfterSeconds: 600 };

/** Runs readings through evaluateDevice; events as "t type state level value". */
function runDevice(readings: DeviceInput[], rules: readonly AlertRule[] = DEFAULT_RULES, options = OPTIONS) {
  let state: DeviceState | undefined;
  const events: string[] = [];
  const changed: boolean[] = [];
  for (const reading of readings) {
    const step = evaluateDevice(state, reading, rules, options);
    state = step.state;
    changed.push(step.changed);
    for (const e of step.events) events.push(`${(e.timestamp - T0) / 1000} ${e.alert_type}${e.field && e.alert_type === 'sensor_fault' ? `:${e.field}` : ''} ${e.state} ${e.level} ${e.value}`);
  }
  return { events, state, changed };
}

describe('threshold-alert evaluateDevice', () => {
  it('evaluates every default rule on its metric', () => {
    const { events } = runDevice([input(0, { voltage: 251, temp_compressor: 96, pressure_high: 401, pressure_low: 30, current: 15.5 })]);
    assert.deepEqual(events, [
      '0 voltage_high raised critical 251',
      '0 compressor_temp raised critical 96',
      '0 pressure_high raised warning 401',
      '0 pressure_low raised warning 30',
      '0 current raised critical 15.5',
    ]);
  });

  it('skips disabled rules and forgets their state', () => {
    const enabled = runDevice([input(0, { voltage: 251 })]);
    assert.deepEqual(currentLevels(enabled.state), { voltage_high: 'critical' });
    const rules = DEFAULT_RULES.map((r) => (r.name === 'voltage_high' ? { ...r, enabled: false } : r));
    const step = evaluateDevice(enabled.state, input(10, { voltage: 260 }), rules, OPTIONS);
    assert.deepEqual(step.events, []);
    assert.equal(step.changed, true);
    assert.deepEqual(currentLevels(step.state), {});
  });

  it('an invalid sensor neither raises nor clears, and stays active', () => {
    const { events, state } = runDevice([input(0, { voltage: 251 }), input(10, {}, ['voltage']), input(20, { voltage: 251 }, ['voltage'])]);
    assert.deepEqual(events, ['0 voltage_high raised critical 251']);
    assert.deepEqual(currentLevels(state), { voltage_high: 'critical' });
  });

  it('raises sensor_fault after the fault time with value = seconds invalid, clears when valid', () => {
    const readings = [input(0, {}, ['voltage']), input(590, {}, ['voltage']), input(600, {}, ['voltage']), input(610, {}, ['voltage']), input(620, { voltage: 230 })];
    const { events, state } = runDevice(readings);
    assert.deepEqual(events, ['600 sensor_fault:voltage raised warning 600', '620 sensor_fault:voltage cleared warning 620']);
    assert.deepEqual(currentLevels(state), {});
  });

  it('sensor_fault: absent values (not flagged) neither start nor end the invalid period', () => {
    const readings = [input(0, {}, ['current']), input(300, {}), input(650, {}, ['current']), input(700, {})];
    const { events, state } = runDevice(readings);
    assert.deepEqual(events, ['650 sensor_fault:current raised warning 650']);
    assert.deepEqual(currentLevels(state), { 'sensor_fault:current': 'warning' });
  });

  it('sensor_fault: a valid value restarts the invalid period', () => {
    const readings = [input(0, {}, ['voltage']), input(500, { voltage: 230 }), input(510, {}, ['voltage']), input(1000, {}, ['voltage'])];
    assert.deepEqual(runDevice(readings).events, []);
  });

  it('sensor_fault: faultAfter 0 switches it off', () => {
    const readings = [input(0, {}, ['voltage']), input(5000, {}, ['voltage'])];
    assert.deepEqual(runDevice(readings, DEFAULT_RULES, { cooldownSeconds: 300, faultAfterSeconds: 0 }).events, []);
  });

  it('replays a buffered batch in reading time (100 readings, 10 s apart)', () => {
    // 246 V for 50 s, 240 V for 100 s, then 246 V again: the second raise falls in the cooldown
    // of the first (reading time) until 300 s after it.
    const readings: DeviceInput[] = [];
    for (let i = 0; i < 100; i += 1) {
      const t = i * 10;
      readings.push(input(t, { voltage: t < 50 ? 246 : t < 150 ? 240 : 246 }));
    }
    assert.deepEqual(runDevice(readings).events, ['0 voltage_high raised warning 246', '50 voltage_high cleared warning 240', '300 voltage_high raised warning 246']);
  });

  it('timestamps going backwards are evaluated at the latest time seen', () => {
    const readings = [input(100, { voltage: 246 }), input(150, { voltage: 240 }), input(0, { voltage: 246 }), input(399, { voltage: 246 }), input(400, { voltage: 246 })];
    const { events, state } = runDevice(readings);
    // the older reading raises at t=150 (not 0), held back by the cooldown until 300 s after t=100
    assert.deepEqual(events, ['100 voltage_high raised warning 246', '150 voltage_high cleared warning 240', '400 voltage_high raised warning 246']);
    assert.equal(state?.lastTs, T0 + 400000);
  });

  it('a reading older than the one that set the level may raise it, never lower it (out of order across instances)', () => {
    const readings = [input(100, { voltage: 252 }), input(50, { voltage: 240 }), input(60, { voltage: 247 }), input(110, { voltage: 240 })];
    const { events, state } = runDevice(readings.slice(0, 3));
    assert.deepEqual(events, ['100 voltage_high raised critical 252'], 'the older normal and warning readings neither clear nor de-escalate');
    assert.equal(state?.rules.voltage_high?.level, 'critical');
    assert.deepEqual(runDevice(readings).events, ['100 voltage_high raised critical 252', '110 voltage_high cleared critical 240'], 'a newer normal reading clears');
  });

  it('reports changed only when something other than the time moved', () => {
    const { changed } = runDevice([input(0, { voltage: 230 }), input(10, { voltage: 231 }), input(20, { voltage: 251 }), input(30, { voltage: 252 })]);
    assert.deepEqual(changed, [true, false, true, false]);
  });

  it('keeps no state for rules with nothing to remember', () => {
    const { state } = runDevice([input(0, { voltage: 246 }), input(10, { voltage: 230 }), input(400, { voltage: 230 })]);
    assert.deepEqual(state?.rules, {});
    assert.deepEqual(state?.faults, {});
  });
});

/** A metrics reading's evaluator input (readingInput of a MetricsReading). */
function metricsInput(seconds: number, metrics: Record<string, number>, units?: Record<string, string>): DeviceInput {
  return { deviceId: 'nibe1', timestamp: T0 + seconds * 1000, values: metrics, invalid: new Set(), metrics: true, ...(units ? { units } : {}) };
}

const FLOW_HOT: AlertRule = { name: 'flow_hot', label: 'Flow temperature', metric: 'flow_temperature', direction: 'above', warning: 55, critical: 60, hysteresis: 2, forSeconds: 0, enabled: true };

describe('threshold-alert evaluateDevice on metrics readings', () => {
  const cases: { title: string; rules: readonly AlertRule[]; readings: DeviceInput[]; events: string[]; levels?: Record<string, string> }[] = [
    {
      title: 'a rule on any metric name raises, escalates and clears with hysteresis',
      rules: [FLOW_HOT],
      readings: [metricsInput(0, { flow_temperature: 50 }), metricsInput(10, { flow_temperature: 56 }), metricsInput(20, { flow_temperature: 61 }), metricsInput(30, { flow_temperature: 53.5 }), metricsInput(40, { flow_temperature: 53 })],
      events: ['10 flow_hot raised warning 56', '20 flow_hot escalated critical 61', '40 flow_hot cleared critical 53'],
    },
    {
      title: 'a rule whose metric the reading lacks is not evaluated: no raise, no clear',
      rules: [FLOW_HOT],
      readings: [metricsInput(0, { flow_temperature: 61 }), metricsInput(10, { return_temperature: 30 }), metricsInput(20, {})],
      events: ['0 flow_hot raised critical 61'],
      levels: { flow_hot: 'critical' },
    },
    {
      title: 'for-duration: the metric must stay beyond the threshold; an absent metric does not restart the wait',
      rules: [{ ...FLOW_HOT, forSeconds: 30 }],
      readings: [metricsInput(0, { flow_temperature: 56 }), metricsInput(10, {}), metricsInput(20, { flow_temperature: 57 }), metricsInput(30, { flow_temperature: 57 })],
      events: ['30 flow_hot raised warning 57'],
    },
    {
      title: 'cooldown: the same level is not raised again within it',
      rules: [FLOW_HOT],
      readings: [metricsInput(0, { flow_temperature: 56 }), metricsInput(10, { flow_temperature: 50 }), metricsInput(20, { flow_temperature: 56 }), metricsInput(300, { flow_temperature: 56 })],
      events: ['0 flow_hot raised warning 56', '10 flow_hot cleared warning 50', '300 flow_hot raised warning 56'],
    },
    {
      title: 'default rules act where the metric names match and are skipped elsewhere',
      rules: DEFAULT_RULES,
      readings: [metricsInput(0, { voltage: 251, flow_temperature: 70 })],
      events: ['0 voltage_high raised critical 251'],
      levels: { voltage_high: 'critical' },
    },
    {
      title: 'a boolean alarm flag (as 1 / 0) with a rule above 0.5',
      rules: [{ ...FLOW_HOT, name: 'hp_alarm', label: 'High pressure alarm', metric: 'high_pressure_alarm', warning: 0.5, critical: 0.5, hysteresis: 0 }],
      readings: [metricsInput(0, { high_pressure_alarm: 0 }), metricsInput(10, { high_pressure_alarm: 1 }), metricsInput(20, { high_pressure_alarm: 0 })],
      events: ['10 hp_alarm raised critical 1', '20 hp_alarm cleared critical 0'],
    },
  ];
  for (const c of cases) {
    it(c.title, () => {
      const { events, state } = runDevice(c.readings, c.rules);
      assert.deepEqual(events, c.events);
      if (c.levels) assert.deepEqual(currentLevels(state), c.levels);
    });
  }

  it('names the metric in field and uses the reading\'s unit in the message (none when it has none)', () => {
    const withUnit = evaluateDevice(undefined, metricsInput(0, { flow_temperature: 61.25 }, { flow_temperature: '°C' }), [FLOW_HOT], OPTIONS);
    assert.deepEqual(withUnit.events[0], {
      device_id: 'nibe1',
      alert_type: 'flow_hot',
      level: 'critical',
      value: 61.25,
      threshold: 60,
      message: 'Flow temperature: 61.25 °C > 60 °C (critical)',
      state: 'raised',
      timestamp: T0,
      field: 'flow_temperature',
    });
    const without = evaluateDevice(undefined, metricsInput(0, { flow_temperature: 61 }), [FLOW_HOT], OPTIONS);
    assert.equal(without.events[0]?.message, 'Flow temperature: 61 > 60 (critical)');
  });

  it('a metric named like a prototype member is just a metric', () => {
    const rules = [{ ...FLOW_HOT, metric: 'constructor' }];
    assert.deepEqual(runDevice([metricsInput(0, {})], rules).events, []);
    assert.deepEqual(runDevice([metricsInput(0, { constructor: 70 })], rules).events, ['0 flow_hot raised critical 70']);
  });
});

describe('threshold-alert readingInput', () => {
  const now = T0 + 1000;
  const cases: { title: string; payload: unknown; topic?: unknown; invalid?: unknown; error?: RegExp; expect?: Partial<DeviceInput> & { invalidList?: string[] } }[] = [
    { title: 'a reading', payload: { device_id: 'site1', timestamp: T0, voltage: 230 }, expect: { deviceId: 'site1', timestamp: T0, values: { voltage: 230 }, invalidList: [] } },
    { title: 'device id from the topic when the payload has none', payload: { timestamp: T0 }, topic: 'site2', expect: { deviceId: 'site2' } },
    { title: 'receive time when there is no timestamp', payload: { device_id: 'site1' }, expect: { timestamp: now } },
    { title: 'receive time for a clock far ahead', payload: { device_id: 'site1', timestamp: now + MAX_CLOCK_AHEAD_MS + 1 }, expect: { timestamp: now } },
    {
      title: 'msg.invalid and non-numeric values mark sensors invalid; unknown names are ignored',
      payload: { device_id: 'site1', timestamp: T0, voltage: 'x', current: Number.NaN, power: 100 },
      invalid: ['temp_inlet', 'nonsense', 3],
      expect: { values: { power: 100 }, invalidList: ['temp_inlet', 'voltage', 'current'] },
    },
    {
      title: 'a metrics reading: its metrics (booleans as 1 / 0) and units, rules on absent metrics skipped',
      payload: { device_id: 'nibe1', timestamp: T0, metrics: { flow_temperature: 35.5, high_pressure_alarm: true, defrost: false }, units: { flow_temperature: '°C' }, info: { source: 'modbus' } },
      expect: { deviceId: 'nibe1', timestamp: T0, values: { flow_temperature: 35.5, high_pressure_alarm: 1, defrost: 0 }, units: { flow_temperature: '°C' }, metrics: true, invalidList: [] },
    },
    { title: 'a metrics reading stamped far ahead: receive time', payload: { device_id: 'nibe1', timestamp: now + MAX_CLOCK_AHEAD_MS + 1, metrics: {} }, expect: { timestamp: now } },
    { title: 'a metrics reading with a NaN metric', payload: { device_id: 'nibe1', timestamp: T0, metrics: { flow_temperature: Number.NaN } }, error: /metric flow_temperature must be a finite number or a boolean/ },
    { title: 'a metrics reading without device_id (the topic does not stand in)', payload: { timestamp: T0, metrics: {} }, topic: 'nibe1', error: /device id must be a string/ },
    { title: 'a metrics reading without timestamp', payload: { device_id: 'nibe1', metrics: {} }, error: /timestamp/ },
    { title: 'not an object', payload: 'hello', error: /not a reading object/ },
    { title: 'array', payload: [1], error: /not a reading object/ },
    { title: 'no device id', payload: { timestamp: T0 }, error: /device id must be a string/ },
    { title: 'unsafe device id', payload: { device_id: 'a/b', timestamp: T0 }, error: /unsafe character/ },
    { title: 'bad timestamp', payload: { device_id: 'site1', timestamp: '2024' }, error: /timestamp/ },
    { title: 'negative timestamp', payload: { device_id: 'site1', timestamp: -1 }, error: /timestamp/ },
  ];
  for (const c of cases) {
    it(c.title, () => {
      const result = readingInput(c.payload, c.topic, c.invalid, now);
      if (c.error) {
        assert.equal(result.ok, false);
        if (!result.ok) assert.match(result.error, c.error);
        return;
      }
      assert.ok(result.ok);
      const { invalidList, ...expected } = c.expect ?? {};
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(result.value[key as keyof DeviceInput], value);
      if (invalidList) assert.deepEqual([...result.value.invalid], invalidList);
    });
  }
});

describe('threshold-alert AlertEngine', () => {
  const config = () => ({ rules: DEFAULT_RULES, overrides: new Map([['site1', { voltage_high: { warning: 240 } }]]), cooldownSeconds: 300, faultAfterSeconds: 600 });

  it('applies editor overrides per device', () => {
    const engine = new AlertEngine(config());
    assert.deepEqual(engine.process(input(0, { voltage: 242 })).events.map((e) => e.threshold), [240]);
    assert.deepEqual(engine.process(input(0, { voltage: 242 }, [], 'site2')).events, []);
  });

  it('run-time overrides replace the editor overrides of the device; null goes back to them', () => {
    const engine = new AlertEngine(config());
    engine.setOverrides({ deviceId: 'site1', rules: { voltage_high: { critical: 260 } } });
    assert.equal(engine.rulesFor('site1').find((r) => r.name === 'voltage_high')?.warning, 245);
    assert.equal(engine.rulesFor('site1').find((r) => r.name === 'voltage_high')?.critical, 260);
    engine.setOverrides({ deviceId: 'site1', rules: null });
    assert.equal(engine.rulesFor('site1').find((r) => r.name === 'voltage_high')?.warning, 240);
  });

  it('counts active levels over all devices and resets one or all', () => {
    const engine = new AlertEngine(config());
    const result = engine.process(input(0, { voltage: 251, current: 13 }));
    assert.deepEqual(result.alerts, { voltage_high: 'critical', current: 'warning' });
    engine.process(input(0, { voltage: 246 }, [], 'site2'));
    assert.deepEqual(engine.counts(), { warning: 2, critical: 1 });
    assert.equal(engine.reset('site2'), true);
    assert.deepEqual(engine.counts(), { warning: 1, critical: 1 });
    assert.equal(engine.reset('nobody'), false);
    assert.equal(engine.reset(), true);
    assert.deepEqual(engine.counts(), { warning: 0, critical: 0 });
    // After a reset the same reading raises again.
    assert.equal(engine.process(input(10, { voltage: 251 })).events.length, 1);
  });

  it('snapshot -> restore keeps a metric rule\'s alert and cooldown (no duplicate raise), cleared by a later reading', () => {
    const metricsConfig = () => ({ rules: [...DEFAULT_RULES, FLOW_HOT], overrides: new Map(), cooldownSeconds: 300, faultAfterSeconds: 600 });
    const engine = new AlertEngine(metricsConfig());
    assert.deepEqual(engine.process(metricsInput(0, { flow_temperature: 61 })).events.map((e) => e.alert_type), ['flow_hot']);
    const stored: unknown = JSON.parse(JSON.stringify(engine.snapshot()));
    const restarted = new AlertEngine(metricsConfig());
    assert.deepEqual(restarted.restore(stored), []);
    assert.deepEqual(restarted.counts(), { warning: 0, critical: 1 });
    assert.deepEqual(restarted.process(metricsInput(10, { flow_temperature: 62 })).events, []);
    assert.deepEqual(restarted.process(metricsInput(20, { return_temperature: 30 })).alerts, { flow_hot: 'critical' }, 'an absent metric keeps the level');
    assert.deepEqual(restarted.process(metricsInput(30, { flow_temperature: 50 })).events.map((e) => `${e.alert_type} ${e.state}`), ['flow_hot cleared']);
  });

  it('snapshot -> restore keeps active alerts (no duplicate raise) and run-time overrides', () => {
    const engine = new AlertEngine(config());
    engine.process(input(0, { voltage: 251 }));
    engine.setOverrides({ deviceId: 'site3', rules: { current: { warning: 10 } } });
    const stored: unknown = JSON.parse(JSON.stringify(engine.snapshot()));
    const restarted = new AlertEngine(config());
    assert.deepEqual(restarted.restore(stored), []);
    assert.deepEqual(restarted.counts(), { warning: 0, critical: 1 });
    assert.deepEqual(restarted.process(input(10, { voltage: 251 })).events, []);
    assert.equal(restarted.rulesFor('site3').find((r) => r.name === 'current')?.warning, 10);
  });

  it('restore drops what is malformed and says so', () => {
    const engine = new AlertEngine(config());
    assert.deepEqual(engine.restore(undefined), []);
    assert.deepEqual(engine.restore({ version: 99 }), ['stored state has an unknown shape']);
    const problems = engine.restore({
      version: 1,
      devices: [
        ['ok1', { lastTs: T0, rules: { voltage_high: { level: 'warning', announced: 'warning', lastSent: { warning: T0 }, pendingSince: {} } }, faults: {} }],
        ['bad1', { lastTs: 'x', rules: {}, faults: {} }],
        ['bad2', { lastTs: T0, rules: { voltage_high: { level: 'loud', announced: null, lastSent: {}, pendingSince: {} } }, faults: {} }],
        ['bad3', { lastTs: T0, rules: {}, faults: { nonsense: { level: null, announced: null, lastSent: {}, invalidSince: null } } }],
      ],
      overrides: [['site1', { voltage_high: { warning: 999 } }], ['site2', { current: { warning: 11 } }]],
    });
    assert.equal(problems.length, 4);
    assert.deepEqual(engine.counts(), { warning: 1, critical: 0 });
    assert.equal(engine.rulesFor('site2').find((r) => r.name === 'current')?.warning, 11);
  });

  it('limits run-time overrides to maxDevices devices', () => {
    const engine = new AlertEngine({ ...config(), maxDevices: 2 });
    const rules = { current: { warning: 10 } };
    assert.deepEqual(engine.setOverrides({ deviceId: 'a', rules }), { ok: true, value: undefined });
    assert.deepEqual(engine.setOverrides({ deviceId: 'b', rules }), { ok: true, value: undefined });
    assert.deepEqual(engine.setOverrides({ deviceId: 'c', rules }), { ok: false, error: 'run-time overrides are limited to 2 devices' });
    assert.equal(engine.setOverrides({ deviceId: 'b', rules: { current: { warning: 11 } } }).ok, true);
    assert.equal(engine.setOverrides({ deviceId: 'a', rules: null }).ok, true);
    assert.equal(engine.setOverrides({ deviceId: 'c', rules }).ok, true);
  });

  it('keeps at most maxDevices devices, dropping the least recently seen', () => {
    const engine = new AlertEngine({ ...config(), maxDevices: 2 });
    engine.process(input(0, { voltage: 251 }, [], 'a'));
    engine.process(input(0, { voltage: 251 }, [], 'b'));
    engine.process(input(10, { voltage: 251 }, [], 'a'));
    engine.process(input(10, { voltage: 251 }, [], 'c'));
    assert.deepEqual(
      engine.snapshot().devices.map(([id]) => id),
      ['a', 'c'],
    );
    assert.deepEqual(engine.counts(), { warning: 0, critical: 2 });
  });
});
