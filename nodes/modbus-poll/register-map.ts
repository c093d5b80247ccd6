// Register maps and heat pump lists in HPManager's YAML format (registers.yml, heatpumps.yml), read as they are, plus
// the fields the poll node adds (offset, word/byte order, per-register interval, settings, range,
// per-model alert defaults). Every problem names the model and register it is about.
// Pure: no Node-RED import, no clock.
import { parseDocument } from 'yaml';
import { METRIC_NAME_PATTERN } from '../shared/contract';
import { deviceIdProblem } from '../shared/device-id';
import { err, ok, type Result } from '../shared/result';

export type RegisterType = 'holding' | 'input' | 'coil' | 'discrete';
export type DataType = 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'int64' | 'uint64' | 'float64' | 'bool';
export type Order = 'big' | 'little';

export const REGISTER_TYPES: readonly RegisterType[] = ['holding', 'input', 'coil', 'discrete'];
export const DATA_TYPES: readonly DataType[] = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'int64', 'uint64', 'float64', 'bool'];

export interface RegisterDef {
  /** metric name, unique in a map (HPManager names are kept as given) */
  name: string;
  /** zero-based PDU address 0..65535 (HPManager addresses are used as given) */
  address: number;
  register_type: RegisterType;
  /** coil/discrete are 'bool' */
  data_type: DataType;
  unit?: string;
  /** value = raw * scale + offset */
  scale: number;
  offset: number;
  /** 'big': the first register holds the most significant word */
  word_order: Order;
  /** 'big': the high byte comes first in each register (the Modbus standard) */
  byte_order: Order;
  /** per-register poll interval; undefined = the poll node's interval */
  interval_s?: number;
  /** a setpoint / mode / curve: reported as a change when it changes */
  setting?: boolean;
  /** plausible range after scaling: a value outside is left out and counted */
  min?: number;
  max?: number;
  /** the raw value (before scale) the device sends for "no value", e.g. 0x8000 on a Stiebel ISG: left out and counted */
  unavailable?: number;
  description?: string;
}

/** A default alert rule of a model, in the rule shape threshold-alert's editor list takes (rules.ts parseRules). */
export interface ProfileAlertRule {
  name: string;
  label: string;
  /** the register (metric) name the rule watches */
  metric: string;
  direction: 'above' | 'below';
  warning: number;
  critical: number;
  hysteresis: number;
  forSeconds: number;
  enabled: boolean;
}

export interface RegisterMap {
  model: string;
  description?: string;
  registers: RegisterDef[];
  /** per-model default alert rules (`alerts:` in the YAML) */
  alerts?: ProfileAlertRule[];
}

export interface MapProblem {
  register?: string;
  /** names the model and register it is about */
  message: string;
}

export interface ModbusSettings {
  type: 'tcp' | 'rtu';
  host?: string;
  port?: number;
  serial_port?: string;
  baudrate?: number;
  parity?: 'none' | 'even' | 'odd';
  stopbits?: 1 | 2;
  bytesize?: 7 | 8;
  unit_id: number;
  timeout_s: number;
  retries: number;
}

export interface HeatpumpEntry {
  id: string;
  name?: string;
  location?: string;
  model: string;
  enabled: boolean;
  modbus: ModbusSettings;
}

/** Registers (16-bit words) a data type spans; 1 for bool (one bit of a coil/discrete table). */
export function dataTypeWidth(dataType: DataType): number {
  switch (dataType) {
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'int64':
    case 'uint64':
    case 'float64':
      return 4;
    default:
      return 1;
  }
}

/** Registers (or bits, for coil/discrete) one register definition occupies. */
export function registerWidth(def: Pick<RegisterDef, 'data_type'>): number {
  return dataTypeWidth(def.data_type);
}

export function isBitType(registerType: RegisterType): boolean {
  return registerType === 'coil' || registerType === 'discrete';
}

