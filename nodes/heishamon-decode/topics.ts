// HeishaMon's published values, written from its documentation (Egyras/HeishaMon, MQTT-Topics.md:
// the TOP, OPT and extra topic lists; ProtocolByteDecrypt-extra.md) and how each one becomes
// metrics of ours. Pure data and pure functions: no Node-RED import.
import type { CollectedValue } from '../shared/reading-assembly';
import { snakeCaseName } from '../shared/reading-assembly';

export interface TopicDef {
  /** HeishaMon's id: TOP5, OPT0, XTOP3 */
  id: string;
  name: string;
  unit: string;
  /** a value set on the heat pump (a target, a mode, a heating curve point): its changes go to the change log */
  setting?: true;
}

const SETTING = 'setting';

/**
 * main/<name>: TOP number, name, unit (blank: a state, mode or count), and SETTING for what a user
 * or installer sets (HeishaMon's set commands and the installer menu). Main_Target_Temp (TOP7) and
 * Z1/Z2_Water_Target_Temp (TOP42, TOP43) are not: the heat pump computes them from the heating
 * curve and the outdoor temperature, so they move on their own.
 */
const MAIN: ReadonlyArray<readonly [number, string, string, typeof SETTING?]> = [
  [0, 'Heatpump_State', ''],
  [1, 'Pump_Flow', 'l/min'],
  [2, 'Force_DHW_State', '', SETTING],
  [3, 'Quiet_Mode_Schedule', '', SETTING],
  [4, 'Operating_Mode_State', '', SETTING],
  [5, 'Main_Inlet_Temp', '°C'],
  [6, 'Main_Outlet_Temp', '°C'],
  [7, 'Main_Target_Temp', '°C'],
  [8, 'Compressor_Freq', 'Hz'],
  [9, 'DHW_Target_Temp', '°C', SETTING],
  [10, 'DHW_Temp', '°C'],
  [11, 'Operations_Hours', 'h'],
  [12, 'Operations_Counter', ''],
  [13, 'Main_Schedule_State', '', SETTING],
  [14, 'Outside_Temp', '°C'],
  [15, 'Heat_Power_Production', 'W'],
  [16, 'Heat_Power_Consumption', 'W'],
  [17, 'Powerful_Mode_Time', 'min', SETTING],
  [18, 'Quiet_Mode_Level', '', SETTING],
  [19, 'Holiday_Mode_State', '', SETTING],
  [20, 'ThreeWay_Valve_State', ''],
  [21, 'Outside_Pipe_Temp', '°C'],
  [22, 'DHW_Heat_Delta', 'K', SETTING],
  [23, 'Heat_Delta', 'K', SETTING],
  [24, 'Cool_Delta', 'K', SETTING],
  [25, 'DHW_Holiday_Shift_Temp', 'K', SETTING],
  [26, 'Defrosting_State', ''],
  [27, 'Z1_Heat_Request_Temp', '°C', SETTING],
  [28, 'Z1_Cool_Request_Temp', '°C', SETTING],
  [29, 'Z1_Heat_Curve_Target_High_Temp', '°C', SETTING],
  [30, 'Z1_Heat_Curve_Target_Low_Temp', '°C', SETTING],
  [31, 'Z1_Heat_Curve_Outside_High_Temp', '°C', SETTING],
  [32, 'Z1_Heat_Curve_Outside_Low_Temp', '°C', SETTING],
  [33, 'Room_Thermostat_Temp', '°C'],
  [34, 'Z2_Heat_Request_Temp', '°C', SETTING],
  [35, 'Z2_Cool_Request_Temp', '°C', SETTING],
  [36, 'Z1_Water_Temp', '°C'],
  [37, 'Z2_Water_Temp', '°C'],
  [38, 'Cool_Power_Production', 'W'],
  [39, 'Cool_Power_Consumption', 'W'],
  [40, 'DHW_Power_Production', 'W'],
  [41, 'DHW_Power_Consumption', 'W'],
  [42, 'Z1_Water_Target_Temp', '°C'],
  [43, 'Z2_Water_Target_Temp', '°C'],
  [44, 'Error', ''],
  [45, 'Room_Holiday_Shift_Temp', 'K', SETTING],
  [46, 'Buffer_Temp', '°C'],
  [47, 'Solar_Temp', '°C'],
  [48, 'Pool_Temp', '°C'],
  [49, 'Main_Hex_Outlet_Temp', '°C'],
  [50, 'Discharge_Temp', '°C'],
  [51, 'Inside_Pipe_Temp', '°C'],
  [52, 'Defrost_Temp', '°C'],
  [53, 'Eva_Outlet_Temp', '°C'],
  [54, 'Bypass_Outlet_Temp', '°C'],
  [55, 'Ipm_Temp', '°C'],
  [56, 'Z1_Temp', '°C'],
  [57, 'Z2_Temp', '°C'],
  [58, 'DHW_Heater_State', ''],
  [59, 'Room_Heater_State', ''],
  [60, 'Internal_Heater_State', ''],
  [61, 'External_Heater_State', ''],
  [62, 'Fan1_Motor_Speed', 'rpm'],
  [63, 'Fan2_Motor_Speed', 'rpm'],
  [64, 'High_Pressure', 'kgf/cm²'],
  [65, 'Pump_Speed', 'rpm'],
  [66, 'Low_Pressure', 'kgf/cm²'],
  [67, 'Compressor_Current', 'A'],
  [68, 'Force_Heater_State', '', SETTING],
  [69, 'Sterilization_State', ''],
  [70, 'Sterilization_Temp', '°C', SETTING],
  [71, 'Sterilization_Max_Time', 'min', SETTING],
  [72, 'Z1_Cool_Curve_Target_High_Temp', '°C', SETTING],
  [73, 'Z1_Cool_Curve_Target_Low_Temp', '°C', SETTING],
  [74, 'Z1_Cool_Curve_Outside_High_Temp', '°C', SETTING],
  [75, 'Z1_Cool_Curve_Outside_Low_Temp', '°C', SETTING],
  [76, 'Heating_Mode', '', SETTING],
  [77, 'Heating_Off_Outdoor_Temp', '°C', SETTING],
  [78, 'Heater_On_Outdoor_Temp', '°C', SETTING],
  [79, 'Heat_To_Cool_Temp', '°C', SETTING],
  [80, 'Cool_To_Heat_Temp', '°C', SETTING],
  [81, 'Cooling_Mode', '', SETTING],
  [82, 'Z2_Heat_Curve_Target_High_Temp', '°C', SETTING],
  [83, 'Z2_Heat_Curve_Target_Low_Temp', '°C', SETTING],
  [84, 'Z2_Heat_Curve_Outside_High_Temp', '°C', SETTING],
  [85, 'Z2_Heat_Curve_Outside_Low_Temp', '°C', SETTING],
  [86, 'Z2_Cool_Curve_Target_High_Temp', '°C', SETTING],
  [87, 'Z2_Cool_Curve_Target_Low_Temp', '°C', SETTING],
  [88, 'Z2_Cool_Curve_Outside_High_Temp', '°C', SETTING],
  [89, 'Z2_Cool_Curve_Outside_Low_Temp', '°C', SETTING],
  [90, 'Room_Heater_Operations_Hours', 'h'],
  [91, 'DHW_Heater_Operations_Hours', 'h'],
  [92, 'Heat_Pump_Model', ''],
  [93, 'Pump_Duty', ''],
  [94, 'Zones_State', '', SETTING],
  [95, 'Max_Pump_Duty', '', SETTING],
  [96, 'Heater_Delay_Time', 'min', SETTING],
  [97, 'Heater_Start_Delta', 'K', SETTING],
  [98, 'Heater_Stop_Delta', 'K', SETTING],
  [99, 'Buffer_Installed', '', SETTING],
  [100, 'DHW_Installed', '', SETTING],
  [101, 'Solar_Mode', '', SETTING],
  [102, 'Solar_On_Delta', 'K', SETTING],
  [103, 'Solar_Off_Delta', 'K', SETTING],
  [104, 'Solar_Frost_Protection', '°C', SETTING],
  [105, 'Solar_High_Limit', '°C', SETTING],
  [106, 'Pump_Flowrate_Mode', '', SETTING],
  [107, 'Liquid_Type', '', SETTING],
  [108, 'Alt_External_Sensor', '', SETTING],
  [109, 'Anti_Freeze_Mode', '', SETTING],
  [110, 'Optional_PCB', '', SETTING],
  [111, 'Z2_Sensor_Settings', '', SETTING],
  [112, 'Z1_Sensor_Settings', '', SETTING],
  [113, 'Buffer_Tank_Delta', 'K', SETTING],
  [114, 'External_Pad_Heater', '', SETTING],
  [115, 'Water_Pressure', 'bar'],
  [116, 'Second_Inlet_Temp', '°C'],
  [117, 'Economizer_Outlet_Temp', '°C'],
  [118, 'Second_Room_Thermostat_Temp', '°C'],
  [119, 'External_Control', '', SETTING],
  [120, 'External_Heat_Cool_Control', '', SETTING],
  [121, 'External_Error_Signal', '', SETTING],
  [122, 'External_Compressor_Control', '', SETTING],
  [123, 'Z1_Pump_State', ''],
  [124, 'Z2_Pump_State', ''],
  [125, 'TwoWay_Valve_State', ''],
  [126, 'ThreeWay_Valve_State2', ''],
  [127, 'Z1_Valve_PID', ''],
  [128, 'Z2_Valve_PID', ''],
  [129, 'Bivalent_Control', '', SETTING],
  [130, 'Bivalent_Mode', '', SETTING],
  [131, 'Bivalent_Start_Temp', '°C', SETTING],
  [132, 'Bivalent_Advanced_Heat', '', SETTING],
  [133, 'Bivalent_Advanced_DHW', '', SETTING],
  [134, 'Bivalent_Advanced_Start_Temp', '°C', SETTING],
  [135, 'Bivalent_Advanced_Stop_Temp', '°C', SETTING],
  [136, 'Bivalent_Advanced_Start_Delay', 'min', SETTING],
  [137, 'Bivalent_Advanced_Stop_Delay', 'min', SETTING],
  [138, 'Bivalent_Advanced_DHW_Delay', 'min', SETTING],
  [139, 'Heating_Control', '', SETTING],
  [140, 'Smart_DHW', '', SETTING],
  [141, 'Quiet_Mode_Priority', '', SETTING],
  [142, 'Expansion_Valve', 'steps'],
];

