// espaltherma-decode's pure parts against ESPAltherma's label list (test/fixtures/espaltherma/
// list_labels.csv): ATTR JSON built from the rows of every model family, values rendered as
// ESPAltherma renders them (numbers, ON / OFF, error codes, mode texts), the OneATTR topics.
import assert from 'node:assert/strict';
import { isMetricsReading, type MetricsReading } from '../../nodes/shared/contract';
import { isCommonMetric } from '../../nodes/shared/metric-names';
import { EspalthermaDecoder, type EspalthermaOptions } from '../../nodes/espaltherma-decode/decode';
import { errorCodeOf, labelValue, MODEL_FAMILIES, unitOf } from '../../nodes/espaltherma-decode/labels';
import { attrOf, labelRows } from '../support/espaltherma';

const options = (more: Partial<EspalthermaOptions> = {}): EspalthermaOptions => ({ base: 'espaltherma', deviceId: 'espaltherma', family: '', ...more });

function decodeAttr(attributes: unknown, decoder = new EspalthermaDecoder(options())): MetricsReading {
  const outcome = decoder.input('espaltherma/ATTR', JSON.stringify(attributes), 1000);
  assert.ok(outcome?.ok, outcome === undefined ? 'ignored' : outcome.ok ? '' : outcome.error);
  assert.equal(outcome.value.readings.length, 1);
  return outcome.value.readings[0]!;
}

const ALL = ['flow_temperature', 'return_temperature', 'outdoor_temperature', 'dhw_temperature', 'flow_rate', 'compressor_frequency', 'defrost_active', 'dhw_active', 'error_code'];

/** The common metrics each family's labels give (from reading its rows in the label list). */
const FAMILY_COMMON: Readonly<Record<string, readonly string[]>> = {
  ...Object.fromEntries(MODEL_FAMILIES.map((family) => [family, ALL])),
  DEFAULT: ['return_temperature', 'outdoor_temperature', 'dhw_temperature', 'compressor_frequency', 'defrost_active', 'error_code'],
  PROTOCOL_S: ['outdoor_temperature', 'compressor_frequency', 'error_code'],
  PROTOCOL_S_ROTEX: ['return_temperature', 'error_code'],
};

describe('espaltherma-decode: the model families of the label list', function () {
  it('knows exactly the families of the list', function () {
    assert.deepEqual([...new Set(labelRows().map((row) => row.family))].sort(), [...MODEL_FAMILIES].sort());
  });

  for (const family of MODEL_FAMILIES) {
    it(`${family}: ATTR of all its labels gives ${FAMILY_COMMON[family]!.length} common metrics and keeps every other label`, function () {
      const attributes = attrOf(family);
      const decoder = new EspalthermaDecoder(options({ family }));
      const reading = decodeAttr(attributes, decoder);
      assert.equal(reading.info?.model, family);
      assert.ok(isMetricsReading(reading), 'not a MetricsReading');
      assert.deepEqual(Object.keys(reading.metrics).filter(isCommonMetric).sort(), [...FAMILY_COMMON[family]!].sort());
      // nothing lost: each label is a metric of its own, a common one, or a text
      const texts = decoder.textsOf('espaltherma');
      for (const [label, value] of Object.entries(attributes)) {
        const converted = labelValue(label, value);
        if ('text' in converted) assert.equal(texts[label], converted.text, label);
        else for (const { name, value: v } of converted.values) assert.equal(reading.metrics[name], v, `${label} → ${name}`);
      }
    });
  }

  it('LT_CA_CB_04-08KW: an ATTR as the gateway sends it', function () {
    const reading = decodeAttr({
      'Operation Mode': 'Heating',
      'Thermostat ON/OFF': 'ON',
      'Defrost Operation': 'OFF',
      'Error type': 'Normal',
      'Error Code': ' 0',
      'INV primary current (A)': 3.6,
      'Outdoor air temp.(R1T)': 4.5,
      'INV frequency (rps)': 48,
      'Leaving water temp. before BUH (R1T)': 35.2,
      'Inlet water temp.(R4T)': 30.1,
      'DHW tank temp. (R5T)': 47.9,
      'Flow sensor (l/min)': 14.8,
      '3way valve(On:DHW_Off:Space)': 'OFF',
      'Water pressure': 1.7,
    });
    assert.deepEqual(reading.metrics, {
      thermostat_on_off: true, defrost_active: false, error_code: 0, inv_primary_current_a: 3.6, outdoor_temperature: 4.5, compressor_frequency: 48,
      flow_temperature: 35.2, return_temperature: 30.1, dhw_temperature: 47.9, flow_rate: 14.8, dhw_active: false, water_pressure: 1.7,
    });
    assert.deepEqual(reading.units, {
      inv_primary_current_a: 'A', outdoor_temperature: '°C', compressor_frequency: 'Hz', flow_temperature: '°C', return_temperature: '°C', dhw_temperature: '°C', flow_rate: 'l/min',
    });
  });

  it('HPSU6_ULTRA: its own spellings of flow and outdoor temperature', function () {
    const reading = decodeAttr({ 'Outlet Water Heat Exch. Temp. (R1T)': 41, 'Outdoor air temp.': -2.5, 'Inlet water temp.(R4T)': 36, 'Defrost Operation': 'ON', 'Error Code': 'U4' });
    assert.deepEqual(reading.metrics, { flow_temperature: 41, outdoor_temperature: -2.5, return_temperature: 36, defrost_active: true, error_code: 0x94 });
  });

  it('error texts become the byte they are made of', function () {
    assert.deepEqual([' 0', 'A1', 'U4', 'E7', '89', 'AA', 'Q1', ''].map(errorCodeOf), [0, 0x11, 0x94, 0x37, 0xb9, 0x1a, undefined, undefined]);
  });

  it('a value ON / OFF on a boolean label that is no ON / OFF is kept under the label\'s own name', function () {
    assert.deepEqual(labelValue('Defrost Operation', 2), { values: [{ name: 'defrost_operation', value: 2 }] });
    assert.deepEqual(labelValue('Operation Mode', 'Heating'), { text: 'Heating' });
  });

  it('units from the label', function () {
    assert.deepEqual(['Flow sensor (l/min)', 'INV primary current (A)', 'Discharge pipe temp.', 'Discharge Temp. Protection Retry Qty', 'Fan 1 (rpm)', 'Water pressure'].map((label) => unitOf(label)), ['l/min', 'A', '°C', undefined, 'rpm', undefined]);
  });
});