const REGISTER_KEYS = new Set([
  'name', 'address', 'register_type', 'data_type', 'unit', 'scale', 'offset', 'word_order', 'byte_order',
  'interval_s', 'setting', 'min', 'max', 'unavailable', 'description',
]);
const MODEL_KEYS = new Set(['description', 'registers', 'alerts']);
const ALERT_KEYS = new Set(['name', 'label', 'metric', 'direction', 'warning', 'critical', 'hysteresis', 'forSeconds', 'enabled']);
const RULE_NAME = /^[a-z][a-z0-9_]{0,39}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function where(model: string, register: string): string {
  return `model "${model}", register "${register}"`;
}

/** Parses a YAML text, reporting syntax errors with their line. */
function parseYaml(text: string): Result<unknown, MapProblem[]> {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    // the first line of a pretty error says what and where ("... at line 3, column 1:"); the rest is a code excerpt
    return err(doc.errors.map((e) => ({ message: `YAML syntax error: ${(e.message.split('\n')[0] ?? '').replace(/:$/, '')}` })));
  }
  return ok(doc.toJS());
}

/** One register of the YAML, with defaults filled; problems name the register. */
function readRegister(model: string, raw: unknown, index: number, problems: MapProblem[]): RegisterDef | undefined {
  if (!isRecord(raw)) {
    problems.push({ message: `model "${model}", register ${index + 1}: not a mapping of fields` });
    return undefined;
  }
  const label = typeof raw.name === 'string' && raw.name !== '' ? raw.name : `#${index + 1}`;
  const at = where(model, label);
  const before = problems.length;
  const problem = (message: string): void => {
    problems.push({ register: label, message: `${at}: ${message}` });
  };

  for (const key of Object.keys(raw)) if (!REGISTER_KEYS.has(key)) problem(`unknown field "${key}"`);
  for (const key of ['name', 'address', 'register_type'] as const) if (raw[key] === undefined || raw[key] === null) problem(`missing field "${key}"`);
  if (raw.name !== undefined && (typeof raw.name !== 'string' || !METRIC_NAME_PATTERN.test(raw.name))) {
    problem('name must be 1 to 64 of A-Z a-z 0-9 _ (it becomes a metric name)');
  }
  if (raw.address !== undefined && raw.address !== null && !(Number.isInteger(raw.address) && (raw.address as number) >= 0 && (raw.address as number) <= 65535)) {
    problem(`address ${JSON.stringify(raw.address)} is not a whole number 0..65535`);
  }
  const registerType = raw.register_type;
  if (registerType !== undefined && registerType !== null && !REGISTER_TYPES.includes(registerType as RegisterType)) {
    problem(`unknown register_type ${JSON.stringify(registerType)} (holding, input, coil, discrete)`);
  }
  const bits = isBitType(registerType as RegisterType);
  let dataType = raw.data_type;
  if (dataType === undefined || dataType === null) {
    if (bits) dataType = 'bool';
    else if (REGISTER_TYPES.includes(registerType as RegisterType)) problem('missing field "data_type"');
  } else if (!DATA_TYPES.includes(dataType as DataType)) {
    problem(`unknown data_type ${JSON.stringify(dataType)} (${DATA_TYPES.join(', ')})`);
  }
  for (const key of ['word_order', 'byte_order'] as const) {
    if (raw[key] !== undefined && raw[key] !== 'big' && raw[key] !== 'little') problem(`${key} must be "big" or "little"`);
  }
  for (const key of ['scale', 'offset', 'min', 'max', 'interval_s'] as const) {
    if (raw[key] !== undefined && !isFiniteNumber(raw[key])) problem(`${key} must be a number`);
  }
  for (const key of ['unit', 'description'] as const) {
    if (raw[key] !== undefined && raw[key] !== null && typeof raw[key] !== 'string') problem(`${key} must be text`);
  }
  if (raw.setting !== undefined && typeof raw.setting !== 'boolean') problem('setting must be true or false');
  if (raw.unavailable !== undefined && !Number.isInteger(raw.unavailable)) problem('unavailable must be a whole number (the raw value)');
  if (problems.length > before) return undefined;

  const def: RegisterDef = {
    name: raw.name as string,
    address: raw.address as number,
    register_type: registerType as RegisterType,
    data_type: dataType as DataType,
    scale: (raw.scale as number | undefined) ?? 1,
    offset: (raw.offset as number | undefined) ?? 0,
    word_order: (raw.word_order as Order | undefined) ?? 'big',
    byte_order: (raw.byte_order as Order | undefined) ?? 'big',
  };
  if (typeof raw.unit === 'string') def.unit = raw.unit;
  if (raw.interval_s !== undefined) def.interval_s = raw.interval_s as number;
  if (raw.setting !== undefined) def.setting = raw.setting as boolean;
  if (raw.min !== undefined) def.min = raw.min as number;
  if (raw.max !== undefined) def.max = raw.max as number;
  if (raw.unavailable !== undefined) def.unavailable = raw.unavailable as number;
  if (typeof raw.description === 'string') def.description = raw.description;
  return def;
}

