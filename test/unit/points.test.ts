import assert from 'node:assert/strict';
import { isMetricsReading, type AlertEvent, type InfluxPoint, type MetricsReading, type Reading } from '../../nodes/shared/contract';
import { alertToPoint, metricsToPoint, readingToPoint, toPoints } from '../../nodes/shared/points';
import { PointBuffer, retryDelayMs, writeOutcomeOf, batchOptionsFromConfig, DEFAULT_BATCH_OPTIONS } from '../../nodes/heatpump-batch/buffer';
import { seedFields, seedReading } from '../fixtures/payloads';

const READING: Reading = seedReading({ overflow: 0, signal: 67 });

const ALERT: AlertEvent = {
  device_id: 'site1',
  alert_type: 'voltage_high',
  level: 'critical',
  value: 251,
  threshold: 250,
  message: 'High voltage',
  state: 'raised',
  timestamp: 1706600000000,
  source: 'device',
};

const READING_POINT: InfluxPoint = {
  measurement: 'sensor_reading',
  tags: { device_id: 'site1' },
  fields: seedFields(),
  timestamp: new Date(1706600000000),
};

const ALERT_POINT: InfluxPoint = {
  measurement: 'alert',
  tags: { device_id: 'site1', alert_type: 'voltage_high', level: 'critical', source: 'device' },
  fields: { value: 251, message: 'High voltage' },
  timestamp: new Date(1706600000000),
};

const METRICS: MetricsReading = {
  device_id: 'nibe-f1255',
  timestamp: 1706600000000,
  metrics: { flow_temperature: 35.5, high_pressure_alarm: false, compressor_starts: 1234 },
  units: { flow_temperature: '°C', compressor_starts: '' },
  info: { name: 'Keller', location: 'Haus 1', model: 'NIBE F1255', source: 'modbus' },
};

const METRICS_POINT: InfluxPoint = {
  measurement: 'heatpump_metrics',
  tags: { heatpump_id: 'nibe-f1255', name: 'Keller', location: 'Haus 1', model: 'NIBE F1255' },
  fields: { flow_temperature: 35.5, high_pressure_alarm: false, compressor_starts: 1234 },
  timestamp: new Date(1706600000000),
};

describe('shared/contract: isMetricsReading', () => {
  const cases: Array<[string, unknown, boolean]> = [
    ['a full metrics reading', METRICS, true],
    ['one without units and info', { device_id: 'hp1', timestamp: 1, metrics: { a: 1 } }, true],
    ['one without metrics values', { device_id: 'hp1', timestamp: 1, metrics: {} }, true],
    ['an ESP32 Reading', READING, false],
    ['an unsafe device id', { ...METRICS, device_id: 'a/b' }, false],
    ['a string metric', { ...METRICS, metrics: { a: '1' } }, false],
    ['an Infinity metric', { ...METRICS, metrics: { a: Infinity } }, false],
    ['a metric name with a space', { ...METRICS, metrics: { 'a b': 1 } }, false],
    ['a metric name of 65 characters', { ...METRICS, metrics: { ['m'.repeat(65)]: 1 } }, false],
    ['a numeric unit', { ...METRICS, units: { a: 1 } }, false],
    ['an unknown info key', { ...METRICS, info: { owner: 'x' } }, false],
    ['a numeric model', { ...METRICS, info: { model: 1255 } }, false],
    ['a string timestamp', { ...METRICS, timestamp: '2024-01-30' }, false],
  ];
  for (const [label, value, expected] of cases) it(`${expected ? 'takes' : 'refuses'} ${label}`, () => assert.equal(isMetricsReading(value), expected));
});

