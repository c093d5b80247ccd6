// The pure core of heatpump-ws-clients: who gets a pushed message, subscribe / unsubscribe with
// their bounds, connections forgotten on close, and client requests parsed. Table-driven.
import assert from 'node:assert/strict';
import { deviceOfMessage, MAX_REQUEST_BYTES, parseClientRequest, Subscriptions, type ClientRequest, type Recipients } from '../../nodes/heatpump-ws-clients/subscriptions';

type Step = ['open' | 'close', string] | ['subscribe' | 'unsubscribe', string, string];

describe('heatpump-ws-clients subscriptions', function () {
  const cases: [string, Step[], string | undefined, Recipients][] = [
    ['nobody connected: one broadcast', [], 'site1', { broadcast: true }],
    ['nobody subscribed: one broadcast', [['open', 'a'], ['open', 'b']], 'site1', { broadcast: true }],
    ['one subscribed to site1: it and the unfiltered one', [['open', 'a'], ['open', 'b'], ['subscribe', 'a', 'site1']], 'site1', { broadcast: false, sessions: ['a', 'b'] }],
    ['one subscribed to site1: a site2 message to the unfiltered one only', [['open', 'a'], ['open', 'b'], ['subscribe', 'a', 'site1']], 'site2', { broadcast: false, sessions: ['b'] }],
    ['a message of no device: the unfiltered ones', [['open', 'a'], ['open', 'b'], ['subscribe', 'a', 'site1']], undefined, { broadcast: false, sessions: ['b'] }],
    ['two devices on one connection', [['open', 'a'], ['subscribe', 'a', 'site1'], ['subscribe', 'a', 'site2']], 'site2', { broadcast: false, sessions: ['a'] }],
    ['a subscription without an open event counts as connected', [['open', 'b'], ['subscribe', 'a', 'site1']], 'site1', { broadcast: false, sessions: ['b', 'a'] }],
    ['unsubscribed from one of two devices', [['open', 'a'], ['open', 'b'], ['subscribe', 'a', 'site1'], ['subscribe', 'a', 'site2'], ['unsubscribe', 'a', 'site1']], 'site1', { broadcast: false, sessions: ['b'] }],
    ['unsubscribed from the last device: everything again', [['open', 'a'], ['subscribe', 'a', 'site1'], ['unsubscribe', 'a', 'site1']], 'site2', { broadcast: true }],
    ['the subscribed connection closed: forgotten, broadcast again', [['open', 'a'], ['open', 'b'], ['subscribe', 'a', 'site1'], ['close', 'a']], 'site2', { broadcast: true }],
    ['an unfiltered connection closed: no longer a recipient', [['open', 'a'], ['open', 'b'], ['subscribe', 'a', 'site1'], ['close', 'b']], 'site2', { broadcast: false, sessions: [] }],
  ];
  for (const [name, steps, device, expected] of cases) {
    it(name, function () {
      const subscriptions = new Subscriptions();
      for (const [kind, session, device = ''] of steps) {
        if (kind === 'open') subscriptions.opened(session);
        else if (kind === 'close') subscriptions.closed(session);
        else if (kind === 'subscribe') assert.equal(subscriptions.subscribe(session, device).ok, true);
        else subscriptions.unsubscribe(session, device);
      }
      assert.deepEqual(subscriptions.recipients(device), expected);
    });
  }

  it('reports the devices of a connection after each change', function () {
    const subscriptions = new Subscriptions();
    assert.deepEqual(subscriptions.subscribe('a', 'site1'), { ok: true, devices: ['site1'] });
    assert.deepEqual(subscriptions.subscribe('a', 'site1'), { ok: true, devices: ['site1'] });
    assert.deepEqual(subscriptions.subscribe('a', 'site2'), { ok: true, devices: ['site1', 'site2'] });
    assert.deepEqual(subscriptions.unsubscribe('a', 'site1'), { ok: true, devices: ['site2'] });
    assert.deepEqual(subscriptions.unsubscribe('b', 'site1'), { ok: true, devices: [] });
    assert.deepEqual(subscriptions.counts, { connected: 1, subscribed: 1 });
  });

  it('bounds the connections with subscriptions and the devices per connection', function () {
    const subscriptions = new Subscriptions({ maxSessions: 2, maxDevices: 2 });
    assert.equal(subscriptions.subscribe('a', 'd1').ok, true);
    assert.equal(subscriptions.subscribe('a', 'd2').ok, true);
    assert.deepEqual(subscriptions.subscribe('a', 'd3'), { ok: false, error: 'too many devices on one connection (at most 2)' });
    assert.deepEqual(subscriptions.subscribe('a', 'd2'), { ok: true, devices: ['d1', 'd2'] }, 'one already held is no new one');
    assert.equal(subscriptions.subscribe('b', 'd1').ok, true);
    assert.deepEqual(subscriptions.subscribe('c', 'd1'), { ok: false, error: 'too many connections with subscriptions (at most 2)' });
    subscriptions.closed('a');
    assert.equal(subscriptions.subscribe('c', 'd1').ok, true, 'a closed connection frees its place');
    assert.deepEqual(subscriptions.counts, { connected: 2, subscribed: 2 });
  });

  it('forgets every connection that closed, whatever it held', function () {
    const subscriptions = new Subscriptions();
    for (let i = 0; i < 500; i++) {
      subscriptions.opened(`s${i}`);
      subscriptions.subscribe(`s${i}`, `d${i % 7}`);
      subscriptions.closed(`s${i}`);
    }
    assert.deepEqual(subscriptions.counts, { connected: 0, subscribed: 0 });
  });

  it('knows whether any connection is open, i.e. whether a pushed message reaches anyone', function () {
    const subscriptions = new Subscriptions();
    const seen = [subscriptions.anyConnected];
    subscriptions.opened('a');
    seen.push(subscriptions.anyConnected);
    subscriptions.closed('a');
    seen.push(subscriptions.anyConnected);
    assert.deepEqual(seen, [false, true, false]);
  });
});

