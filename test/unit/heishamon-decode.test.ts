// heishamon-decode's pure parts against HeishaMon's documentation (Egyras/HeishaMon MQTT-Topics.md
// and ProtocolByteDecrypt.md): the topic list, frames built byte by byte from the decrypt table
// (its "Possible Value" column and values of our own), checksum failures, the 3.2 topic renames,
// and the assembly of per-value topics into one reading per cycle.
import assert from 'node:assert/strict';
import { isMetricsReading, type MetricsReading } from '../../nodes/shared/contract';
import { deviceIdFromBase } from '../../nodes/shared/device-id';
import { isCommonMetric } from '../../nodes/shared/metric-names';
import { ReadingAssembler, snakeCaseName } from '../../nodes/shared/reading-assembly';
import { decodeFrame, frameBytes, FRAME_LENGTH } from '../../nodes/heishamon-decode/frame';
import { buildFrame } from '../support/heishamon';
import { HeishamonDecoder, type HeishamonOptions } from '../../nodes/heishamon-decode/decode';
import { errorCodeOf, MAIN_METRICS, MAIN_TOPICS, RENAMED_TOPICS } from '../../nodes/heishamon-decode/topics';

const BASE = 'panasonic_heat_pump';
const options = (more: Partial<HeishamonOptions> = {}): HeishamonOptions => ({ base: BASE, deviceId: 'heishamon', raw: false, ...more });

const valuesOf = (frame: Uint8Array): Record<string, string> => {
  const decoded = decodeFrame(frame);
  assert.ok(decoded.ok, decoded.ok ? '' : decoded.error);
  return Object.fromEntries(decoded.value.values);
};

/** Feeds [topic, payload] pairs at the given times; returns every completed reading and the last outcome. */
function feed(decoder: HeishamonDecoder, messages: Array<[string, unknown, number?]>): MetricsReading[] {
  const readings: MetricsReading[] = [];
  for (const [topic, payload, at] of messages) {
    const outcome = decoder.input(topic, payload, at ?? 1000);
    assert.ok(outcome !== undefined && outcome.ok, `${topic}: ${outcome === undefined ? 'ignored' : outcome.ok ? '' : outcome.error}`);
    readings.push(...outcome.value.readings);
  }
  return readings;
}

