// ESPAltherma's labels (the texts of its model definitions, doc/list_labels.csv of raomin/ESPAltherma)
// that carry a value with a common metric name (docs/CONTRACTS.md), and how their values become
// ours. Each model family spells some labels its own way; no label means different things in two
// families, so one table serves them all (test/unit/espaltherma-decode.test.ts checks every family
// of the label list). Pure data and functions: no Node-RED import.
import type { CollectedValue } from '../shared/reading-assembly';
import { snakeCaseName } from '../shared/reading-assembly';

/** The model families of ESPAltherma's label list, for the editor's choice (info.model). */
export const MODEL_FAMILIES: readonly string[] = [
  'ALTHERMA(BIZONE_CB_04-08KW)',
  'ALTHERMA(BIZONE_CB_11-16KW)',
  'ALTHERMA(EBLA-EDLA  EWAA-EWYA D SERIES 9-16KW)',
  'ALTHERMA(GSHP)',
  'ALTHERMA(GSHP2)',
  'ALTHERMA(HPSU6_ULTRA)',
  'ALTHERMA(HYBRID)',
  'ALTHERMA(LT-D7_E_BML)',
  'ALTHERMA(LT_11-16KW_HYDROSPLIT_HYDRO_UNIT)',
  'ALTHERMA(LT_CA_CB_04-08KW)',
  'ALTHERMA(LT_CA_CB_11-16KW)',
  'ALTHERMA(LT_DA_04-08KW)',
  'ALTHERMA(LT_DA_PAIR_BML)',
  'ALTHERMA(LT_GAS_INJ)',
  'ALTHERMA(LT_GAS_INJ)20200702',
  'ALTHERMA(LT_MULTI_DHWHP)',
  'ALTHERMA(LT_MULTI_HYBRID)',
  'ALTHERMA(MONOBLOC_CA_05-07KW)',
  'ALTHERMA(TOP-GRADE)',
  'ALTHERMA(TOP-GRADE-LARGE_E)TEST',
  'ALTHERMA(TOP-GRADE-SMALL_E)TEST',
  'DAIKIN_MINI_INVERTER_CHILLER04-08KW',
  'DEFAULT',
  'EKHWET-BAV3(MULTI DHW TANK)',
  'PROTOCOL_S',
  'PROTOCOL_S_ROTEX',
];

type Conversion = 'number' | 'boolean' | 'error';

/** label → common metric; the comment names the families that spell it so (all others: the first spelling). */
export const LABEL_METRICS: Readonly<Record<string, { metric: string; as: Conversion }>> = {
  'Leaving water temp. before BUH (R1T)': { metric: 'flow_temperature', as: 'number' },
  // HPSU6_ULTRA, HYBRID, DAIKIN_MINI_INVERTER_CHILLER
  'Outlet Water Heat Exch. Temp. (R1T)': { metric: 'flow_temperature', as: 'number' },
  'Inlet water temp.(R4T)': { metric: 'return_temperature', as: 'number' },
  // DEFAULT
  'Inlet temperature(R4T)': { metric: 'return_temperature', as: 'number' },
  // PROTOCOL_S_ROTEX
  'Inlet water temp.(C)': { metric: 'return_temperature', as: 'number' },
  'Outdoor air temp.(R1T)': { metric: 'outdoor_temperature', as: 'number' },
  // HPSU6_ULTRA, HYBRID, DEFAULT
  'Outdoor air temp.': { metric: 'outdoor_temperature', as: 'number' },
  // PROTOCOL_S
  'Outdoor air temp.(C)': { metric: 'outdoor_temperature', as: 'number' },
  'DHW tank temp. (R5T)': { metric: 'dhw_temperature', as: 'number' },
  // DEFAULT
  'DHW temperature(R5T)': { metric: 'dhw_temperature', as: 'number' },
  'Flow sensor (l/min)': { metric: 'flow_rate', as: 'number' },
  // the inverter compressor's speed in revolutions per second, which is its frequency in Hz
  'INV frequency (rps)': { metric: 'compressor_frequency', as: 'number' },
  // DEFAULT (the first of two compressors)
  'INV frequency 1 (rps)': { metric: 'compressor_frequency', as: 'number' },
  // PROTOCOL_S
  'INV Comp. Frequency(Hz)': { metric: 'compressor_frequency', as: 'number' },
  'Defrost Operation': { metric: 'defrost_active', as: 'boolean' },
  '3way valve(On:DHW_Off:Space)': { metric: 'dhw_active', as: 'boolean' },
  'Error Code': { metric: 'error_code', as: 'error' },
};

/** The two characters of ESPAltherma's error text come from one byte: high nibble, low nibble. */
const ERROR_FIRST = ' ACEHFJLPU987654';
const ERROR_SECOND = '0123456789AHCJEF';

/** The byte behind an ESPAltherma error text (" 0" → 0, "A1" → 0x11, "U4" → 0x94), or undefined. */
export function errorCodeOf(text: string): number | undefined {
  const code = text.length === 1 ? ` ${text}` : text;
  if (code.length !== 2) return undefined;
  const high = ERROR_FIRST.indexOf(code[0]!.toUpperCase());
  const low = ERROR_SECOND.indexOf(code[1]!.toUpperCase());
  return high < 0 || low < 0 ? undefined : high * 16 + low;
}

export type LabelValue = { values: CollectedValue[] } | { text: string };

/**
 * One label's value: a number stays a number, ON / OFF become booleans, a common label gets its
 * common name, any other label its snake_case name. A text that is none of these (a mode name,
 * "Normal") cannot be a metric and comes back as text, for the message's `texts`.
 */
export function labelValue(label: string, value: unknown): LabelValue {
  const mapping = LABEL_METRICS[label];
  const text = textOf(value);
  if (mapping?.as === 'error') {
    const code = errorCodeOf(text);
    return code === undefined ? { text } : { values: [{ name: mapping.metric, value: code }] };
  }
  const name = mapping?.metric ?? snakeCaseName(label);
  const converted = scalarOf(value);
  if (converted === undefined) return { text };
  if (mapping?.as === 'boolean' && typeof converted !== 'boolean') return { values: [{ name: snakeCaseName(label), value: converted }] };
  return { values: [{ name, value: converted, unit: typeof converted === 'number' ? unitOf(label, mapping?.metric) : undefined }] };
}

/** A value as text: strings as they are, anything else as JSON where it has one. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function scalarOf(value: unknown): number | boolean | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (/^on$/i.test(trimmed)) return true;
  if (/^off$/i.test(trimmed)) return false;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)$/.test(trimmed)) return undefined;
  return Number(trimmed);
}

/** The unit a label names: "(l/min)", "temp." (°C), "(rps)", "(A)", … */
export function unitOf(label: string, metric?: string): string | undefined {
  if (metric === 'compressor_frequency') return 'Hz';
  const named = /\((l\/min|A|V|rps|Hz|kW|kWh|pls|%|kgcm2|MPa|bar|sec|min|h|rpm)\)/i.exec(label);
  if (named !== null) return named[1] === 'kgcm2' ? 'kgf/cm²' : named[1];
  if (/temp\.?|temperature|\(C\)/i.test(label) && !/retry|drop|protection|qty/i.test(label)) return '°C';
  return undefined;
}