describe('shared/points', () => {
  it('metricsToPoint maps the storage contract: tag heatpump_id plus the tags present, one field per metric', () => {
    assert.deepEqual(metricsToPoint(METRICS), METRICS_POINT);
    assert.deepEqual(metricsToPoint({ device_id: 'hp1', timestamp: 1, metrics: { a: 1 }, info: { name: '', source: 'modbus' } }).tags, { heatpump_id: 'hp1' }, 'no empty tags, source is not a tag');
  });

  it('readingToPoint maps the storage contract: floats, booleans, tag device_id, Date timestamp', () => {
    assert.deepEqual(readingToPoint(READING), READING_POINT);
  });

  it('readingToPoint leaves out absent fields and never writes metadata', () => {
    const point = readingToPoint({ device_id: 'site1', timestamp: 1706600000000, voltage: 230, fan_running: false, firmware_version: 'x' });
    assert.deepEqual(point.fields, { voltage: 230, fan_running: false });
  });

  it('alertToPoint maps tags device_id, alert_type, level, source and fields value, message', () => {
    assert.deepEqual(alertToPoint(ALERT), ALERT_POINT);
    const { source: _device, ...fromThreshold } = ALERT;
    assert.equal(alertToPoint(fromThreshold).tags.source, 'threshold', 'a server-raised row never overwrites a device-raised one');
  });

  describe('toPoints', () => {
    const good: Array<[string, unknown, InfluxPoint[]]> = [
      ['a Reading', READING, [READING_POINT]],
      ['an AlertEvent', ALERT, [ALERT_POINT]],
      ['an InfluxPoint', READING_POINT, [READING_POINT]],
      ['an InfluxPoint with a ms timestamp', { ...ALERT_POINT, timestamp: 1706600000000 }, [ALERT_POINT]],
      ['a MetricsReading', METRICS, [METRICS_POINT]],
      ['a mixed array', [READING, ALERT, READING_POINT, METRICS], [READING_POINT, ALERT_POINT, READING_POINT, METRICS_POINT]],
      ['an empty array', [], []],
    ];
    for (const [label, payload, expected] of good) {
      it(`accepts ${label}`, () => {
        const result = toPoints(payload);
        assert.ok(result.ok, result.ok ? '' : result.error);
        assert.deepEqual(result.value.points, expected);
        assert.equal(result.value.empty, 0);
      });
    }

    it('writes nothing for a cleared AlertEvent: a row records that an alert fired', () => {
      assert.deepEqual(toPoints({ ...ALERT, state: 'cleared' }), { ok: true, value: { points: [], empty: 1 } });
    });

    it('counts a reading without fields as empty instead of writing a field-less point', () => {
      const result = toPoints([{ device_id: 'site1', timestamp: 1706600000000 }, READING, { ...METRICS, metrics: {} }]);
      assert.ok(result.ok);
      assert.deepEqual(result.value, { points: [READING_POINT], empty: 2 });
    });

    const bad: Array<[string, unknown, RegExp]> = [
      ['a string', 'hello', /expected a Reading, MetricsReading, AlertEvent or InfluxPoint object, got "hello"/],
      ['null', null, /got null/],
      ['an unknown object', { foo: 1 }, /has neither measurement/],
      ['a reading with an unsafe device id', { ...READING, device_id: 'a b' }, /Reading: device id contains/],
      ['a reading with a string value', { ...READING, voltage: '230' }, /Reading site1: voltage must be a finite number, got "230"/],
      ['a reading with NaN', { ...READING, current: NaN }, /current must be a finite number, got NaN/],
      ['a reading with a numeric state', { ...READING, fan_running: 1 }, /fan_running must be a boolean/],
      ['a reading without timestamp', { ...READING, timestamp: undefined }, /timestamp must be ms since the epoch/],
      ['an alert with a bad level', { ...ALERT, level: 'info' }, /AlertEvent site1: level must be/],
      ['an alert with a bad type', { ...ALERT, alert_type: 'X' }, /alert_type must match/],
      ['an alert without message', { ...ALERT, message: undefined }, /message must be a string/],
      ['an alert whose source would inject a tag', { ...ALERT, source: 'device,level=warning' }, /AlertEvent site1: source must be "device" or absent/],
      ['a point without fields', { ...READING_POINT, fields: {} }, /at least one field/],
      ['a point with a numeric tag', { ...READING_POINT, tags: { device_id: 1 } }, /tag device_id must be a string/],
      ['a point with an invalid Date', { ...READING_POINT, timestamp: new Date(NaN) }, /timestamp must be a Date/],
      ['a point with an object field', { ...READING_POINT, fields: { a: {} } }, /field a must be/],
      ['an array with one bad element', [READING, 5], /^\[1\] expected a Reading/],
      ['metrics with a NaN value', { ...METRICS, metrics: { flow_temperature: NaN } }, /^MetricsReading nibe-f1255: metric flow_temperature must be a finite number or a boolean, got NaN$/],
      ['metrics with a string value', { ...METRICS, metrics: { flow_temperature: '35' } }, /metric flow_temperature must be a finite number or a boolean, got string/],
      ['metrics with a null value', { ...METRICS, metrics: { dhw: null } }, /metric dhw must be a finite number or a boolean, got null/],
      ['metrics with an unsafe name', { ...METRICS, metrics: { 'a,b=1': 1 } }, /metric name "a,b=1" must be/],
      ['metrics as an array', { ...METRICS, metrics: [1] }, /metrics must be an object/],
      ['metrics with an unsafe device id', { ...METRICS, device_id: 'a b' }, /^MetricsReading a b: device id contains/],
      ['metrics in an array, the second bad', [METRICS, { ...METRICS, metrics: { x: undefined } }], /^\[1\] MetricsReading nibe-f1255: metric x must be/],
    ];
    for (const [label, payload, expected] of bad) {
      it(`rejects ${label}`, () => {
        const result = toPoints(payload);
        assert.equal(result.ok, false);
        if (!result.ok) assert.match(result.error, expected);
      });
    }
  });
});

