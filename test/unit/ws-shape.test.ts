// The messages /api/ws pushes, shaped by heatpump-ws-clients: pinned against the JSONata change
// nodes the shipped flow used before (their expressions are kept here as the reference), on
// realistic inputs and their odd corners; a payload with a `type` passes untouched; what the
// change nodes could not shape (or shaped into nonsense) is refused. Table-driven.
import assert from 'node:assert/strict';
import jsonata from 'jsonata';
import { isoOfMillis, shapePushed } from '../../nodes/heatpump-ws-clients/shape';
import type { AlertEvent, MetricsReading, PresenceEvent } from '../../nodes/shared/contract';
import { SEED_TIMESTAMP, seedReading } from '../fixtures/payloads';

/** The change nodes' expressions (flows/20-api.json before the shaping moved into the node). */
const BEFORE = {
  sensor_data:
    '{"type": "sensor_data", "device_id": payload[-1].device_id, "data": payload[-1], "alerts": alerts ? alerts[-1] : {}, "timestamp": $fromMillis(payload[-1].timestamp)}',
  alert:
    '{"type": "alert", "device_id": payload.device_id, "alert_type": payload.alert_type, "level": payload.level, "state": payload.state, "value": payload.value, "threshold": payload.threshold, "message": payload.message, "source": payload.source ? payload.source : "threshold", "timestamp": $fromMillis(payload.timestamp)}',
  presence:
    '{"type": payload.event, "device_id": payload.device_id, "reason": payload.reason, "last_seen": payload.last_seen ? $fromMillis(payload.last_seen) : null, "timestamp": $fromMillis(payload.timestamp)}',
} as const;

interface PushedInput {
  payload: unknown;
  alerts?: unknown;
}

/** What the change node's JSONata made of the message, as the WebSocket sends it (JSON text). */
async function before(kind: keyof typeof BEFORE, msg: PushedInput): Promise<string> {
  return JSON.stringify(await jsonata(BEFORE[kind]).evaluate(msg));
}

function shaped(msg: PushedInput): string {
  const result = shapePushed(msg.payload, msg.alerts);
  assert.ok(result.ok, `shaped: ${result.ok ? '' : result.error}`);
  return JSON.stringify(result.value);
}

const reading1 = seedReading({ device_id: 'site1', timestamp: SEED_TIMESTAMP });
const reading2 = seedReading({ device_id: 'site1', timestamp: SEED_TIMESTAMP + 1001, voltage: 251.3 });
const sparseReading = { device_id: 'site2', timestamp: SEED_TIMESTAMP + 7, temp_outlet: 48.2 };
const metrics: MetricsReading = {
  device_id: 'nibe2',
  timestamp: SEED_TIMESTAMP + 250,
  metrics: { bt1_outdoor: -3.4, compressor_hz: 62 },
  units: { bt1_outdoor: '°C', compressor_hz: 'Hz' },
  info: { name: 'NIBE S1255', source: 'modbus' },
};
const thresholdAlert: AlertEvent = {
  device_id: 'site1',
  alert_type: 'voltage_high',
  level: 'warning',
  value: 251.3,
  threshold: 250,
  message: 'Voltage 251.3 V above 250 V',
  state: 'raised',
  timestamp: SEED_TIMESTAMP + 1001,
  field: 'voltage',
};
const deviceAlert: AlertEvent = { ...thresholdAlert, alert_type: 'compressor_fault', level: 'critical', value: 1, threshold: 1, message: 'fault', source: 'device' };
const online: PresenceEvent = { event: 'device_online', device_id: 'site1', last_seen: SEED_TIMESTAMP - 60_000, reason: 'data', timestamp: SEED_TIMESTAMP };