/** optional/<name>: the optional PCB emulation's requests to the heat pump. */
const OPTIONAL: readonly string[] = ['Z1_Water_Pump', 'Z1_Mixing_Valve', 'Z2_Water_Pump', 'Z2_Mixing_Valve', 'Pool_Water_Pump', 'Solar_Water_Pump', 'Alarm_State'];

/** extra/<name>: the K and L series' extra data block, in W. */
const EXTRA: readonly string[] = [
  'Heat_Power_Consumption_Extra',
  'Cool_Power_Consumption_Extra',
  'DHW_Power_Consumption_Extra',
  'Heat_Power_Production_Extra',
  'Cool_Power_Production_Extra',
  'DHW_Power_Production_Extra',
];

const byName = (defs: readonly TopicDef[]): ReadonlyMap<string, TopicDef> => new Map(defs.map((def) => [def.name, def]));

export const MAIN_TOPICS = byName(MAIN.map(([top, name, unit, setting]) => ({ id: `TOP${top}`, name, unit, ...(setting === SETTING ? { setting: true as const } : {}) })));
export const OPTIONAL_TOPICS = byName(OPTIONAL.map((name, i) => ({ id: `OPT${i}`, name, unit: '' })));
export const EXTRA_TOPICS = byName(EXTRA.map((name, i) => ({ id: `XTOP${i}`, name, unit: 'W' })));

