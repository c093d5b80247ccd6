import assert from 'node:assert/strict';
import type { ReadBlock } from '../../nodes/modbus-poll/block-plan';
import type { DataType, Order, RegisterDef } from '../../nodes/modbus-poll/register-map';
import { decodeBlock, rawValue, scaled } from '../../nodes/modbus-poll/register-decode';

function reg(data_type: DataType, extra: Partial<RegisterDef> = {}): RegisterDef {
  return { name: 'v', address: 0, register_type: 'holding', data_type, scale: 1, offset: 0, word_order: 'big', byte_order: 'big', ...extra };
}

/** Big-endian words (the Modbus standard) rearranged as a device with the given orders sends them. */
function wire(words: number[], word_order: Order, byte_order: Order): number[] {
  const ordered = word_order === 'little' ? [...words].reverse() : words;
  return ordered.map((w) => (byte_order === 'little' ? ((w & 0xff) << 8) | (w >> 8) : w));
}

describe('modbus register-decode', () => {
  describe('rawValue: every data type in every word and byte order', () => {
    // [data type, big-endian words, expected value]
    const cases: Array<[DataType, number[], number]> = [
      ['int16', [0xfffe], -2],
      ['int16', [0x00d7], 215],
      ['uint16', [0xfffe], 65534],
      ['int32', [0xffff, 0xfffe], -2],
      ['uint32', [0xdead, 0xbeef], 0xdeadbeef],
      ['float32', [0x41ac, 0x0000], 21.5],
      ['float32', [0xc1ac, 0x0000], -21.5],
      ['int64', [0xffff, 0xffff, 0xffff, 0xfffe], -2],
      ['uint64', [0x0000, 0x0001, 0x0000, 0x0000], 2 ** 32],
      ['uint64', [0x001f, 0xffff, 0xffff, 0xffff], Number.MAX_SAFE_INTEGER],
      ['float64', [0x4035, 0x8000, 0x0000, 0x0000], 21.5],
      ['float64', [0xc000, 0x0000, 0x0000, 0x0000], -2],
    ];
    const orders: Array<[Order, Order]> = [['big', 'big'], ['little', 'big'], ['big', 'little'], ['little', 'little']];
    for (const [dataType, words, expected] of cases) {
      for (const [wordOrder, byteOrder] of orders) {
        it(`${dataType} ${words.map((w) => w.toString(16).padStart(4, '0')).join(' ')} word ${wordOrder} byte ${byteOrder} = ${expected}`, () => {
          const def = reg(dataType, { word_order: wordOrder, byte_order: byteOrder });
          assert.equal(rawValue(def, wire(words, wordOrder, byteOrder)), expected);
        });
      }
    }
    it('reads a 32-bit pair wrongly when the word order is wrong (the setting matters)', () => {
      assert.equal(rawValue(reg('uint32', { word_order: 'little' }), [0xdead, 0xbeef]), 0xbeefdead);
    });
  });

  describe('scaled', () => {
    const cases: Array<[number, number, number, number]> = [
      // raw, scale, offset, value
      [215, 0.1, 0, 21.5],
      [-2, 0.1, 0, -0.2],
      [12345, 0.01, 0, 123.45],
      [3, 0.1, 0, 0.3],
      [7, 2, 0, 14],
      [100, 1, -40, 60],
      [215, 0.1, -10, 11.5],
      [1, 0.25, 0, 0.25],
    ];
    for (const [raw, scale, offset, value] of cases) {
      it(`${raw} * ${scale} + ${offset} = ${value}`, () => assert.equal(scaled({ scale, offset }, raw), value));
    }
  });

  describe('decodeBlock', () => {
    it('decodes each register of a block at its offset, with scale and offset', () => {
      const block: ReadBlock = {
        register_type: 'input',
        address: 10,
        count: 5,
        registers: [
          reg('int16', { name: 'flow', address: 10, register_type: 'input', scale: 0.1 }),
          reg('float32', { name: 'power', address: 11, register_type: 'input' }),
          reg('uint16', { name: 'mode', address: 14, register_type: 'input', offset: 1 }),
        ],
      };
      assert.deepEqual(decodeBlock(block, [0x00d7, 0x41ac, 0x0000, 0x9999, 3]), { values: { flow: 21.5, power: 21.5, mode: 4 }, rejected: [] });
    });
    it('reads coils and discrete inputs as booleans', () => {
      const block: ReadBlock = {
        register_type: 'coil',
        address: 0,
        count: 3,
        registers: [reg('bool', { name: 'pump', register_type: 'coil' }), reg('bool', { name: 'heater', address: 2, register_type: 'coil' })],
      };
      assert.deepEqual(decodeBlock(block, [true, false, false]), { values: { pump: true, heater: false }, rejected: [] });
    });

    const rejections: Array<[string, DataType, number[], Partial<RegisterDef>, 'nan' | 'out_of_range' | 'unavailable']> = [
      ['float32 NaN', 'float32', [0x7fc0, 0x0000], {}, 'nan'],
      ['float32 +Infinity', 'float32', [0x7f80, 0x0000], {}, 'nan'],
      ['float32 -Infinity', 'float32', [0xff80, 0x0000], {}, 'nan'],
      ['float64 NaN', 'float64', [0x7ff8, 0, 0, 0], {}, 'nan'],
      ['float64 finite but infinite after scaling', 'float64', [0x7fef, 0xffff, 0xffff, 0xffff], { scale: 10 }, 'nan'],
      ['above max after scaling', 'int16', [1000], { scale: 0.1, max: 90 }, 'out_of_range'],
      ['below min after scaling', 'int16', [0x8000], { scale: 0.1, min: -3276.7 }, 'out_of_range'],
      ['the unavailable raw value of an int16 (Stiebel 0x8000)', 'int16', [0x8000], { scale: 0.1, unavailable: -32768 }, 'unavailable'],
      ['the unavailable raw value of a uint16', 'uint16', [0x8000], { unavailable: 32768 }, 'unavailable'],
    ];
    for (const [title, dataType, words, extra, reason] of rejections) {
      it(`leaves out and counts: ${title}`, () => {
        const def = reg(dataType, { name: 'x', ...extra });
        const good = reg('uint16', { name: 'ok', address: words.length });
        const decoded = decodeBlock({ register_type: 'holding', address: 0, count: words.length + 1, registers: [def, good] }, [...words, 7]);
        assert.deepEqual(decoded.values, { ok: 7 });
        assert.equal(decoded.rejected.length, 1);
        assert.equal(decoded.rejected[0]?.register, 'x');
        assert.equal(decoded.rejected[0]?.reason, reason);
      });
    }
    it('keeps a value exactly on its min and max', () => {
      const block: ReadBlock = {
        register_type: 'holding',
        address: 0,
        count: 2,
        registers: [reg('int16', { name: 'lo', min: -5, max: 5 }), reg('int16', { name: 'hi', address: 1, min: -5, max: 5 })],
      };
      assert.deepEqual(decodeBlock(block, [0xfffb, 5]).values, { lo: -5, hi: 5 });
    });
    it('refuses data that does not cover a register', () => {
      const block: ReadBlock = { register_type: 'holding', address: 0, count: 2, registers: [reg('uint32', { name: 'wide' })] };
      assert.throws(() => decodeBlock(block, [1]), /wide: block holding 0\+1 does not cover address 0/);
    });
  });
});
