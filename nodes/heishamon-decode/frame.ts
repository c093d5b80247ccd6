// HeishaMon's raw data option publishes the heat pump's answer frame as it came from the serial
// line: 203 bytes, header 71 c8 01 10 (the main block) or 71 c8 01 21 (the extra block of the K and
// L series), an 8-bit checksum last (all bytes sum to 0 mod 256). The byte rules below are written
// from HeishaMon's ProtocolByteDecrypt.md and ProtocolByteDecrypt-extra.md; each value comes out as
// the text HeishaMon would publish on its topic, so frames and topics share one mapping (topics.ts).
import { err, ok, type Result } from '../shared/result';

export const FRAME_LENGTH = 203;
const HEADER = [0x71, 0xc8, 0x01] as const;
export const MAIN_BLOCK = 0x10;
export const EXTRA_BLOCK = 0x21;

export interface DecodedFrame {
  block: 'main' | 'extra';
  /** topic name → value text, as HeishaMon publishes it under main/ or extra/ */
  values: Array<[string, string]>;
}

type ByteRule = (byte: number) => number;

const minus128: ByteRule = (b) => b - 128;
const minus1: ByteRule = (b) => b - 1;
const minus1Div5: ByteRule = (b) => Math.round(((b - 1) / 5) * 10) / 10;
const minus1Div50: ByteRule = (b) => Math.round(((b - 1) / 50) * 100) / 100;
const minus1Times10: ByteRule = (b) => (b - 1) * 10;
const minus1Times50: ByteRule = (b) => (b - 1) * 50;
/** the 6 power bytes count in steps of 0.2 kW */
const power: ByteRule = (b) => (b - 1) * 200;
/** a two-bit field: b01 = 0 (off), b10 = 1 (on), b00 = -1 (unknown); shift 6 is "1st & 2nd bit", 0 is "7th & 8th bit" */
const field =
  (shift: number, mask = 0b11): ByteRule =>
  (b) =>
    ((b >> shift) & mask) - 1;

