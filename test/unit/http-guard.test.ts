import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { recordingResponse } from '../support/recording-response';
import {
  clientKey,
  createHttpGuard,
  guardOptionsFromEnv,
  jsonErrorHandler,
  proxyList,
  RateLimiter,
  routeMatch,
  type GuardRequest,
  type GuardResponse,
  type RouterApp,
} from '../../nodes/shared/http-guard';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('http guard (nodes/shared/http-guard)', function () {
  describe('RateLimiter token bucket', function () {
    // [what, options, steps: [advance ms before, expected ok, expected retryAfter when refused]]
    const cases: [string, { ratePerMinute: number; burst: number }, [number, boolean, number?][]][] = [
      ['a burst of 3, then refused with a wait of one token', { ratePerMinute: 60, burst: 3 }, [[0, true], [0, true], [0, true], [0, false, 1], [999, false, 1], [1, true], [0, false, 1]]],
      ['6/min: one token every 10 s, Retry-After rounds up', { ratePerMinute: 6, burst: 1 }, [[0, true], [0, false, 10], [4_500, false, 6], [5_500, true]]],
      ['refill never exceeds the burst', { ratePerMinute: 60, burst: 2 }, [[0, true], [0, true], [3_600_000, true], [0, true], [0, false, 1]]],
      ['0/min is no limit', { ratePerMinute: 0, burst: 1 }, Array.from({ length: 50 }, (): [number, boolean] => [0, true])],
      ['a clock going backwards adds nothing', { ratePerMinute: 60, burst: 1 }, [[0, true], [-5_000, false, 1], [1_000, false, 1]]],
    ];
    for (const [what, options, steps] of cases) {
      it(what, function () {
        const time = clock();
        const limiter = new RateLimiter({ ...options, now: time.now });
        steps.forEach(([advance, ok, retry], i) => {
          time.advance(advance);
          const result = limiter.take('10.0.0.1');
          assert.equal(result.ok, ok, `step ${i}`);
          if (!result.ok) assert.equal(result.retryAfterSeconds, retry, `step ${i} Retry-After`);
        });
      });
    }

    it('keeps one bucket per client', function () {
      const limiter = new RateLimiter({ ratePerMinute: 60, burst: 1, now: clock().now });
      assert.equal(limiter.take('a').ok, true);
      assert.equal(limiter.take('a').ok, false);
      assert.equal(limiter.take('b').ok, true);
    });

    it('tracks at most maxClients, forgetting the least recently seen', function () {
      const limiter = new RateLimiter({ ratePerMinute: 60, burst: 1, maxClients: 3, now: clock().now });
      for (const ip of ['a', 'b', 'c']) limiter.take(ip);
      assert.equal(limiter.take('a').ok, false); // a is now the most recently seen
      limiter.take('d'); // evicts b
      assert.equal(limiter.size, 3);
      assert.equal(limiter.take('a').ok, false, 'a still tracked');
      assert.equal(limiter.take('b').ok, true, 'b was forgotten: a fresh bucket');
      for (let i = 0; i < 10_000; i++) limiter.take(`10.0.${i >> 8}.${i & 255}`);
      assert.equal(limiter.size, 3);
    });

    it('peek tells what take would answer without taking a token', function () {
      const time = clock();
      const limiter = new RateLimiter({ ratePerMinute: 6, burst: 2, now: time.now });
      assert.deepEqual(limiter.peek('a'), { ok: true, remaining: 2 });
      assert.equal(limiter.size, 0, 'peeking tracks nobody');
      limiter.take('a');
      limiter.take('a');
      assert.deepEqual(limiter.peek('a'), { ok: false, retryAfterSeconds: 10 });
      assert.deepEqual(limiter.peek('a'), { ok: false, retryAfterSeconds: 10 }, 'twice: nothing was taken');
      time.advance(10_000);
      assert.deepEqual(limiter.peek('a'), { ok: true, remaining: 1 });
      assert.equal(limiter.take('a').ok, true);
    });

    it('refuses a nonsense configuration', function () {
      assert.throws(() => new RateLimiter({ ratePerMinute: -1, burst: 1 }), /rate limit/);
      assert.throws(() => new RateLimiter({ ratePerMinute: 60, burst: 0 }), /rate limit/);
    });
  });

  describe('guardOptionsFromEnv', function () {
    it('has defaults and reads the environment', function () {
      assert.deepEqual(guardOptionsFromEnv({}), {
        api: { ratePerMinute: 600, burst: 120 },
        sms: { ratePerMinute: 120, burst: 30 },
        maxBodyBytes: 65_536,
        trustedProxies: [],
      });
      const env = {
        HEATPUMP_API_RATE: '5',
        HEATPUMP_API_BURST: '2',
        HEATPUMP_SMS_RATE: '0',
        HEATPUMP_SMS_BURST: '1',
        HEATPUMP_HTTP_MAX_BODY: '1000',
        HEATPUMP_TRUSTED_PROXIES: ' 10.0.0.1, 172.16.0.0/12 ,',
      };
      assert.deepEqual(guardOptionsFromEnv(env), {
        api: { ratePerMinute: 5, burst: 2 },
        sms: { ratePerMinute: 0, burst: 1 },
        maxBodyBytes: 1000,
        trustedProxies: ['10.0.0.1', '172.16.0.0/12'],
      });
      assert.throws(() => guardOptionsFromEnv({ HEATPUMP_API_RATE: 'lots' }), /HEATPUMP_API_RATE must be a whole number/);
      assert.throws(() => guardOptionsFromEnv({ HEATPUMP_API_BURST: '0' }), /HEATPUMP_API_BURST must be a whole number >= 1/);
    });
  });

  describe('client key behind a reverse proxy (HEATPUMP_TRUSTED_PROXIES)', function () {
    const trusted = proxyList(['10.0.0.1', '172.16.0.0/12', 'fd00::/8']);
    // [what, trusted proxies on?, peer address, X-Forwarded-For, expected key]
    const cases: [string, boolean, string, string | string[] | undefined, string][] = [
      ['off (the default): the peer, X-Forwarded-For ignored', false, '10.0.0.1', '203.0.113.5', '10.0.0.1'],
      ['from a trusted proxy: the client it names', true, '10.0.0.1', '203.0.113.5', '203.0.113.5'],
      ['IPv4-mapped peer and hop', true, '::ffff:10.0.0.1', '::ffff:203.0.113.5', '203.0.113.5'],
      ['from an untrusted peer: the peer (a client cannot pick its own key)', true, '198.51.100.7', '203.0.113.5', '198.51.100.7'],
      ['a forged first entry is skipped: the nearest untrusted hop counts', true, '10.0.0.1', '1.2.3.4, 203.0.113.5', '203.0.113.5'],
      ['chained trusted proxies (a CIDR range) are skipped', true, '10.0.0.1', '203.0.113.5, 172.20.1.2', '203.0.113.5'],
      ['several headers are one list', true, '10.0.0.1', ['1.2.3.4', '203.0.113.9, 172.16.0.9'], '203.0.113.9'],
      ['IPv6 range', true, 'fd00::1', '2001:db8::7', '2001:db8::7'],
      ['only trusted hops: the farthest one', true, '10.0.0.1', '172.16.0.2, 172.16.0.3', '172.16.0.2'],
      ['a trusted proxy without the header: the proxy', true, '10.0.0.1', undefined, '10.0.0.1'],
    ];
    for (const [what, on, peer, forwarded, expected] of cases) {
      it(what, function () {
        const req: GuardRequest = { method: 'GET', url: '/api/health', headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded }, socket: { remoteAddress: peer } };
        assert.equal(clientKey(req, on ? trusted : undefined), expected);
      });
    }

    it('refuses an entry that is not an address or range', function () {
      for (const bad of ['proxy.local', '10.0.0.0/33', '10.0.0.1/x', 'fd00::/129']) assert.throws(() => proxyList([bad]), /HEATPUMP_TRUSTED_PROXIES: ".*" is not an IP address or CIDR range/, bad);
    });

    it('the limiter counts each client behind the proxy on its own, only when the proxy is trusted', function () {
      const options = { api: { ratePerMinute: 60, burst: 1 }, sms: { ratePerMinute: 60, burst: 1 }, maxBodyBytes: 1000, httpNode: () => undefined };
      const request = (forwarded: string): GuardRequest => ({ method: 'GET', url: '/metrics', headers: { 'x-forwarded-for': forwarded }, socket: { remoteAddress: '10.0.0.1' } });
      const passes = (guard: ReturnType<typeof createHttpGuard>, forwarded: string) => {
        let passed = false;
        const res: GuardResponse = { headersSent: false, statusCode: 200, setHeader: () => undefined, end: () => undefined };
        guard(request(forwarded), res, () => (passed = true));
        return passed;
      };
      const behindProxy = createHttpGuard({ ...options, trustedProxies: ['10.0.0.1'] });
      assert.deepEqual(['203.0.113.1', '203.0.113.2', '203.0.113.1'].map((ip) => passes(behindProxy, ip)), [true, true, false]);
      const notTrusted = createHttpGuard(options);
      assert.deepEqual(['203.0.113.1', '203.0.113.2'].map((ip) => passes(notTrusted, ip)), [true, false], 'one bucket: the proxy');
    });
  });

  describe('the middleware', function () {
    const app = express();
    app.get('/api/health', (_req, res) => void res.end());
    app.get('/api/devices/:id/status', (_req, res) => void res.end());
    app.post('/api/sms/twilio', (_req, res) => void res.end());
    app.use('/dashboard', (_req, res) => void res.end());
    const routes = app as unknown as RouterApp;

    function call(guard: ReturnType<typeof createHttpGuard>, method: string, url: string, headers: Record<string, string> = {}, ip = '10.0.0.9') {
      const req: GuardRequest = { method, url, headers, socket: { remoteAddress: ip } };
      const { res, out } = recordingResponse();
      guard(req, res, () => (out.passed = true));
      return out;
    }
    const guardWith = (env: Record<string, string> = {}) => createHttpGuard({ ...guardOptionsFromEnv(env), httpNode: () => routes });

    it('knows the registered routes', function () {
      assert.equal(routeMatch(routes, 'GET', '/api/health'), 'found');
      assert.equal(routeMatch(routes, 'HEAD', '/api/health'), 'found');
      assert.equal(routeMatch(routes, 'POST', '/api/health'), 'other-method');
      assert.equal(routeMatch(routes, 'GET', '/api/devices/x%20y/status'), 'found');
      assert.equal(routeMatch(routes, 'GET', '/api/nope'), 'none');
      assert.equal(routeMatch(routes, 'GET', '/dashboard/x'), 'found');
      assert.equal(routeMatch(undefined, 'GET', '/api/nope'), 'unknown');
    });

    const cases: [string, string, string, Record<string, string>, number | 'next', RegExp?][] = [
      ['a shipped endpoint passes', 'GET', '/api/health?x=1', {}, 'next'],
      ['a device route passes', 'GET', '/api/devices/hp-1/status', {}, 'next'],
      ['bad %-encoding is 400', 'GET', '/api/devices/%zz/status', {}, 400, /malformed URL/],
      ['bad %-encoding outside /api is 400 too', 'GET', '/%E0%A4%A', {}, 400, /malformed URL/],
      ['an unknown API route is 404', 'GET', '/api/nope', {}, 404, /^no API endpoint GET \/api\/nope$/],
      ['/api itself is 404', 'GET', '/api', {}, 404, /no API endpoint/],
      ['a known path with another method is 405', 'DELETE', '/api/health', {}, 405, /not allowed/],
      ['OPTIONS is left to the routes (CORS)', 'OPTIONS', '/api/nope', {}, 'next'],
      ['outside /api nothing is checked', 'GET', '/nope', {}, 'next'],
      ['a small webhook body passes', 'POST', '/api/sms/twilio', { 'content-length': '100' }, 'next'],
      ['a webhook body over the limit is 413', 'POST', '/api/sms/twilio', { 'content-length': '70000' }, 413, /too large \(limit 65536 bytes\)/],
      ['a chunked body without length is 411', 'POST', '/api/sms/twilio', { 'transfer-encoding': 'chunked' }, 411, /Content-Length/],
    ];
    for (const [what, method, url, headers, expected, error] of cases) {
      it(what, function () {
        const out = call(guardWith(), method, url, headers);
        if (expected === 'next') {
          assert.equal(out.passed, true, JSON.stringify(out));
        } else {
          assert.equal(out.passed, false);
          assert.equal(out.status, expected);
          assert.equal(out.headers['content-type'], 'application/json; charset=utf-8');
          assert.match(String((out.body as { error?: string }).error), error ?? /./);
        }
      });
    }

    it('answers 429 with Retry-After per client, separately for the API and the SMS webhooks', function () {
      const guard = guardWith({ HEATPUMP_API_RATE: '6', HEATPUMP_API_BURST: '2', HEATPUMP_SMS_RATE: '60', HEATPUMP_SMS_BURST: '1' });
      assert.equal(call(guard, 'GET', '/api/health').passed, true);
      assert.equal(call(guard, 'GET', '/metrics').passed, true);
      const refused = call(guard, 'GET', '/api/health');
      assert.equal(refused.status, 429);
      assert.equal(Number(refused.headers['retry-after']), 10);
      assert.deepEqual(refused.body, { error: 'too many requests, retry later', retry_after_seconds: 10 });
      assert.equal(call(guard, 'GET', '/api/health', {}, '10.0.0.10').passed, true, 'another client');
      assert.equal(call(guard, 'GET', '/api/health', {}, '::ffff:10.0.0.9').status, 429, 'IPv4-mapped is the same client');
      assert.equal(call(guard, 'POST', '/api/sms/twilio', { 'content-length': '1' }).passed, true, 'own bucket');
      assert.equal(call(guard, 'POST', '/api/sms/twilio', { 'content-length': '1' }).status, 429);
      assert.equal(call(guard, 'GET', '/dashboard/').passed, true, 'the dashboard is not limited');
    });
  });

  describe('settings.js', function () {
    const root = path.resolve(__dirname, '..', '..', '..');
    const load = (dir: string) => {
      const file = path.join(dir, 'settings.js');
      delete require.cache[file];
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(file) as Record<string, unknown>;
    };
    let dir = '';
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-settings-'))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const authEnv = ['NODE_RED_ADMIN_PASSWORD_HASH', 'NODE_RED_ADMIN_USER', 'HEATPUMP_READ_TOKEN'];
    const saved = Object.fromEntries(authEnv.map((name) => [name, process.env[name]]));
    const withEnv = <T>(env: Record<string, string>, body: () => T): T => {
      for (const name of authEnv) delete process.env[name];
      Object.assign(process.env, env);
      try {
        return body();
      } finally {
        for (const name of authEnv) if (saved[name] === undefined) delete process.env[name];
        Object.assign(process.env, Object.fromEntries(Object.entries(saved).filter(([, value]) => value !== undefined)));
      }
    };
    const hash = '$2b$08$' + 'a'.repeat(53);

    it('in the repository (npm start) guards the flows and the editor; no login without the admin hash', function () {
      const settings = withEnv({}, () => load(root));
      assert.equal(typeof settings.httpNodeAuth, 'function');
      assert.equal(typeof settings.httpAdminMiddleware, 'function');
      assert.equal(settings.adminAuth, undefined);
      assert.equal(settings.webSocketNodeVerifyClient, undefined);
      assert.equal(settings.dashboard, undefined, "the dashboard keeps its own socket.io check");
      assert.equal(settings.uiHost, undefined, 'the Docker image listens on all interfaces (npm start sets HOST)');
    });

    it('with the admin hash: the editor login, then guard and login on the flows, the WebSocket and the dashboard socket', function () {
      const settings = withEnv({ NODE_RED_ADMIN_PASSWORD_HASH: hash, NODE_RED_ADMIN_USER: 'ops', HEATPUMP_READ_TOKEN: 'r'.repeat(16) }, () => load(root));
      assert.deepEqual(settings.adminAuth, { type: 'credentials', users: [{ username: 'ops', password: hash, permissions: '*' }] });
      const chain = settings.httpNodeAuth as unknown[];
      assert.equal(chain.length, 2);
      assert.ok(chain.every((middleware) => typeof middleware === 'function'));
      assert.equal(typeof settings.webSocketNodeVerifyClient, 'function');
      assert.equal(typeof (settings.dashboard as { ioMiddleware?: unknown }).ioMiddleware, 'function');
      assert.throws(() => withEnv({ HEATPUMP_READ_TOKEN: 'r'.repeat(16) }, () => load(root)), /NODE_RED_ADMIN_PASSWORD_HASH is not/);
    });

    it('in the Docker layout (/data/settings.js) loads the guard and the login from the installed package', function () {
      fs.copyFileSync(path.join(root, 'settings.js'), path.join(dir, 'settings.js'));
      assert.throws(() => load(dir), /cannot find http-guard/);
      const shared = path.join(dir, 'node_modules', 'node-red-contrib-heatpump-monitor', 'dist', 'nodes', 'shared');
      fs.mkdirSync(shared, { recursive: true });
      fs.copyFileSync(path.join(root, 'dist', 'nodes', 'shared', 'http-guard.js'), path.join(shared, 'http-guard.js'));
      assert.throws(() => load(dir), /cannot find http-auth/);
      fs.copyFileSync(path.join(root, 'dist', 'nodes', 'shared', 'http-auth.js'), path.join(shared, 'http-auth.js'));
      assert.equal(typeof withEnv({}, () => load(dir)).httpNodeAuth, 'function');
    });

    it('bcryptjs, which the login needs, is a dependency of the package (the Docker image installs it with --omit=dev)', function () {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const manifest = require(path.join(root, 'package.json')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
      assert.ok(manifest.dependencies?.bcryptjs, JSON.stringify(manifest.dependencies));
      assert.equal(manifest.devDependencies?.bcryptjs, undefined);
    });
  });

  describe('jsonErrorHandler', function () {
    const cases: [string, unknown, number, string][] = [
      ['a client error keeps its message, without paths', Object.assign(new Error("Failed to decode param '/home/x/y.js'"), { status: 400 }), 400, "Failed to decode param '…'"],
      ['a server error says nothing', Object.assign(new Error('ENOENT /srv/secret/file'), { status: 500 }), 500, 'internal error'],
      ['no status is 500', new Error('boom at /x/y.js:1:2'), 500, 'internal error'],
      ['a thrown string is 500', 'oops', 500, 'internal error'],
    ];
    for (const [what, err, status, message] of cases) {
      it(what, function () {
        let body = '';
        const headers: Record<string, string | number> = {};
        const res: GuardResponse = { headersSent: false, statusCode: 200, setHeader: (n, v) => (headers[n] = v), end: (b) => (body = b ?? '') };
        jsonErrorHandler(err, { method: 'GET', url: '/', headers: {}, socket: {} }, res, () => assert.fail('next'));
        assert.equal(res.statusCode, status);
        assert.deepEqual(JSON.parse(body), { error: message });
      });
    }
  });
});
