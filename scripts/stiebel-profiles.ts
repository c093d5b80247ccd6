// Generates the shipped Stiebel Eltron ISG profiles (nodes/modbus-poll/profiles/stiebel-eltron-isg-
// {wpm,lwz}.yml) from the ISG register tables of python-stiebel-eltron (MIT, copied into
// test/fixtures/modbus/stiebel_eltron_isg/). Run `npm run build && node dist/scripts/stiebel-profiles.js`;
// test/unit/modbus-profiles.test.ts checks that the committed YAML is what this writes.
import fs from 'node:fs';
import path from 'node:path';
import { parseCsv, snakeCase } from '../nodes/modbus-poll/csv';
import { projectRoot } from './lib/shipped-flows';

export type StiebelKind = 'wpm' | 'lwz';

export const STIEBEL_CSV_DIR = path.join(projectRoot, 'test', 'fixtures', 'modbus', 'stiebel_eltron_isg');
export const STIEBEL_PROFILE_DIR = path.join(projectRoot, 'nodes', 'modbus-poll', 'profiles');

/** The ISG tables each profile is made of: values, state, energy and system information (input registers), parameters (holding). */
export const STIEBEL_TABLES: Record<StiebelKind, string[]> = {
  wpm: ['wpm_system_values.csv', 'wpm_system_state.csv', 'wpm_energy_data.csv', 'wpm_energy_system_information.csv', 'wpm_system_parameters.csv'],
  lwz: ['lwz_system_values.csv', 'lwz_system_state.csv', 'lwz_energy_data.csv', 'lwz_energy_system_information.csv', 'lwz_system_parameters.csv'],
};

/** One row of an ISG table, by column meaning (the two controllers' tables differ in their model columns). */
export interface StiebelRow {
  /** one-based, as the Stiebel documentation numbers them */
  address: number;
  designation: string;
  comments: string;
  min?: number;
  max?: number;
  typeCode: number;
  unit: string;
  writable: boolean;
  suffix: string;
  file: string;
}

// Commands, not state: reading them tells nothing and the poll node never writes.
const COMMANDS = new Set(['RESET', 'RESTART ISG']);

// The key metrics get the names the rest of the product uses (one-based address -> name).
const KEY_NAMES: Record<StiebelKind, Record<number, string>> = {
  wpm: {
    507: 'outdoor_temperature',
    515: 'flow_temperature',
    516: 'return_temperature',
    518: 'buffer_temperature',
    520: 'heating_pressure',
    521: 'flow_rate',
    522: 'dhw_temperature',
    523: 'dhw_set_temperature',
    536: 'source_temperature',
    538: 'source_pressure',
    539: 'hot_gas_temperature',
    540: 'high_pressure',
    541: 'low_pressure',
  },
  lwz: {
    7: 'outdoor_temperature',
    12: 'flow_temperature',
    13: 'return_temperature',
    14: 'heating_pressure',
    15: 'flow_rate',
    16: 'dhw_temperature',
    17: 'dhw_set_temperature',
    28: 'hot_gas_temperature',
    29: 'high_pressure',
    30: 'low_pressure',
  },
};

// German abbreviations of the designations, in English (VD = Verdichter, NHZ = Nachheizung, ...).
const WORDS: Array<[RegExp, string]> = [
  [/\bVD\b/g, 'compressor'],
  [/\bNHZ\b/g, 'booster_heater'],
  [/\bHZG\b/g, 'heating'],
  [/\bHTG\b/g, 'heating'],
  [/\bWW\b/g, 'dhw'],
  [/\bDWH\b/g, 'dhw'],
  [/\bHK ?(\d)/g, 'hc$1'],
  [/\bHC ?(\d)/g, 'hc$1'],
  [/\bCC ?(\d)/g, 'cc$1'],
  [/\bHP ?(\d)/g, 'hp$1'],
  [/\bWP\b/g, 'heat_pump'],
  [/\bTTL\b/g, 'total'],
  [/\bHEAT M\b/g, 'heat_meter'],
  [/\bHM\b/g, 'heat_meter'],
  [/\bPWR CON\b/g, 'power_consumption'],
  [/\bROOM T\b/g, 'room_temperature'],
  [/\bTEMP\b/g, 'temperature'],
  [/\bT\b/g, 'temperature'],
];