/** One byte, one topic: [topic, byte index, rule]. */
const SINGLE_BYTE: ReadonlyArray<readonly [string, number, ByteRule]> = [
  ['Heatpump_State', 4, field(0)],
  ['Force_DHW_State', 4, field(6)],
  ['Quiet_Mode_Schedule', 7, field(6)],
  ['Main_Schedule_State', 5, field(6)],
  ['Holiday_Mode_State', 5, field(4)],
  ['Force_Heater_State', 5, field(2)],
  ['Powerful_Mode_Time', 7, field(0, 0b111)],
  ['DHW_Heater_State', 9, field(2)],
  ['Room_Heater_State', 9, field(0)],
  ['ThreeWay_Valve_State', 111, field(0)],
  ['Defrosting_State', 111, field(2)],
  ['Internal_Heater_State', 112, field(0)],
  ['External_Heater_State', 112, field(2)],
  ['Sterilization_State', 117, field(2)],
  ['TwoWay_Valve_State', 116, field(2)],
  ['ThreeWay_Valve_State2', 116, field(0)],
  ['Z1_Heat_Request_Temp', 38, minus128],
  ['Z1_Cool_Request_Temp', 39, minus128],
  ['Z2_Heat_Request_Temp', 40, minus128],
  ['Z2_Cool_Request_Temp', 41, minus128],
  ['DHW_Target_Temp', 42, minus128],
  ['Room_Holiday_Shift_Temp', 43, minus128],
  ['DHW_Holiday_Shift_Temp', 44, minus128],
  ['Max_Pump_Duty', 45, minus1],
  ['Buffer_Tank_Delta', 59, minus128],
  ['Solar_On_Delta', 61, minus128],
  ['Solar_Off_Delta', 62, minus128],
  ['Solar_Frost_Protection', 63, minus128],
  ['Solar_High_Limit', 64, minus128],
  ['Bivalent_Start_Temp', 65, minus128],
  ['Bivalent_Advanced_Start_Temp', 66, minus128],
  ['Bivalent_Advanced_Start_Delay', 67, minus1],
  ['Bivalent_Advanced_Stop_Temp', 68, minus128],
  ['Bivalent_Advanced_Stop_Delay', 69, minus1],
  ['Bivalent_Advanced_DHW_Delay', 70, minus1],
  ['Z1_Heat_Curve_Target_High_Temp', 75, minus128],
  ['Z1_Heat_Curve_Target_Low_Temp', 76, minus128],
  ['Z1_Heat_Curve_Outside_Low_Temp', 77, minus128],
  ['Z1_Heat_Curve_Outside_High_Temp', 78, minus128],
  ['Z2_Heat_Curve_Target_High_Temp', 79, minus128],
  ['Z2_Heat_Curve_Target_Low_Temp', 80, minus128],
  ['Z2_Heat_Curve_Outside_Low_Temp', 81, minus128],
  ['Z2_Heat_Curve_Outside_High_Temp', 82, minus128],
  ['Heating_Off_Outdoor_Temp', 83, minus128],
  ['Heat_Delta', 84, minus128],
  ['Heater_On_Outdoor_Temp', 85, minus128],
  ['Z1_Cool_Curve_Target_High_Temp', 86, minus128],
  ['Z1_Cool_Curve_Target_Low_Temp', 87, minus128],
  ['Z1_Cool_Curve_Outside_Low_Temp', 88, minus128],
  ['Z1_Cool_Curve_Outside_High_Temp', 89, minus128],
  ['Z2_Cool_Curve_Target_High_Temp', 90, minus128],
  ['Z2_Cool_Curve_Target_Low_Temp', 91, minus128],
  ['Z2_Cool_Curve_Outside_Low_Temp', 92, minus128],
  ['Z2_Cool_Curve_Outside_High_Temp', 93, minus128],
  ['Cool_Delta', 94, minus128],
  ['Heat_To_Cool_Temp', 95, minus128],
  ['Cool_To_Heat_Temp', 96, minus128],
  ['DHW_Heat_Delta', 99, minus128],
  ['Sterilization_Temp', 100, minus128],
  ['Sterilization_Max_Time', 101, minus1],
  ['Heater_Delay_Time', 104, minus1],
  ['Heater_Start_Delta', 105, minus128],
  ['Heater_Stop_Delta', 106, minus128],
  ['Water_Pressure', 125, minus1Div50],
  ['Second_Inlet_Temp', 126, minus128],
  ['Economizer_Outlet_Temp', 127, minus128],
  ['Z1_Temp', 139, minus128],
  ['Z2_Temp', 140, minus128],
  ['DHW_Temp', 141, minus128],
  ['Outside_Temp', 142, minus128],
  ['Z1_Water_Temp', 145, minus128],
  ['Z2_Water_Temp', 146, minus128],
  ['Z1_Water_Target_Temp', 147, minus128],
  ['Z2_Water_Target_Temp', 148, minus128],
  ['Buffer_Temp', 149, minus128],
  ['Solar_Temp', 150, minus128],
  ['Pool_Temp', 151, minus128],
  ['Main_Target_Temp', 153, minus128],
  ['Main_Hex_Outlet_Temp', 154, minus128],
  ['Discharge_Temp', 155, minus128],
  ['Room_Thermostat_Temp', 156, minus128],
  ['Inside_Pipe_Temp', 157, minus128],
  ['Outside_Pipe_Temp', 158, minus128],
  ['Defrost_Temp', 159, minus128],
  ['Eva_Outlet_Temp', 160, minus128],
  ['Bypass_Outlet_Temp', 161, minus128],
  ['Ipm_Temp', 162, minus128],
  ['High_Pressure', 163, minus1Div5],
  ['Low_Pressure', 164, minus1Div5],
  ['Compressor_Current', 165, minus1Div5],
  ['Compressor_Freq', 166, minus1],
  ['Pump_Speed', 171, minus1Times50],
  ['Pump_Duty', 172, minus1],
  ['Fan1_Motor_Speed', 173, minus1Times10],
  ['Fan2_Motor_Speed', 174, minus1Times10],
  ['Expansion_Valve', 175, minus1],
  ['Heat_Power_Consumption', 193, power],
  ['Heat_Power_Production', 194, power],
  ['Cool_Power_Consumption', 195, power],
  ['Cool_Power_Production', 196, power],
  ['DHW_Power_Consumption', 197, power],
  ['DHW_Power_Production', 198, power],
  ['Second_Room_Thermostat_Temp', 200, minus128],
];

/** Two bytes, low byte first, minus 1: [topic, index of the low byte]. */
const COUNTERS: ReadonlyArray<readonly [string, number]> = [
  ['Operations_Counter', 179],
  ['Operations_Hours', 182],
  ['Room_Heater_Operations_Hours', 185],
  ['DHW_Heater_Operations_Hours', 188],
];

/** Byte 6, low 6 bits: DHW on (bits 3-4 = b10) and the mode nibble → TOP4's number. */
const OPERATING_MODES: Readonly<Record<string, number>> = {
  'off,0010': 0, // heat only
  'off,0011': 1, // cool only
  'off,1001': 2, // auto (heat)
  'on,0001': 3, // DHW only
  'on,0010': 4, // heat + DHW
  'on,0011': 5, // cool + DHW
  'on,1001': 6, // auto (heat) + DHW
  'off,1010': 7, // auto (cool)
  'on,1010': 8, // auto (cool) + DHW
};

