// Register maps from the register lists NIBE pumps export, so a user imports their own pump's file:
// - F series, NIBE ModbusManager export: four title lines (ModbusManager version, date,
//   "Product: F1145, F1245", database), then `Title;Info;ID;Unit;Size;Factor;Min;Max;Default;Mode`,
//   semicolon-separated, Latin-1, IDs 4xxxx (holding), 3xxxx (input), 1xxxx (discrete), below 10000 (coil).
// - S series, the pump's USB export: tab-separated `Title, Register type, Register, Division factor,
//   Unit, Size of variable, Min value, Max value, Default value`, register types MODBUS_*_REGISTER,
//   zero-based registers, sizes as codes 1..6 (s8, s16, s32, u8, u16, u32) or as names.
// Factor divides; min/max are raw (divided by the factor here) and unset when equal; R/W (F) or a
// holding register / coil (S) is a setting. NIBE marks a missing sensor with the type's extreme
// value (s16 -32768, u16 65535, ...), set here as `unavailable`.
// Pure: no Node-RED import.
import { err, ok, type Result } from '../shared/result';
import { parseCsv, snakeCase } from './csv';
import { validateMap, type DataType, type MapProblem, type Order, type RegisterDef, type RegisterMap, type RegisterType } from './register-map';

export interface NibeCsvOptions {
  /**
   * Order of the two registers of a 32-bit value. NIBE pumps send the low word first while their
   * "word swap" setting (F series service menu 5.3.11) is on, as it is by default: 'little'.
   */
  wordOrder?: Order;
}

type NibeSize = 's8' | 's16' | 's32' | 'u8' | 'u16' | 'u32';

const SIZE_CODES: Record<string, NibeSize> = { 1: 's8', 2: 's16', 3: 's32', 4: 'u8', 5: 'u16', 6: 'u32' };
const SIZES: Record<NibeSize, { data_type: DataType; unavailable: number }> = {
  s8: { data_type: 'int16', unavailable: -0x80 },
  s16: { data_type: 'int16', unavailable: -0x8000 },
  s32: { data_type: 'int32', unavailable: -0x80000000 },
  u8: { data_type: 'uint16', unavailable: 0xff },
  u16: { data_type: 'uint16', unavailable: 0xffff },
  u32: { data_type: 'uint32', unavailable: 0xffffffff },
};
const S_REGISTER_TYPES: Record<string, { type: RegisterType; base: number }> = {
  MODBUS_COIL: { type: 'coil', base: 1 },
  MODBUS_DISCRETE_INPUT: { type: 'discrete', base: 10001 },
  MODBUS_INPUT_REGISTER: { type: 'input', base: 30001 },
  MODBUS_HOLDING_REGISTER: { type: 'holding', base: 40001 },
};

/** The text of an export file: UTF-8 when it is valid UTF-8, else Latin-1 (what ModbusManager writes). */
export function nibeCsvText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('latin1').decode(bytes);
  }
}

/** The NIBE number of a register (4xxxx, 3xxxx, 1xxxx, coil below 10000): table and zero-based address. */
function fromNibeId(id: number): { type: RegisterType; address: number } | undefined {
  const table: Record<number, RegisterType> = { 0: 'coil', 1: 'discrete', 3: 'input', 4: 'holding' };
  const type = table[Math.floor(id / 10000)];
  const address = (id % 10000) - 1;
  return type && address >= 0 ? { type, address } : undefined;
}

/** A number cell; empty and "-" (the S-series export's "not given") are undefined, anything else not a number NaN. */
function numberOf(text: string | undefined): number | undefined {
  const trimmed = (text ?? '').trim();
  if (trimmed === '' || trimmed === '-') return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : Number.NaN;
}

/**
 * A register map from a NIBE export (F-series ModbusManager or S-series USB export, told apart by
 * their header). Metric names are the title in snake_case with the NIBE register number appended
 * (titles repeat); unnamed rows ("-", "id:NNN") are left out and counted in the map's description.
 * Every problem names its line.
 */
