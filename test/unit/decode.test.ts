import assert from 'node:assert/strict';
import { decodeMessage, defaultOptions, optionsFromConfig, placeTimestamps, DEFAULT_RANGES, MIN_TIMESTAMP } from '../../nodes/heatpump-decode/decode';
import type { DecodeOptions, DecodeResult, FieldProblem } from '../../nodes/heatpump-decode/types';
import type { Reading } from '../../nodes/shared/contract';
import { devicePayload as seed, seedReading } from '../fixtures/payloads';

const NOW = 1706600060000; // one minute after the example reading's timestamp
const TOPIC = 'heatpump/site1/data';

/** seed() with `path` (a.b) set to `value`; undefined deletes it. */
function seedWith(path: string, value: unknown): Record<string, unknown> {
  const payload: Record<string, unknown> = seed();
  const [head, tail] = path.split('.') as [string, string | undefined];
  if (tail === undefined) {
    if (value === undefined) delete payload[head];
    else payload[head] = value;
  } else {
    const group = payload[head] as Record<string, unknown>;
    if (value === undefined) delete group[tail];
    else group[tail] = value;
  }
  return payload;
}

const decode = (input: unknown, topic: unknown = TOPIC, options: DecodeOptions = defaultOptions(), now = NOW): DecodeResult =>
  decodeMessage(input, topic, options, now);

const codes = (result: DecodeResult): string[] => result.problems.map((p) => `${p.scope}:${p.code}${p.field ? `:${p.field}` : ''}`);

/** The fields left out with a warning, over all readings of the result. */
const fieldCodes = (result: DecodeResult): string[] => result.readings.flatMap((r) => r.fieldProblems.map((p) => `${p.code}:${p.field}`));

const withoutFields = (reading: Reading, ...fields: string[]): Reading => {
  const copy: Record<string, unknown> = { ...reading };
  for (const field of fields) delete copy[field];
  return copy as Reading;
};

