// msg.smsState: classification of the query, the GET /messages/{id} request of SMS Gateway
// for Android, parsing its answer (real fixture bodies) and mapping it to a delivery result.
import assert from 'node:assert/strict';
import { readFixture } from '../support/fixtures';
import type { AlertEvent } from '../../nodes/shared/contract';
import { classifyInput, type InputKind } from '../../nodes/sms-gateway-bridge/classify';
import { SendError } from '../../nodes/sms-gateway-bridge/queue';
import {
  androidStateResult,
  buildAndroidStateRequest,
  parseAndroidReply,
  parseAndroidStateReply,
  type AndroidMessageState,
  type AndroidSettings,
} from '../../nodes/sms-gateway-bridge/transports/android';

const fixture = (name: string) => readFixture('sms_gateways', 'android_sms_gateway', name);
const PENDING = fixture('message_state_response_pending_2recipients.json');

const alert: AlertEvent = { device_id: 'site1', alert_type: 'current', level: 'critical', value: 16, threshold: 15, message: 'high current', state: 'raised', timestamp: 1 };

describe('sms state query: classification', function () {
  const cases: [string, Record<string, unknown>, InputKind][] = [
    ['an id', { smsState: 'zXDYfTmTVf3iMd16zzdBj' }, { kind: 'state-query', id: 'zXDYfTmTVf3iMd16zzdBj' }],
    ['an id with spaces around is trimmed', { smsState: '  abc-1_2 \n' }, { kind: 'state-query', id: 'abc-1_2' }],
    ['an id with URL characters is kept (the request encodes it)', { smsState: 'a/b?c' }, { kind: 'state-query', id: 'a/b?c' }],
    ['empty id', { smsState: '' }, { kind: 'bad-state-query', reason: 'msg.smsState is an empty message id' }],
    ['blank id', { smsState: '   ' }, { kind: 'bad-state-query', reason: 'msg.smsState is an empty message id' }],
    ['number', { smsState: 42 }, { kind: 'bad-state-query', reason: 'msg.smsState must be the gateway message id (a string), got number' }],
    ['null', { smsState: null }, { kind: 'bad-state-query', reason: 'msg.smsState must be the gateway message id (a string), got null' }],
    ['an array of ids', { smsState: ['a', 'b'] }, { kind: 'bad-state-query', reason: 'msg.smsState must be the gateway message id (a string), got object' }],
    ['a dot segment', { smsState: '..' }, { kind: 'bad-state-query', reason: '".." is not a message id' }],
    ['the property wins over an alert-shaped payload', { smsState: 'm1', payload: alert }, { kind: 'state-query', id: 'm1' }],
    ['with any topic', { topic: 'site1', smsState: 'm1', payload: 'ignored' }, { kind: 'state-query', id: 'm1' }],
    ['a string without the property is still a custom text', { payload: 'zXDYfTmTVf3iMd16zzdBj' }, { kind: 'text', text: 'zXDYfTmTVf3iMd16zzdBj', to: [] }],
    // No reserved topic: "sms-state" was the query once, now it is a topic like any other.
    ['topic sms-state with a text is a custom text', { topic: 'sms-state', payload: 'zXDYfTmTVf3iMd16zzdBj' }, { kind: 'text', text: 'zXDYfTmTVf3iMd16zzdBj', to: [] }],
    ['a reading of a device named sms-state is a reading', { topic: 'sms-state', payload: { device_id: 'sms-state', timestamp: 1, voltage: 230 } }, { kind: 'reading', reading: { device_id: 'sms-state', timestamp: 1, voltage: 230 } }],
    [
      'an alert of a device named sms-state is an alert',
      { topic: 'sms-state', payload: { ...alert, device_id: 'sms-state' } },
      { kind: 'alert', alert: { ...alert, device_id: 'sms-state' } },
    ],
    ['a webhook stays a webhook', { smsState: 'abc', req: {}, res: {} }, { kind: 'webhook' }],
  ];
  for (const [name, msg, expected] of cases) it(name, () => assert.deepEqual(classifyInput(msg), expected));
});

