// Values from the words (or bits) a block read returned: data type, word order, byte order,
// scale and offset; NaN, infinities and values outside a register's range are left out and
// reported, never passed on.
// Pure: no Node-RED import.
import type { ReadBlock } from './block-plan';
import { isBitType, registerWidth, type RegisterDef } from './register-map';

/** nan: NaN or infinite; out_of_range: outside min/max after scaling; unavailable: the register's `unavailable` raw value */
export type RejectReason = 'nan' | 'out_of_range' | 'unavailable';

export interface DecodedBlock {
  values: Record<string, number | boolean>;
  rejected: Array<{ register: string; reason: RejectReason; raw?: number }>;
}

/** The register's words as bytes in big-endian order (most significant first). */
function bytesOf(def: RegisterDef, words: readonly number[]): DataView {
  const ordered = def.word_order === 'little' ? [...words].reverse() : words;
  const view = new DataView(new ArrayBuffer(ordered.length * 2));
  ordered.forEach((word, i) => {
    const swapped = def.byte_order === 'little' ? ((word & 0xff) << 8) | ((word >> 8) & 0xff) : word & 0xffff;
    view.setUint16(i * 2, swapped);
  });
  return view;
}

/** The register's value before scale and offset. 64-bit integers beyond 2^53 lose their last digits. */
export function rawValue(def: RegisterDef, words: readonly number[]): number {
  const view = bytesOf(def, words);
  switch (def.data_type) {
    case 'int16':
      return view.getInt16(0);
    case 'uint16':
      return view.getUint16(0);
    case 'int32':
      return view.getInt32(0);
    case 'uint32':
      return view.getUint32(0);
    case 'float32':
      return view.getFloat32(0);
    case 'int64':
      return Number(view.getBigInt64(0));
    case 'uint64':
      return Number(view.getBigUint64(0));
    case 'float64':
      return view.getFloat64(0);
    default:
      throw new Error(`${def.name}: data_type ${def.data_type} is not a register value`);
  }
}

/**
 * raw * scale + offset. A scale like 0.1 divides by 10 instead, and the result is rounded to 15
 * significant digits, so that 215 at scale 0.1 reads 21.5 and not 21.500000000000004.
 */
export function scaled(def: Pick<RegisterDef, 'scale' | 'offset'>, raw: number): number {
  if (def.scale === 1 && def.offset === 0) return raw;
  const divisor = 1 / def.scale;
  const value = Math.abs(divisor - Math.round(divisor)) < 1e-9 && Math.abs(def.scale) < 1 ? raw / Math.round(divisor) : raw * def.scale;
  return Number((value + def.offset).toPrecision(15));
}

/**
 * Decodes a block read: `data` holds the block's words (uint16) for holding/input, its bits for
 * coil/discrete, from `block.address` on. A register whose value is NaN or infinite, its
 * `unavailable` raw value, or outside its min/max after scaling, is left out of `values` and
 * listed in `rejected`.
 */
export function decodeBlock(block: ReadBlock, data: readonly number[] | readonly boolean[]): DecodedBlock {
  const decoded: DecodedBlock = { values: {}, rejected: [] };
  for (const def of block.registers) {
    const start = def.address - block.address;
    const width = registerWidth(def);
    if (start < 0 || start + width > data.length) {
      throw new RangeError(`${def.name}: block ${block.register_type} ${block.address}+${data.length} does not cover address ${def.address}`);
    }
    if (isBitType(block.register_type)) {
      decoded.values[def.name] = Boolean(data[start]);
      continue;
    }
    const raw = rawValue(def, (data as readonly number[]).slice(start, start + width));
    if (!Number.isFinite(raw)) {
      decoded.rejected.push({ register: def.name, reason: 'nan', raw });
      continue;
    }
    if (raw === def.unavailable) {
      decoded.rejected.push({ register: def.name, reason: 'unavailable', raw });
      continue;
    }
    const value = scaled(def, raw);
    if (!Number.isFinite(value)) decoded.rejected.push({ register: def.name, reason: 'nan', raw });
    else if ((def.min !== undefined && value < def.min) || (def.max !== undefined && value > def.max)) {
      decoded.rejected.push({ register: def.name, reason: 'out_of_range', raw });
    } else decoded.values[def.name] = value;
  }
  return decoded;
}