/** ISG data type codes (the Stiebel Modbus manual's table, quoted in python-stiebel-eltron). */
export const STIEBEL_TYPES: Record<number, { data_type: 'int16' | 'uint16'; scale: number; meaning: string }> = {
  2: { data_type: 'int16', scale: 0.1, meaning: 'signed, x0.1 (-3276.8..3276.7)' },
  6: { data_type: 'uint16', scale: 1, meaning: 'unsigned (0..65535)' },
  7: { data_type: 'int16', scale: 0.01, meaning: 'signed, x0.01 (-327.68..327.67)' },
  8: { data_type: 'uint16', scale: 1, meaning: 'unsigned 8 bit in one register (0..255)' },
};

function english(text: string): string {
  return WORDS.reduce((out, [pattern, word]) => out.replace(pattern, word), text.toUpperCase());
}

function number(text: string | undefined): number | undefined {
  const trimmed = (text ?? '').trim();
  return trimmed === '' ? undefined : Number(trimmed);
}

/** The rows of one ISG table. Columns are found by header, so both controllers' layouts read alike. */
export function readStiebelTable(file: string, text: string): StiebelRow[] {
  const [header, ...rows] = parseCsv(text, ',').filter((row) => row.some((cell) => cell.trim() !== ''));
  if (!header) return [];
  const column = (start: string): number => {
    const index = header.findIndex((h) => h.replace(/\s+/g, ' ').trim().toLowerCase().startsWith(start));
    if (index < 0) throw new Error(`${file}: no column "${start}"`);
    return index;
  };
  const c = {
    address: column('modbus address'),
    designation: column('object designation'),
    comments: column('comments'),
    min: column('min. value'),
    max: column('max. value'),
    type: column('data type'),
    unit: column('unit'),
    mode: column('write'),
    suffix: column('suffix'),
  };
  return rows.map((row) => ({
    address: Number(row[c.address]),
    designation: (row[c.designation] ?? '').trim(),
    comments: (row[c.comments] ?? '').trim(),
    min: number(row[c.min]),
    max: number(row[c.max]),
    typeCode: Number(row[c.type]),
    unit: (row[c.unit] ?? '').trim(),
    writable: (row[c.mode] ?? '').trim().toLowerCase() === 'r/w',
    suffix: (row[c.suffix] ?? '').trim(),
    file,
  }));
}

/** The metric name of a row: the key name, or the designation in English snake_case with its suffix. */
export function stiebelName(kind: StiebelKind, row: StiebelRow): string {
  const key = KEY_NAMES[kind][row.address];
  if (key) return key;
  let suffix = row.suffix.toUpperCase().replace('CONSUMEDHP', 'CONSUMED HP');
  const part = (pattern: RegExp): boolean => {
    const found = pattern.test(suffix);
    suffix = suffix.replace(pattern, ' ');
    return found;
  };
  const low = part(/\bLOW\b/);
  const high = part(/\bHI\b/);
  const consumed = part(/\bCONSUMED\b/) || /power consumption/i.test(row.comments);
  const produced = !consumed && /amount of heat/i.test(row.comments);
  const words = [english(suffix), consumed ? 'consumed' : produced ? 'produced' : '', english(row.designation)];
  const energy = /^[km]wh$/i.test(row.unit);
  // operating hours say so: "VD HEATING" in hours is the compressor's heating runtime
  if (row.unit === 'h' && !/RUNTIME/i.test(row.designation)) words.push('runtime');
  if (low) words.push(energy ? row.unit : 'low');
  if (high) words.push(energy ? row.unit : 'high');
  // a room-temperature suffix repeats what the designation says
  return snakeCase(words.join(' ')).replace(/^room_temperature_(hc\d|cooling\d)_(.*)$/, 'room_$1_$2');
}

