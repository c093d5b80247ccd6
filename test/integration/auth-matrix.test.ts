// "Let no one in": npm start with the production settings (settings.js, the admin hash and the read
// token from the environment, as docker-compose sets them) checked at every endpoint of the shipped
// flows, /api/ws, the dashboard page and its socket.io handshake, and the editor's admin API, with
// no credentials, wrong ones, the read-only token and the admin login. And without the environment
// (the npm start demo on localhost) everything is open.
import assert from 'node:assert/strict';
import bcrypt from 'bcryptjs';
import mqtt from 'mqtt';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import { loadShippedFlows } from '../../scripts/lib/shipped-flows';
import { CHALLENGE, DEVICE_INGEST_PATH } from '../../nodes/shared/http-auth';
import { devicePayload } from '../fixtures/payloads';
import { CHROMIUM_PATH } from '../support/browser';
import { startProduct, type RunningProduct } from '../support/runtime';
import { requireBinary } from '../support/system';

const ADMIN_USER = 'operator';
const ADMIN_PASSWORD = 'let-me-in-please';
const READ_TOKEN = 'read-only-0123456789abcdef0123';

type Who = 'none' | 'wrong' | 'read' | 'admin';
const WHO: Who[] = ['none', 'wrong', 'read', 'admin'];
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** Authorization headers for the flows' endpoints, the WebSocket and the dashboard. */
const nodeHeaders: Record<Who, Record<string, string>> = {
  none: {},
  wrong: { authorization: basic(ADMIN_USER, 'guess') },
  read: { authorization: `Bearer ${READ_TOKEN}` },
  admin: { authorization: basic(ADMIN_USER, ADMIN_PASSWORD) },
};

interface Probe {
  name: string;
  /** the outcome as printed in the matrix: an HTTP status, 101 for an upgrade, or socket.io's answer */
  run(base: string, who: Who, editorToken: string | undefined): Promise<{ outcome: string; refusal?: { status: number; body: string; challenge: string | null } }>;
}

async function httpProbe(url: string, init: RequestInit) {
  const res = await fetch(url, { redirect: 'manual', ...init });
  const body = await res.text();
  return { outcome: String(res.status), refusal: res.status === 401 || res.status === 403 ? { status: res.status, body, challenge: res.headers.get('www-authenticate') } : undefined };
}

/** GET and POST of the shipped flows' http in nodes, /metrics among them (device ids filled in). */
function flowEndpoints(): { method: string; url: string }[] {
  const endpoints = loadShippedFlows()
    .filter((node) => node.type === 'http in')
    .map((node) => ({
      method: String(node.method).toUpperCase(),
      // change log entries have numeric ids, devices names
      url: String(node.url)
        .replace(/^\/api\/changelog\/:id$/, '/api/changelog/1')
        .replace(/:id/g, 'hp-auth-1')
        // the effect of a change needs its time
        .replace(/\/effect$/, '/effect?at=2026-01-01T00:00:00Z'),
    }));
  for (const url of ['/api/health', '/metrics', '/api/devices/hp-auth-1/readings', '/api/devices/hp-auth-1/performance', '/api/devices/hp-auth-1/energy', '/api/alerts/active', '/api/sms/twilio', '/api/sms/android', '/api/changelog', '/api/changelog/1', '/api/events']) {
    assert.ok(endpoints.some((endpoint) => endpoint.url === url), `${url} in ${JSON.stringify(endpoints)}`);
  }
  return endpoints;
}

/** A body each endpoint accepts: an SMS webhook form, empty rule overrides, or a change log note. */
function probeBody(method: string, url: string): { type: string; body: string } | undefined {
  if (method === 'GET') return undefined;
  if (url.startsWith('/api/sms/')) return { type: 'application/x-www-form-urlencoded', body: 'From=%2B15550001&Body=status' };
  // no per-device rule overrides: a valid body that changes nothing
  if (url.endsWith('/rules')) return { type: 'application/json', body: '{}' };
  return { type: 'application/json', body: JSON.stringify({ text: 'authentication matrix probe' }) };
}

function flowProbe({ method, url }: { method: string; url: string }): Probe {
  const body = probeBody(method, url);
  return {
    name: `${method} ${url}`,
    run: (base, who) => httpProbe(`${base}${url}`, { method, headers: { ...nodeHeaders[who], ...(body ? { 'content-type': body.type } : {}) }, body: body?.body }),
  };
}

