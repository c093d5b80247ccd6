import assert from 'node:assert/strict';
import { parseHeatpumpsYaml, parseRegistersYaml, unknownModels, validateMap, type RegisterDef, type RegisterMap } from '../../nodes/modbus-poll/register-map';
import { readFixture } from '../support/fixtures';

function reg(name: string, address: number, extra: Partial<RegisterDef> = {}): RegisterDef {
  return { name, address, register_type: 'holding', data_type: 'uint16', scale: 1, offset: 0, word_order: 'big', byte_order: 'big', ...extra };
}

/** A registers.yml with one model whose single register has the given YAML lines. */
function oneRegister(lines: string): string {
  return `models:\n  m1:\n    registers:\n      - ${lines.trim().split('\n').join('\n        ')}\n`;
}

function problemsOf(text: string): string[] {
  const parsed = parseRegistersYaml(text);
  assert.equal(parsed.ok, false, 'expected problems');
  return parsed.ok ? [] : parsed.error.map((p) => p.message);
}

describe('modbus register-map', () => {
  describe("HPManager's YAML files as printed in its README", () => {
    it('reads registers.yml with the defaults filled in', () => {
      const parsed = parseRegistersYaml(readFixture('modbus', 'hpmanager', 'registers.yml'));
      assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.error));
      assert.deepEqual([...parsed.value.entries()], [
        [
          'your_model_name',
          {
            model: 'your_model_name',
            description: 'Your heat pump model',
            registers: [
              {
                name: 'supply_temperature',
                address: 100,
                register_type: 'holding',
                data_type: 'int16',
                unit: 'celsius',
                scale: 0.1,
                offset: 0,
                word_order: 'big',
                byte_order: 'big',
              },
            ],
          },
        ],
      ]);
    });
    it('reads heatpumps.yml, timeout in seconds', () => {
      const parsed = parseHeatpumpsYaml(readFixture('modbus', 'hpmanager', 'heatpumps.yml'));
      assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.error));
      assert.deepEqual(parsed.value, [
        {
          id: 'hp1',
          name: 'Main Heat Pump',
          location: 'Basement',
          model: 'your_model_name',
          enabled: true,
          modbus: { type: 'tcp', host: '192.168.1.100', port: 502, unit_id: 1, timeout_s: 5, retries: 3 },
        },
      ]);
    });
  });

  describe('parseRegistersYaml refuses a bad map, naming the register', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['unknown data type', 'name: t\naddress: 1\nregister_type: holding\ndata_type: int17', /model "m1", register "t": unknown data_type "int17"/],
      ['unknown register type', 'name: t\naddress: 1\nregister_type: holdings\ndata_type: int16', /register "t": unknown register_type "holdings"/],
      ['missing address', 'name: t\nregister_type: holding\ndata_type: int16', /register "t": missing field "address"/],
      ['missing data type', 'name: t\naddress: 1\nregister_type: input', /register "t": missing field "data_type"/],
      ['missing name', 'address: 1\nregister_type: input\ndata_type: int16', /register "#1": missing field "name"/],
      ['address out of range', 'name: t\naddress: 65536\nregister_type: holding\ndata_type: int16', /register "t": address 65536 is not a whole number 0\.\.65535/],
      ['negative address', 'name: t\naddress: -1\nregister_type: holding\ndata_type: int16', /register "t": address -1/],
      ['32-bit value past the end', 'name: t\naddress: 65535\nregister_type: holding\ndata_type: float32', /register "t": address 65535 \+ 2 registers of float32 runs past 65535/],
      ['64-bit value on a coil', 'name: t\naddress: 1\nregister_type: coil\ndata_type: uint64', /register "t": a coil is one bit: data_type must be bool, not uint64/],
      ['bool on a holding register', 'name: t\naddress: 1\nregister_type: holding\ndata_type: bool', /register "t": data_type bool needs register_type coil or discrete/],
      ['scale 0', 'name: t\naddress: 1\nregister_type: holding\ndata_type: int16\nscale: 0', /register "t": scale 0 must be a number other than 0/],
      ['scale as text', 'name: t\naddress: 1\nregister_type: holding\ndata_type: int16\nscale: tenth', /register "t": scale must be a number/],
      ['bad word order', 'name: t\naddress: 1\nregister_type: holding\ndata_type: int32\nword_order: middle', /register "t": word_order must be "big" or "little"/],
      ['min above max', 'name: t\naddress: 1\nregister_type: holding\ndata_type: int16\nmin: 5\nmax: 1', /register "t": min 5 is above max 1/],
      ['misspelt field', 'name: t\naddress: 1\nregister_type: holding\ndata_type: int16\nsclae: 0.1', /register "t": unknown field "sclae"/],
      ['name with a space', 'name: supply temp\naddress: 1\nregister_type: holding\ndata_type: int16', /register "supply temp": name must be/],
      ['interval of 0', 'name: t\naddress: 1\nregister_type: holding\ndata_type: int16\ninterval_s: 0', /register "t": interval_s must be a number of seconds above 0/],
    ];
    for (const [title, lines, expected] of cases) {
      it(title, () => {
        const problems = problemsOf(oneRegister(lines));
        assert.ok(problems.some((m) => expected.test(m)), problems.join('\n'));
      });
    }

    it('overlapping registers of one table', () => {
      const text = `models:
  m1:
    registers:
      - {name: energy, address: 10, register_type: input, data_type: uint32}
      - {name: power, address: 11, register_type: input, data_type: int16}
      - {name: power_setpoint, address: 11, register_type: holding, data_type: int16}
`;
      assert.deepEqual(problemsOf(text), ['model "m1", register "power": input address 11 overlaps "energy" (uint32 at 10)']);
    });
    it('duplicate names', () => {
      const text = `models:
  m1:
    registers:
      - {name: t, address: 1, register_type: input, data_type: int16}
      - {name: t, address: 2, register_type: input, data_type: int16}
`;
      assert.deepEqual(problemsOf(text), ['model "m1", register "t": duplicate name']);
    });
    it('a model without registers', () => assert.deepEqual(problemsOf('models:\n  m1:\n    description: x\n'), ['model "m1": missing field "registers" (a list of at least one register)']));
    it('no models mapping', () => assert.match(problemsOf('heatpumps: []\n')[0] ?? '', /top-level "models:"/));
    it('YAML syntax errors with their line', () => assert.match(problemsOf('models:\n  m1: [\n')[0] ?? '', /YAML syntax error: .* at line \d+, column \d+$/));
    it('every problem of every model, not just the first', () => {
      const text = `models:
  a:
    registers:
      - {name: x, address: 1, register_type: input, data_type: int9}
  b:
    registers:
      - {name: y, address: 1, register_type: input}
`;
      assert.deepEqual(problemsOf(text), [
        'model "a", register "x": unknown data_type "int9" (int16, uint16, int32, uint32, float32, int64, uint64, float64, bool)',
        'model "b", register "y": missing field "data_type"',
      ]);
    });
    it('an alert on a metric the map does not have', () => {
      const text = `models:
  m1:
    registers:
      - {name: flow_temperature, address: 1, register_type: input, data_type: int16, scale: 0.1}
    alerts:
      - {name: flow_hot, metric: flow_temp, direction: above, warning: 60, critical: 65}
`;
      assert.deepEqual(problemsOf(text), ['model "m1", alert "flow_hot": metric "flow_temp" is not a register of the map']);
    });
  });

  describe('parseRegistersYaml accepts the added fields', () => {
    it('offset, orders, interval, setting, range, description, coil without data_type, alerts', () => {
      const text = `models:
  m1:
    registers:
      - {name: energy, address: 0, register_type: input, data_type: uint64, word_order: little, byte_order: little, offset: 5, interval_s: 60, min: 0, max: 1e12, description: Energy}
      - {name: curve, address: 3, register_type: holding, data_type: int16, scale: 0.01, setting: true}
      - {name: pump, address: 0, register_type: coil}
    alerts:
      - {name: curve_high, metric: curve, direction: above, warning: 2, critical: 3}
`;
      const parsed = parseRegistersYaml(text);
      assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.error));
      const map = parsed.value.get('m1');
      assert.deepEqual(map?.registers.map((r) => [r.name, r.data_type, r.word_order, r.byte_order, r.offset, r.interval_s, r.setting, r.min, r.max]), [
        ['energy', 'uint64', 'little', 'little', 5, 60, undefined, 0, 1e12],
        ['curve', 'int16', 'big', 'big', 0, undefined, true, undefined, undefined],
        ['pump', 'bool', 'big', 'big', 0, undefined, undefined, undefined, undefined],
      ]);
      assert.deepEqual(map?.alerts, [{ name: 'curve_high', label: 'curve_high', metric: 'curve', direction: 'above', warning: 2, critical: 3, hysteresis: 0, forSeconds: 0, enabled: true }]);
    });
  });

  describe('validateMap', () => {
    const map = (registers: RegisterDef[]): RegisterMap => ({ model: 'm', registers });
    const cases: Array<[string, RegisterDef[], string[]]> = [
      ['a good map', [reg('a', 0), reg('b', 1, { data_type: 'float32' }), reg('c', 3, { data_type: 'float64' })], []],
      ['the same address in two tables is fine', [reg('a', 0), reg('b', 0, { register_type: 'input' })], []],
      ['float64 overlapping the next register', [reg('a', 0, { data_type: 'float64' }), reg('b', 3)], ['model "m", register "b": holding address 3 overlaps "a" (float64 at 0)']],
      ['a register inside an earlier wide one', [reg('a', 0, { data_type: 'uint64' }), reg('b', 1, { data_type: 'uint32' }), reg('c', 2)], [
        'model "m", register "b": holding address 1 overlaps "a" (uint64 at 0)',
        'model "m", register "c": holding address 2 overlaps "a" (uint64 at 0)',
      ]],
      ['scale NaN', [reg('a', 0, { scale: Number.NaN })], ['model "m", register "a": scale NaN must be a number other than 0']],
      ['unknown data type', [reg('a', 0, { data_type: 'int8' as never })], ['model "m", register "a": unknown data_type "int8"']],
      ['fractional address', [reg('a', 1.5)], ['model "m", register "a": address 1.5 is not a whole number 0..65535']],
      ['fractional unavailable value', [reg('a', 0, { unavailable: 0.5 })], ['model "m", register "a": unavailable must be a whole number (the raw value)']],
    ];
    for (const [title, registers, expected] of cases) {
      it(title, () => assert.deepEqual(validateMap(map(registers)).map((p) => p.message), expected));
    }
    it('tags each problem with its register', () => assert.deepEqual(validateMap(map([reg('a', 0), reg('a', 1)])).map((p) => p.register), ['a']));
  });

  describe('parseHeatpumpsYaml', () => {
    it('fills defaults and reads RTU settings', () => {
      const text = `heatpumps:
  - {id: hp2, model: m, modbus: {type: rtu, port: /dev/ttyUSB0, baudrate: 19200, parity: even, unit_id: 3}}
  - {id: 7, model: m, enabled: false, modbus: {host: 10.0.0.2}}
`;
      const parsed = parseHeatpumpsYaml(text);
      assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.error));
      assert.deepEqual(parsed.value, [
        { id: 'hp2', model: 'm', enabled: true, modbus: { type: 'rtu', serial_port: '/dev/ttyUSB0', baudrate: 19200, parity: 'even', stopbits: 1, bytesize: 8, unit_id: 3, timeout_s: 5, retries: 3 } },
        { id: '7', model: 'm', enabled: false, modbus: { type: 'tcp', host: '10.0.0.2', port: 502, unit_id: 1, timeout_s: 5, retries: 3 } },
      ]);
    });
    const cases: Array<[string, string, string]> = [
      ['missing model', '{id: a, modbus: {host: h}}', 'heat pump "a": missing field "model"'],
      ['missing modbus', '{id: a, model: m}', 'heat pump "a": missing field "modbus"'],
      ['tcp without host', '{id: a, model: m, modbus: {type: tcp}}', 'heat pump "a": modbus: missing field "host"'],
      ['rtu without serial port', '{id: a, model: m, modbus: {type: rtu}}', 'heat pump "a": modbus: missing field "serial_port"'],
      ['unknown transport', '{id: a, model: m, modbus: {type: udp, host: h}}', 'heat pump "a": modbus: type must be "tcp" or "rtu", not "udp"'],
      ['unit id 300', '{id: a, model: m, modbus: {host: h, unit_id: 300}}', 'heat pump "a": modbus: unit_id must be a whole number 0..255'],
      ['timeout 0', '{id: a, model: m, modbus: {host: h, timeout: 0}}', 'heat pump "a": modbus: timeout must be a number of seconds above 0'],
      ['missing id', '{model: m, modbus: {host: h}}', 'heat pump "#1": missing field "id"'],
      ['an id unsafe as a device id', '{id: "hp/1", model: m, modbus: {host: h}}', 'heat pump "hp/1": id: device id contains the unsafe character "/"'],
    ];
    for (const [title, entry, expected] of cases) {
      it(`refuses: ${title}`, () => {
        const parsed = parseHeatpumpsYaml(`heatpumps:\n  - ${entry}\n`);
        assert.ok(!parsed.ok);
        assert.deepEqual(parsed.error.map((p) => p.message), [expected]);
      });
    }
    it('matches the seed files: every heat pump has its model in registers.yml', () => {
      const maps = parseRegistersYaml(readFixture('modbus', 'hpmanager', 'registers.yml'));
      const entries = parseHeatpumpsYaml(readFixture('modbus', 'hpmanager', 'heatpumps.yml'));
      assert.ok(maps.ok && entries.ok);
      assert.deepEqual(unknownModels(entries.value, maps.value), []);
      assert.deepEqual(unknownModels([{ ...entries.value[0]!, id: 'hp9', model: 'other' }], maps.value), [
        { message: 'heat pump "hp9": model "other" is not in the register maps (your_model_name)' },
      ]);
    });
    it('refuses duplicate ids', () => {
      const parsed = parseHeatpumpsYaml('heatpumps:\n  - {id: a, model: m, modbus: {host: h}}\n  - {id: a, model: m, modbus: {host: g}}\n');
      assert.ok(!parsed.ok);
      assert.deepEqual(parsed.error.map((p) => p.message), ['heat pump "a": duplicate id']);
    });
  });
});