describe('sms state query: SMS Gateway for Android request and reply', function () {
  const settings: AndroidSettings = { baseUrl: 'https://api.sms-gate.app/3rdparty/v1/', username: 'sms', password: 'pä:ss', deviceId: 'dev1', simNumber: 2, timeoutMs: 1000 };

  it('builds GET {base}/messages/{id} with basic auth and no body', function () {
    const request = buildAndroidStateRequest(settings, 'zXDYfTmTVf3iMd16zzdBj');
    assert.deepEqual(request, {
      url: 'https://api.sms-gate.app/3rdparty/v1/messages/zXDYfTmTVf3iMd16zzdBj',
      method: 'GET',
      headers: { Authorization: `Basic ${Buffer.from('sms:pä:ss', 'utf8').toString('base64')}`, Accept: 'application/json' },
    });
  });

  it('encodes the id as one path segment', function () {
    assert.equal(buildAndroidStateRequest({ ...settings, baseUrl: 'http://192.168.1.20:8080' }, 'a/b?c#d e').url, 'http://192.168.1.20:8080/messages/a%2Fb%3Fc%23d%20e');
  });

  it('parses the pending fixture with both recipients', function () {
    assert.deepEqual(parseAndroidStateReply({ status: 200, body: PENDING }), {
      id: 'zXDYfTmTVf3iMd16zzdBj',
      state: 'Pending',
      recipients: [
        { phoneNumber: '+12025550123', state: 'Pending' },
        { phoneNumber: '+12025550124', state: 'Pending' },
      ],
    });
  });

  it('drops a null recipient error (messages list fixture)', function () {
    const first = (JSON.parse(fixture('messages_list_response.json')) as unknown[])[0];
    assert.deepEqual(parseAndroidStateReply({ status: 200, body: JSON.stringify(first) }).recipients, [{ phoneNumber: '+1234567890', state: 'Pending' }]);
  });

  it('a Failed message is an answer to a state query, but an error of a send', function () {
    const failed = JSON.stringify({ id: 'm1', state: 'Failed', recipients: [{ phoneNumber: '+12025550123', state: 'Failed', error: 'RESULT_ERROR_GENERIC_FAILURE' }] });
    assert.equal(parseAndroidStateReply({ status: 200, body: failed }).state, 'Failed');
    assert.throws(() => parseAndroidReply({ status: 200, body: failed }), (e: unknown) => e instanceof SendError && e.code === 'Failed' && /GENERIC_FAILURE/.test(e.message));
  });

  const errors: [string, number, string, RegExp, boolean][] = [
    ['unknown id', 404, '{"message":"message not found"}', /^Android gateway 404: message not found$/, false],
    ['wrong password', 401, '{"message":"Unauthorized"}', /^Android gateway 401: Unauthorized$/, false],
    ['server error without JSON', 502, 'Bad Gateway', /^Android gateway 502: Bad Gateway$/, true],
    ['200 that is not a message state', 200, '{"ok":true}', /^Android gateway: unexpected reply/, false],
    ['200 that is not JSON', 200, '<html>', /^Android gateway: unexpected reply <html>/, false],
  ];
  for (const [name, status, body, message, transient] of errors)
    it(`${name} -> SendError`, function () {
      assert.throws(
        () => parseAndroidStateReply({ status, body }),
        (e: unknown) => e instanceof SendError && message.test(e.message) && e.transient === transient,
      );
    });
});

describe('sms state query: delivery result', function () {
  const message = (state: string, recipients: AndroidMessageState['recipients']): AndroidMessageState => ({ id: 'm1', state, recipients });
  const one = (state: string, error?: string) => [{ phoneNumber: '+12025550123', state, ...(error ? { error } : {}) }];

  it('the pending fixture: pending, both recipients, no single "to"', function () {
    assert.deepEqual(androidStateResult(parseAndroidStateReply({ status: 200, body: PENDING })), {
      status: 'pending',
      ref: 'zXDYfTmTVf3iMd16zzdBj',
      state: 'Pending',
      recipients: [
        { phoneNumber: '+12025550123', state: 'Pending' },
        { phoneNumber: '+12025550124', state: 'Pending' },
      ],
    });
  });

  const statuses: [string, string][] = [
    ['Pending', 'pending'],
    ['Processed', 'pending'],
    ['Sent', 'sent-report'],
    ['Delivered', 'delivered'],
    ['Failed', 'delivery-failed'],
    ['delivered', 'delivered'],
    ['SomethingNew', 'pending'],
  ];
  for (const [state, status] of statuses)
    it(`${state} -> ${status}`, function () {
      const result = androidStateResult(message(state, one(state)));
      assert.equal(result.status, status);
      assert.equal(result.state, state);
      assert.equal(result.to, '+12025550123');
    });

  it('a failed recipient gives the reason; the other recipients keep their own state', function () {
    const result = androidStateResult(message('Failed', [{ phoneNumber: '+12025550123', state: 'Delivered' }, ...one('Failed', 'RESULT_ERROR_NO_SERVICE')]));
    assert.equal(result.status, 'delivery-failed');
    assert.equal(result.reason, 'RESULT_ERROR_NO_SERVICE');
    assert.equal(result.to, undefined);
    assert.deepEqual(result.recipients.map((r) => r.state), ['Delivered', 'Failed']);
  });
});