describe('heatpump-ws-clients requests', function () {
  const requests: [string, unknown, ClientRequest][] = [
    ['subscribe', '{"type":"subscribe_device","device_id":"site1"}', { type: 'subscribe_device', device_id: 'site1' }],
    ['unsubscribe', '{"type":"unsubscribe_device","device_id":"site1"}', { type: 'unsubscribe_device', device_id: 'site1' }],
    ['current status, as a Buffer', Buffer.from('{"type":"get_current_status","device_id":"site2"}'), { type: 'get_current_status', device_id: 'site2' }],
    ['not JSON', '{"type":', { type: 'invalid', error: 'the request is not JSON' }],
    ['a JSON array', '[]', { type: 'invalid', error: 'the request must be a JSON object with a "type"' }],
    ['JSON null', 'null', { type: 'invalid', error: 'the request must be a JSON object with a "type"' }],
    ['no type', '{"device_id":"site1"}', { type: 'invalid', error: 'unknown request type null: one of subscribe_device, unsubscribe_device, get_current_status' }],
    ['an unknown type', '{"type":"reboot","device_id":"site1"}', { type: 'invalid', error: 'unknown request type "reboot": one of subscribe_device, unsubscribe_device, get_current_status' }],
    ['no device id', '{"type":"subscribe_device"}', { type: 'invalid', request: 'subscribe_device', error: 'device_id: device id must be a string' }],
    ['an unsafe device id', '{"type":"get_current_status","device_id":"site/1"}', { type: 'invalid', request: 'get_current_status', error: 'device_id: device id contains the unsafe character "/"' }],
    ['not text', { type: 'subscribe_device', device_id: 'site1' }, { type: 'invalid', error: 'a request must be JSON text' }],
    ['too long', JSON.stringify({ type: 'subscribe_device', device_id: 'site1', pad: 'x'.repeat(MAX_REQUEST_BYTES) }), { type: 'invalid', error: `a request may be at most ${MAX_REQUEST_BYTES} bytes` }],
  ];
  for (const [name, input, expected] of requests) {
    it(`parses: ${name}`, function () {
      assert.deepEqual(parseClientRequest(input), expected);
    });
  }

  const pushed: [unknown, string | undefined][] = [
    [{ type: 'sensor_data', device_id: 'site1', data: {} }, 'site1'],
    [{ type: 'device_offline', device_id: 'site2' }, 'site2'],
    [{ type: 'notice' }, undefined],
    [{ device_id: 7 }, undefined],
    ['text', undefined],
    [null, undefined],
  ];
  for (const [payload, device] of pushed) {
    it(`finds the device of a pushed ${JSON.stringify(payload)}: ${String(device)}`, function () {
      assert.equal(deviceOfMessage(payload), device);
    });
  }
});