describe('heishamon-decode: raw frames (ProtocolByteDecrypt.md)', function () {
  // byte → the table's "Possible Value" and what its "Value decrypt" column makes of it
  const DOCUMENTED: ReadonlyArray<[string, Record<number, number>, string]> = [
    ['DHW_Target_Temp', { 42: 0xb2 }, '50'],
    ['Room_Holiday_Shift_Temp', { 43: 0x71 }, '-15'],
    ['Z1_Heat_Curve_Target_High_Temp', { 75: 0x9e }, '30'],
    ['Z1_Heat_Curve_Outside_Low_Temp', { 77: 0x71 }, '-15'],
    ['Z1_Heat_Curve_Outside_High_Temp', { 78: 0x8f }, '15'],
    ['Heat_Delta', { 84: 0x85 }, '5'],
    ['DHW_Heat_Delta', { 99: 0x78 }, '-8'],
    ['Sterilization_Temp', { 100: 0xc1 }, '65'],
    ['Sterilization_Max_Time', { 101: 0x0b }, '10'],
    ['DHW_Temp', { 141: 0xaa }, '42'],
    ['Outside_Temp', { 142: 0x7c }, '-4'],
    ['Main_Inlet_Temp', { 143: 0xab, 118: 0x12 }, '43.25'],
    ['Main_Outlet_Temp', { 144: 0xb0, 118: 0x22 }, '48.75'],
    ['Main_Outlet_Temp', { 144: 0xb0, 118: 0x1a }, '48.5'],
    ['Main_Outlet_Temp', { 144: 0xb0, 118: 0x09 }, '48'],
    ['High_Pressure', { 163: 0x91 }, '28.8'],
    ['Compressor_Current', { 165: 0x29 }, '8'],
    ['Compressor_Freq', { 166: 0x59 }, '88'],
    ['Pump_Flow', { 169: 0x3b, 170: 0x0b }, '11.23'],
    ['Pump_Speed', { 171: 0x1c }, '1350'],
    ['Pump_Duty', { 172: 0x51 }, '80'],
    ['Fan1_Motor_Speed', { 173: 0x59 }, '880'],
    ['Operations_Counter', { 179: 0xbe, 180: 0x08 }, '2237'],
    ['Operations_Hours', { 182: 0x25, 183: 0x0b }, '2852'],
    ['Room_Heater_Operations_Hours', { 185: 0x05, 186: 0x00 }, '4'],
    ['DHW_Power_Consumption', { 197: 0x0a }, '1800'],
    ['DHW_Power_Production', { 198: 0x14 }, '3800'],
    ['Heat_Power_Consumption', { 193: 0x01 }, '0'],
    ['Water_Pressure', { 125: 0x65 }, '2'],
    ['ThreeWay_Valve_State', { 111: 0x56 }, '1'],
    ['Defrosting_State', { 111: 0x56 }, '0'],
    ['Defrosting_State', { 111: 0x5a }, '1'],
    ['Heatpump_State', { 4: 0x56 }, '1'],
    ['Heatpump_State', { 4: 0x55 }, '0'],
    ['Force_DHW_State', { 4: 0x96 }, '1'],
    ['Operating_Mode_State', { 6: 0x62 }, '4'],
    ['Operating_Mode_State', { 6: 0x52 }, '0'],
    ['Operating_Mode_State', { 6: 0x21 }, '3'],
    ['Quiet_Mode_Level', { 7: 0x49 }, '0'],
    ['Quiet_Mode_Level', { 7: 0x61 }, '3'],
    ['Powerful_Mode_Time', { 7: 0x4b }, '2'],
    ['Error', { 113: 0x21, 114: 0x53 }, 'No error'],
    ['Error', { 113: 0xb1, 114: 0x56 }, 'F45'],
    ['Error', { 113: 0xa1, 114: 0x34 }, 'H23'],
    ['Heat_Pump_Model', { 129: 0xe2, 130: 0xce, 131: 0x0d, 132: 0x71, 133: 0x81, 134: 0x72, 135: 0xce, 136: 0x0c, 137: 0x92, 138: 0x81 }, 'E2 CE 0D 71 81 72 CE 0C 92 81'],
  ];
  for (const [topic, bytes, expected] of DOCUMENTED) {
    it(`${topic} from ${Object.entries(bytes).map(([i, b]) => `byte ${i} = ${b.toString(16).padStart(2, '0')}`).join(', ')} is ${expected}`, function () {
      assert.equal(valuesOf(buildFrame(bytes))[topic], expected);
    });
  }

  it('a frame built from known values decodes back to them, as metrics under the common names', function () {
    // inlet 30.5 °C, outlet 35.75 °C, outdoor -7 °C, DHW 48 °C, 62 Hz, 14.5 l/min, DHW on, defrost, 1.4 kW in / 4.2 kW out heating
    const frame = buildFrame({
      143: 30 + 128, 144: 35 + 128, 118: (4 << 3) | 3, 142: -7 + 128, 141: 48 + 128, 166: 62 + 1,
      170: 14, 169: 0.5 * 256 + 1, 111: 0b0110_1010, 193: 1400 / 200 + 1, 194: 4200 / 200 + 1, 195: 1, 196: 1, 197: 1, 198: 1,
      113: 0x21, 114: 0x53,
    });
    const decoder = new HeishamonDecoder(options({ raw: true }));
    assert.deepEqual(feed(decoder, [[`${BASE}/raw/data`, Buffer.from(frame)]]), [], 'the cycle stays open for the extra block');
    const reading = decoder.flush('heishamon')!;
    assert.ok(isMetricsReading(reading));
    const { metrics } = reading;
    assert.deepEqual(
      {
        flow_temperature: metrics.flow_temperature, return_temperature: metrics.return_temperature, outdoor_temperature: metrics.outdoor_temperature,
        dhw_temperature: metrics.dhw_temperature, compressor_frequency: metrics.compressor_frequency, compressor_running: metrics.compressor_running,
        flow_rate: metrics.flow_rate, dhw_active: metrics.dhw_active, defrost_active: metrics.defrost_active,
        electrical_power_heating: metrics.electrical_power_heating, heat_power_heating: metrics.heat_power_heating,
        heat_power: metrics.heat_power, electrical_power: metrics.electrical_power, error_code: metrics.error_code,
      },
      {
        flow_temperature: 35.75, return_temperature: 30.5, outdoor_temperature: -7, dhw_temperature: 48, compressor_frequency: 62, compressor_running: true,
        flow_rate: 14.5, dhw_active: true, defrost_active: true, electrical_power_heating: 1400, heat_power_heating: 4200,
        heat_power: 4200, electrical_power: 1400, error_code: 0,
      },
    );
    assert.equal(reading.units?.flow_temperature, '°C');
    assert.equal(reading.units?.heat_power, 'W');
    assert.deepEqual(reading.info, { source: 'heishamon', model: '00 00 00 00 00 00 00 00 00 00' });
  });

  it('the extra block (header 71 c8 01 21) gives the K/L series power in W, little-endian', function () {
    const values = valuesOf(buildFrame({ 14: 0x30, 15: 0x03, 20: 0x48, 21: 0x07 }, 0x21));
    assert.equal(values.Heat_Power_Consumption_Extra, '816');
    assert.equal(values.Heat_Power_Production_Extra, '1864');
  });

  const BAD: ReadonlyArray<[string, Uint8Array, RegExp]> = [
    ['a wrong checksum', (() => { const f = buildFrame({ 143: 0xab }); f[FRAME_LENGTH - 1] = f[FRAME_LENGTH - 1]! ^ 0x01; return f; })(), /checksum mismatch/],
    ['a changed data byte', (() => { const f = buildFrame({ 143: 0xab }); f[143] = 0xac; return f; })(), /checksum mismatch/],
    ['a short frame', buildFrame({}).subarray(0, 110), /has 110 bytes, expected 203/],
    ['a query, not an answer', (() => { const f = buildFrame({}); f[0] = 0xf1; return f; })(), /header F1 C8 01 10/],
  ];
  for (const [what, frame, reason] of BAD) {
    it(`rejects ${what}`, function () {
      const decoded = decodeFrame(frame);
      assert.equal(decoded.ok, false);
      assert.match(decoded.ok ? '' : decoded.error, reason);
    });
  }

  it('a bad frame is an error of the decoder naming the topic, and no reading', function () {
    const frame = buildFrame({});
    frame[FRAME_LENGTH - 1] = frame[FRAME_LENGTH - 1]! ^ 0xff;
    const outcome = new HeishamonDecoder(options({ raw: true })).input(`${BASE}/raw/data`, frame, 0);
    assert.ok(outcome !== undefined && !outcome.ok);
    assert.match(outcome.error, /^panasonic_heat_pump\/raw\/data: raw frame checksum mismatch/);
  });

  it('takes frames as Buffer, byte array or hex text', function () {
    const frame = buildFrame({ 42: 0xb2 });
    const hexText = Buffer.from(frame).toString('hex').replace(/(..)/g, '$1 ');
    for (const payload of [Buffer.from(frame), [...frame], hexText]) {
      const bytes = frameBytes(payload);
      assert.ok(bytes.ok);
      assert.deepEqual([...bytes.value], [...frame]);
    }
    assert.equal(frameBytes({ not: 'a frame' }).ok, false);
    assert.equal(frameBytes('71 c8 zz').ok, false);
  });

  it('ignores raw topics unless the raw option is on, and the main/ topics when it is', function () {
    assert.equal(new HeishamonDecoder(options()).input(`${BASE}/raw/data`, buildFrame({}), 0), undefined);
    assert.equal(new HeishamonDecoder(options({ raw: true })).input(`${BASE}/main/Outside_Temp`, '5', 0), undefined);
    // older firmware published the frame on main/raw
    const decoder = new HeishamonDecoder(options({ raw: true }));
    assert.ok(decoder.input(`${BASE}/main/raw`, buildFrame({ 142: 0x85 }), 0)?.ok);
    assert.equal(decoder.flush('heishamon')?.metrics.outdoor_temperature, 5);
  });

  it('the extra block joins the cycle of its main block; the next main frame ends the cycle', function () {
    const decoder = new HeishamonDecoder(options({ raw: true }));
    const readings = feed(decoder, [
      [`${BASE}/raw/data`, buildFrame({ 142: 0x85 }), 0],
      [`${BASE}/raw/dataextra`, buildFrame({ 20: 0x48, 21: 0x07 }, 0x21), 100],
      [`${BASE}/raw/data`, buildFrame({ 142: 0x86 }), 30_000],
    ]);
    assert.equal(readings.length, 1);
    assert.deepEqual([readings[0]!.timestamp, readings[0]!.metrics.outdoor_temperature, readings[0]!.metrics.heat_power_production_extra], [0, 5, 1864]);
    assert.equal(decoder.flush('heishamon')?.metrics.outdoor_temperature, 6);
  });
});