function readAlerts(model: string, raw: unknown, problems: MapProblem[]): ProfileAlertRule[] | undefined {
  if (!Array.isArray(raw)) {
    problems.push({ message: `model "${model}": alerts must be a list` });
    return undefined;
  }
  const rules: ProfileAlertRule[] = [];
  for (const [index, entry] of raw.entries()) {
    const label = isRecord(entry) && typeof entry.name === 'string' ? entry.name : `#${index + 1}`;
    const at = `model "${model}", alert "${label}"`;
    if (!isRecord(entry)) {
      problems.push({ message: `${at}: not a mapping of fields` });
      continue;
    }
    const before = problems.length;
    const unknown = Object.keys(entry).find((key) => !ALERT_KEYS.has(key));
    if (unknown !== undefined) problems.push({ message: `${at}: unknown field "${unknown}"` });
    if (typeof entry.name !== 'string' || !RULE_NAME.test(entry.name)) problems.push({ message: `${at}: name must be lower case letters, digits and _` });
    if (typeof entry.metric !== 'string') problems.push({ message: `${at}: missing field "metric"` });
    if (entry.direction !== 'above' && entry.direction !== 'below') problems.push({ message: `${at}: direction must be "above" or "below"` });
    for (const key of ['warning', 'critical'] as const) if (!isFiniteNumber(entry[key])) problems.push({ message: `${at}: ${key} must be a number` });
    for (const key of ['hysteresis', 'forSeconds'] as const) {
      if (entry[key] !== undefined && !(isFiniteNumber(entry[key]) && (entry[key] as number) >= 0)) problems.push({ message: `${at}: ${key} must be a number >= 0` });
    }
    if (entry.enabled !== undefined && typeof entry.enabled !== 'boolean') problems.push({ message: `${at}: enabled must be true or false` });
    if (problems.length > before) continue;
    rules.push({
      name: entry.name as string,
      label: typeof entry.label === 'string' && entry.label.trim() !== '' ? entry.label.trim() : (entry.name as string),
      metric: entry.metric as string,
      direction: entry.direction as 'above' | 'below',
      warning: entry.warning as number,
      critical: entry.critical as number,
      hysteresis: (entry.hysteresis as number | undefined) ?? 0,
      forSeconds: (entry.forSeconds as number | undefined) ?? 0,
      enabled: (entry.enabled as boolean | undefined) ?? true,
    });
  }
  return rules;
}