/** Byte 7, left 5 bits → quiet level 0 to 3. */
const QUIET_LEVELS: Readonly<Record<number, number>> = { 0b01001: 0, 0b01010: 1, 0b01011: 2, 0b01100: 3 };

/** Byte 118 carries the quarter degrees of the inlet (bits 0-2) and outlet (bits 3-5) temperature. */
function withQuarter(whole: number, code: number): number {
  const quarter = code >= 1 && code <= 4 ? (code - 1) * 0.25 : 0;
  // HeishaMon appends ".25" to the whole degrees: -3 with a quarter is "-3.25"
  return whole < 0 ? whole - quarter : whole + quarter;
}

/** The error text of bytes 113 (type: b1 = F, a1 = H) and 114 (number + 17, its hex digits read as the code). */
function errorText(type: number, number: number): string {
  const letter = type === 0xb1 ? 'F' : type === 0xa1 ? 'H' : undefined;
  if (letter === undefined) return 'No error';
  return `${letter}${(number - 17).toString(16).toUpperCase().padStart(2, '0')}`;
}

const hex = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');

/** The frame's bytes from a Buffer / Uint8Array, an array of byte values or a hex string ("71 c8 01 …"). */
export function frameBytes(payload: unknown): Result<Uint8Array, string> {
  if (payload instanceof Uint8Array) return ok(payload);
  if (Array.isArray(payload) && payload.every((b) => Number.isInteger(b) && (b as number) >= 0 && (b as number) <= 255)) return ok(Uint8Array.from(payload as number[]));
  if (typeof payload === 'string') {
    const digits = payload.replace(/\s+/g, '');
    if (digits.length % 2 === 0 && /^[0-9a-fA-F]*$/.test(digits)) return ok(Uint8Array.from(digits.match(/../g) ?? [], (pair) => parseInt(pair, 16)));
  }
  return err('a raw frame is a Buffer, an array of bytes or a hex string');
}

/** Decodes one raw frame; an error names what is wrong (length, header, checksum). */
export function decodeFrame(bytes: Uint8Array): Result<DecodedFrame, string> {
  if (bytes.length !== FRAME_LENGTH) return err(`raw frame has ${bytes.length} bytes, expected ${FRAME_LENGTH}`);
  if (HEADER.some((b, i) => bytes[i] !== b) || (bytes[3] !== MAIN_BLOCK && bytes[3] !== EXTRA_BLOCK)) {
    return err(`raw frame header ${hex(bytes.subarray(0, 4))} is not 71 C8 01 10 or 71 C8 01 21`);
  }
  const sum = bytes.reduce((total, b) => (total + b) & 0xff, 0);
  if (sum !== 0) {
    const expected = (0x100 - ((sum - bytes[FRAME_LENGTH - 1]! + 0x100) & 0xff)) & 0xff;
    return err(`raw frame checksum mismatch: last byte ${hex(bytes.subarray(FRAME_LENGTH - 1))}, the bytes before it need ${hex(Uint8Array.of(expected))}`);
  }
  const at = (i: number): number => bytes[i]!;
  if (bytes[3] === EXTRA_BLOCK) {
    const names = ['Heat_Power_Consumption_Extra', 'Cool_Power_Consumption_Extra', 'DHW_Power_Consumption_Extra', 'Heat_Power_Production_Extra', 'Cool_Power_Production_Extra', 'DHW_Power_Production_Extra'];
    return ok({ block: 'extra', values: names.map((name, i) => [name, String(at(14 + 2 * i) | (at(15 + 2 * i) << 8))]) });
  }
  const values: Array<[string, string]> = SINGLE_BYTE.map(([name, index, rule]) => [name, String(rule(at(index)))]);
  for (const [name, low] of COUNTERS) values.push([name, String((at(low) | (at(low + 1) << 8)) - 1)]);
  values.push(['Main_Inlet_Temp', String(withQuarter(at(143) - 128, at(118) & 0b111))]);
  values.push(['Main_Outlet_Temp', String(withQuarter(at(144) - 128, (at(118) >> 3) & 0b111))]);
  values.push(['Pump_Flow', String(Math.round((at(170) + (at(169) - 1) / 256) * 100) / 100)]);
  values.push(['Error', errorText(at(113), at(114))]);
  values.push(['Heat_Pump_Model', hex(bytes.subarray(129, 139))]);
  const mode = OPERATING_MODES[`${((at(6) >> 4) & 0b11) === 0b10 ? 'on' : 'off'},${(at(6) & 0b1111).toString(2).padStart(4, '0')}`];
  if (mode !== undefined) values.push(['Operating_Mode_State', String(mode)]);
  const quiet = QUIET_LEVELS[at(7) >> 3];
  if (quiet !== undefined) values.push(['Quiet_Mode_Level', String(quiet)]);
  return ok({ block: 'main', values });
}