/**
 * Names of earlier firmware → today's: 3.2 (October 2023) renamed the `*_Energy_*` topics, which
 * always carried power in W, to `*_Power_*`. Both names give the same metric, so a flow keeps
 * working across a gateway upgrade.
 */
export const RENAMED_TOPICS: Readonly<Record<string, string>> = {
  Heat_Energy_Production: 'Heat_Power_Production',
  Heat_Energy_Consumption: 'Heat_Power_Consumption',
  Cool_Energy_Production: 'Cool_Power_Production',
  Cool_Energy_Consumption: 'Cool_Power_Consumption',
  DHW_Energy_Production: 'DHW_Power_Production',
  DHW_Energy_Consumption: 'DHW_Power_Consumption',
};

type Conversion = 'number' | 'boolean' | 'error';

/** main/ topics with a common metric name (docs/CONTRACTS.md) or a name of ours for a split value. */
export const MAIN_METRICS: Readonly<Record<string, { metric: string; as: Conversion }>> = {
  Main_Outlet_Temp: { metric: 'flow_temperature', as: 'number' },
  Main_Inlet_Temp: { metric: 'return_temperature', as: 'number' },
  Outside_Temp: { metric: 'outdoor_temperature', as: 'number' },
  DHW_Temp: { metric: 'dhw_temperature', as: 'number' },
  Room_Thermostat_Temp: { metric: 'room_temperature', as: 'number' },
  Compressor_Freq: { metric: 'compressor_frequency', as: 'number' },
  Pump_Flow: { metric: 'flow_rate', as: 'number' },
  Defrosting_State: { metric: 'defrost_active', as: 'boolean' },
  ThreeWay_Valve_State: { metric: 'dhw_active', as: 'boolean' },
  Heat_Power_Production: { metric: 'heat_power_heating', as: 'number' },
  Heat_Power_Consumption: { metric: 'electrical_power_heating', as: 'number' },
  Cool_Power_Production: { metric: 'heat_power_cooling', as: 'number' },
  Cool_Power_Consumption: { metric: 'electrical_power_cooling', as: 'number' },
  DHW_Power_Production: { metric: 'heat_power_dhw', as: 'number' },
  DHW_Power_Consumption: { metric: 'electrical_power_dhw', as: 'number' },
  Error: { metric: 'error_code', as: 'error' },
};

