import assert from 'node:assert/strict';
import { dueRegisters, planReads, singleReads, type ReadBlock } from '../../nodes/modbus-poll/block-plan';
import type { DataType, RegisterDef, RegisterType } from '../../nodes/modbus-poll/register-map';

function reg(name: string, address: number, data_type: DataType = 'uint16', register_type: RegisterType = 'holding', extra: Partial<RegisterDef> = {}): RegisterDef {
  return { name, address, register_type, data_type, scale: 1, offset: 0, word_order: 'big', byte_order: 'big', ...extra };
}

/** Blocks as [type, address, count, names] for compact comparison. */
function shape(blocks: ReadBlock[]): Array<[RegisterType, number, number, string[]]> {
  return blocks.map((b) => [b.register_type, b.address, b.count, b.registers.map((r) => r.name)]);
}

describe('modbus block-plan', () => {
  describe('planReads', () => {
    const cases: Array<[string, RegisterDef[], Parameters<typeof planReads>[1], Array<[RegisterType, number, number, string[]]>]> = [
      ['adjacent registers make one block, in address order', [reg('b', 101), reg('a', 100), reg('c', 102)], {}, [['holding', 100, 3, ['a', 'b', 'c']]]],
      ['a gap splits blocks by default', [reg('a', 100), reg('b', 102)], {}, [['holding', 100, 1, ['a']], ['holding', 102, 1, ['b']]]],
      ['maxGap bridges a gap up to its size', [reg('a', 100), reg('b', 102), reg('c', 106)], { maxGap: 1 }, [['holding', 100, 3, ['a', 'b']], ['holding', 106, 1, ['c']]]],
      ['32- and 64-bit values count their width', [reg('a', 0, 'float32'), reg('b', 2, 'uint64'), reg('c', 6)], {}, [['holding', 0, 7, ['a', 'b', 'c']]]],
      [
        'each table is read on its own',
        [reg('h', 5), reg('i', 5, 'int16', 'input'), reg('c', 5, 'bool', 'coil'), reg('d', 6, 'bool', 'discrete'), reg('h2', 6)],
        {},
        [['coil', 5, 1, ['c']], ['discrete', 6, 1, ['d']], ['holding', 5, 2, ['h', 'h2']], ['input', 5, 1, ['i']]],
      ],
      ['a 32-bit register that would cross the cap starts the next block', [reg('a', 0, 'uint16'), reg('b', 1, 'uint32')], { maxRegisters: 2 }, [['holding', 0, 1, ['a']], ['holding', 1, 2, ['b']]]],
    ];
    for (const [title, registers, opts, expected] of cases) {
      it(title, () => assert.deepEqual(shape(planReads(registers, opts)), expected));
    }

    it('caps register reads at 125 registers', () => {
      const registers = Array.from({ length: 300 }, (_, i) => reg(`r${i}`, i));
      const blocks = planReads(registers);
      assert.deepEqual(blocks.map((b) => [b.address, b.count]), [[0, 125], [125, 125], [250, 50]]);
    });
    it('never exceeds 125 even when asked for more', () => {
      const registers = Array.from({ length: 200 }, (_, i) => reg(`r${i}`, i));
      assert.deepEqual(planReads(registers, { maxRegisters: 500 }).map((b) => b.count), [125, 75]);
    });
    it('caps bit reads at 2000 bits', () => {
      const coils = Array.from({ length: 4500 }, (_, i) => reg(`c${i}`, i, 'bool', 'coil'));
      assert.deepEqual(planReads(coils).map((b) => [b.address, b.count]), [[0, 2000], [2000, 2000], [4000, 500]]);
    });
    it('never splits a 32-bit register across blocks at the 125 cap', () => {
      // 62 float32 fill 124 registers; the 63rd float32 (124..125) would make 126
      const registers = Array.from({ length: 64 }, (_, i) => reg(`f${i}`, i * 2, 'float32'));
      const blocks = planReads(registers);
      assert.deepEqual(blocks.map((b) => [b.address, b.count, b.registers.length]), [[0, 124, 62], [124, 4, 2]]);
      for (const block of blocks) {
        for (const r of block.registers) assert.ok(r.address + 2 <= block.address + block.count, `${r.name} inside its block`);
      }
    });
    it('reads every register exactly once', () => {
      const registers = [reg('a', 7), reg('b', 3, 'int32'), reg('c', 900, 'float64'), reg('d', 12, 'bool', 'discrete'), reg('e', 8, 'int16', 'input')];
      const names = planReads(registers, { maxGap: 10 }).flatMap((b) => b.registers.map((r) => r.name)).sort();
      assert.deepEqual(names, ['a', 'b', 'c', 'd', 'e']);
    });
    it('plans nothing for no registers', () => assert.deepEqual(planReads([]), []));
  });

  describe('singleReads', () => {
    it('splits a block into one read per register, each of its width', () => {
      const [block] = planReads([reg('a', 10), reg('b', 11, 'float32'), reg('c', 13, 'uint64')]);
      assert.ok(block);
      assert.deepEqual(shape(singleReads(block)), [['holding', 10, 1, ['a']], ['holding', 11, 2, ['b']], ['holding', 13, 4, ['c']]]);
    });
    it('keeps the table of a coil block', () => {
      const [block] = planReads([reg('a', 0, 'bool', 'coil'), reg('b', 1, 'bool', 'coil')]);
      assert.ok(block);
      assert.deepEqual(shape(singleReads(block)), [['coil', 0, 1, ['a']], ['coil', 1, 1, ['b']]]);
    });
  });

  describe('dueRegisters', () => {
    const fast = reg('fast', 0);
    const slow = reg('slow', 1, 'uint16', 'holding', { interval_s: 60 });
    const registers = [fast, slow];
    const cases: Array<[string, number, Array<[string, number]>, string[]]> = [
      ['all are due before any read', 0, [], ['fast', 'slow']],
      ['the default interval applies without interval_s', 10_000, [['fast', 0], ['slow', 0]], ['fast']],
      ['a timer firing slightly early still finds the register due', 9_990, [['fast', 0], ['slow', 0]], ['fast']],
      ['not due half way through its interval', 5_000, [['fast', 0], ['slow', 0]], []],
      ['interval_s of 60 is due after 60 s', 60_000, [['fast', 50_000], ['slow', 0]], ['fast', 'slow']],
      ['interval_s of 60 is not due after 50 s', 50_000, [['fast', 40_000], ['slow', 0]], ['fast']],
    ];
    for (const [title, now, last, expected] of cases) {
      it(title, () => assert.deepEqual(dueRegisters(registers, now, new Map(last), 10).map((r) => r.name), expected));
    }
  });
});
