import assert from 'node:assert/strict';
import fs from 'node:fs';
import { parseCsv, snakeCase } from '../../nodes/modbus-poll/csv';
import { nibeCsvText, parseNibeCsv } from '../../nodes/modbus-poll/nibe-csv';
import type { RegisterDef, RegisterMap } from '../../nodes/modbus-poll/register-map';
import { fixturePath } from '../support/fixtures';

function importFixture(file: string, model?: string, opts?: Parameters<typeof parseNibeCsv>[2]): RegisterMap {
  const parsed = parseNibeCsv(nibeCsvText(fs.readFileSync(fixturePath('modbus', 'nibe', file))), model, opts);
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.error));
  return parsed.value;
}

type Row = [string, RegisterDef['register_type'], number, RegisterDef['data_type'], number, string | undefined, boolean | undefined, number | undefined, number | undefined, number | undefined];

function row(def: RegisterDef | undefined): Row | undefined {
  return def && [def.name, def.register_type, def.address, def.data_type, def.scale, def.unit, def.setting, def.min, def.max, def.unavailable];
}

const F_HEADER = 'ModbusManager 1.0.9\n20200624\nProduct: F1145, F1245\nDatabase: 8310\nTitle;Info;ID;Unit;Size;Factor;Min;Max;Default;Mode\n';