describe('heatpump-batch core: PointBuffer', () => {
  const points = (n: number, start = 0): InfluxPoint[] =>
    Array.from({ length: n }, (_, i) => ({ ...READING_POINT, timestamp: new Date(1706600000000 + (start + i) * 1000) }));

  it('holds points below maxPoints and asks for the timer once', () => {
    const buffer = new PointBuffer({ maxPoints: 5, maxBuffered: 100 });
    assert.deepEqual(buffer.add(points(2)), { batches: [], dropped: 0, startTimer: true });
    assert.deepEqual(buffer.add(points(2)), { batches: [], dropped: 0, startTimer: false });
    assert.equal(buffer.size, 4);
  });

  it('sends full batches of maxPoints in order and keeps the rest', () => {
    const buffer = new PointBuffer({ maxPoints: 5, maxBuffered: 100 });
    const incoming = points(12);
    const outcome = buffer.add(incoming);
    assert.deepEqual(outcome.batches, [incoming.slice(0, 5), incoming.slice(5, 10)]);
    assert.equal(buffer.size, 2);
    assert.deepEqual(buffer.takeAll(), incoming.slice(10));
    assert.equal(buffer.size, 0);
  });

  it('drops the oldest points beyond maxBuffered and counts them', () => {
    const buffer = new PointBuffer({ maxPoints: 0, maxBuffered: 10 });
    buffer.add(points(8));
    const outcome = buffer.add(points(5, 8));
    assert.equal(outcome.dropped, 3);
    assert.deepEqual(
      buffer.takeAll().map((p) => p.timestamp.getTime()),
      points(10, 3).map((p) => p.timestamp.getTime()),
    );
  });

  it('reads options from config, blank keeps the default, bad values are reported', () => {
    assert.deepEqual(batchOptionsFromConfig({}), { options: DEFAULT_BATCH_OPTIONS, problems: [] });
    assert.deepEqual(batchOptionsFromConfig({ maxPoints: '10', maxWaitMs: 0, maxBuffered: '' }).options, { maxPoints: 10, maxWaitMs: 0, maxBuffered: 100000, retries: 5, writeTimeoutS: 30 });
    assert.deepEqual(batchOptionsFromConfig({ writeTimeoutS: '0' }).options.writeTimeoutS, 0, '0: no write deadline');
    assert.deepEqual(batchOptionsFromConfig({ maxPoints: -1, maxBuffered: 0, maxWaitMs: 'soon', writeTimeoutS: 1.5 }).problems, ['maxPoints: -1', 'maxWaitMs: "soon"', 'maxBuffered: 0', 'writeTimeoutS: 1.5']);
  });
});

describe('heatpump-batch core: write outcomes', () => {
  const batch = [READING_POINT];
  const cases: [string, Parameters<typeof writeOutcomeOf>[0], unknown][] = [
    ['a written batch (complete node)', { payload: batch, heatpumpBatch: { attempt: 0 } }, { points: batch, attempt: 0, error: undefined, retryIn: undefined, beyondRetention: 0 }],
    ['a first failure: retry in 1 s', { payload: batch, heatpumpBatch: { attempt: 0 }, error: { message: 'ECONNREFUSED' } }, { points: batch, attempt: 0, error: 'ECONNREFUSED', retryIn: 1000, beyondRetention: 0 }],
    ['the fourth retry failed: next in 16 s', { payload: batch, heatpumpBatch: { attempt: 4 }, error: { message: 'timeout' } }, { points: batch, attempt: 4, error: 'timeout', retryIn: 16000, beyondRetention: 0 }],
    ['the last retry failed: lost', { payload: batch, heatpumpBatch: { attempt: 5 }, error: 'HTTP 500' }, { points: batch, attempt: 5, error: 'HTTP 500', retryIn: undefined, beyondRetention: 0 }],
    [
      'InfluxDB 1.x took the batch but dropped a point older than its retention: written, 1 beyond retention, no retry',
      { payload: [...batch, ...batch], heatpumpBatch: { attempt: 0 }, error: { message: 'A 400 Bad Request error occurred: {"error":"partial write: points beyond retention policy dropped=1"}' } },
      { points: [...batch, ...batch], attempt: 0, error: undefined, retryIn: undefined, beyondRetention: 1 },
    ],
    [
      'InfluxDB 2.x (422) the same',
      { payload: batch, heatpumpBatch: { attempt: 2 }, error: '{"code":"unprocessable entity","message":"failure writing points to database: partial write: points beyond retention policy dropped=1"}' },
      { points: batch, attempt: 2, error: undefined, retryIn: undefined, beyondRetention: 1 },
    ],
    [
      'a drop count larger than the batch is not this batch\'s answer: an ordinary failure',
      { payload: batch, heatpumpBatch: { attempt: 0 }, error: 'partial write: points beyond retention policy dropped=7' },
      { points: batch, attempt: 0, error: 'partial write: points beyond retention policy dropped=7', retryIn: 1000, beyondRetention: 0 },
    ],
  ];
  for (const [name, msg, expected] of cases) it(name, () => assert.deepEqual(writeOutcomeOf(msg, 5), { ok: true, value: expected }));

  it('refuses a report without points or attempt', () => {
    assert.equal(writeOutcomeOf({ payload: batch, heatpumpBatch: {} }, 5).ok, false);
    assert.equal(writeOutcomeOf({ payload: 'x', heatpumpBatch: { attempt: 0 } }, 5).ok, false);
  });

  it('backs off 1, 2, 4, 8, 16 s and never beyond a minute', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 7, 20].map(retryDelayMs), [1000, 2000, 4000, 8000, 16000, 60000, 60000]);
  });
});
