// The bounded seen-set of webhook message ids (replay.ts) and the ids the webhooks give it.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { SEEN_IDS_LIMITS, SeenIds, type SeenIdsLimits } from '../../nodes/sms-gateway-bridge/replay';
import { handleAndroidWebhook, handleTwilioWebhook } from '../../nodes/sms-gateway-bridge/webhooks';
import { twilioSignature } from '../../nodes/sms-gateway-bridge/transports/twilio';
import { readFixture } from '../support/fixtures';

const T0 = Date.UTC(2026, 0, 1, 12);
const H = 3600_000;
const small: SeenIdsLimits = { maxIds: 3, maxAgeMs: H };

describe('sms replay: bounded seen ids', function () {
  // [name, limits, steps [id, time offset, expected firstSeen]]
  const cases: [string, SeenIdsLimits, [string, number, boolean][]][] = [
    ['a new id is first seen, again it is not', small, [['a', 0, true], ['a', 1, false], ['b', 2, true]]],
    ['an id is forgotten once maxAgeMs has passed', small, [['a', 0, true], ['a', H - 1, false], ['a', H, true]]],
    ['the oldest id goes when more than maxIds are kept', small, [['a', 0, true], ['b', 1, true], ['c', 2, true], ['d', 3, true], ['a', 4, true], ['c', 5, false]]],
    ['a repeat does not refresh the age', small, [['a', 0, true], ['a', H / 2, false], ['a', H, true]]],
    ['the defaults keep 1000 ids', SEEN_IDS_LIMITS, [...Array.from({ length: 1000 }, (_, i): [string, number, boolean] => [`id${i}`, i, true]), ['id0', 2000, false], ['new', 2001, true], ['id0', 2002, true]]],
  ];
  for (const [name, limits, steps] of cases)
    it(name, function () {
      const seen = new SeenIds(limits);
      for (const [id, offset, expected] of steps) assert.equal(seen.firstSeen(id, T0 + offset), expected, `${id} at +${offset}`);
      assert.ok(seen.size <= limits.maxIds);
    });

  it('the defaults forget an id after 24 h', function () {
    const seen = new SeenIds();
    assert.equal(seen.firstSeen('x', T0), true);
    assert.equal(seen.has('x', T0 + 24 * H - 1), true);
    assert.equal(seen.has('x', T0 + 24 * H), false);
  });

  it('toJSON / fromJSON carry the ids over a restart, without the expired ones', function () {
    const seen = new SeenIds(small);
    seen.firstSeen('old', T0);
    seen.firstSeen('new', T0 + H / 2);
    const json = JSON.parse(JSON.stringify(seen.toJSON())) as unknown;
    const restored = SeenIds.fromJSON(json, small, T0 + H);
    assert.ok(restored.ok);
    assert.equal(restored.value.size, 1);
    assert.equal(restored.value.firstSeen('new', T0 + H), false);
    assert.equal(restored.value.firstSeen('old', T0 + H), true);
  });

  it('fromJSON keeps the newest maxIds and counts a future time as now', function () {
    const restored = SeenIds.fromJSON({ version: 1, ids: [['a', T0], ['b', T0 + 1], ['c', T0 + 2], ['d', T0 + 3], ['future', T0 + 100 * H]] }, small, T0 + 10);
    assert.ok(restored.ok);
    assert.deepEqual(restored.value.toJSON().ids.map(([id]) => id), ['c', 'd', 'future']);
    assert.deepEqual(restored.value.toJSON().ids[2], ['future', T0 + 10]);
    assert.equal(restored.value.has('future', T0 + 10 + H), false, 'a clock set back keeps an id one window at most');
  });

  const bad: [string, unknown][] = [
    ['undefined', undefined],
    ['an array', []],
    ['another version', { version: 2, ids: [] }],
    ['ids not a list', { version: 1, ids: 'x' }],
    ['an entry without a time', { version: 1, ids: [['a']] }],
    ['a time that is not a number', { version: 1, ids: [['a', '1']] }],
    ['an id that is not a string', { version: 1, ids: [[1, T0]] }],
    ['an infinite time', { version: 1, ids: [['a', Infinity]] }],
  ];
  for (const [name, value] of bad) it(`fromJSON rejects ${name}`, () => assert.equal(SeenIds.fromJSON(value, small, T0).ok, false));
});

