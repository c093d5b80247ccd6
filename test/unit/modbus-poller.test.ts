// The poll node's pure core: block reads with the single-read fallback, presence with its own
// back-off, setting changes, refused registers named once, and the register map's sources.
import assert from 'node:assert/strict';
import { resolveMap, type MapSource } from '../../nodes/modbus-poll/map-source';
import { Poller, pollBlocks, type BlockReader, type PollOutcome } from '../../nodes/modbus-poll/poller';
import { planReads } from '../../nodes/modbus-poll/block-plan';
import type { RegisterDef, RegisterMap, RegisterType } from '../../nodes/modbus-poll/register-map';

const reg = (name: string, address: number, extra: Partial<RegisterDef> = {}): RegisterDef => ({
  name,
  address,
  register_type: 'holding',
  data_type: 'int16',
  scale: 1,
  offset: 0,
  word_order: 'big',
  byte_order: 'big',
  ...extra,
});

/** A unit's holding/input words; `refused` addresses answer exception 2, `silent` times out. */
function fakeUnit(words: Record<number, number>, options: { refused?: number[]; silent?: boolean } = {}) {
  const requests: string[] = [];
  const read: BlockReader = (table: RegisterType, address: number, count: number) => {
    requests.push(`${table}@${address}+${count}`);
    if (options.silent) return Promise.reject(Object.assign(new Error('unit 1 did not answer'), { failure: 'timeout' }));
    for (let a = address; a < address + count; a += 1) {
      if (options.refused?.includes(a)) return Promise.reject(Object.assign(new Error('Modbus exception 2: Illegal data address'), { failure: 'exception', modbusCode: 2 }));
    }
    return Promise.resolve(Array.from({ length: count }, (_, i) => words[address + i] ?? 0));
  };
  return { read, requests };
}

const MAP: RegisterMap = {
  model: 'test',
  registers: [
    reg('flow_temperature', 0, { scale: 0.1, unit: '°C' }),
    reg('return_temperature', 1, { scale: 0.1, unit: '°C' }),
    reg('energy', 2, { data_type: 'uint32', unit: 'kWh' }),
    reg('set_point', 10, { scale: 0.1, unit: '°C', setting: true }),
    reg('pressure', 20, { register_type: 'input', scale: 0.01, unit: 'bar', max: 40 }),
  ],
};
const WORDS = { 0: 351, 1: 302, 2: 0x0001, 3: 0x0002, 10: 450, 20: 1520 };

describe('pollBlocks', () => {
  it('reads neighbouring registers of a table in one block each', async () => {
    const unit = fakeUnit(WORDS);
    const outcome = await pollBlocks(planReads(MAP.registers), unit.read);
    assert.deepEqual(unit.requests, ['holding@0+4', 'holding@10+1', 'input@20+1']);
    assert.equal(outcome.requests, 3);
    assert.deepEqual(outcome.values, { flow_temperature: 35.1, return_temperature: 30.2, energy: 65538, set_point: 45, pressure: 15.2 });
    assert.equal(outcome.failure, undefined);
  });

  it('a refused block is read register by register; the refused register is named', async () => {
    const unit = fakeUnit(WORDS, { refused: [1] });
    const outcome = await pollBlocks(planReads(MAP.registers), unit.read);
    assert.deepEqual(unit.requests, ['holding@0+4', 'holding@0+1', 'holding@1+1', 'holding@2+2', 'holding@10+1', 'input@20+1']);
    assert.deepEqual(outcome.refused.map((r) => r.register.name), ['return_temperature']);
    assert.match(outcome.refused[0]!.message, /Illegal data address/);
    assert.equal(outcome.values.return_temperature, undefined);
    assert.equal(outcome.values.energy, 65538);
    assert.ok(outcome.polled.includes('return_temperature'), 'its interval starts again (not retried every tick)');
  });

  it('a unit that does not answer ends the poll at the first block', async () => {
    const unit = fakeUnit(WORDS, { silent: true });
    const outcome = await pollBlocks(planReads(MAP.registers), unit.read);
    assert.deepEqual(unit.requests, ['holding@0+4']);
    assert.deepEqual(outcome.failure, { kind: 'timeout', message: 'unit 1 did not answer' });
  });

  it('values outside the range are left out and reported', async () => {
    const unit = fakeUnit({ ...WORDS, 20: 9999 });
    const outcome = await pollBlocks(planReads(MAP.registers), unit.read);
    assert.equal(outcome.values.pressure, undefined);
    assert.deepEqual(outcome.rejected, [{ register: 'pressure', reason: 'out_of_range', raw: 9999 }]);
  });
});