describe('espaltherma-decode: topics', function () {
  it('OneATTR topics are collected into one reading per cycle', function () {
    const decoder = new EspalthermaDecoder(options());
    const at = (topic: string, payload: string, now: number): MetricsReading[] => {
      const outcome = decoder.input(`espaltherma/OneATTR/${topic}`, payload, now);
      assert.ok(outcome?.ok);
      return outcome.value.readings;
    };
    assert.deepEqual(at('Outdoor air temp.(R1T)', '3.5', 10), []);
    assert.deepEqual(at('Defrost Operation', 'ON', 11), []);
    assert.deepEqual(at('Operation Mode', 'Heating', 12), []);
    const next = at('Outdoor air temp.(R1T)', '3.0', 40);
    assert.equal(next.length, 1);
    assert.deepEqual(next[0], { device_id: 'espaltherma', timestamp: 10, metrics: { outdoor_temperature: 3.5, defrost_active: true }, units: { outdoor_temperature: '°C' }, info: { source: 'espaltherma' } });
    assert.deepEqual(decoder.textsOf('espaltherma'), { 'Operation Mode': 'Heating' });
    assert.deepEqual(decoder.flush('espaltherma')?.metrics, { outdoor_temperature: 3 });
  });

  it('an ATTR after OneATTR values ends their cycle first', function () {
    const decoder = new EspalthermaDecoder(options());
    decoder.input('espaltherma/OneATTR/Flow sensor (l/min)', '12', 0);
    const outcome = decoder.input('espaltherma/ATTR', { 'Flow sensor (l/min)': 13 }, 5);
    assert.ok(outcome?.ok);
    assert.deepEqual(outcome.value.readings.map((r) => r.metrics), [{ flow_rate: 12 }, { flow_rate: 13 }]);
    assert.equal(outcome.value.collecting, false);
  });

  it('LWT is presence; other topics of the gateway are none of its business', function () {
    const decoder = new EspalthermaDecoder(options());
    const lwt = decoder.input('espaltherma/LWT', 'Offline', 0);
    assert.ok(lwt?.ok);
    assert.equal(lwt.value.presence, 'offline');
    for (const topic of ['espaltherma/STATE', 'espaltherma/log', 'espaltherma/sg/state', 'other/ATTR']) assert.equal(decoder.input(topic, 'ON', 0), undefined, topic);
  });

  it('rejects an ATTR that is no JSON object', function () {
    for (const payload of ['not json', '[1,2]', 42]) {
      const outcome = new EspalthermaDecoder(options()).input('espaltherma/ATTR', payload, 0);
      assert.ok(outcome !== undefined && !outcome.ok);
      assert.equal(outcome.error, 'espaltherma/ATTR: expected a JSON object of label → value');
    }
  });

  it('the device id from the base topic when none is set', function () {
    const decoder = new EspalthermaDecoder({ base: 'home/altherma-keller', deviceId: '', family: '' });
    const outcome = decoder.input('home/altherma-keller/ATTR', { 'Outdoor air temp.(R1T)': 1 }, 0);
    assert.ok(outcome?.ok);
    assert.equal(outcome.value.readings[0]?.device_id, 'altherma-keller');
  });
});