describe('sms webhooks: replay keys and signatures', function () {
  const TOKEN = 'token';
  const URL = 'https://example.org/sms/hook';
  /** signature null: no X-Twilio-Signature header */
  const twilio = (params: Record<string, string>, signature: string | null = twilioSignature(TOKEN, URL, params)) =>
    handleTwilioWebhook({ payload: params, headers: signature === null ? {} : { 'x-twilio-signature': signature }, url: URL }, TOKEN, true, T0);
  const inbound = { From: '+16505551212', Body: 'RESET', MessageSid: 'SM1', AccountSid: 'AC1' };

  const twilioCases: [string, Record<string, string>, string | undefined][] = [
    ['an inbound SMS by its MessageSid', inbound, 'twilio:SM1'],
    ['an inbound SMS by SmsSid when MessageSid is missing', { From: '+1', Body: 'x', SmsSid: 'SM2' }, 'twilio:SM2'],
    ['an inbound SMS without an id: none', { From: '+1', Body: 'x' }, undefined],
    ['a status callback by its MessageSid and status', { MessageSid: 'SM3', MessageStatus: 'delivered' }, 'twilio:SM3:delivered'],
  ];
  for (const [name, params, key] of twilioCases) it(`Twilio: ${name}`, () => assert.equal(twilio(params).replayKey, key));

  const signatureCases: [string, string | null][] = [
    ['no X-Twilio-Signature', null],
    ['a signature of another URL', twilioSignature(TOKEN, `${URL}/other`, inbound)],
    ['a signature of other parameters', twilioSignature(TOKEN, URL, { ...inbound, Body: 'STATUS' })],
    ['an empty signature', ''],
  ];
  for (const [name, signature] of signatureCases)
    it(`Twilio refuses ${name} with 403 and runs nothing`, function () {
      const outcome = twilio(inbound, signature);
      assert.deepEqual([outcome.answer.statusCode, outcome.problem, outcome.inbound, outcome.replayKey], [403, 'bad-signature', undefined, undefined]);
    });
  it('Twilio without an auth token refuses when signatures are required', function () {
    assert.equal(handleTwilioWebhook({ payload: inbound, headers: {}, url: URL }, undefined, true, T0).problem, 'no-secret');
  });

  const KEY = 'key';
  const android = (body: string, headers?: Record<string, string>) => {
    const timestamp = String(Math.floor(T0 / 1000));
    const signed = { 'x-timestamp': timestamp, 'x-signature': createHmac('sha256', KEY).update(body + timestamp).digest('hex') };
    return handleAndroidWebhook({ payload: Buffer.from(body), headers: headers ?? signed, url: URL }, KEY, true, T0);
  };
  const received = readFixture('sms_gateways', 'android_sms_gateway/webhook_sms_received.json');
  const delivered = readFixture('sms_gateways', 'android_sms_gateway/webhook_sms_delivered.json');
  const failed = readFixture('sms_gateways', 'android_sms_gateway/webhook_sms_failed_status_tracking_variant.json');
  const androidCases: [string, string, string | undefined][] = [
    ['sms:received by the event id', received, 'android:sms:received:Ey6ECgOkVVFjz3CL48B8C'],
    ['sms:delivered with the same event id is another key', delivered, 'android:sms:delivered:Ey6ECgOkVVFjz3CL48B8C'],
    ['an event without an id by its messageId', failed, 'android:sms:failed:message:zXDYfTmTVf3iMd16zzdBj'],
    ['sms:received without any id: none', JSON.stringify({ event: 'sms:received', payload: { sender: '+1', message: 'x' } }), undefined],
  ];
  for (const [name, body, key] of androidCases) it(`Android: ${name}`, () => assert.equal(android(body).replayKey, key));

  const androidRefused: [string, Record<string, string>][] = [
    ['no signature headers', {}],
    ['a wrong signature', { 'x-timestamp': String(Math.floor(T0 / 1000)), 'x-signature': 'ab'.repeat(32) }],
  ];
  for (const [name, headers] of androidRefused)
    it(`Android refuses ${name} with 403 and runs nothing`, function () {
      const outcome = android(received, headers);
      assert.deepEqual([outcome.answer.statusCode, outcome.problem, outcome.inbound, outcome.replayKey], [403, 'bad-signature', undefined, undefined]);
    });
});