const poller = () => new Poller({ deviceId: 'hp-1', map: MAP, intervalS: 10, info: { name: 'Cellar', model: 'test' } });
const answered = (values: Record<string, number | boolean>, extra: Partial<PollOutcome> = {}): PollOutcome => ({
  values,
  rejected: [],
  refused: [],
  polled: Object.keys(values),
  requests: 1,
  ...extra,
});
const silent: PollOutcome = { values: {}, rejected: [], refused: [], polled: [], requests: 1, failure: { kind: 'timeout', message: 'no answer' } };

describe('Poller', () => {
  it('first answer: online and a reading with units and info', () => {
    const events = poller().complete(1000, 1100, answered({ flow_temperature: 35.1, set_point: 45 }));
    assert.equal(events.presence, 'online');
    assert.deepEqual(events.reading, {
      device_id: 'hp-1',
      timestamp: 1000,
      metrics: { flow_temperature: 35.1, set_point: 45 },
      units: { flow_temperature: '°C', set_point: '°C' },
      info: { name: 'Cellar', model: 'test', source: 'modbus' },
    });
    assert.deepEqual(events.settings, [], 'no setting change on the first read');
  });

  it('presence is sent on a change only; a silent unit backs off 10 s, 20 s, 40 s ... at most 5 min', () => {
    const p = poller();
    const steps: [PollOutcome, string | undefined, number | undefined][] = [
      [answered({ flow_temperature: 1 }), 'online', undefined],
      [answered({ flow_temperature: 1 }), undefined, undefined],
      [silent, 'offline', 10_000],
      [silent, undefined, 20_000],
      [silent, undefined, 40_000],
      [silent, undefined, 80_000],
      [silent, undefined, 160_000],
      [silent, undefined, 300_000],
      [silent, undefined, 300_000],
      [answered({ flow_temperature: 1 }), 'online', undefined],
      [silent, 'offline', 10_000],
    ];
    let now = 0;
    for (const [index, [outcome, presence, retry]] of steps.entries()) {
      now += 1_000_000;
      const events = p.complete(now, now, outcome);
      assert.equal(events.presence, presence, `step ${index}: presence`);
      assert.equal(events.retryInMs, retry, `step ${index}: retry`);
    }
    assert.equal(p.counters.failures, 8);
  });

  it('plans nothing while backing off, and everything again once the wait is over', () => {
    const p = poller();
    assert.equal(p.plan(0).registers, 5);
    p.complete(0, 0, silent);
    assert.equal(p.waitMs(4000), 6000);
    assert.deepEqual(p.plan(4000).blocks, []);
    assert.equal(p.plan(10_000).registers, 5);
  });

  it('per-register intervals: a register is due again after its own interval', () => {
    const map: RegisterMap = { model: 'm', registers: [reg('fast', 0), reg('slow', 5, { interval_s: 60 })] };
    const p = new Poller({ deviceId: 'hp', map, intervalS: 10, info: {} });
    assert.equal(p.plan(0).registers, 2);
    p.complete(0, 0, answered({ fast: 1, slow: 2 }));
    const names = (now: number) => p.plan(now).blocks.flatMap((b) => b.registers.map((r) => r.name));
    assert.deepEqual(names(10_000), ['fast']);
    assert.deepEqual(names(60_000), ['fast', 'slow']);
  });

  it('a setting change is reported with old and new value; an unchanged one is not', () => {
    const p = poller();
    p.complete(0, 0, answered({ set_point: 45 }));
    assert.deepEqual(p.complete(10_000, 10_000, answered({ set_point: 45 })).settings, []);
    assert.deepEqual(p.complete(20_000, 20_000, answered({ set_point: 47.5, flow_temperature: 30 })).settings, [
      { device_id: 'hp-1', setting: 'set_point', old_value: 45, new_value: 47.5, unit: '°C', source: 'modbus', timestamp: 20_000 },
    ]);
  });

  it('a refused register is named once and left out of later polls', () => {
    const p = poller();
    const refused = { register: MAP.registers[1]!, message: 'Modbus exception 2' };
    const first = p.complete(0, 0, answered({ flow_temperature: 1 }, { refused: [refused], polled: ['flow_temperature', 'return_temperature'] }));
    assert.deepEqual(first.newlyRefused, [{ register: 'return_temperature', message: 'Modbus exception 2' }]);
    const again = p.complete(10_000, 10_000, answered({ flow_temperature: 1 }, { refused: [refused] }));
    assert.deepEqual(again.newlyRefused, []);
    assert.ok(!p.plan(20_000).blocks.some((b) => b.registers.some((r) => r.name === 'return_temperature')));
    assert.equal(p.activeRegisters.length, 4);
  });

  it('counts left-out values, names each register and reason once, and sends no reading when nothing decoded', () => {
    const p = poller();
    const events = p.complete(0, 0, answered({}, { rejected: [{ register: 'pressure', reason: 'out_of_range', raw: 9999 }] }));
    assert.equal(events.reading, undefined);
    assert.equal(events.presence, 'online', 'the unit did answer');
    assert.deepEqual(events.newlyRejected, [{ register: 'pressure', reason: 'out_of_range', raw: 9999 }]);
    const again = p.complete(10_000, 10_000, answered({}, { rejected: [{ register: 'pressure', reason: 'out_of_range', raw: 9998 }, { register: 'pressure', reason: 'nan' }] }));
    assert.deepEqual(again.newlyRejected, [{ register: 'pressure', reason: 'nan' }], 'a new reason is named, a repeated one not');
    assert.equal(p.counters.rejected, 3);
  });
});