/** The topic whose value names the heat pump model (info.model, not a metric). */
export const MODEL_TOPIC = 'Heat_Pump_Model';

/** Sums over the three operating modes: the totals every source reports. */
export const TOTALS: Readonly<Record<string, readonly string[]>> = {
  heat_power: ['heat_power_heating', 'heat_power_dhw', 'heat_power_cooling'],
  electrical_power: ['electrical_power_heating', 'electrical_power_dhw', 'electrical_power_cooling'],
};

/**
 * HeishaMon's error text as a number: 0 for "No error", H-type errors 1000 + n (H23 → 1023),
 * F-type errors 2000 + n (F45 → 2045); undefined for any other text.
 */
export function errorCodeOf(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^no error$/i.test(trimmed)) return 0;
  const match = /^([HF])(\d{1,3})$/i.exec(trimmed);
  if (match === null) return undefined;
  return (match[1]!.toUpperCase() === 'H' ? 1000 : 2000) + Number(match[2]);
}

/** A decimal number as the gateway writes it ("21.25", "-3"), or undefined. */
export function numberOf(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * The metrics of one main/ value (by today's topic name); an error text when the value cannot be
 * one. A state of -1 ("unknown", which HeishaMon sends in abnormal situations) is kept under the
 * topic's own name rather than made a boolean.
 */
export function mainValues(name: string, text: string): { values: CollectedValue[] } | { error: string } {
  const def = MAIN_TOPICS.get(name);
  const own = snakeCaseName(name);
  const mapping = MAIN_METRICS[name];
  if (mapping?.as === 'error') {
    const code = errorCodeOf(text);
    if (code === undefined) return { error: `main/${name}: "${text.slice(0, 40)}" is no HeishaMon error code (e.g. "No error", "H23", "F45")` };
    return { values: [{ name: mapping.metric, value: code }] };
  }
  const value = numberOf(text);
  if (value === undefined) return { error: `main/${name}: "${text.slice(0, 40)}" is not a number` };
  const unit = def?.unit ?? '';
  if (mapping === undefined) return { values: [{ name: own, value, unit }] };
  if (mapping.as === 'boolean') {
    if (value === 0 || value === 1) return { values: [{ name: mapping.metric, value: value === 1 }] };
    return { values: [{ name: own, value, unit }] };
  }
  const values: CollectedValue[] = [{ name: mapping.metric, value, unit }];
  // the compressor runs whenever it turns: the common boolean, beside the frequency
  if (mapping.metric === 'compressor_frequency') values.push({ name: 'compressor_running', value: value > 0 });
  return { values };
}
