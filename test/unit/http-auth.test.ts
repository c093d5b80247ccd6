import assert from 'node:assert/strict';
import bcrypt from 'bcryptjs';
import { recordingResponse } from '../support/recording-response';
import { RateLimiter } from '../../nodes/shared/http-guard';
import {
  authConfigFromEnv,
  authSettingsFromEnv,
  CHALLENGE,
  createCredentialChecker,
  createDashboardIoMiddleware,
  createHttpAuth,
  createWebSocketVerifier,
  decide,
  parseAuthorization,
  requiredAccess,
  sameSecret,
  upgradeCredentials,
  type AuthConfig,
  type AuthRequest,
  type Credential,
  type LoginThrottle,
  type Required,
} from '../../nodes/shared/http-auth';

const READ_TOKEN = 'read-token-0123456789abcdef';
const PASSWORD = 'correct horse';
// cost 4: the module does not care about the cost, the test suite does
const HASH = bcrypt.hashSync(PASSWORD, 4);
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const enabled = (readToken: string | undefined = READ_TOKEN) => authConfigFromEnv({ NODE_RED_ADMIN_PASSWORD_HASH: HASH, HEATPUMP_READ_TOKEN: readToken }) as Extract<AuthConfig, { enabled: true }>;

describe('http auth (nodes/shared/http-auth)', function () {
  describe('authConfigFromEnv', function () {
    const cases: [string, Record<string, string>, AuthConfig | RegExp][] = [
      ['nothing set: off (the npm start demo)', {}, { enabled: false }],
      ['empty values: off', { NODE_RED_ADMIN_PASSWORD_HASH: ' ', HEATPUMP_READ_TOKEN: '' }, { enabled: false }],
      ['the admin hash: on, user admin', { NODE_RED_ADMIN_PASSWORD_HASH: HASH }, { enabled: true, adminUser: 'admin', adminPasswordHash: HASH }],
      ['hash, user and read token', { NODE_RED_ADMIN_PASSWORD_HASH: HASH, NODE_RED_ADMIN_USER: 'ops', HEATPUMP_READ_TOKEN: READ_TOKEN }, { enabled: true, adminUser: 'ops', adminPasswordHash: HASH, readToken: READ_TOKEN }],
      ['a read token without the admin hash is refused', { HEATPUMP_READ_TOKEN: READ_TOKEN }, /HEATPUMP_READ_TOKEN is set but NODE_RED_ADMIN_PASSWORD_HASH is not/],
      ['a plain password as hash is refused', { NODE_RED_ADMIN_PASSWORD_HASH: 'secret' }, /not a bcrypt hash/],
      ['a short read token is refused', { NODE_RED_ADMIN_PASSWORD_HASH: HASH, HEATPUMP_READ_TOKEN: 'short' }, /at least 16 characters/],
    ];
    for (const [what, env, expected] of cases) {
      it(what, function () {
        if (expected instanceof RegExp) assert.throws(() => authConfigFromEnv(env), expected);
        else assert.deepEqual(authConfigFromEnv(env), expected);
      });
    }
  });

  describe('parseAuthorization', function () {
    const cases: [string | undefined, ReturnType<typeof parseAuthorization>][] = [
      [undefined, { scheme: 'none' }],
      ['', { scheme: 'none' }],
      ['Bearer abc', { scheme: 'bearer', token: 'abc' }],
      ['bearer abc', { scheme: 'bearer', token: 'abc' }],
      [basic('admin', 'a:b'), { scheme: 'basic', user: 'admin', password: 'a:b' }],
      [`Basic ${Buffer.from('nocolon').toString('base64')}`, { scheme: 'malformed' }],
      ['Digest x', { scheme: 'malformed' }],
      ['Bearer', { scheme: 'malformed' }],
      ['Bearer a b', { scheme: 'malformed' }],
    ];
    for (const [header, expected] of cases) {
      it(`${JSON.stringify(header)}`, function () {
        assert.deepEqual(parseAuthorization(header), expected);
      });
    }
  });

  describe('requiredAccess and decide', function () {
    const access: [string, string, Required][] = [
      ['GET', '/api/health', 'read'],
      ['HEAD', '/metrics', 'read'],
      ['GET', '/dashboard/fleet', 'read'],
      ['POST', '/api/devices', 'admin'],
      ['DELETE', '/api/alerts', 'admin'],
      ['OPTIONS', '/api/health', 'open'],
      ['POST', '/api/sms/twilio', 'open'],
      ['POST', '/api/sms/android', 'open'],
      ['POST', '/api/smsx', 'admin'],
      ['POST', '/api/v1/devices/status/update', 'open'],
      ['POST', '/api/v1/devices/status/update/x', 'admin'],
      ['POST', '/api/v1/devices/status/updates', 'admin'],
      ['GET', '/api/v1/devices/status', 'read'],
    ];
    for (const [method, path, required] of access) {
      it(`${method} ${path} needs ${required}`, function () {
        assert.equal(requiredAccess(method, path), required);
      });
    }
    // [required, credential, allowed or refused status]
    const matrix: [Required, Credential, true | 401 | 403][] = [
      ['open', 'none', true], ['open', 'wrong', true], ['open', 'read', true], ['open', 'admin', true],
      ['read', 'none', 401], ['read', 'wrong', 401], ['read', 'read', true], ['read', 'admin', true],
      ['admin', 'none', 401], ['admin', 'wrong', 401], ['admin', 'read', 403], ['admin', 'admin', true],
    ];
    for (const [required, credential, expected] of matrix) {
      it(`${required} with ${credential}: ${expected === true ? 'allowed' : expected}`, function () {
        const decision = decide(required, credential);
        if (expected === true) assert.deepEqual(decision, { allow: true });
        else assert.equal(decision.allow === false && decision.status, expected);
      });
    }
  });

  it('sameSecret compares whole strings of any length', function () {
    assert.equal(sameSecret('abc', 'abc'), true);
    assert.equal(sameSecret('abc', 'abd'), false);
    assert.equal(sameSecret('abc', 'abcd'), false);
    assert.equal(sameSecret('', ''), true);
  });

  describe('the credential checker', function () {
    const cases: [string, string | undefined, Credential][] = [
      ['no header', undefined, 'none'],
      ['the admin login', basic('admin', PASSWORD), 'admin'],
      ['the admin with a wrong password', basic('admin', 'nope'), 'wrong'],
      ['another user with the admin password', basic('root', PASSWORD), 'wrong'],
      ['the read token as Bearer', `Bearer ${READ_TOKEN}`, 'read'],
      ['the read token as Basic password (a browser)', basic('viewer', READ_TOKEN), 'read'],
      ['the read token as the admin password', basic('admin', READ_TOKEN), 'wrong'],
      ['a wrong Bearer token', `Bearer ${READ_TOKEN}x`, 'wrong'],
      ['the admin password as Bearer', `Bearer ${PASSWORD}`, 'wrong'],
      ['an unknown scheme', 'Negotiate abc', 'wrong'],
    ];
    const check = createCredentialChecker(enabled());
    for (const [what, header, expected] of cases) {
      it(`${what}: ${expected}`, async function () {
        assert.equal(await check(parseAuthorization(header)), expected);
      });
    }

    it('without a read token no Bearer or Basic token gets in', async function () {
      const noToken = createCredentialChecker(enabled(''));
      assert.equal(await noToken({ scheme: 'bearer', token: READ_TOKEN }), 'wrong');
      assert.equal(await noToken({ scheme: 'basic', user: 'viewer', password: '' }), 'wrong');
    });

    it('remembers a successful admin check for cacheMs, never a failed one', async function () {
      let now = 0;
      const calls: string[] = [];
      const checker = createCredentialChecker(enabled(), {
        now: () => now,
        cacheMs: 1000,
        compare: async (password) => (calls.push(password), password === PASSWORD),
      });
      const login = { scheme: 'basic' as const, user: 'admin', password: PASSWORD };
      assert.equal(await checker(login), 'admin');
      now = 999;
      assert.equal(await checker(login), 'admin');
      assert.equal(await checker({ ...login, password: 'bad' }), 'wrong');
      assert.equal(await checker({ ...login, password: 'bad' }), 'wrong');
      now = 1000;
      assert.equal(await checker(login), 'admin');
      assert.deepEqual(calls, [PASSWORD, 'bad', 'bad', PASSWORD]);
    });
  });

  describe('the HTTP middleware', function () {
    const http = createHttpAuth(createCredentialChecker(enabled()));
    async function call(method: string, url: string, authorization?: string) {
      let answered = () => undefined as void;
      const settled = new Promise<void>((resolve) => (answered = resolve));
      const { res, out } = recordingResponse(answered);
      http({ method, url, headers: authorization ? { authorization } : {} }, res, () => ((out.passed = true), answered()));
      await settled;
      return out;
    }
    const cases: [string, string, string | undefined, number | 'next', string?][] = [
      ['GET', '/api/health', undefined, 401, 'authentication required'],
      ['GET', '/api/health', 'Bearer wrong-token', 401, 'wrong credentials'],
      ['GET', '/api/health?access_token=' + READ_TOKEN, undefined, 401, 'authentication required'],
      ['GET', '/api/health', `Bearer ${READ_TOKEN}`, 'next'],
      ['GET', '/dashboard', basic('viewer', READ_TOKEN), 'next'],
      ['GET', '/metrics', basic('admin', PASSWORD), 'next'],
      ['POST', '/api/devices', `Bearer ${READ_TOKEN}`, 403, 'the read-only token may only read (GET)'],
      ['POST', '/api/devices', basic('admin', PASSWORD), 'next'],
      ['POST', '/api/sms/twilio', undefined, 'next'],
      ['POST', '/api/v1/devices/status/update', undefined, 'next'],
      ['POST', '/api/v1/devices/status/update', `Bearer ${READ_TOKEN}`, 'next'],
      ['OPTIONS', '/api/health', undefined, 'next'],
      ['GET', '/api/sms%2Fx', undefined, 401, 'authentication required'],
    ];
    for (const [method, url, authorization, expected, error] of cases) {
      it(`${method} ${url} ${authorization?.split(' ')[0] ?? 'without credentials'}: ${expected}`, async function () {
        const out = await call(method, url, authorization);
        if (expected === 'next') {
          assert.equal(out.passed, true, JSON.stringify(out));
          return;
        }
        assert.equal(out.passed, false);
        assert.equal(out.status, expected);
        assert.deepEqual(out.body, { error });
        assert.equal(out.headers['content-type'], 'application/json; charset=utf-8');
        assert.equal(out.headers['www-authenticate'], expected === 401 ? CHALLENGE : undefined);
      });
    }
  });

  describe('WebSocket and dashboard socket.io', function () {
    const check = createCredentialChecker(enabled());
    it('takes the token from the header, else ?access_token= (upgrades only)', function () {
      assert.deepEqual(upgradeCredentials({ url: '/api/ws?access_token=abc', headers: {} }), { scheme: 'bearer', token: 'abc' });
      assert.deepEqual(upgradeCredentials({ url: '/api/ws?access_token=abc', headers: { authorization: 'Bearer xyz' } }), { scheme: 'bearer', token: 'xyz' });
      assert.deepEqual(upgradeCredentials({ url: '/api/ws', headers: {} }), { scheme: 'none' });
    });

    const verify = createWebSocketVerifier(check);
    const upgrade = (url: string, authorization?: string) =>
      new Promise<unknown[]>((resolve) => verify({ req: { url, headers: authorization ? { authorization } : {} } }, (...args) => resolve(args)));
    const wsCases: [string, string, string | undefined, unknown[]][] = [
      ['no credentials', '/api/ws', undefined, [false, 401, 'authentication required', { 'WWW-Authenticate': CHALLENGE }]],
      ['a wrong token', '/api/ws?access_token=nope', undefined, [false, 401, 'wrong credentials', { 'WWW-Authenticate': CHALLENGE }]],
      ['the read token in the query', `/api/ws?access_token=${READ_TOKEN}`, undefined, [true]],
      ['the read token as Bearer', '/api/ws', `Bearer ${READ_TOKEN}`, [true]],
      ['the admin login', '/api/ws', basic('admin', PASSWORD), [true]],
    ];
    for (const [what, url, authorization, expected] of wsCases) {
      it(`/api/ws upgrade with ${what}`, async function () {
        assert.deepEqual(await upgrade(url, authorization), expected);
      });
    }

    const io = createDashboardIoMiddleware(check);
    const connect = (url: string, authorization?: string, xdomain = false) =>
      new Promise<string>((resolve) => io({ request: { url, headers: authorization ? { authorization } : {} }, handshake: { xdomain } }, (err) => resolve(err ? err.message : 'ok')));
    const ioCases: [string, string, string | undefined, boolean, string][] = [
      ['no credentials', '/dashboard/socket.io/?EIO=4&transport=polling', undefined, false, 'authentication required'],
      ['the read token in the query (not for socket.io)', `/dashboard/socket.io/?EIO=4&transport=polling&access_token=${READ_TOKEN}`, undefined, false, 'authentication required'],
      ['a browser with the read token as Basic password', '/dashboard/socket.io/?EIO=4&transport=polling', basic('viewer', READ_TOKEN), false, 'ok'],
      ['the admin', '/dashboard/socket.io/?EIO=4&transport=polling', basic('admin', PASSWORD), false, 'ok'],
      ['another origin, even with the login', '/dashboard/socket.io/?EIO=4&transport=polling', basic('admin', PASSWORD), true, 'the dashboard accepts its own origin only'],
      ['a direct websocket', '/dashboard/socket.io/?EIO=4&transport=websocket', basic('admin', PASSWORD), false, 'the dashboard connects by polling first'],
    ];
    for (const [what, url, authorization, xdomain, expected] of ioCases) {
      it(`dashboard socket.io with ${what}: ${expected}`, async function () {
        assert.equal(await connect(url, authorization, xdomain), expected);
      });
    }
  });

  describe('the failed-login limit', function () {
    // two wrong logins per client and minute; clients told apart by their address
    const throttle = (): LoginThrottle => ({ failures: new RateLimiter({ ratePerMinute: 2, burst: 2 }), clientOf: (req: AuthRequest) => req.socket?.remoteAddress ?? '?' });
    const request = (peer: string, authorization?: string) => ({ method: 'GET', url: '/dashboard', headers: authorization ? { authorization } : {}, socket: { remoteAddress: peer } });
    async function call(http: ReturnType<typeof createHttpAuth>, peer: string, authorization?: string) {
      let answered = () => undefined as void;
      const settled = new Promise<void>((resolve) => (answered = resolve));
      const { res, out } = recordingResponse(answered);
      http(request(peer, authorization), res, () => ((out.passed = true), answered()));
      await settled;
      return out.passed ? 'next' : `${out.status} ${(out.body as { error: string }).error}`;
    }

    it('answers 429 with Retry-After once a client used up its failures, even for the right password', async function () {
      const compared: string[] = [];
      const check = createCredentialChecker(enabled(), { compare: async (password, hash) => (compared.push(password), bcrypt.compare(password, hash)) });
      const http = createHttpAuth(check, throttle());
      const steps: [string, string | undefined, string][] = [
        ['10.0.0.1', basic('admin', PASSWORD), 'next'],
        ['10.0.0.1', basic('admin', 'guess-1'), '401 wrong credentials'],
        ['10.0.0.1', 'Bearer wrong-token-xxxxxxxx', '401 wrong credentials'],
        ['10.0.0.1', basic('admin', 'guess-2'), '429 too many failed logins, retry later'],
        ['10.0.0.1', `Bearer ${READ_TOKEN}`, '429 too many failed logins, retry later'],
        ['10.0.0.1', undefined, '401 authentication required'],
        ['10.0.0.2', `Bearer ${READ_TOKEN}`, 'next'],
      ];
      for (const [i, [peer, authorization, expected]] of steps.entries()) assert.equal(await call(http, peer, authorization), expected, `step ${i}`);
      assert.deepEqual(compared, [PASSWORD, 'guess-1'], 'a refused client costs no bcrypt work');
    });

    it('refuses the WebSocket upgrade and the dashboard socket of a refused client', async function () {
      const limit = throttle();
      const check = createCredentialChecker(enabled());
      const verify = createWebSocketVerifier(check, limit);
      const io = createDashboardIoMiddleware(check, limit);
      const upgrade = (authorization: string) => new Promise<unknown[]>((resolve) => verify({ req: request('10.0.0.9', authorization) }, (...args) => resolve(args)));
      assert.deepEqual(await upgrade('Bearer nope-nope-nope-nope'), [false, 401, 'wrong credentials', { 'WWW-Authenticate': CHALLENGE }]);
      assert.deepEqual(await upgrade('Bearer nope-nope-nope-nope'), [false, 401, 'wrong credentials', { 'WWW-Authenticate': CHALLENGE }]);
      const refused = await upgrade(`Bearer ${READ_TOKEN}`);
      assert.deepEqual(refused.slice(0, 2), [false, 429]);
      const socket = { request: { ...request('10.0.0.9', `Bearer ${READ_TOKEN}`), url: '/dashboard/socket.io/?EIO=4&transport=polling' }, handshake: { xdomain: false } };
      const ioError = await new Promise<Error & { data?: unknown }>((resolve) => io(socket, (err) => resolve(err as Error & { data?: unknown })));
      assert.equal(ioError.message, 'too many failed logins, retry later');
      assert.equal((ioError.data as { status: number }).status, 429);
    });
  });

  it('authSettingsFromEnv: nothing to install when off, everything when on', function () {
    assert.deepEqual(authSettingsFromEnv({}), { config: { enabled: false } });
    const on = authSettingsFromEnv({ NODE_RED_ADMIN_PASSWORD_HASH: HASH });
    assert.equal(typeof on.httpNodeAuth, 'function');
    assert.equal(typeof on.webSocketNodeVerifyClient, 'function');
    assert.equal(typeof on.dashboard?.ioMiddleware, 'function');
  });
});