export interface StiebelRegister {
  row: StiebelRow;
  name: string;
  register_type: 'input' | 'holding';
  data_type: 'int16' | 'uint16';
  scale: number;
  /** the raw value the ISG sends for an object the controller does not have (0x8000); none for bit-coded words, where bit 15 is a state */
  unavailable?: number;
}

/** The registers of a profile, in table order; commands are left out. */
export function stiebelRegisters(kind: StiebelKind, tables: Record<string, string>): StiebelRegister[] {
  const seen = new Set<string>();
  const out: StiebelRegister[] = [];
  for (const file of STIEBEL_TABLES[kind]) {
    const text = tables[file];
    if (text === undefined) throw new Error(`missing ISG table ${file}`);
    for (const row of readStiebelTable(file, text)) {
      if (COMMANDS.has(row.designation)) continue;
      const type = STIEBEL_TYPES[row.typeCode];
      if (!type) throw new Error(`${file}: ${row.address} ${row.designation}: unknown ISG data type ${row.typeCode}`);
      // a status documented with negative values (BUS STATUS -4..0) is a signed word
      const dataType = type.data_type === 'uint16' && row.min !== undefined && row.min < 0 ? 'int16' : type.data_type;
      let name = stiebelName(kind, row);
      if (seen.has(name)) name = `${name}_${row.address}`;
      seen.add(name);
      const register: StiebelRegister = { row, name, register_type: row.writable ? 'holding' : 'input', data_type: dataType, scale: type.scale };
      if (!/bit-coded/i.test(row.comments)) register.unavailable = dataType === 'int16' ? -0x8000 : 0x8000;
      out.push(register);
    }
  }
  return out;
}

const MODEL_TEXT: Record<StiebelKind, { description: string; controllers: string }> = {
  wpm: { description: 'Stiebel Eltron heat pump manager WPMsystem / WPM 3 / WPM 3i through the ISG web Modbus TCP server', controllers: 'WPMsystem, WPM 3, WPM 3i' },
  lwz: { description: 'Stiebel Eltron / Tecalor integral ventilation units LWZ / LWA through the ISG web Modbus TCP server', controllers: 'LWZ, LWA' },
};

// Flow temperature beyond 60 / 65 °C is above what these heat pumps deliver to a heating circuit.
const ALERTS = [
  '    alerts:',
  '      - {name: flow_temperature_high, label: "Flow temperature high", metric: flow_temperature, direction: above, warning: 60, critical: 65, hysteresis: 2}',
];

function yamlString(text: string): string {
  return JSON.stringify(text);
}