describe('heatpump-decode core: decodeMessage', () => {
  describe('the example payload of the device contract', () => {
    const inputs: Array<[string, unknown]> = [
      ['a JSON string', JSON.stringify(seed())],
      ['a Buffer', Buffer.from(JSON.stringify(seed()))],
      ['a parsed object', seed()],
    ];
    for (const [label, input] of inputs) {
      it(`decodes the example reading given as ${label}`, () => {
        const result = decode(input);
        assert.deepEqual(result.problems, []);
        assert.deepEqual(result.warnings, []);
        assert.equal(result.readings.length, 1);
        assert.deepEqual(result.readings[0], { reading: seedReading(), invalid: [], invalidReasons: undefined, fieldProblems: [], timestampReplaced: false });
        assert.equal(result.topicDevice, 'site1');
        assert.equal(result.batch, false);
      });
    }

    it('does not store the device alerts object', () => {
      const reading = decode(seed()).readings[0]?.reading as Record<string, unknown>;
      assert.equal('alerts' in reading, false);
    });

    it('passes overflow and signal on, and warns about dropped readings', () => {
      const result = decode({ ...seed(), overflow: 3, signal: 67 });
      assert.deepEqual(result.problems, []);
      assert.equal(result.readings[0]?.reading.overflow, 3);
      assert.equal(result.readings[0]?.reading.signal, 67);
      assert.deepEqual(result.warnings, [{ code: 'overflow', index: undefined, device: 'site1', params: { device: 'site1', count: 3 } }]);
    });

    it('takes the device id from the payload when the topic is not a heatpump topic', () => {
      for (const topic of [undefined, '', 'inject', 'other/site1/data']) {
        const result = decodeMessage(seed(), topic, defaultOptions(), NOW);
        assert.deepEqual(result.problems, [], String(topic));
        assert.equal(result.readings[0]?.reading.device_id, 'site1');
        assert.equal(result.topicDevice, undefined);
      }
    });

    it('takes the device id from the topic when the payload has none', () => {
      const result = decode(seedWith('device', undefined), 'heatpump/pump-7/data');
      assert.deepEqual(result.problems, []);
      assert.equal(result.readings[0]?.reading.device_id, 'pump-7');
    });

    it('leaves out sensors the device does not have (missing group or value), without a problem', () => {
      const payload = seedWith('pressure', undefined);
      delete (payload.temperature as Record<string, unknown>).ambient;
      const result = decode(payload);
      assert.deepEqual(result.problems, []);
      assert.deepEqual(result.readings[0]?.reading, withoutFields(seedReading(), 'pressure_high', 'pressure_low', 'temp_ambient'));
      assert.deepEqual(result.readings[0]?.invalid, []);
    });
  });

  describe('arrays (buffer flush)', () => {
    it('decodes every element of a 100-reading array in order', () => {
      const payload = Array.from({ length: 100 }, (_, i) => ({ ...seed(), timestamp: 1706600000000 - i * 10000 }));
      const result = decode(JSON.stringify(payload));
      assert.deepEqual(result.problems, []);
      assert.equal(result.batch, true);
      assert.deepEqual(
        result.readings.map((r) => r.reading.timestamp),
        payload.map((p) => p.timestamp),
      );
    });

    it('sends the good elements and reports each rejected one with its index; a field left out is no rejection', () => {
      const payload = [seed(), 'nonsense', seedWith('device', 'site2'), seedWith('temperature', 'hot'), seedWith('electrical.voltage', 999), seed()];
      const result = decode(payload);
      assert.equal(result.readings.length, 3, 'elements 0, 4 (without voltage) and 5');
      assert.deepEqual(
        result.problems.map((p) => [p.index, p.scope, p.code, p.field]),
        [
          [1, 'item', 'not-object', undefined],
          [2, 'item', 'device-mismatch', 'device'],
          [3, 'item', 'wrong-type', 'temperature'],
        ],
      );
      assert.deepEqual(result.readings[1]?.invalid, ['voltage', 'power']);
      assert.deepEqual(fieldCodes(result), ['out-of-range:voltage']);
    });

    it('rejects an empty array as a whole', () => {
      assert.deepEqual(codes(decode('[]')), ['message:empty-array']);
    });
  });

  describe('whole-message rejections', () => {
    const cases: Array<[string, unknown, unknown, string]> = [
      ['not JSON', '{"device":"site1",', TOPIC, 'message:not-json'],
      ['not JSON (Buffer)', Buffer.from('hello'), TOPIC, 'message:not-json'],
      ['a JSON number', '42', TOPIC, 'message:bad-payload'],
      ['a JSON string', '"site1"', TOPIC, 'message:bad-payload'],
      ['null', null, TOPIC, 'message:bad-payload'],
      ['a number', 42, TOPIC, 'message:bad-payload'],
      ['undefined', undefined, TOPIC, 'message:bad-payload'],
      ['a status topic', seed(), 'heatpump/site1/status/online', 'message:bad-topic'],
      ['a topic id with a space', seed(), 'heatpump/site 1/data', 'message:topic-device'],
      ['a topic id of 65 characters', seed(), `heatpump/${'a'.repeat(65)}/data`, 'message:topic-device'],
      ['an empty topic id (heatpump/+/data matches it) whose payload names a device', seed(), 'heatpump//data', 'message:bad-topic'],
      ['a heatpump topic without a device level', seed(), 'heatpump/data', 'message:bad-topic'],
    ];
    for (const [label, input, topic, expected] of cases) {
      it(`rejects ${label}`, () => {
        const result = decode(input, topic);
        assert.deepEqual(codes(result), [expected]);
        assert.equal(result.readings.length + result.alerts.length, 0);
      });
    }

    it('names the device in the problem', () => {
      assert.equal(decode('{', TOPIC).problems[0]?.params.device, 'site1');
    });
  });

  describe('reading rejections (item level)', () => {
    const cases: Array<[string, Record<string, unknown>, string, string?]> = [
      ['a payload device that differs from the topic', seedWith('device', 'site2'), 'item:device-mismatch:device'],
      ['a device id that is a number', seedWith('device', 17), 'item:wrong-type:device'],
      ['temperature as a string', seedWith('temperature', '45.2'), 'item:wrong-type:temperature'],
      ['electrical as an array', seedWith('electrical', [230]), 'item:wrong-type:electrical'],
      ['status null', seedWith('status', null), 'item:wrong-type:status'],
      ['valid as a boolean', seedWith('valid', true), 'item:wrong-type:valid'],
      ['a timestamp as a string', seedWith('timestamp', '1706600000000'), 'item:wrong-type:timestamp'],
      ['a NaN timestamp', seedWith('timestamp', NaN), 'item:wrong-type:timestamp'],
      ['a version number', seedWith('version', 1), 'item:wrong-type:version'],
      ['a negative overflow', seedWith('overflow', -1), 'item:wrong-type:overflow'],
      ['a fractional overflow', seedWith('overflow', 1.5), 'item:wrong-type:overflow'],
      ['a signal as a string', seedWith('signal', '67'), 'item:wrong-type:signal'],
    ];
    for (const [label, payload, expected] of cases) {
      it(`rejects ${label}`, () => {
        const result = decode(payload);
        assert.deepEqual(codes(result), [expected]);
        assert.equal(result.readings.length, 0);
      });
    }

    const deviceIds: Array<[string, string]> = [
      ['empty', ''],
      ['over 64 characters', 'x'.repeat(65)],
      ['with an MQTT wildcard', 'site+1'],
      ['with a slash', 'site/1'],
      ['with a line-protocol comma', 'site,1'],
      ['with a space', 'site 1'],
    ];
    for (const [label, id] of deviceIds) {
      it(`rejects a payload device id ${label} (no heatpump topic)`, () => {
        const result = decode(seedWith('device', id), 'inject');
        assert.deepEqual(codes(result), ['item:device-id:device']);
        assert.match(String(result.problems[0]?.params.reason), /device id/);
      });
    }

    it('rejects a reading without a device id when the topic has none', () => {
      assert.deepEqual(codes(decodeMessage(seedWith('device', undefined), undefined, defaultOptions(), NOW)), ['item:device-missing']);
    });

    it('accepts a 64-character device id', () => {
      const id = 'a'.repeat(64);
      assert.equal(decode(seedWith('device', id), 'inject').readings[0]?.reading.device_id, id);
    });
  });

  describe('fields left out (warnings): the reading still goes out without the field', () => {
    const cases: Array<[string, string, unknown, string, string[], string]> = [
      ['a number as a string', 'temperature.inlet', '45.2', 'not-a-number', ['temp_inlet'], 'not_a_number'],
      ['NaN', 'temperature.outlet', NaN, 'not-a-number', ['temp_outlet'], 'not_a_number'],
      ['Infinity', 'pressure.high', Infinity, 'not-a-number', ['pressure_high'], 'not_a_number'],
      ['null', 'temperature.ambient', null, 'not-a-number', ['temp_ambient'], 'not_a_number'],
      ['a temperature above 150 °C', 'temperature.compressor', 150.1, 'out-of-range', ['temp_compressor'], 'out_of_range'],
      ['a temperature below -50 °C', 'temperature.ambient', -50.5, 'out-of-range', ['temp_ambient'], 'out_of_range'],
      ['a voltage above 300 V (power goes too)', 'electrical.voltage', 300.5, 'out-of-range', ['voltage', 'power'], 'out_of_range'],
      ['a negative current (power goes too)', 'electrical.current', -0.1, 'out-of-range', ['current', 'power'], 'out_of_range'],
      ['a power above 30000 W', 'electrical.power', 30001, 'out-of-range', ['power'], 'out_of_range'],
      ['a pressure above 700 PSI', 'pressure.low', 701, 'out-of-range', ['pressure_low'], 'out_of_range'],
      ['a status that is a number', 'status.fan', 1, 'not-boolean', ['fan_running'], 'not_boolean'],
      ['a valid flag that is a string', 'valid.temp_inlet', 'yes', 'bad-valid-flag', ['temp_inlet'], 'bad_valid_flag'],
    ];
    for (const [label, path, value, code, invalid, reason] of cases) {
      it(`leaves out ${label}, as a warning, not a rejection`, () => {
        const result = decode(seedWith(path, value));
        const field = invalid[0] as string;
        assert.deepEqual(codes(result), []);
        assert.deepEqual(fieldCodes(result), [`${code}:${field}`]);
        assert.equal(result.readings.length, 1);
        const decoded = result.readings[0];
        assert.deepEqual(decoded?.invalid, invalid);
        assert.equal(decoded?.invalidReasons?.[field], reason);
        assert.deepEqual(decoded?.reading, withoutFields(seedReading(), ...invalid));
      });
    }

    it('accepts values exactly on the range bounds', () => {
      const payload = seedWith('temperature', { inlet: -50, outlet: 150, ambient: 0, compressor: 150 });
      (payload.electrical as Record<string, unknown>).voltage = 300;
      (payload.electrical as Record<string, unknown>).current = 0;
      const result = decode(payload);
      assert.deepEqual(result.problems, []);
      assert.deepEqual(fieldCodes(result), []);
      assert.equal(result.readings[0]?.reading.temp_inlet, -50);
      assert.equal(result.readings[0]?.reading.voltage, 300);
    });

    it('leaves out a signal outside 0..100 %', () => {
      const result = decode({ ...seed(), signal: 130 });
      assert.deepEqual(codes(result), []);
      assert.deepEqual(fieldCodes(result), ['out-of-range:signal']);
      assert.deepEqual(result.readings[0]?.invalid, ['signal']);
      assert.equal(result.readings[0]?.reading.signal, undefined);
    });

    it('names device, field, value and range in the field problem', () => {
      const problem = decode(seedWith('electrical.voltage', 512)).readings[0]?.fieldProblems[0] as FieldProblem;
      assert.deepEqual(problem, { code: 'out-of-range', field: 'voltage', params: { device: 'site1', field: 'voltage', value: 512, min: 0, max: 300, unit: 'V' } });
    });

    it('lists every field left out with a warning, in payload order, and none for derived power', () => {
      const payload = seed({ electrical: { voltage: '230.5' }, pressure: { high: 900 }, status: { fan: 'on' } });
      const decoded = decode(payload).readings[0];
      assert.deepEqual(decoded?.fieldProblems.map((p) => `${p.code}:${p.field}`), ['not-a-number:voltage', 'out-of-range:pressure_high', 'not-boolean:fan_running']);
      assert.deepEqual(decoded?.invalid, ['voltage', 'power', 'pressure_high', 'fan_running']);
    });
  });

  describe('valid:false', () => {
    it('leaves flagged sensors out, lists them in invalid, and is neither a problem nor a warning', () => {
      const result = decode(seed({ valid: { temp_outlet: false, pressure_low: false } }));
      assert.deepEqual(result.problems, []);
      assert.deepEqual(fieldCodes(result), []);
      const decoded = result.readings[0];
      assert.deepEqual(decoded?.invalid, ['temp_outlet', 'pressure_low']);
      assert.deepEqual(decoded?.invalidReasons, { temp_outlet: 'flagged', pressure_low: 'flagged' });
      assert.deepEqual(decoded?.reading, withoutFields(seedReading(), 'temp_outlet', 'pressure_low'));
    });

    it('never stores a flagged value, even 0 or garbage', () => {
      const payload = seedWith('temperature', { inlet: 0, outlet: 'ERR', ambient: null, compressor: 70.5 });
      Object.assign(payload.valid as object, { temp_inlet: false, temp_outlet: false, temp_ambient: false });
      const result = decode(payload);
      assert.deepEqual(result.problems, []);
      assert.equal('temp_inlet' in (result.readings[0]?.reading ?? {}), false);
      assert.deepEqual(result.readings[0]?.invalid, ['temp_inlet', 'temp_outlet', 'temp_ambient']);
    });

    it('treats power as invalid when voltage or current is flagged invalid', () => {
      for (const flag of ['voltage', 'current']) {
        const payload = seedWith(`valid.${flag}`, false);
        const decoded = decode(payload).readings[0];
        assert.deepEqual(decoded?.invalid, [flag, 'power']);
        assert.equal(decoded?.invalidReasons?.power, 'derived');
        assert.equal(decoded?.reading.power, undefined);
      }
    });

    it('treats a missing valid object or flag as valid', () => {
      assert.deepEqual(decode(seedWith('valid', undefined)).readings[0]?.reading, seedReading());
      assert.deepEqual(decode(seedWith('valid.voltage', undefined)).readings[0]?.reading, seedReading());
    });
  });

  describe('range overrides', () => {
    it('applies a per-field override from the node config', () => {
      const { options, problems } = optionsFromConfig({ ranges: { temp_compressor: { min: '', max: '120' }, voltage: { max: 250 } } });
      assert.deepEqual(problems, []);
      assert.deepEqual(options.ranges.temp_compressor, { min: -50, max: 120 });
      assert.deepEqual(options.ranges.voltage, { min: 0, max: 250 });
      assert.deepEqual(options.ranges.temp_inlet, DEFAULT_RANGES.temp_inlet);
      const payload = seedWith('temperature.compressor', 125);
      assert.deepEqual(fieldCodes(decode(payload, TOPIC, options)), ['out-of-range:temp_compressor']);
      assert.deepEqual(fieldCodes(decode(payload)), [], 'the default range accepts 125 °C');
      assert.deepEqual(fieldCodes(decode(seedWith('electrical.voltage', 251), TOPIC, options)), ['out-of-range:voltage']);
    });

    it('uses the defaults for an empty config', () => {
      const { options, problems } = optionsFromConfig({});
      assert.deepEqual(problems, []);
      assert.deepEqual(options, defaultOptions());
      assert.equal(options.maxBytes, 262144);
    });

    it('takes the sampling interval in seconds; blank keeps 10 s', () => {
      assert.equal(defaultOptions().sampleIntervalMs, 10000);
      const cases: Array<[unknown, number]> = [
        [undefined, 10000],
        ['', 10000],
        ['30', 30000],
        [2.5, 2500],
        [' 60 ', 60000],
      ];
      for (const [sampleInterval, expected] of cases) {
        const { options, problems } = optionsFromConfig({ sampleInterval });
        assert.deepEqual(problems, [], String(sampleInterval));
        assert.equal(options.sampleIntervalMs, expected, String(sampleInterval));
      }
    });

    const bad: Array<[string, Record<string, unknown>, string]> = [
      ['a non-numeric min', { ranges: { voltage: { min: 'low' } } }, 'voltage.min: "low"'],
      ['min above max', { ranges: { current: { min: 50, max: 10 } } }, 'current: min 50 > max 10'],
      ['a zero maxBytes', { maxBytes: 0 }, 'maxBytes: 0'],
      ['a non-numeric maxBytes', { maxBytes: 'lots' }, 'maxBytes: "lots"'],
      ['a zero sampleInterval', { sampleInterval: 0 }, 'sampleInterval: 0'],
      ['a negative sampleInterval', { sampleInterval: '-10' }, 'sampleInterval: "-10"'],
      ['a sampleInterval below 1 ms', { sampleInterval: 0.0001 }, 'sampleInterval: 0.0001'],
      ['a non-numeric sampleInterval', { sampleInterval: 'often' }, 'sampleInterval: "often"'],
    ];
    for (const [label, config, expected] of bad) {
      it(`reports ${label} and keeps the default`, () => {
        const { options, problems } = optionsFromConfig(config);
        assert.deepEqual(problems, [expected]);
        assert.deepEqual(options, defaultOptions());
      });
    }
  });

  describe('timestamps', () => {
    const cases: Array<[string, unknown, number, boolean, string?]> = [
      ['a current timestamp is kept', 1706600000000, 1706600000000, false],
      ['exactly 5 minutes ahead is kept', NOW + 300000, NOW + 300000, false],
      ['2020-01-01 is kept', MIN_TIMESTAMP, MIN_TIMESTAMP, false],
      ['before 2020 is replaced', MIN_TIMESTAMP - 1, NOW, true, 'before 2020'],
      ['seconds instead of ms is replaced', 1706600000, NOW, true, 'before 2020'],
      ['more than 5 minutes ahead is replaced', NOW + 300001, NOW, true, 'more than 5 minutes in the future'],
      ['a missing timestamp is replaced', undefined, NOW, true, 'missing'],
    ];
    for (const [label, timestamp, expected, replaced, reason] of cases) {
      it(label, () => {
        const result = decode(seedWith('timestamp', timestamp));
        assert.deepEqual(result.problems, []);
        assert.equal(result.readings[0]?.reading.timestamp, expected);
        assert.equal(result.readings[0]?.timestampReplaced, replaced);
        assert.deepEqual(
          result.warnings.map((w) => [w.code, w.params.reason]),
          replaced ? [['timestamp-replaced', reason]] : [],
        );
      });
    }
  });

  describe('timestamps in an array (buffer flush): readings keep apart', () => {
    const S = 10000; // the default sampling interval
    const FUTURE = NOW + 10 * 365 * 86400000; // a clock set ten years ahead
    /** undefined: no timestamp; 'reject': an element that is rejected (not an object) */
    type Stamp = number | undefined | 'reject';
    const batch = (stamps: Stamp[]): unknown[] => stamps.map((t) => (t === 'reject' ? 'nonsense' : seedWith('timestamp', t)));
    const cases: Array<[string, Stamp[], number[], boolean[], string | undefined]> = [
      ['plausible timestamps are kept, no warning', [NOW - 20000, NOW - 10000, NOW], [NOW - 20000, NOW - 10000, NOW], [false, false, false], undefined],
      ['no timestamps: the interval apart, the last at the receive time', [undefined, undefined, undefined], [NOW - 2 * S, NOW - S, NOW], [true, true, true], 'timestamps-spaced'],
      ['an unsynced clock (uptime ms, uneven): shifted as a whole, spacing kept', [5000, 17000, 25000], [NOW - 20000, NOW - 8000, NOW], [true, true, true], 'timestamps-shifted'],
      ['a clock ten years ahead: shifted back as a whole', [FUTURE, FUTURE + 30000], [NOW - 30000, NOW], [true, true], 'timestamps-shifted'],
      ['more than 5 minutes ahead, strictly increasing: shifted as a whole', [NOW + 400000, NOW + 410000], [NOW - S, NOW], [true, true], 'timestamps-shifted'],
      ['repeated unsynced timestamps (firmware sends 0): spaced', [0, 0, 0], [NOW - 2 * S, NOW - S, NOW], [true, true, true], 'timestamps-spaced'],
      ['decreasing unsynced timestamps: spaced', [30000, 20000, 10000], [NOW - 2 * S, NOW - S, NOW], [true, true, true], 'timestamps-spaced'],
      ['unsynced with one missing: spaced', [5000, undefined, 25000], [NOW - 2 * S, NOW - S, NOW], [true, true, true], 'timestamps-spaced'],
      ['a shift that would reach before 2020: spaced', [1000, MIN_TIMESTAMP - 1], [NOW - S, NOW], [true, true], 'timestamps-spaced'],
      ['mixed: plausible kept, the others on their free slots', [NOW - 25000, undefined, undefined], [NOW - 25000, NOW - S, NOW], [false, true, true], 'timestamps-spaced'],
      ['mixed: an implausible own timestamp is placed like a missing one', [0, NOW - 5000], [NOW - S, NOW - 5000], [true, false], 'timestamps-spaced'],
      ['mixed: a slot taken by a plausible timestamp is skipped, order kept', [undefined, undefined, NOW - S], [NOW - 3 * S, NOW - 2 * S, NOW - S], [true, true, false], 'timestamps-spaced'],
      ['mixed: a plausible timestamp ahead of a placed one does not move it', [undefined, NOW + 60000], [NOW - S, NOW + 60000], [true, false], 'timestamps-spaced'],
      ['a rejected element keeps its slot empty', [undefined, 'reject', undefined], [NOW - 2 * S, NOW], [true, true], 'timestamps-spaced'],
      ['a one-element array: the receive time', [undefined], [NOW], [true], 'timestamps-spaced'],
    ];
    for (const [label, stamps, expected, replaced, warning] of cases) {
      it(label, () => {
        const result = decode(batch(stamps));
        assert.deepEqual(codes(result), stamps.includes('reject') ? ['item:not-object'] : []);
        assert.deepEqual(result.readings.map((r) => r.reading.timestamp), expected);
        assert.deepEqual(result.readings.map((r) => r.timestampReplaced), replaced);
        assert.deepEqual(result.warnings.map((w) => w.code), warning === undefined ? [] : [warning]);
      });
    }

    it('one warning for the whole array, with counts', () => {
      const result = decode(batch([NOW - 30000, undefined, 0, undefined]));
      assert.deepEqual(result.warnings, [{ code: 'timestamps-spaced', device: 'site1', params: { device: 'site1', count: 3, total: 4, interval: 10 } }]);
      const shifted = decode(batch([5000, 25000]));
      assert.deepEqual(shifted.warnings, [{ code: 'timestamps-shifted', device: 'site1', params: { device: 'site1', count: 2, total: 2, shift: NOW - 25000 } }]);
    });

    it('spaces by the configured sampling interval', () => {
      const options = { ...defaultOptions(), sampleIntervalMs: 60000 };
      const result = decode(batch([undefined, undefined, undefined]), TOPIC, options);
      assert.deepEqual(result.readings.map((r) => r.reading.timestamp), [NOW - 120000, NOW - 60000, NOW]);
    });

    it('gives 100 readings without timestamps 100 distinct times, 10 s apart, ending at the receive time', () => {
      const result = decode(JSON.stringify(batch(Array.from({ length: 100 }, () => undefined))));
      const times = result.readings.map((r) => r.reading.timestamp);
      assert.deepEqual(times, Array.from({ length: 100 }, (_, i) => NOW - (99 - i) * S));
      assert.equal(new Set(times).size, 100);
    });

    it('places readings and alerts of one array each among themselves', () => {
      const alert = { device: 'site1', alert_type: 'voltage_high', level: 'warning', value: 251.2, threshold: 250 };
      const result = decode([seedWith('timestamp', undefined), alert, { ...alert, alert_type: 'current' }, seedWith('timestamp', undefined)], 'inject');
      assert.deepEqual(codes(result), []);
      assert.deepEqual(result.readings.map((r) => r.reading.timestamp), [NOW - 3 * S, NOW]);
      assert.deepEqual(result.alerts.map((a) => a.alert.timestamp), [NOW - 2 * S, NOW - S]);
      assert.deepEqual(result.alerts.map((a) => a.timestampReplaced), [true, true]);
      assert.deepEqual(result.warnings.map((w) => [w.code, w.params.count]), [['timestamps-spaced', 2], ['timestamps-spaced', 2]]);
    });

    it('a single reading (not an array) keeps getting the receive time', () => {
      const result = decode(seedWith('timestamp', 5000));
      assert.equal(result.readings[0]?.reading.timestamp, NOW);
      assert.equal(result.readings[0]?.timestampReplaced, true);
      assert.deepEqual(result.warnings.map((w) => w.code), ['timestamp-replaced']);
    });

    it('placeTimestamps steps back over several taken times', () => {
      const placed = placeTimestamps([{ index: 2, own: undefined }], [NOW, NOW - S, NOW - 2 * S], 3, NOW, S);
      assert.deepEqual(placed, { rule: 'spaced', timestamps: [NOW - 3 * S] });
    });
  });

  describe('size limit', () => {
    const options = { ...defaultOptions(), maxBytes: 1000 };
    const payloadOf = (bytes: number): string => {
      const base = JSON.stringify({ ...seed(), version: '' });
      return JSON.stringify({ ...seed(), version: 'v'.repeat(bytes - base.length) });
    };

    it('accepts a payload of exactly maxBytes', () => {
      const text = payloadOf(1000);
      assert.equal(Buffer.byteLength(text), 1000);
      assert.deepEqual(codes(decode(text, TOPIC, options)), []);
    });

    it('rejects a string and a Buffer of maxBytes + 1', () => {
      const text = payloadOf(1001);
      for (const input of [text, Buffer.from(text)]) {
        const result = decode(input, TOPIC, options);
        assert.deepEqual(codes(result), ['message:too-large']);
        assert.deepEqual(result.problems[0]?.params, { device: 'site1', bytes: 1001, max: 1000 });
      }
    });

    it('counts UTF-8 bytes, not characters', () => {
      const base = JSON.stringify({ ...seed(), version: '' });
      const text = JSON.stringify({ ...seed(), version: '€'.repeat(Math.ceil((1001 - base.length) / 3)) });
      assert.ok(text.length <= 1000 && Buffer.byteLength(text) > 1000);
      assert.deepEqual(codes(decode(text, TOPIC, options)), ['message:too-large']);
    });

    it('defaults to 256 KB', () => {
      const big = JSON.stringify(Array.from({ length: 600 }, () => seed()));
      assert.ok(big.length > 262144);
      assert.deepEqual(codes(decode(big)), ['message:too-large']);
    });
  });

  describe('device-raised alerts', () => {
    const ALERT_TOPIC = 'heatpump/site1/alerts';
    const alertPayload = (): Record<string, unknown> => ({
      device: 'site1',
      timestamp: 1706600000000,
      alert_type: 'voltage_high',
      level: 'warning',
      value: 251.2,
      threshold: 250,
      message: 'High voltage',
    });

    it('decodes an alert on heatpump/{id}/alerts into a raised device AlertEvent', () => {
      for (const input of [alertPayload(), JSON.stringify(alertPayload()), Buffer.from(JSON.stringify(alertPayload()))]) {
        const result = decode(input, ALERT_TOPIC);
        assert.deepEqual(result.problems, []);
        assert.equal(result.readings.length, 0);
        assert.deepEqual(result.alerts, [
          {
            alert: {
              device_id: 'site1',
              alert_type: 'voltage_high',
              level: 'warning',
              value: 251.2,
              threshold: 250,
              message: 'High voltage',
              state: 'raised',
              timestamp: 1706600000000,
              source: 'device',
              field: 'voltage',
            },
            timestampReplaced: false,
          },
        ]);
      }
    });

    it('writes a message when the device sent none, and has no field for an unknown type', () => {
      const payload = { ...alertPayload(), alert_type: 'door_open', level: 'critical', message: undefined };
      const alert = decode(payload, ALERT_TOPIC).alerts[0]?.alert;
      assert.equal(alert?.message, 'door_open critical: 251.2 (threshold 250)');
      assert.equal(alert?.field, undefined);
    });

    it('tells alerts from readings by shape when the topic is not a heatpump topic', () => {
      const result = decode([seed(), alertPayload()], 'inject');
      assert.deepEqual(result.problems, []);
      assert.equal(result.readings.length, 1);
      assert.equal(result.alerts.length, 1);
    });

    it('replaces an implausible alert timestamp and flags it', () => {
      const result = decode({ ...alertPayload(), timestamp: 0 }, ALERT_TOPIC);
      assert.equal(result.alerts[0]?.alert.timestamp, NOW);
      assert.equal(result.alerts[0]?.timestampReplaced, true);
      assert.equal(result.warnings[0]?.code, 'timestamp-replaced');
    });

    const bad: Array<[string, Record<string, unknown>, string]> = [
      ['another device', { device: 'site2' }, 'item:device-mismatch:device'],
      ['an alert_type with capitals', { alert_type: 'VoltageHigh' }, 'item:alert-type:alert_type'],
      ['an alert_type of 33 characters', { alert_type: 'a'.repeat(33) }, 'item:alert-type:alert_type'],
      ['a missing alert_type', { alert_type: undefined }, 'item:alert-type:alert_type'],
      ['level "info"', { level: 'info' }, 'item:alert-level:level'],
      ["a message the InfluxDB client would change (\\')", { message: "z_\\' u" }, 'item:alert-message:message'],
      ['a value as a string', { value: '251.2' }, 'item:wrong-type:value'],
      ['an infinite threshold', { threshold: Infinity }, 'item:wrong-type:threshold'],
      ['a message that is a number', { message: 5 }, 'item:wrong-type:message'],
      ['a timestamp as a string', { timestamp: '1706600000000' }, 'item:wrong-type:timestamp'],
    ];
    for (const [label, change, expected] of bad) {
      it(`rejects an alert with ${label}`, () => {
        const result = decode({ ...alertPayload(), ...change }, ALERT_TOPIC);
        assert.deepEqual(codes(result), [expected]);
        assert.equal(result.alerts.length, 0);
      });
    }

    it('rejects an alert that is not JSON', () => {
      assert.deepEqual(codes(decode('{"alert_type":', ALERT_TOPIC)), ['message:not-json']);
    });
  });

  describe('metrics readings (heatpump/{id}/metrics)', () => {
    const METRICS_TOPIC = 'heatpump/site1/metrics';
    const metricsPayload = (): Record<string, unknown> => ({
      device_id: 'site1',
      timestamp: 1706600000000,
      metrics: { flow_temperature: 35.5, return_temperature: 30.1, flow_rate: 14.2, compressor_modulation: 55, dhw_active: false },
      units: { flow_temperature: '°C', flow_rate: 'l/min' },
      info: { source: 'esp32' },
    });

    it('decodes one metrics reading into a MetricsReading, nothing else', () => {
      const result = decode(JSON.stringify(metricsPayload()), METRICS_TOPIC);
      assert.deepEqual(result.problems, []);
      assert.deepEqual(result.warnings, []);
      assert.deepEqual(result.readings, []);
      assert.deepEqual(result.metrics, [{ reading: metricsPayload(), fieldProblems: [], timestampReplaced: false }]);
      assert.equal(result.topicDevice, 'site1');
    });

    it('takes the topic id when the reading has no device_id', () => {
      const { device_id: _, ...payload } = metricsPayload();
      assert.equal(decode(payload, METRICS_TOPIC).metrics[0]?.reading.device_id, 'site1');
    });

    it('decodes an array, the good elements going out and each bad one rejected with its index', () => {
      const payload = [metricsPayload(), { ...metricsPayload(), metrics: { flow_rate: 'fast' } }, { ...metricsPayload(), timestamp: 1706600010000 }];
      const result = decode(payload, METRICS_TOPIC);
      assert.deepEqual(codes(result), ['item:bad-metrics']);
      assert.equal(result.problems[0]?.index, 1);
      assert.match(String(result.problems[0]?.params.problem), /metric flow_rate must be a finite number or a boolean/);
      assert.deepEqual(result.metrics.map((m) => m.reading.timestamp), [1706600000000, 1706600010000]);
    });

    it('tells a metrics reading by its metrics member when the topic is not a heatpump topic', () => {
      const result = decode(metricsPayload(), 'inject');
      assert.deepEqual(result.problems, []);
      assert.equal(result.metrics.length, 1);
      assert.equal(result.readings.length, 0);
    });

    const rejected: Array<[string, unknown, string[]]> = [
      ['another device id than the topic', { ...metricsPayload(), device_id: 'site2' }, ['item:device-mismatch:device']],
      ['a device_id that is not a string', { ...metricsPayload(), device_id: 7 }, ['item:wrong-type:device']],
      ['a timestamp as a string', { ...metricsPayload(), timestamp: '1706600000000' }, ['item:wrong-type:timestamp']],
      ['metrics that are no object', { ...metricsPayload(), metrics: [1, 2] }, ['item:bad-metrics']],
      ['a metric that is null', { ...metricsPayload(), metrics: { flow_rate: null } }, ['item:bad-metrics']],
      ['a metric name with a dot', { ...metricsPayload(), metrics: { 'flow.rate': 1 } }, ['item:bad-metrics']],
      ['an unknown info key', { ...metricsPayload(), info: { colour: 'red' } }, ['item:bad-metrics']],
      ['a unit that is a number', { ...metricsPayload(), units: { flow_rate: 1 } }, ['item:bad-metrics']],
      ['an element that is no object', [3], ['item:not-object']],
      ['an empty array', [], ['message:empty-array']],
      ['text that is not JSON', '{"metrics":', ['message:not-json']],
    ];
    for (const [label, payload, expected] of rejected) {
      it(`rejects ${label}`, () => {
        const result = decode(payload, METRICS_TOPIC);
        assert.deepEqual(codes(result), expected);
        assert.equal(result.metrics.length, 0);
      });
    }

    it('applies the size limit to the metrics topic too', () => {
      const options = { ...defaultOptions(), maxBytes: 100 };
      assert.deepEqual(codes(decode(JSON.stringify(metricsPayload()), METRICS_TOPIC, options)), ['message:too-large']);
    });

    const ranges: Array<[string, number, string]> = [
      ['flow_temperature', 151, 'temp_outlet'],
      ['return_temperature', -51, 'temp_inlet'],
      ['outdoor_temperature', 200, 'temp_ambient'],
      ['electrical_power', 30001, 'power'],
      ['electrical_power', -1, 'power'],
    ];
    for (const [metric, value, sensor] of ranges) {
      it(`leaves out ${metric} = ${value} (outside the range of ${sensor}), keeping the other metrics`, () => {
        const payload = { ...metricsPayload(), metrics: { [metric]: value, flow_rate: 14.2 }, units: { [metric]: 'x', flow_rate: 'l/min' } };
        const result = decode(payload, METRICS_TOPIC);
        assert.deepEqual(result.problems, []);
        assert.deepEqual(result.metrics[0]?.reading.metrics, { flow_rate: 14.2 });
        assert.deepEqual(result.metrics[0]?.reading.units, { flow_rate: 'l/min' });
        assert.deepEqual(result.metrics[0]?.fieldProblems.map((p) => `${p.code}:${p.field}`), [`out-of-range:${metric}`]);
        assert.deepEqual(payload.metrics, { [metric]: value, flow_rate: 14.2 }, 'the input is not changed');
      });
    }

    it('follows a range override of the matching sensor', () => {
      const { options } = optionsFromConfig({ ranges: { temp_outlet: { max: 60 } } });
      const result = decode({ ...metricsPayload(), metrics: { flow_temperature: 61 } }, METRICS_TOPIC, options);
      assert.deepEqual(result.metrics[0]?.reading.metrics, {});
    });

    it('replaces a missing or implausible timestamp like a reading does, and spaces an array apart', () => {
      const single = decode({ ...metricsPayload(), timestamp: 0 }, METRICS_TOPIC);
      assert.equal(single.metrics[0]?.reading.timestamp, NOW);
      assert.equal(single.metrics[0]?.timestampReplaced, true);
      assert.equal(single.warnings[0]?.code, 'timestamp-replaced');
      const { timestamp: _, ...untimed } = metricsPayload();
      const batch = decode([untimed, untimed, untimed], METRICS_TOPIC);
      assert.deepEqual(batch.metrics.map((m) => m.reading.timestamp), [NOW - 20000, NOW - 10000, NOW]);
      assert.deepEqual(batch.warnings.map((w) => w.code), ['timestamps-spaced']);
    });
  });
});