describe('heishamon-decode: topics (MQTT-Topics.md)', function () {
  it('knows all 143 documented main topics, TOP0 to TOP142', function () {
    assert.equal(MAIN_TOPICS.size, 143);
    assert.deepEqual([...MAIN_TOPICS.values()].map((def) => def.id), Array.from({ length: 143 }, (_, i) => `TOP${i}`));
  });

  it('keeps every documented topic: a common name where one fits, its own snake_case name otherwise', function () {
    const decoder = new HeishamonDecoder(options());
    const expected: Record<string, string[]> = {};
    for (const name of MAIN_TOPICS.keys()) {
      if (name === 'Heat_Pump_Model') continue;
      const mapping = MAIN_METRICS[name];
      const payload = name === 'Error' ? 'H15' : '1';
      const readings = feed(decoder, [[`${BASE}/main/${name}`, payload]]);
      assert.equal(readings.length, 0, `${name} ended a cycle`);
      expected[name] = mapping === undefined ? [snakeCaseName(name)] : name === 'Compressor_Freq' ? [mapping.metric, 'compressor_running'] : [mapping.metric];
    }
    const reading = decoder.flush('heishamon');
    assert.ok(reading !== undefined && isMetricsReading(reading));
    const names = Object.values(expected).flat();
    // the totals are added once all three per-mode values are known
    assert.deepEqual(Object.keys(reading.metrics).sort(), [...names, 'heat_power', 'electrical_power'].sort());
    assert.equal(new Set(names).size, names.length, 'two topics share a metric name');
    for (const name of names) assert.ok(/^[a-z0-9_]{1,64}$/.test(name), name);
    assert.equal(reading.metrics.error_code, 1015);
  });

  const COMMON: ReadonlyArray<[string, string, string, number | boolean]> = [
    ['Main_Outlet_Temp', '36.5', 'flow_temperature', 36.5],
    ['Main_Inlet_Temp', '31.25', 'return_temperature', 31.25],
    ['Outside_Temp', '-3', 'outdoor_temperature', -3],
    ['DHW_Temp', '48', 'dhw_temperature', 48],
    ['Room_Thermostat_Temp', '21', 'room_temperature', 21],
    ['Compressor_Freq', '0', 'compressor_frequency', 0],
    ['Pump_Flow', '15.5', 'flow_rate', 15.5],
    ['Defrosting_State', '1', 'defrost_active', true],
    ['Defrosting_State', '0', 'defrost_active', false],
    ['ThreeWay_Valve_State', '1', 'dhw_active', true],
    ['ThreeWay_Valve_State', '0', 'dhw_active', false],
    ['ThreeWay_Valve_State', '-1', 'three_way_valve_state', -1],
    ['Heat_Power_Production', '4200', 'heat_power_heating', 4200],
    ['Heat_Power_Consumption', '1000', 'electrical_power_heating', 1000],
    ['DHW_Power_Production', '3800', 'heat_power_dhw', 3800],
    ['DHW_Power_Consumption', '1800', 'electrical_power_dhw', 1800],
    ['Cool_Power_Production', '0', 'heat_power_cooling', 0],
    ['Cool_Power_Consumption', '0', 'electrical_power_cooling', 0],
    ['Error', 'No error', 'error_code', 0],
    ['Error', 'H62', 'error_code', 1062],
    ['Error', 'F45', 'error_code', 2045],
  ];
  for (const [topic, payload, metric, value] of COMMON) {
    it(`main/${topic} "${payload}" → ${metric} = ${String(value)}`, function () {
      const decoder = new HeishamonDecoder(options());
      feed(decoder, [[`${BASE}/main/${topic}`, payload]]);
      assert.equal(decoder.flush('heishamon')?.metrics[metric], value);
    });
  }

  it('the common names used are the contract\'s (or a per-mode split of heat_power / electrical_power)', function () {
    for (const { metric } of Object.values(MAIN_METRICS)) assert.ok(isCommonMetric(metric) || /^(heat|electrical)_power_(heating|dhw|cooling)$/.test(metric), metric);
  });

  it('HeishaMon error texts become numbers', function () {
    assert.deepEqual(['No error', 'H00', 'H99', 'F12', 'f45', 'X12', ''].map(errorCodeOf), [0, 1000, 1099, 2012, 2045, undefined, undefined]);
  });

  it('rejects a value that is not a number, naming topic and value', function () {
    const outcome = new HeishamonDecoder(options()).input(`${BASE}/main/Outside_Temp`, 'warm', 0);
    assert.ok(outcome !== undefined && !outcome.ok);
    assert.equal(outcome.error, 'main/Outside_Temp: "warm" is not a number');
  });

  it('the optional PCB, extra, 1wire and s0 topics', function () {
    const decoder = new HeishamonDecoder(options());
    feed(decoder, [
      [`${BASE}/optional/Z1_Water_Pump`, '1'],
      [`${BASE}/opt/Alarm_State`, '0'],
      [`${BASE}/extra/Heat_Power_Production_Extra`, '4321'],
      [`${BASE}/1wire/28610695f0ff3c0b`, '21.5'],
      [`${BASE}/s0/Watt/1`, '812'],
      [`${BASE}/s0/Watthour/1`, '3'],
      [`${BASE}/s0/WatthourTotal/2`, '1234567'],
    ]);
    const reading = decoder.flush('heishamon');
    assert.deepEqual(reading?.metrics, {
      z1_water_pump: 1, alarm_state: 0, heat_power_production_extra: 4321, onewire_28610695f0ff3c0b: 21.5, s0_1_power: 812, s0_1_energy: 3, s0_2_energy_total: 1234567,
    });
    assert.deepEqual(reading?.units, { heat_power_production_extra: 'W', onewire_28610695f0ff3c0b: '°C', s0_1_power: 'W', s0_1_energy: 'Wh', s0_2_energy_total: 'Wh' });
  });

  it('LWT gives presence; commands, log and other bases are none of its business', function () {
    const decoder = new HeishamonDecoder(options());
    const online = decoder.input(`${BASE}/LWT`, Buffer.from('Online'), 0);
    assert.ok(online?.ok);
    assert.equal(online.value.presence, 'online');
    const offline = decoder.input(`${BASE}/LWT`, 'Offline', 0);
    assert.ok(offline?.ok);
    assert.equal(offline.value.presence, 'offline');
    for (const topic of [`${BASE}/commands/SetHeatpump`, `${BASE}/log`, 'other_base/main/Outside_Temp', `${BASE}/stats`]) assert.equal(decoder.input(topic, '1', 0), undefined, topic);
    const bad = decoder.input(`${BASE}/LWT`, 'maybe', 0);
    assert.ok(bad !== undefined && !bad.ok);
  });

  it('without a configured base, finds it in the topic and derives the device id from it', function () {
    const decoder = new HeishamonDecoder({ base: '', deviceId: '', raw: false });
    feed(decoder, [['home/heishamon-garage/main/Outside_Temp', '4'], ['panasonic_heat_pump/main/Outside_Temp', '6'], ['home/heishamon-garage/1wire/28aa', '20']]);
    assert.deepEqual(decoder.flush('heishamon-garage')?.metrics, { outdoor_temperature: 4, onewire_28aa: 20 });
    assert.equal(decoder.flush('panasonic_heat_pump')?.metrics.outdoor_temperature, 6);
    assert.deepEqual(['panasonic_heat_pump', 'a/b c', '_x', ''].map((base) => deviceIdFromBase(base, 'heishamon')), ['panasonic_heat_pump', 'b-c', 'x', 'heishamon']);
    assert.match(HeishamonDecoder.check({ base: '', deviceId: 'a/b', raw: false }) ?? '', /unsafe character/);
  });
});