/** The profile YAML of one controller family, from the ISG tables (file name -> CSV text). */
export function stiebelProfileYaml(kind: StiebelKind, tables: Record<string, string>): string {
  const model = `stiebel-eltron-isg-${kind}`;
  const text = MODEL_TEXT[kind];
  const lines = [
    `# ${model}: ${text.description}.`,
    '# GENERATED by scripts/stiebel-profiles.ts from the ISG register tables of',
    '# github.com/pail23/python-stiebel-eltron (api/*.csv, MIT licence, copied with their licence into',
    '# test/fixtures/modbus/stiebel_eltron_isg/), which transcribe the Stiebel Eltron ISG Modbus manual.',
    '# Do not edit: change the generator and run `npm run build && node dist/scripts/stiebel-profiles.js`.',
    '#',
    '# Addresses: the manual numbers registers from 1; these are zero-based PDU addresses (manual - 1).',
    '# Each description starts with the manual\'s address and designation.',
    '# Register types: values, state, energy and system information are input registers (FC 4);',
    '# parameters are holding registers (FC 3), marked `setting: true` so that changes are reported.',
    '# The RESET and RESTART ISG commands are left out: they are not state, and nothing here writes.',
    '# ISG data type codes (manual table "Data types"):',
    ...Object.entries(STIEBEL_TYPES).map(([code, t]) => `#   ${code} = ${t.meaning} -> ${t.data_type}${t.scale === 1 ? '' : `, scale ${t.scale}`}`),
    '#   A type 6 whose documented minimum is negative (BUS STATUS -4..0) is read as int16.',
    '# `unavailable`: the ISG answers 0x8000 for an object this controller does not have; such a value',
    '# is left out and counted, never stored (not for bit-coded status words, where 0x8000 is bit 15 set).',
    '# Settings carry the manual\'s value range as min/max (a value outside is left out and counted);',
    '# for measured values the range is only quoted in the description,',
    '# as the manual\'s ranges are not always plausible limits (e.g. ACTUAL TEMPERATURE HK 1 0..40).',
    '# Energy totals come as two registers, as the ISG sends them: ..._kwh (LOW word, 0..999 kWh) and',
    '# ..._mwh (HI word, MWh): the total in kWh is mwh * 1000 + kwh. COMPRESSOR STARTS likewise',
    '# (..._high * 1000 + ..._low).',
    `# Controllers covered: ${text.controllers}; the manual marks which controller has which object.`,
    '# Alerts: flow temperature above 60 / 65 °C (warning / critical) is beyond what these heat pumps',
    '# deliver. No high-pressure default: its limit depends on the refrigerant of the installed unit.',
    'models:',
    `  ${model}:`,
    `    description: ${yamlString(text.description)}`,
    '    registers:',
  ];
  let file = '';
  for (const reg of stiebelRegisters(kind, tables)) {
    if (reg.row.file !== file) {
      file = reg.row.file;
      lines.push(`      # ${file}`);
    }
    const { row } = reg;
    const setting = reg.register_type === 'holding';
    const range = row.min !== undefined || row.max !== undefined ? ` [manual range ${row.min ?? ''}..${row.max ?? ''}]` : '';
    const description = `${row.address} ${row.designation}${row.suffix ? ` (${row.suffix})` : ''}${row.comments ? `: ${row.comments}` : ''}${setting ? '' : range}`;
    const fields = [
      `name: ${reg.name}`,
      `address: ${row.address - 1}`,
      `register_type: ${reg.register_type}`,
      `data_type: ${reg.data_type}`,
      ...(row.unit ? [`unit: ${yamlString(row.unit)}`] : []),
      ...(reg.scale === 1 ? [] : [`scale: ${reg.scale}`]),
      ...(setting && row.min !== undefined ? [`min: ${row.min}`] : []),
      ...(setting && row.max !== undefined ? [`max: ${row.max}`] : []),
      ...(reg.unavailable === undefined ? [] : [`unavailable: ${reg.unavailable}`]),
      ...(setting ? ['setting: true'] : []),
      `description: ${yamlString(description)}`,
    ];
    lines.push(`      - {${fields.join(', ')}}`);
  }
  lines.push(...ALERTS);
  return `${lines.join('\n')}\n`;
}

/** The ISG tables of a profile read from `dir`. */
export function readStiebelTables(kind: StiebelKind, dir = STIEBEL_CSV_DIR): Record<string, string> {
  return Object.fromEntries(STIEBEL_TABLES[kind].map((file) => [file, fs.readFileSync(path.join(dir, file), 'utf8')]));
}

if (require.main === module) {
  for (const kind of ['wpm', 'lwz'] as const) {
    const file = path.join(STIEBEL_PROFILE_DIR, `stiebel-eltron-isg-${kind}.yml`);
    fs.writeFileSync(file, stiebelProfileYaml(kind, readStiebelTables(kind)));
    console.log(`wrote ${path.relative(projectRoot, file)}`);
  }
}