describe('heatpump-ws-clients shaping of pushed messages', function () {
  const sameAsBefore: [string, keyof typeof BEFORE, PushedInput][] = [
    ['one reading with its levels', 'sensor_data', { payload: reading1, alerts: { voltage_high: 'warning' } }],
    ['one reading, no active levels', 'sensor_data', { payload: reading1, alerts: {} }],
    ['one reading, msg.alerts missing', 'sensor_data', { payload: reading1 }],
    ['one reading, msg.alerts null', 'sensor_data', { payload: reading1, alerts: null }],
    ['a sparse reading (invalid sensors left out)', 'sensor_data', { payload: sparseReading, alerts: {} }],
    ['a metrics reading', 'sensor_data', { payload: metrics, alerts: { compressor_hz_high: 'critical' } }],
    ['an array: the last reading and the last levels', 'sensor_data', { payload: [reading1, reading2], alerts: [{}, { voltage_high: 'warning' }] }],
    ['an array whose last reading has no levels', 'sensor_data', { payload: [reading1, reading2], alerts: [{ voltage_high: 'warning' }, {}] }],
    ['an array, msg.alerts missing', 'sensor_data', { payload: [reading1, reading2] }],
    ['an array, msg.alerts empty', 'sensor_data', { payload: [reading1, reading2], alerts: [] }],
    ['a reading without device_id: the key left out', 'sensor_data', { payload: { timestamp: SEED_TIMESTAMP, voltage: 230 } }],
    ['a reading without timestamp: the key left out', 'sensor_data', { payload: { device_id: 'site1', voltage: 230 } }],
    ['a timestamp with a fraction of a millisecond', 'sensor_data', { payload: { device_id: 'site1', timestamp: SEED_TIMESTAMP + 0.7 } }],
    ['a timestamp before 1970', 'sensor_data', { payload: { device_id: 'site1', timestamp: -1 } }],
    ['the last millisecond of year 9999', 'sensor_data', { payload: { device_id: 'site1', timestamp: Date.parse('9999-12-31T23:59:59.999Z') } }],
    ['an alert of threshold-alert (no source)', 'alert', { payload: thresholdAlert }],
    ['an alert the device raised', 'alert', { payload: deviceAlert }],
    ['an alert with an empty source', 'alert', { payload: { ...thresholdAlert, source: '' } }],
    ['a cleared alert with value null', 'alert', { payload: { ...thresholdAlert, state: 'cleared', value: null } }],
    ['an alert without message', 'alert', { payload: { ...thresholdAlert, message: undefined } }],
    ['device_online', 'presence', { payload: online }],
    ['device_offline on a timeout', 'presence', { payload: { ...online, event: 'device_offline', reason: 'timeout' } }],
    ['last_seen null (never seen)', 'presence', { payload: { ...online, event: 'device_offline', reason: 'status', last_seen: null } }],
    ['last_seen 0', 'presence', { payload: { ...online, last_seen: 0 } }],
    ['last_seen missing', 'presence', { payload: { ...online, last_seen: undefined } }],
    ['a presence event without reason', 'presence', { payload: { ...online, reason: undefined } }],
  ];
  for (const [name, kind, msg] of sameAsBefore) {
    it(`${kind}: ${name}, as the change node made it`, async function () {
      assert.equal(shaped(msg), await before(kind, msg));
    });
  }

  it('keeps the reading itself as data, without copying it', function () {
    const result = shapePushed([reading1, reading2], undefined);
    assert.ok(result.ok);
    assert.equal((result.value as { data: unknown }).data, reading2);
  });

  const passing: [string, unknown][] = [
    ['sensor_data shaped elsewhere', { type: 'sensor_data', device_id: 'site1', data: reading1 }],
    ['an integrator\'s own message', { type: 'weather', device_id: 'site1', outdoor: -2 }],
    ['a type and an event', { type: 'device_online', event: 'device_online', device_id: 'site1' }],
  ];
  for (const [name, payload] of passing) {
    it(`passes a payload with a type as it is: ${name}`, function () {
      const result = shapePushed(payload, { voltage_high: 'warning' });
      assert.ok(result.ok);
      assert.equal(result.value, payload);
    });
  }

  // where the change node failed with an error, or sent something no client can use
  const refused: [string, PushedInput, RegExp][] = [
    ['a text payload', { payload: 'site1 230 V' }, /not string/],
    ['a number payload', { payload: 42 }, /not number/],
    ['a null payload', { payload: null }, /not null/],
    ['an empty array', { payload: [], alerts: [] }, /empty array/],
    ['an array ending in a text', { payload: [reading1, 'x'] }, /a reading must be an object/],
    ['a timestamp as text', { payload: { ...reading1, timestamp: '2024-01-30T07:33:20Z' } }, /timestamp must be ms since the epoch, not "2024/],
    ['a timestamp null', { payload: { ...reading1, timestamp: null } }, /timestamp must be ms since the epoch, not null/],
    ['a timestamp past year 9999', { payload: { ...reading1, timestamp: 1e20 } }, /timestamp must be ms/],
    ['an alert with a text timestamp', { payload: { ...thresholdAlert, timestamp: 'now' } }, /timestamp must be ms/],
    ['a presence event with a text last_seen', { payload: { ...online, last_seen: 'yesterday' } }, /last_seen must be ms since the epoch/],
  ];
  for (const [name, msg, error] of refused) {
    it(`refuses ${name}`, function () {
      const result = shapePushed(msg.payload, msg.alerts);
      assert.equal(result.ok, false);
      assert.match(result.ok ? '' : result.error, error);
    });
  }

  const times: [unknown, string | undefined][] = [
    [undefined, undefined],
    [0, '1970-01-01T00:00:00.000Z'],
    [SEED_TIMESTAMP, '2024-01-30T07:33:20.000Z'],
    [Date.parse('0000-01-01T00:00:00.000Z'), '0000-01-01T00:00:00.000Z'],
  ];
  for (const [millis, iso] of times) {
    it(`writes ${String(millis)} ms as ${String(iso)}, as $fromMillis does`, async function () {
      const result = isoOfMillis(millis, 'timestamp');
      assert.deepEqual(result, { ok: true, value: iso });
      assert.equal(await jsonata('$fromMillis(t)').evaluate({ t: millis }), iso);
    });
  }
});
