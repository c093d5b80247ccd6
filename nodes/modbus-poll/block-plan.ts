// Which Modbus requests read a set of registers: neighbouring registers of one table are coalesced
// into block reads within the protocol's limits, a refused block falls back to one read per
// register, and per-register intervals decide which registers a poll reads.
// Pure: no Node-RED import, no clock (`now` is passed in).
import { isBitType, registerWidth, type RegisterDef, type RegisterType } from './register-map';

export interface ReadBlock {
  register_type: RegisterType;
  /** first address read */
  address: number;
  /** registers (or bits, for coil/discrete) read from `address` on */
  count: number;
  /** the definitions decoded from this read, in address order */
  registers: RegisterDef[];
}

export interface PlanOptions {
  /** at most this many registers per holding/input read; 125 is the protocol's limit (FC 3/4) */
  maxRegisters?: number;
  /** at most this many bits per coil/discrete read; 2000 is the protocol's limit (FC 1/2) */
  maxBits?: number;
  /**
   * Unused registers (or bits) a block may bridge between two definitions. Default 0: many heat
   * pump controllers (Stiebel ISG, NIBE) answer "illegal data address" for an undefined address in
   * the range, which turns one saved request into a refused block plus one read per register.
   */
  maxGap?: number;
}

export const MAX_READ_REGISTERS = 125;
export const MAX_READ_BITS = 2000;

/**
 * Block reads covering `registers`: grouped by table, in address order, a definition joins the
 * open block when it starts at most `maxGap` after the block's end and the block stays within the
 * limit. A multi-register value is never split across two reads.
 */
export function planReads(registers: readonly RegisterDef[], opts: PlanOptions = {}): ReadBlock[] {
  const maxRegisters = Math.min(opts.maxRegisters ?? MAX_READ_REGISTERS, MAX_READ_REGISTERS);
  const maxBits = Math.min(opts.maxBits ?? MAX_READ_BITS, MAX_READ_BITS);
  const maxGap = Math.max(0, opts.maxGap ?? 0);
  const blocks: ReadBlock[] = [];
  const tables: RegisterType[] = ['coil', 'discrete', 'holding', 'input'];
  for (const registerType of tables) {
    const limit = isBitType(registerType) ? maxBits : maxRegisters;
    const sorted = registers.filter((d) => d.register_type === registerType).sort((a, b) => a.address - b.address);
    let open: ReadBlock | undefined;
    for (const def of sorted) {
      const end = def.address + registerWidth(def);
      if (open && def.address - (open.address + open.count) <= maxGap && end - open.address <= limit) {
        open.count = Math.max(open.count, end - open.address);
        open.registers.push(def);
        continue;
      }
      open = { register_type: registerType, address: def.address, count: registerWidth(def), registers: [def] };
      blocks.push(open);
    }
  }
  return blocks;
}

/** The fallback when a block read is refused: one read per register of the block. */
export function singleReads(block: ReadBlock): ReadBlock[] {
  return block.registers.map((def) => ({ register_type: block.register_type, address: def.address, count: registerWidth(def), registers: [def] }));
}

/**
 * Slack on an interval, so that a register whose interval equals the poll interval is due on
 * every tick although timers fire a little early or late: a tenth of the interval, at most 1 s.
 */
export function dueSlackMs(intervalMs: number): number {
  return Math.min(1000, intervalMs / 10);
}

/**
 * The registers due at `now` (ms): never read yet, or read at least their interval (or the poll
 * node's `defaultIntervalS`) ago, less the slack of dueSlackMs. `lastPolled` maps register name to
 * the time (ms) it was last read; the caller records the times of the reads it makes.
 */
export function dueRegisters(
  registers: readonly RegisterDef[],
  now: number,
  lastPolled: ReadonlyMap<string, number>,
  defaultIntervalS: number,
): RegisterDef[] {
  return registers.filter((def) => {
    const last = lastPolled.get(def.name);
    if (last === undefined) return true;
    const intervalMs = (def.interval_s ?? defaultIntervalS) * 1000;
    return now - last >= intervalMs - dueSlackMs(intervalMs);
  });
}