/** HPManager's registers.yml: `models: <model>: {description, registers: [...], alerts?: [...]}`. */
export function parseRegistersYaml(text: string): Result<Map<string, RegisterMap>, MapProblem[]> {
  const parsed = parseYaml(text);
  if (!parsed.ok) return parsed;
  const root = parsed.value;
  if (!isRecord(root) || !isRecord(root.models)) return err([{ message: 'expected a top-level "models:" mapping of model name to {description, registers}' }]);
  const problems: MapProblem[] = [];
  const maps = new Map<string, RegisterMap>();
  for (const [model, body] of Object.entries(root.models)) {
    if (!isRecord(body)) {
      problems.push({ message: `model "${model}": expected {description, registers}` });
      continue;
    }
    for (const key of Object.keys(body)) if (!MODEL_KEYS.has(key)) problems.push({ message: `model "${model}": unknown field "${key}"` });
    if (body.description !== undefined && body.description !== null && typeof body.description !== 'string') {
      problems.push({ message: `model "${model}": description must be text` });
    }
    if (!Array.isArray(body.registers) || body.registers.length === 0) {
      problems.push({ message: `model "${model}": missing field "registers" (a list of at least one register)` });
      continue;
    }
    const before = problems.length;
    const registers: RegisterDef[] = [];
    for (const [index, raw] of body.registers.entries()) {
      const def = readRegister(model, raw, index, problems);
      if (def) registers.push(def);
    }
    const map: RegisterMap = { model, registers };
    if (typeof body.description === 'string') map.description = body.description;
    if (body.alerts !== undefined && body.alerts !== null) {
      const alerts = readAlerts(model, body.alerts, problems);
      if (alerts) map.alerts = alerts;
    }
    // validateMap's checks need whole registers; only run them once each register read cleanly
    if (problems.length === before) problems.push(...validateMap(map));
    maps.set(model, map);
  }
  return problems.length > 0 ? err(problems) : ok(maps);
}

/**
 * Problems of a register map: unknown types, bad or out-of-range addresses (address + width > 65536),
 * overlapping registers of one table, duplicate names, a scale of 0 or not a number, bool on a
 * register table or a number on a coil/discrete table, min above max, alert rules on unknown metrics.
 */
export function validateMap(map: RegisterMap): MapProblem[] {
  const problems: MapProblem[] = [];
  const seen = new Set<string>();
  for (const def of map.registers) {
    const at = where(map.model, def.name);
    const problem = (message: string): void => {
      problems.push({ register: def.name, message: `${at}: ${message}` });
    };
    if (typeof def.name !== 'string' || !METRIC_NAME_PATTERN.test(def.name)) problem('name must be 1 to 64 of A-Z a-z 0-9 _ (it becomes a metric name)');
    if (seen.has(def.name)) problem('duplicate name');
    seen.add(def.name);
    if (!REGISTER_TYPES.includes(def.register_type)) {
      problem(`unknown register_type ${JSON.stringify(def.register_type)}`);
      continue;
    }
    if (!DATA_TYPES.includes(def.data_type)) {
      problem(`unknown data_type ${JSON.stringify(def.data_type)}`);
      continue;
    }
    if (isBitType(def.register_type) && def.data_type !== 'bool') problem(`a ${def.register_type} is one bit: data_type must be bool, not ${def.data_type}`);
    if (!isBitType(def.register_type) && def.data_type === 'bool') problem(`data_type bool needs register_type coil or discrete, not ${def.register_type}`);
    if (!Number.isInteger(def.address) || def.address < 0 || def.address > 65535) problem(`address ${def.address} is not a whole number 0..65535`);
    else if (def.address + registerWidth(def) > 65536) problem(`address ${def.address} + ${registerWidth(def)} registers of ${def.data_type} runs past 65535`);
    if (!isFiniteNumber(def.scale) || def.scale === 0) problem(`scale ${def.scale} must be a number other than 0`);
    if (!isFiniteNumber(def.offset)) problem('offset must be a number');
    if (def.word_order !== 'big' && def.word_order !== 'little') problem('word_order must be "big" or "little"');
    if (def.byte_order !== 'big' && def.byte_order !== 'little') problem('byte_order must be "big" or "little"');
    if (def.interval_s !== undefined && !(isFiniteNumber(def.interval_s) && def.interval_s > 0)) problem('interval_s must be a number of seconds above 0');
    if (def.min !== undefined && def.max !== undefined && def.min > def.max) problem(`min ${def.min} is above max ${def.max}`);
    if (def.unavailable !== undefined && !Number.isInteger(def.unavailable)) problem('unavailable must be a whole number (the raw value)');
  }
  problems.push(...overlapProblems(map));
  for (const rule of map.alerts ?? []) {
    if (!seen.has(rule.metric)) problems.push({ message: `model "${map.model}", alert "${rule.name}": metric "${rule.metric}" is not a register of the map` });
    if (rule.direction === 'above' && rule.warning > rule.critical) problems.push({ message: `model "${map.model}", alert "${rule.name}": warning above critical` });
    if (rule.direction === 'below' && rule.warning < rule.critical) problems.push({ message: `model "${map.model}", alert "${rule.name}": warning below critical` });
  }
  return problems;
}