describe('resolveMap', () => {
  const profiles: Record<string, RegisterMap> = { known: MAP };
  const deps = {
    loadProfile: (name: string) => {
      const found = profiles[name];
      if (!found) throw new Error(`unknown profile "${name}"`);
      return found;
    },
    readFile: (file: string) => {
      if (file === '/maps/registers.yml') return new TextEncoder().encode(TWO_MODELS);
      if (file === '/maps/export.csv') return new TextEncoder().encode('not an export');
      throw new Error('ENOENT: no such file');
    },
  };
  const TWO_MODELS = [
    'models:',
    '  a:',
    '    registers:',
    '      - {name: t, address: 0, register_type: input, data_type: int16, unit: "°C", scale: 0.1}',
    '  b:',
    '    registers:',
    '      - {name: u, address: 0, register_type: input, data_type: uint16}',
  ].join('\n');
  const cases: [string, MapSource, string | RegExp][] = [
    ['a shipped profile', { kind: 'profile', profile: 'known' }, 'test'],
    ['an unknown profile', { kind: 'profile', profile: 'nope' }, /profile "nope": unknown profile/],
    ['pasted YAML with its only model', { kind: 'yaml', yaml: TWO_MODELS.split('\n  b:')[0] }, 'a'],
    ['pasted YAML with two models and none chosen', { kind: 'yaml', yaml: TWO_MODELS }, /models a, b: choose one/],
    ['pasted YAML, the model chosen', { kind: 'yaml', yaml: TWO_MODELS, model: 'b' }, 'b'],
    ['pasted YAML, a model it lacks', { kind: 'yaml', yaml: TWO_MODELS, model: 'c' }, /model "c" is not in the YAML/],
    ['a registers.yml file', { kind: 'file', file: '/maps/registers.yml', model: 'a' }, 'a'],
    ['a .csv file is read as a NIBE export', { kind: 'file', file: '/maps/export.csv' }, /not a NIBE register export/],
    ['a file that is not there', { kind: 'file', file: '/maps/missing.yml' }, /cannot read \/maps\/missing.yml: ENOENT/],
    [
      'an unknown data type names the register',
      { kind: 'yaml', yaml: 'models:\n  m:\n    registers:\n      - {name: flow, address: 0, register_type: input, data_type: int24}' },
      /register "flow": unknown data_type "int24"/,
    ],
    [
      'a register name that is no metric name',
      { kind: 'yaml', yaml: 'models:\n  m:\n    registers:\n      - {name: flow.temp, address: 0, register_type: input, data_type: int16}' },
      /register "flow.temp": name must be 1 to 64 of A-Z a-z 0-9 _ \(it becomes a metric name\)/,
    ],
    [
      'overlapping addresses name the register',
      { kind: 'yaml', yaml: 'models:\n  m:\n    registers:\n      - {name: e, address: 0, register_type: input, data_type: uint32}\n      - {name: f, address: 1, register_type: input, data_type: int16}' },
      /register "f": input address 1 overlaps "e"/,
    ],
  ];
  for (const [title, source, expected] of cases) {
    it(title, () => {
      const result = resolveMap(source, deps);
      if (typeof expected === 'string') {
        assert.ok(result.ok, result.ok ? '' : JSON.stringify(result.error));
        assert.equal(result.value.model, expected);
      } else {
        assert.ok(!result.ok, 'refused');
        assert.match(result.error.map((p) => p.message).join('\n'), expected);
      }
    });
  }
});