describe('modbus nibe-csv', () => {
  describe('F series: a real NIBE ModbusManager export (F1145/F1245, Latin-1)', () => {
    const map = importFixture('f1145_f1245.csv');
    it('names the model after the product line and counts the registers', () => {
      assert.equal(map.model, 'nibe-f1145-f1245');
      assert.equal(map.description, 'NIBE F1145, F1245: 26 registers');
      assert.equal(map.registers.length, 26);
    });
    const expected: Row[] = [
      ['bt1_outdoor_temperature_40004', 'holding', 3, 'int16', 0.1, '°C', undefined, undefined, undefined, -32768],
      ['eb100_ep14_bt3_return_temp_40012', 'holding', 11, 'int16', 0.1, '°C', undefined, undefined, undefined, -32768],
      ['degree_minutes_32_bit_40940', 'holding', 939, 'int32', 0.1, undefined, true, -3000, 3000, -2147483648],
      ['int_el_add_power_43084', 'holding', 3083, 'int16', 0.01, 'kW', undefined, undefined, undefined, -32768],
      ['prio_43086', 'holding', 3085, 'uint16', 1, undefined, undefined, undefined, undefined, 255],
      ['compressor_starts_eb100_ep14_43416', 'holding', 3415, 'int32', 1, undefined, undefined, 0, 9999999, -2147483648],
      ['heat_meter_heat_cpr_and_add_ep14_44300', 'holding', 4299, 'uint32', 0.1, 'kWh', undefined, undefined, undefined, 4294967295],
      ['heat_curve_s1_47007', 'holding', 7006, 'int16', 1, undefined, true, 0, 15, -128],
      ['heat_offset_s1_47011', 'holding', 7010, 'int16', 1, undefined, true, -10, 10, -128],
    ];
    for (const want of expected) {
      it(`reads ${want[0]}`, () => assert.deepEqual(row(map.registers.find((r) => r.name === want[0])), want));
    }
    it('keeps NIBE number, title and info in the description', () => {
      assert.equal(map.registers[0]?.description, '40004 BT1 Outdoor Temperature: Current outdoor temperature');
    });
    it('reads 32-bit values low word first by default (word swap on), big on request', () => {
      assert.ok(map.registers.filter((r) => r.data_type.endsWith('32')).every((r) => r.word_order === 'little'));
      const big = importFixture('f1145_f1245.csv', 'mine', { wordOrder: 'big' });
      assert.equal(big.model, 'mine');
      assert.ok(big.registers.every((r) => r.word_order === 'big'));
    });
  });

  describe('S series: a real USB export (S1155/S1255, tab-separated, size codes)', () => {
    const map = importFixture('s1155_s1255.csv', 'nibe-s1155');
    it('imports the named rows and says how many unnamed ones it left out', () => {
      assert.equal(map.model, 'nibe-s1155');
      assert.equal(map.registers.length, 22);
      assert.equal(map.description, 'NIBE S-series USB export: 22 registers, 2 unnamed rows ("-", "id:NNN") left out');
    });
    const expected: Row[] = [
      ['current_outdoor_temperature_bt1_30002', 'input', 1, 'int16', 0.1, '°C', undefined, undefined, undefined, -32768],
      ['supply_line_bt2_30006', 'input', 5, 'int16', 0.1, '°C', undefined, undefined, undefined, -32768],
      ['degree_minutes_40012', 'holding', 11, 'int32', 0.1, 'DM', true, -3000, 3000, -2147483648],
      ['priority_31029', 'input', 1028, 'uint16', 1, undefined, undefined, undefined, undefined, 255],
      ['compressor_frequency_current_31047', 'input', 1046, 'uint16', 0.1, 'Hz', undefined, undefined, undefined, 65535],
      ['compressor_number_of_starts_eb100_ep14_31535', 'input', 1534, 'uint32', 1, undefined, undefined, undefined, undefined, 4294967295],
      ['heating_curve_climate_system_1_40027', 'holding', 26, 'int16', 1, undefined, true, 0, 15, -128],
    ];
    for (const want of expected) {
      it(`reads ${want[0]}`, () => assert.deepEqual(row(map.registers.find((r) => r.name === want[0])), want));
    }
  });

  describe('refuses what it cannot read, naming the line', () => {
    const cases: Array<[string, string, string[]]> = [
      ['no header', 'just;some;text\n1;2;3\n', ['not a NIBE register export: no header line starting with "Title" (ModbusManager or S-series USB export)']],
      ['a header without factor', 'Title;ID;Unit;Size;Min;Max\n"A";40001;"";s16;0;0\n', ['NIBE export header lacks the column(s) factor']],
      ['an ID outside the tables', `${F_HEADER}"Odd";"";20001;"";s16;1;0;0;0;R;\n`, ['line 6 "Odd": ID "20001" is not a NIBE register number (4xxxx, 3xxxx, 1xxxx or a coil)']],
      ['an unknown size', `${F_HEADER}"Odd";"";40001;"";s64;1;0;0;0;R;\n`, ['line 6 "Odd": size "s64" is not s8, s16, s32, u8, u16, u32 or 1..6']],
      ['a factor of 0', `${F_HEADER}"Odd";"";40001;"";s16;0;0;0;0;R;\n`, ['line 6 "Odd": factor "0" is not a number above 0']],
      ['a broken max', 'Title\tRegister type\tRegister\tDivision factor\tUnit\tSize of variable\tMin value\tMax value\tDefault value\nX\tMODBUS_INPUT_REGISTER\t227\t1\th\t6\t0\t0 0\n', ['line 2 "X": min "0" / max "0 0" are not numbers']],
      ['an unknown register type', 'Title\tRegister type\tRegister\tDivision factor\tUnit\tSize of variable\tMin value\tMax value\tDefault value\nX\tMODBUS_FILE\t1\t1\t\t2\t0\t0\t0\n', ['line 2 "X": register type "MODBUS_FILE" / register "1" is not a NIBE register']],
      ['overlapping 32-bit registers', `${F_HEADER}"A";"";40001;"";s32;1;0;0;0;R;\n"B";"";40002;"";s16;1;0;0;0;R;\n`, ['model "nibe-f1145-f1245", register "b_40002": holding address 1 overlaps "a_40001" (int32 at 0)']],
      ['no rows', F_HEADER, ['the NIBE export lists no registers']],
    ];
    for (const [title, text, expected] of cases) {
      it(title, () => {
        const parsed = parseNibeCsv(text);
        assert.ok(!parsed.ok);
        assert.deepEqual(parsed.error.map((p) => p.message), expected);
      });
    }
  });

  describe('nibeCsvText', () => {
    it('reads Latin-1 (ModbusManager) and UTF-8 (S-series) alike', () => {
      assert.equal(nibeCsvText(Uint8Array.from([0xb0, 0x43])), '°C');
      assert.equal(nibeCsvText(Uint8Array.from([0xc2, 0xb0, 0x43])), '°C');
    });
  });

  describe('parseCsv and snakeCase', () => {
    const cases: Array<[string, string, string[][]]> = [
      ['quoted delimiter and doubled quote', 'a;"b;c";"say ""hi"""\n', [['a', 'b;c', 'say "hi"']]],
      ['CRLF and a trailing delimiter', 'a;b;\r\nc;d;\r\n', [['a', 'b', ''], ['c', 'd', '']]],
      ['a line break inside quotes (Stiebel headers)', '"Modbus\nAddress",x\n1,2', [['Modbus\nAddress', 'x'], ['1', '2']]],
    ];
    for (const [title, text, rows] of cases) {
      it(title, () => assert.deepEqual(parseCsv(text, text.includes(';') ? ';' : ','), rows));
    }
    it('snake_cases titles with accents and punctuation', () => {
      assert.equal(snakeCase('EB100-EP14-BT3 Return temp'), 'eb100_ep14_bt3_return_temp');
      assert.equal(snakeCase(' Tot. op.time (ÄÖ) '), 'tot_op_time_ao');
    });
  });
});