/** Registers of one table that share an address (a 32-bit value spans two, a 64-bit four). */
function overlapProblems(map: RegisterMap): MapProblem[] {
  const problems: MapProblem[] = [];
  for (const registerType of REGISTER_TYPES) {
    const sorted = map.registers
      .filter((d) => d.register_type === registerType && Number.isInteger(d.address) && DATA_TYPES.includes(d.data_type))
      .sort((a, b) => a.address - b.address);
    let last: RegisterDef | undefined;
    for (const def of sorted) {
      if (last && def.address < last.address + registerWidth(last)) {
        problems.push({
          register: def.name,
          message: `${where(map.model, def.name)}: ${registerType} address ${def.address} overlaps "${last.name}" (${last.data_type} at ${last.address})`,
        });
      }
      if (!last || def.address + registerWidth(def) > last.address + registerWidth(last)) last = def;
    }
  }
  return problems;
}

const DEFAULT_TCP_PORT = 502;
const HEATPUMP_KEYS = new Set(['id', 'name', 'location', 'model', 'enabled', 'modbus']);
const MODBUS_KEYS = new Set(['type', 'host', 'port', 'serial_port', 'baudrate', 'parity', 'stopbits', 'bytesize', 'unit_id', 'timeout', 'timeout_s', 'retries']);

/** HPManager's heatpumps.yml: `heatpumps: [{id, name, location, model, enabled, modbus: {type, host, port, unit_id, timeout, retries}}]`. */
export function parseHeatpumpsYaml(text: string): Result<HeatpumpEntry[], MapProblem[]> {
  const parsed = parseYaml(text);
  if (!parsed.ok) return parsed;
  const root = parsed.value;
  if (!isRecord(root) || !Array.isArray(root.heatpumps)) return err([{ message: 'expected a top-level "heatpumps:" list' }]);
  const problems: MapProblem[] = [];
  const entries: HeatpumpEntry[] = [];
  const ids = new Set<string>();
  for (const [index, raw] of root.heatpumps.entries()) {
    const label = isRecord(raw) && (typeof raw.id === 'string' || typeof raw.id === 'number') ? String(raw.id) : `#${index + 1}`;
    const at = `heat pump "${label}"`;
    const before = problems.length;
    const problem = (message: string): void => {
      problems.push({ message: `${at}: ${message}` });
    };
    if (!isRecord(raw)) {
      problem('not a mapping of fields');
      continue;
    }
    for (const key of Object.keys(raw)) if (!HEATPUMP_KEYS.has(key)) problem(`unknown field "${key}"`);
    // the id becomes the device id of the readings (MQTT topics, InfluxDB tags): the shared rule decides
    if (typeof raw.id !== 'string' && typeof raw.id !== 'number') problem('missing field "id"');
    else if (deviceIdProblem(label)) problem(`id: ${deviceIdProblem(label)}`);
    else if (ids.has(label)) problem('duplicate id');
    ids.add(label);
    if (typeof raw.model !== 'string' || raw.model === '') problem('missing field "model"');
    for (const key of ['name', 'location'] as const) if (raw[key] !== undefined && raw[key] !== null && typeof raw[key] !== 'string') problem(`${key} must be text`);
    if (raw.enabled !== undefined && typeof raw.enabled !== 'boolean') problem('enabled must be true or false');
    const modbus = readModbus(raw.modbus, problem);
    if (problems.length > before || !modbus) continue;
    const entry: HeatpumpEntry = { id: label, model: raw.model as string, enabled: (raw.enabled as boolean | undefined) ?? true, modbus };
    if (typeof raw.name === 'string') entry.name = raw.name;
    if (typeof raw.location === 'string') entry.location = raw.location;
    entries.push(entry);
  }
  return problems.length > 0 ? err(problems) : ok(entries);
}