const webSocketProbe: Probe = {
  name: 'WS /api/ws (upgrade)',
  run: (base, who) =>
    new Promise((resolve) => {
      const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/api/ws`, { headers: nodeHeaders[who] });
      socket.once('open', () => (socket.close(), resolve({ outcome: '101' })));
      socket.once('unexpected-response', (_req, res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ outcome: String(res.statusCode), refusal: { status: res.statusCode ?? 0, body: text, challenge: String(res.headers['www-authenticate'] ?? '') || null } }));
      });
      socket.once('error', (err) => resolve({ outcome: `error ${err.message}` }));
    }),
};

const webSocketQueryTokenProbe: Probe = {
  name: 'WS /api/ws?access_token= (browsers)',
  run: (base, who) =>
    new Promise((resolve) => {
      const token = who === 'read' ? READ_TOKEN : who === 'wrong' ? 'not-the-token-0123456789' : '';
      const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/api/ws${token ? `?access_token=${token}` : ''}`, who === 'admin' ? { headers: nodeHeaders.admin } : {});
      socket.once('open', () => (socket.close(), resolve({ outcome: '101' })));
      socket.once('unexpected-response', (_req, res) => (res.resume(), resolve({ outcome: String(res.statusCode) })));
      socket.once('error', (err) => resolve({ outcome: `error ${err.message}` }));
    }),
};

/**
 * Engine.IO handshake over polling, then the socket.io CONNECT of the default namespace: `40` is
 * connected, `44` a refusal with the middleware's message.
 */
const dashboardSocketProbe: Probe = {
  name: 'socket.io /dashboard (connect)',
  run: async (base, who) => {
    const io = `${base}/dashboard/socket.io/?EIO=4&transport=polling`;
    const headers = nodeHeaders[who];
    const open = await fetch(io, { headers });
    const handshake = await open.text();
    if (open.status !== 200) return { outcome: `handshake ${open.status}` };
    const sid = (JSON.parse(handshake.slice(1)) as { sid: string }).sid;
    const post = await fetch(`${io}&sid=${sid}`, { method: 'POST', headers: { ...headers, 'content-type': 'text/plain;charset=UTF-8' }, body: '40' });
    await post.text();
    const answer = await (await fetch(`${io}&sid=${sid}`, { headers })).text();
    const packet = answer.split('\x1e').find((part) => part.startsWith('40') || part.startsWith('44')) ?? answer;
    if (packet.startsWith('40')) return { outcome: 'connected' };
    const message = packet.startsWith('44') ? (JSON.parse(packet.slice(2)) as { message?: string }).message : packet;
    return { outcome: `refused: ${message}` };
  },
};

/** The dashboard redirects to its first page (same origin: the credentials go along). */
const dashboardPageProbe: Probe = { name: 'GET /dashboard (page)', run: (base, who) => httpProbe(`${base}/dashboard`, { headers: nodeHeaders[who], redirect: 'follow' }) };

/** The editor's admin API: Node-RED's adminAuth, whose login hands out its own bearer token. */
function editorHeaders(who: Who, editorToken: string | undefined): Record<string, string> {
  if (who === 'admin') return editorToken ? { authorization: `Bearer ${editorToken}` } : {};
  if (who === 'wrong') return { authorization: 'Bearer not-a-session-token' };
  return who === 'read' ? { authorization: `Bearer ${READ_TOKEN}` } : {};
}

const editorGetProbe: Probe = { name: 'GET /flows (editor API)', run: (base, who, token) => httpProbe(`${base}/flows`, { headers: { ...editorHeaders(who, token), 'Node-RED-API-Version': 'v2' } }) };

const editorPostProbe: Probe = {
  name: 'POST /flows (editor API, no change)',
  run: async (base, who, token) => {
    // the running flows, sent back unchanged: a deploy that restarts nothing
    const current = await fetch(`${base}/flows`, { headers: { ...editorHeaders('admin', token), 'Node-RED-API-Version': 'v2' } });
    assert.equal(current.status, 200, 'the running flows');
    const body = await current.text();
    return httpProbe(`${base}/flows`, {
      method: 'POST',
      headers: { ...editorHeaders(who, token), 'content-type': 'application/json', 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'nodes' },
      body,
    });
  },
};