export function parseNibeCsv(text: string, model?: string, opts: NibeCsvOptions = {}): Result<RegisterMap, MapProblem[]> {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerIndex = lines.findIndex((line) => /^"?Title"?[;\t]/.test(line));
  if (headerIndex < 0) return err([{ message: 'not a NIBE register export: no header line starting with "Title" (ModbusManager or S-series USB export)' }]);
  const product = lines.slice(0, headerIndex).find((line) => line.startsWith('Product:'));
  const delimiter = (lines[headerIndex] ?? '').includes('\t') ? '\t' : ';';
  const [header = [], ...rows] = parseCsv(lines.slice(headerIndex).join('\n'), delimiter);
  const columns = header.map((h) => h.trim().toLowerCase());
  const column = (...names: string[]): number => columns.findIndex((c) => names.includes(c));
  const c = {
    title: column('title'),
    info: column('info'),
    id: column('id'),
    registerType: column('register type'),
    register: column('register'),
    unit: column('unit'),
    size: column('size', 'size of variable'),
    factor: column('factor', 'division factor'),
    min: column('min', 'min value'),
    max: column('max', 'max value'),
    mode: column('mode'),
  };
  const sSeries = c.registerType >= 0 && c.register >= 0;
  const missing = Object.entries({ title: c.title, unit: c.unit, size: c.size, factor: c.factor, min: c.min, max: c.max })
    .filter(([, index]) => index < 0)
    .map(([name]) => name);
  if (!sSeries && c.id < 0) missing.push('ID (or Register type and Register)');
  if (missing.length > 0) return err([{ message: `NIBE export header lacks the column(s) ${missing.join(', ')}` }]);

  const wordOrder = opts.wordOrder ?? 'little';
  const problems: MapProblem[] = [];
  const registers: RegisterDef[] = [];
  let unnamed = 0;
  rows.forEach((row, index) => {
    if (row.every((cell) => cell.trim() === '')) return;
    const lineNo = headerIndex + index + 2;
    const cell = (i: number): string => (i >= 0 ? (row[i] ?? '').trim() : '');
    const title = cell(c.title);
    if (title === '' || title === '-' || title.startsWith('id:')) {
      unnamed++;
      return;
    }
    const at = `line ${lineNo} "${title}"`;
    let place: { type: RegisterType; address: number } | undefined;
    let id: number;
    if (sSeries) {
      const table = S_REGISTER_TYPES[cell(c.registerType)];
      const register = numberOf(cell(c.register));
      if (!table || register === undefined || !Number.isInteger(register)) {
        problems.push({ register: title, message: `${at}: register type "${cell(c.registerType)}" / register "${cell(c.register)}" is not a NIBE register` });
        return;
      }
      place = { type: table.type, address: register };
      id = table.base + register;
    } else {
      id = numberOf(cell(c.id)) ?? Number.NaN;
      place = Number.isInteger(id) ? fromNibeId(id) : undefined;
      if (!place) {
        problems.push({ register: title, message: `${at}: ID "${cell(c.id)}" is not a NIBE register number (4xxxx, 3xxxx, 1xxxx or a coil)` });
        return;
      }
    }
    const sizeText = cell(c.size).toLowerCase();
    // S-series exports give no size ("-") for dates and times; NIBE's own tools read those as u16
    const sizeMissing = sizeText === '-' || sizeText === '';
    const size: NibeSize | undefined = sizeMissing ? 'u16' : (SIZE_CODES[sizeText.replace(/\.0$/, '')] ?? (sizeText in SIZES ? (sizeText as NibeSize) : undefined));
    const factor = numberOf(cell(c.factor));
    const min = numberOf(cell(c.min));
    const max = numberOf(cell(c.max));
    // metric names stay within 64 characters; the register number keeps them unique
    const name = `${snakeCase(title).slice(0, 56).replace(/_+$/, '') || 'register'}_${id}`;
    const bits = place.type === 'coil' || place.type === 'discrete';
    if (!bits && !size) problems.push({ register: name, message: `${at}: size "${cell(c.size)}" is not s8, s16, s32, u8, u16, u32 or 1..6` });
    if (factor === undefined || !(factor > 0)) problems.push({ register: name, message: `${at}: factor "${cell(c.factor)}" is not a number above 0` });
    if (Number.isNaN(min) || Number.isNaN(max)) problems.push({ register: name, message: `${at}: min "${cell(c.min)}" / max "${cell(c.max)}" are not numbers` });
    if ((!bits && !size) || factor === undefined || !(factor > 0) || Number.isNaN(min) || Number.isNaN(max)) return;

    const info = cell(c.info);
    const def: RegisterDef = {
      name,
      address: place.address,
      register_type: place.type,
      data_type: bits ? 'bool' : SIZES[size as NibeSize].data_type,
      scale: 1 / factor,
      offset: 0,
      word_order: wordOrder,
      byte_order: 'big',
      description: `${id} ${title}${info ? `: ${info}` : ''}${sizeMissing && !bits ? ' (the export gives no size: read as u16)' : ''}`,
    };
    const unit = cell(c.unit);
    if (unit) def.unit = unit;
    if (!bits) def.unavailable = SIZES[size as NibeSize].unavailable;
    if (min !== undefined && max !== undefined && min !== max) {
      def.min = min / factor;
      def.max = max / factor;
    }
    const mode = cell(c.mode).toUpperCase();
    if (mode === 'R/W' || (c.mode < 0 && (place.type === 'holding' || place.type === 'coil'))) def.setting = true;
    registers.push(def);
  });
  if (problems.length > 0) return err(problems);
  if (registers.length === 0) return err([{ message: 'the NIBE export lists no registers' }]);

  const source = product ? product.replace(/^Product:\s*/, '') : sSeries ? 'S-series USB export' : 'ModbusManager export';
  const map: RegisterMap = {
    model: model ?? `nibe-${snakeCase(source).replace(/_/g, '-')}`,
    description: `NIBE ${source}: ${registers.length} registers${unnamed > 0 ? `, ${unnamed} unnamed rows ("-", "id:NNN") left out` : ''}`,
    registers,
  };
  const invalid = validateMap(map);
  return invalid.length > 0 ? err(invalid) : ok(map);
}