function readModbus(raw: unknown, problem: (message: string) => void): ModbusSettings | undefined {
  if (!isRecord(raw)) {
    problem('missing field "modbus"');
    return undefined;
  }
  for (const key of Object.keys(raw)) if (!MODBUS_KEYS.has(key)) problem(`modbus: unknown field "${key}"`);
  const type = raw.type ?? 'tcp';
  if (type !== 'tcp' && type !== 'rtu') {
    problem(`modbus: type must be "tcp" or "rtu", not ${JSON.stringify(type)}`);
    return undefined;
  }
  const integerIn = (key: string, value: unknown, lo: number, hi: number): boolean => {
    if (value === undefined) return true;
    if (Number.isInteger(value) && (value as number) >= lo && (value as number) <= hi) return true;
    problem(`modbus: ${key} must be a whole number ${lo}..${hi}`);
    return false;
  };
  integerIn('unit_id', raw.unit_id, 0, 255);
  integerIn('retries', raw.retries, 0, 100);
  // HPManager writes `timeout` (seconds); `timeout_s` is accepted as the explicit spelling
  const timeout = raw.timeout_s ?? raw.timeout;
  if (timeout !== undefined && !(isFiniteNumber(timeout) && timeout > 0)) problem('modbus: timeout must be a number of seconds above 0');
  const settings: ModbusSettings = {
    type,
    unit_id: (raw.unit_id as number | undefined) ?? 1,
    timeout_s: (timeout as number | undefined) ?? 5,
    retries: (raw.retries as number | undefined) ?? 3,
  };
  if (type === 'tcp') {
    if (typeof raw.host !== 'string' || raw.host === '') problem('modbus: missing field "host"');
    else settings.host = raw.host;
    if (integerIn('port', raw.port, 1, 65535)) settings.port = (raw.port as number | undefined) ?? DEFAULT_TCP_PORT;
    return settings;
  }
  // RTU: pymodbus-style files name the serial device `port`; `serial_port` is the explicit spelling
  const serialPort = raw.serial_port ?? (typeof raw.port === 'string' ? raw.port : undefined);
  if (typeof serialPort !== 'string' || serialPort === '') problem('modbus: missing field "serial_port"');
  else settings.serial_port = serialPort;
  if (raw.parity !== undefined && !['none', 'even', 'odd'].includes(raw.parity as string)) problem('modbus: parity must be none, even or odd');
  if (raw.stopbits !== undefined && raw.stopbits !== 1 && raw.stopbits !== 2) problem('modbus: stopbits must be 1 or 2');
  if (raw.bytesize !== undefined && raw.bytesize !== 7 && raw.bytesize !== 8) problem('modbus: bytesize must be 7 or 8');
  integerIn('baudrate', raw.baudrate, 300, 4_000_000);
  settings.baudrate = (raw.baudrate as number | undefined) ?? 9600;
  settings.parity = (raw.parity as ModbusSettings['parity']) ?? 'none';
  settings.stopbits = (raw.stopbits as 1 | 2 | undefined) ?? 1;
  settings.bytesize = (raw.bytesize as 7 | 8 | undefined) ?? 8;
  return settings;
}

/** Heat pumps whose model is not one of the register maps, e.g. heatpumps.yml against registers.yml. */
export function unknownModels(entries: readonly HeatpumpEntry[], maps: ReadonlyMap<string, RegisterMap>): MapProblem[] {
  return entries
    .filter((entry) => !maps.has(entry.model))
    .map((entry) => ({ message: `heat pump "${entry.id}": model "${entry.model}" is not in the register maps (${[...maps.keys()].join(', ') || 'none'})` }));
}
