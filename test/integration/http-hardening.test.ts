// `npm start` lets no one in by accident: it listens on 127.0.0.1 unless HOST says otherwise, and
// the flows' endpoints answer JSON errors without stacks or paths, rate-limit with 429 +
// Retry-After and refuse oversized webhook bodies (settings.js httpNodeAuth, nodes/shared/http-guard).
import assert from 'node:assert/strict';
import net from 'node:net';
import os from 'node:os';
import { loadShippedFlows } from '../../scripts/lib/shipped-flows';
import { startProduct, type RunningProduct } from '../support/runtime';

/** A non-loopback IPv4 address of this machine, if it has one. */
function lanAddress(): string | undefined {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const entry of list ?? []) if (entry.family === 'IPv4' && !entry.internal) return entry.address;
  }
  return undefined;
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

async function answer(url: string, init?: RequestInit): Promise<{ status: number; headers: Headers; text: string; json: unknown }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** No stack trace and no file path in an answer. */
function assertNothingLeaks(text: string): void {
  assert.doesNotMatch(text, /\bat /, text);
  assert.doesNotMatch(text, /\//, text);
  assert.doesNotMatch(text, /<html|<pre/i, text);
}

const portOf = (product: RunningProduct) => Number(new URL(product.baseUrl).port);

describe('HTTP hardening of npm start (HOST, JSON errors, rate and size limits)', function () {
  this.timeout(120_000);
  let product: RunningProduct | undefined;
  afterEach(async function () {
    await product?.stop();
    product = undefined;
  });

  it('listens on 127.0.0.1 only by default and answers errors as JSON, within limits', async function () {
    product = await startProduct({ LOCAL_INFLUXD: '0', HEATPUMP_API_RATE: '60', HEATPUMP_API_BURST: '40', HEATPUMP_SMS_RATE: '60', HEATPUMP_SMS_BURST: '5' });
    const base = product.baseUrl;
    const port = portOf(product);
    assert.match(product.output(), new RegExp(`listening +127\\.0\\.0\\.1:${port}, this machine only`));
    assert.equal(await connects('127.0.0.1', port), true);
    const lan = lanAddress();
    if (lan) assert.equal(await connects(lan, port), false, `reachable on ${lan}`);
    else console.log('      (no non-loopback IPv4 address: only the banner and 127.0.0.1 checked)');

    const malformed = await answer(`${base}/api/devices/%zz/status`);
    assert.equal(malformed.status, 400);
    assert.match(String(malformed.headers.get('content-type')), /^application\/json/);
    assert.match(String((malformed.json as { error?: string }).error), /malformed URL/);
    assertNothingLeaks(JSON.stringify((malformed.json as { error?: string }).error));
    assertNothingLeaks((await answer(`${base}/%zz`)).text.replace(/^\{"error":|\}$/g, ''));

    const unknown = await answer(`${base}/api/nope`);
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.json, { error: 'no API endpoint GET /api/nope' });
    assert.equal((await answer(`${base}/api/health`, { method: 'DELETE' })).status, 405);

    // every shipped endpoint still reaches its flow (not the guard's 404/405/413)
    const endpoints = loadShippedFlows()
      .filter((node) => node.type === 'http in')
      .map((node) => ({ method: String(node.method).toUpperCase(), url: String(node.url).replace(/:id/g, 'hp-test-1') }));
    assert.ok(endpoints.length >= 11, JSON.stringify(endpoints));
    for (const { method, url } of endpoints) {
      const init: RequestInit = method === 'GET' ? {} : { method, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'From=%2B15550001&Body=status' };
      const res = await answer(`${base}${url}`, init);
      const error = String((res.json as { error?: string } | undefined)?.error ?? '');
      assert.doesNotMatch(error, /^no API endpoint|is not allowed on|too large|too many requests/, `${method} ${url}: ${res.status} ${res.text}`);
      const fine = res.status === 503 || (res.status < 500 && ![405, 411, 413, 429].includes(res.status));
      assert.ok(fine, `${method} ${url}: ${res.status} ${res.text.slice(0, 300)}`);
    }
    const metrics = await answer(`${base}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /^# (HELP|TYPE) /m);

    // a webhook body over 64 kB is refused before anything reads it
    const big = await answer(`${base}/api/sms/twilio`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `Body=${'a'.repeat(70_000)}`,
    });
    assert.equal(big.status, 413);
    assert.deepEqual(big.json, { error: 'request body too large (limit 65536 bytes)' });

    // a burst beyond the limit: 429 with Retry-After, JSON
    let refused: Awaited<ReturnType<typeof answer>> | undefined;
    for (let i = 0; i < 200 && !refused; i++) {
      const res = await answer(`${base}/api/health`);
      if (res.status === 429) refused = res;
    }
    assert.ok(refused, 'no 429 within 200 requests');
    assert.ok(Number(refused.headers.get('retry-after')) >= 1, String(refused.headers.get('retry-after')));
    assert.equal((refused.json as { error?: string }).error, 'too many requests, retry later');
    const sms = await Promise.all(
      Array.from({ length: 8 }, () => answer(`${base}/api/sms/android`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })),
    );
    assert.ok(sms.some((res) => res.status === 429), 'the SMS webhooks have their own, smaller bucket');
    assert.ok(sms.some((res) => res.status !== 429), 'and it was not empty before');
  });

  it('listens on every interface with HOST=0.0.0.0 and says so', async function () {
    product = await startProduct({ LOCAL_INFLUXD: '0', HOST: '0.0.0.0' });
    const port = portOf(product);
    assert.match(product.output(), new RegExp(`listening +0\\.0\\.0\\.0:${port}, ALL interfaces`));
    const lan = lanAddress();
    if (lan) assert.equal(await connects(lan, port), true, `not reachable on ${lan}`);
    assert.ok([200, 503].includes((await answer(`${product.baseUrl}/api/health`)).status));
  });
});