describe('heishamon-decode: one reading per cycle', function () {
  it('collects a cycle of separate topics and ends it when a value already collected comes again', function () {
    const decoder = new HeishamonDecoder(options());
    const first = feed(decoder, [
      [`${BASE}/main/Main_Outlet_Temp`, '35', 1000],
      [`${BASE}/main/Main_Inlet_Temp`, '30', 1100],
      [`${BASE}/main/Outside_Temp`, '2', 1200],
    ]);
    assert.deepEqual(first, []);
    const second = feed(decoder, [[`${BASE}/main/Main_Outlet_Temp`, '36', 31000]]);
    assert.equal(second.length, 1);
    assert.deepEqual(second[0], {
      device_id: 'heishamon', timestamp: 1000,
      metrics: { flow_temperature: 35, return_temperature: 30, outdoor_temperature: 2 },
      units: { flow_temperature: '°C', return_temperature: '°C', outdoor_temperature: '°C' },
      info: { source: 'heishamon' },
    });
    assert.deepEqual(decoder.flush('heishamon')?.metrics, { flow_temperature: 36 });
    assert.equal(decoder.flush('heishamon'), undefined);
  });

  it('an upgrade to 3.2 mid-run: old *_Energy_* and new *_Power_* names give the same metrics', function () {
    const decoder = new HeishamonDecoder(options());
    const readings = feed(decoder, [
      [`${BASE}/main/Heat_Energy_Production`, '4000', 0],
      [`${BASE}/main/Heat_Energy_Consumption`, '1000', 0],
      [`${BASE}/main/DHW_Energy_Production`, '0', 0],
      [`${BASE}/main/DHW_Energy_Consumption`, '0', 0],
      [`${BASE}/main/Cool_Energy_Production`, '0', 0],
      [`${BASE}/main/Cool_Energy_Consumption`, '0', 0],
      // the gateway restarts with new firmware: the new names start the next cycle
      [`${BASE}/LWT`, 'Offline', 10],
      [`${BASE}/LWT`, 'Online', 20],
      [`${BASE}/main/Heat_Power_Production`, '4400', 30],
      [`${BASE}/main/Heat_Power_Consumption`, '1100', 30],
    ]);
    const after = decoder.flush('heishamon');
    assert.equal(readings.length, 1);
    assert.deepEqual(readings[0]!.metrics, {
      heat_power_heating: 4000, electrical_power_heating: 1000, heat_power_dhw: 0, electrical_power_dhw: 0, heat_power_cooling: 0, electrical_power_cooling: 0,
      heat_power: 4000, electrical_power: 1000,
    });
    // the totals use the latest per-mode values, the unchanged ones from before the upgrade
    assert.deepEqual(after?.metrics, { heat_power_heating: 4400, electrical_power_heating: 1100, heat_power: 4400, electrical_power: 1100 });
    assert.deepEqual(Object.keys(RENAMED_TOPICS).map((old) => MAIN_METRICS[RENAMED_TOPICS[old]!]?.metric).length, 6);
  });

  it('firmware before November 2020 published main/ as sdc/: the same metrics', function () {
    const decoder = new HeishamonDecoder(options());
    feed(decoder, [[`${BASE}/sdc/Main_Outlet_Temp`, '33'], [`${BASE}/sdc/Heat_Energy_Production`, '2000']]);
    assert.deepEqual(decoder.flush('heishamon')?.metrics, { flow_temperature: 33, heat_power_heating: 2000 });
  });

  it('the model topic names info.model', function () {
    const decoder = new HeishamonDecoder(options());
    feed(decoder, [[`${BASE}/main/Heat_Pump_Model`, 'E2 CE 0D 71 81 72 CE 0C 92 81'], [`${BASE}/main/DHW_Temp`, '50']]);
    assert.deepEqual(decoder.flush('heishamon')?.info, { source: 'heishamon', model: 'E2 CE 0D 71 81 72 CE 0C 92 81' });
  });

  it('the assembler keeps devices apart and tells which have a cycle open', function () {
    const assembler = new ReadingAssembler();
    assert.equal(assembler.add('a', [{ name: 'x', value: 1 }], 5), undefined);
    assert.equal(assembler.add('b', [{ name: 'x', value: 2, unit: 'W' }], 6), undefined);
    assert.deepEqual([assembler.isCollecting('a'), assembler.isCollecting('b'), assembler.isCollecting('c')], [true, true, false]);
    assert.deepEqual(assembler.add('a', [{ name: 'x', value: 3 }], 7), { deviceId: 'a', startedAt: 5, metrics: { x: 1 }, units: {} });
    assert.deepEqual(assembler.flush('b'), { deviceId: 'b', startedAt: 6, metrics: { x: 2 }, units: { x: 'W' } });
    assert.deepEqual([assembler.isCollecting('a'), assembler.isCollecting('b')], [true, false]);
  });

  it('snake_case names for gateway names', function () {
    const NAMES: Array<[string, string]> = [
      ['Main_Inlet_Temp', 'main_inlet_temp'],
      ['ThreeWay_Valve_State', 'three_way_valve_state'],
      ['Fan1_Motor_Speed', 'fan1_motor_speed'],
      ['Leaving water temp. before BUH (R1T)', 'leaving_water_temp_before_buh_r1t'],
      ['3way valve(On:DHW_Off:Space)', '3way_valve_on_dhw_off_space'],
      ['***', 'value'],
    ];
    for (const [text, name] of NAMES) assert.equal(snakeCaseName(text), name);
  });
});