async function editorLogin(base: string, password: string): Promise<{ status: number; token?: string }> {
  const res = await fetch(`${base}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: '*', username: ADMIN_USER, password }),
  });
  const json = (await res.json()) as { access_token?: string };
  return { status: res.status, token: json.access_token };
}

function probes(): Probe[] {
  return [
    ...flowEndpoints().map(flowProbe),
    webSocketProbe,
    webSocketQueryTokenProbe,
    dashboardPageProbe,
    dashboardSocketProbe,
    editorGetProbe,
    editorPostProbe,
  ];
}

type Expect = 'allowed' | 'refused' | 'exempt';

/**
 * What each cell must be: flows and dashboard need read (GET) or admin, their writes admin; the
 * editor admin only; SMS webhooks their signature; the device ingest route a device token (which
 * none of the logins is: 401 from heatpump-http-ingest, whoever asks).
 */
function expected(probe: Probe, who: Who, authOn: boolean): Expect {
  if (probe.name.includes('/api/sms/') || probe.name.endsWith(` ${DEVICE_INGEST_PATH}`)) return 'exempt';
  if (!authOn) return 'allowed';
  if (who === 'none' || who === 'wrong') return 'refused';
  if (probe.name.includes('editor API') || /^(POST|PUT|DELETE) \//.test(probe.name)) return who === 'admin' ? 'allowed' : 'refused';
  return 'allowed';
}

const allowedOutcome = (outcome: string) => outcome === '101' || outcome === 'connected' || /^(200|201|204|404|503)$/.test(outcome);

async function runMatrix(product: RunningProduct, authOn: boolean, editorToken: string | undefined): Promise<void> {
  const rows: string[][] = [];
  const failures: string[] = [];
  for (const probe of probes()) {
    const row = [probe.name];
    for (const who of WHO) {
      const result = await probe.run(product.baseUrl, who, editorToken);
      row.push(result.outcome);
      const want = expected(probe, who, authOn);
      const cell = `${probe.name} / ${who}: ${result.outcome}`;
      if (want === 'allowed' && !allowedOutcome(result.outcome)) failures.push(`${cell}, expected allowed`);
      if (want === 'refused') {
        if (!/^(401|403)$|^refused: (authentication required|wrong credentials)$/.test(result.outcome)) failures.push(`${cell}, expected 401/403`);
        const refusal = result.refusal;
        if (refusal && !probe.name.includes('editor API')) {
          // ours: JSON, a challenge, no stack; Node-RED's admin API answers its own 401
          if (refusal.status === 401 && refusal.challenge !== CHALLENGE) failures.push(`${cell}: WWW-Authenticate ${refusal.challenge}`);
          if (!/^\{"error":"[^"]+"\}$/.test(refusal.body) && probe !== webSocketProbe) failures.push(`${cell}: body ${refusal.body}`);
        }
        if (refusal && /\bat |<html/i.test(refusal.body)) failures.push(`${cell}: leaks ${refusal.body.slice(0, 200)}`);
      }
      // the webhooks: whatever their signature check says, never our login's refusal
      if (want === 'exempt' && (result.refusal?.challenge === CHALLENGE || /read-only token|authentication required|wrong credentials/.test(result.refusal?.body ?? ''))) {
        failures.push(`${cell}: the login answered (${result.refusal?.body})`);
      }
    }
    // the webhooks answer the same whoever asks (the shipped device-modem transport: 404 "no webhook transport configured")
    if (expected(probe, 'none', authOn) === 'exempt' && new Set(row.slice(1)).size !== 1) failures.push(`${probe.name}: credentials changed the answer: ${row.join(' ')}`);
    rows.push(row);
  }
  const header = ['endpoint', ...WHO.map((who) => (who === 'read' ? 'read token' : who === 'wrong' ? 'wrong' : who))];
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => `      ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')}`;
  console.log(`\n      authentication ${authOn ? 'ON (admin hash + read token)' : 'OFF (npm start demo)'}:`);
  console.log([line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n'));
  assert.deepEqual(failures, []);
}

describe('authentication matrix (settings.js login for flows, WebSocket, dashboard, editor)', function () {
  this.timeout(180_000);
  let product: RunningProduct | undefined;
  afterEach(async function () {
    await product?.stop();
    product = undefined;
  });

  // the matrix sends many wrong logins from one address: the failed-login limit has its own test below
  const common = { LOCAL_INFLUXD: '0', HEATPUMP_API_RATE: '0', HEATPUMP_SMS_RATE: '0', HEATPUMP_LOGIN_FAILURES: '0' };

  it('with the production environment: every endpoint x {none, wrong, read-only token, admin}', async function () {
    const hash = bcrypt.hashSync(ADMIN_PASSWORD, 8);
    product = await startProduct(
      { ...common, NODE_RED_ADMIN_USER: ADMIN_USER, NODE_RED_ADMIN_PASSWORD_HASH: hash, HEATPUMP_READ_TOKEN: READ_TOKEN },
      { ready: async (running) => [200, 503].includes((await fetch(`${running.baseUrl}/api/health`, { headers: nodeHeaders.read })).status) },
    );
    assert.match(product.output(), new RegExp(`login +editor, API, /metrics, WebSocket and dashboard: ${ADMIN_USER} \\(NODE_RED_ADMIN_PASSWORD_HASH\\), read-only with HEATPUMP_READ_TOKEN`));
    assert.equal((await editorLogin(product.baseUrl, 'guess')).status, 403, 'a wrong editor login');
    const login = await editorLogin(product.baseUrl, ADMIN_PASSWORD);
    assert.equal(login.status, 200);
    assert.ok(login.token);
    await runMatrix(product, true, login.token);

    // a browser logs in to the dashboard with the read token as Basic password; its socket.io too
    const browser = { authorization: basic('viewer', READ_TOKEN) };
    assert.equal((await fetch(`${product.baseUrl}/dashboard`, { headers: browser })).status, 200);
    const socket = await fetch(`${product.baseUrl}/dashboard/socket.io/?EIO=4&transport=polling`, { headers: browser });
    assert.equal(socket.status, 200, await socket.text());
    // the read token may only read: a write to a flows' path is 403 (after the guard's 404/405 for /api/)
    const write = await fetch(`${product.baseUrl}/dashboard`, { method: 'POST', headers: { ...nodeHeaders.read, 'content-length': '0' } });
    assert.equal(write.status, 403);
    assert.deepEqual(await write.json(), { error: 'the read-only token may only read (GET)' });
  });

  it('a browser logs in to the dashboard with the read token (Basic prompt) and gets live data over its socket', async function () {
    requireBinary(this, 'chromium', 'chromium');
    product = await startProduct(
      { ...common, NODE_RED_ADMIN_PASSWORD_HASH: bcrypt.hashSync(ADMIN_PASSWORD, 8), HEATPUMP_READ_TOKEN: READ_TOKEN },
      { ready: async (running) => [200, 503].includes((await fetch(`${running.baseUrl}/api/health`, { headers: nodeHeaders.read })).status) },
    );
    const device = await mqtt.connectAsync(product.mqttUrl, { clientId: 'auth-browser-device' });
    await device.publishAsync('heatpump/auth-site/data', JSON.stringify(devicePayload({ device: 'auth-site', timestamp: Date.now() })), { qos: 1 });
    await device.endAsync();
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      // a browser without a login is challenged and has nothing to give (Chromium cancels the prompt)
      const anonymous = await browser.newContext();
      await assert.rejects((await anonymous.newPage()).goto(`${product.baseUrl}/dashboard/fleet`), /ERR_INVALID_AUTH_CREDENTIALS/);
      // the prompt answered with any user name and the read token
      const viewer = await browser.newContext({ httpCredentials: { username: 'viewer', password: READ_TOKEN } });
      const page = await viewer.newPage();
      const socketErrors: string[] = [];
      page.on('console', (message) => /connect_error|authentication required/i.test(message.text()) && socketErrors.push(message.text()));
      const opened = await page.goto(`${product.baseUrl}/dashboard/fleet`);
      assert.equal(opened?.status(), 200);
      // the device table only fills over socket.io: the connection got through the login
      await page.getByText('auth-site', { exact: true }).first().waitFor({ timeout: 20_000 });
      assert.deepEqual(socketErrors, []);
    } finally {
      await browser.close();
    }
  });

  it('refuses a client that guessed wrong too often (429, even on the dashboard), before checking its password', async function () {
    product = await startProduct(
      { ...common, HEATPUMP_LOGIN_FAILURES: '3', NODE_RED_ADMIN_PASSWORD_HASH: bcrypt.hashSync(ADMIN_PASSWORD, 8), HEATPUMP_READ_TOKEN: READ_TOKEN },
      { ready: async (running) => [200, 503].includes((await fetch(`${running.baseUrl}/api/health`, { headers: nodeHeaders.read })).status) },
    );
    const guesses: number[] = [];
    for (const password of ['guess1', 'guess2', 'guess3']) guesses.push((await fetch(`${product.baseUrl}/dashboard`, { headers: { authorization: basic(ADMIN_USER, password) } })).status);
    assert.deepEqual(guesses, [401, 401, 401]);
    // the fourth try is refused whatever it carries, the right password included
    const refused = await fetch(`${product.baseUrl}/dashboard`, { headers: { authorization: basic(ADMIN_USER, ADMIN_PASSWORD) } });
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1, `Retry-After: ${refused.headers.get('retry-after')}`);
    assert.deepEqual(await refused.json(), { error: 'too many failed logins, retry later', retry_after_seconds: Number(refused.headers.get('retry-after')) });
    assert.equal((await fetch(`${product.baseUrl}/api/health`, { headers: { authorization: `Bearer ${READ_TOKEN}` } })).status, 429, 'the API too');
    // a request without credentials still learns it must log in
    assert.equal((await fetch(`${product.baseUrl}/dashboard`)).status, 401);
  });

  it('without it (the npm start demo on localhost): everything is open, and the banner says so', async function () {
    product = await startProduct({ ...common, NODE_RED_ADMIN_PASSWORD_HASH: '', HEATPUMP_READ_TOKEN: '' });
    assert.match(product.output(), /login +none: editor, API, WebSocket and dashboard are open/);
    await runMatrix(product, false, undefined);
  });
});
