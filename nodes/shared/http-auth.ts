// Who may use the flows' endpoints, the /api/ws WebSocket and the dashboard (settings.js installs
// it beside the HTTP guard; the editor and admin API are Node-RED's own adminAuth). No Node-RED
// import: settings.js loads it before the runtime exists.
//
// Environment (authConfigFromEnv):
//  - nothing set: authentication off (the `npm start` demo on localhost);
//  - NODE_RED_ADMIN_PASSWORD_HASH (bcrypt) [+ NODE_RED_ADMIN_USER, default admin]: on. The admin
//    logs in with HTTP Basic and may do everything;
//  - HEATPUMP_READ_TOKEN (at least 16 characters, needs the admin hash): read-only access for
//    dashboards and Prometheus, as `Authorization: Bearer <token>`, or as the password of HTTP
//    Basic with any other user name (a browser's login prompt). Read-only may GET the API,
//    /metrics, the WebSocket and the dashboard, nothing else.
// The SMS webhooks (/api/sms/...) stay outside the login: gateways cannot send it, and the
// sms-gateway-bridge node checks their signatures and replays. So does the device ingest route
// (POST /api/v1/devices/status/update): heatpump-http-ingest checks each device's own token.
import crypto from 'node:crypto';
import {
  clientKey,
  loginFailuresFromEnv,
  proxyList,
  RateLimiter,
  sendJson,
  trustedProxiesFromEnv,
  type GuardRequest,
  type GuardResponse,
} from './http-guard';

export type Env = Record<string, string | undefined>;

export type AuthConfig =
  | { enabled: false }
  | { enabled: true; adminUser: string; adminPasswordHash: string; readToken?: string };

const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
export const MIN_READ_TOKEN_LENGTH = 16;

/** Throws on a configuration that would let someone in by mistake. */
export function authConfigFromEnv(env: Env): AuthConfig {
  const hash = env.NODE_RED_ADMIN_PASSWORD_HASH?.trim() ?? '';
  const readToken = env.HEATPUMP_READ_TOKEN?.trim() ?? '';
  if (hash === '') {
    if (readToken !== '') throw new Error('HEATPUMP_READ_TOKEN is set but NODE_RED_ADMIN_PASSWORD_HASH is not: set both, or neither for an open demo');
    return { enabled: false };
  }
  if (!BCRYPT_HASH.test(hash)) throw new Error('NODE_RED_ADMIN_PASSWORD_HASH is not a bcrypt hash (make one with `npx node-red admin hash-pw`)');
  if (readToken !== '' && readToken.length < MIN_READ_TOKEN_LENGTH) {
    throw new Error(`HEATPUMP_READ_TOKEN must be at least ${MIN_READ_TOKEN_LENGTH} characters (e.g. openssl rand -hex 24)`);
  }
  return { enabled: true, adminUser: env.NODE_RED_ADMIN_USER?.trim() || 'admin', adminPasswordHash: hash, ...(readToken ? { readToken } : {}) };
}

export type Presented = { scheme: 'basic'; user: string; password: string } | { scheme: 'bearer'; token: string } | { scheme: 'none' } | { scheme: 'malformed' };

/** The credentials of an Authorization header (RFC 7617 Basic, RFC 6750 Bearer). */
export function parseAuthorization(header: string | string[] | undefined): Presented {
  if (header === undefined || header === '') return { scheme: 'none' };
  if (Array.isArray(header)) return { scheme: 'malformed' };
  const match = /^(\S+)\s+(\S+)\s*$/.exec(header);
  if (!match) return { scheme: 'malformed' };
  const [, scheme = '', value = ''] = match;
  if (scheme.toLowerCase() === 'bearer') return { scheme: 'bearer', token: value };
  if (scheme.toLowerCase() !== 'basic') return { scheme: 'malformed' };
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return { scheme: 'malformed' };
  return { scheme: 'basic', user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** What a request's credentials grant: `none` (no credentials) and `wrong` get nothing. */
export type Credential = 'none' | 'wrong' | 'read' | 'admin';
/** What a request needs. */
export type Required = 'open' | 'read' | 'admin';

/** Devices without MQTT post readings here with their own token (heatpump-http-ingest checks it). */
export const DEVICE_INGEST_PATH = '/api/v1/devices/status/update';

/**
 * Outside the login: the SMS webhooks (signed by their gateways, checked by sms-gateway-bridge) and
 * the device ingest route (authenticated by the device's token, not a person's login).
 */
export function isLoginExempt(path: string): boolean {
  return path.startsWith('/api/sms/') || path === DEVICE_INGEST_PATH;
}

/** OPTIONS (CORS preflights carry no credentials) and the SMS webhooks are open; reading needs read; the rest admin. */
export function requiredAccess(method: string, path: string): Required {
  const verb = method.toUpperCase();
  if (verb === 'OPTIONS' || isLoginExempt(path)) return 'open';
  return verb === 'GET' || verb === 'HEAD' ? 'read' : 'admin';
}

export type Decision = { allow: true } | { allow: false; status: 401 | 403; error: string };

export function decide(required: Required, credential: Credential): Decision {
  if (required === 'open' || credential === 'admin') return { allow: true };
  if (credential === 'read') return required === 'read' ? { allow: true } : { allow: false, status: 403, error: 'the read-only token may only read (GET)' };
  return { allow: false, status: 401, error: credential === 'none' ? 'authentication required' : 'wrong credentials' };
}

/** Equal strings in time that does not depend on where they differ (nor, via the digest, on length). */
export function sameSecret(a: string, b: string): boolean {
  const digest = (text: string) => crypto.createHash('sha256').update(text, 'utf8').digest();
  return crypto.timingSafeEqual(digest(a), digest(b));
}

export interface CheckerOptions {
  /** bcrypt comparison; default bcryptjs's (async: a wrong password does not block the event loop) */
  compare?: (password: string, hash: string) => Promise<boolean>;
  /** how long a successful admin check is remembered (bcrypt costs ~100 ms a request); default 60 s */
  cacheMs?: number;
  now?: () => number;
}

const CACHE_LIMIT = 100;

function bcryptCompare(password: string, hash: string): Promise<boolean> {
  // loaded on first use: with authentication off nothing needs it
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bcrypt = require('bcryptjs') as { compare(password: string, hash: string): Promise<boolean> };
  return bcrypt.compare(password, hash);
}

export type CredentialChecker = (presented: Presented) => Promise<Credential>;

export function createCredentialChecker(config: Extract<AuthConfig, { enabled: true }>, options: CheckerOptions = {}): CredentialChecker {
  const compare = options.compare ?? bcryptCompare;
  const cacheMs = options.cacheMs ?? 60_000;
  const now = options.now ?? Date.now;
  // sha256(user, password) -> until; never the password itself
  const verified = new Map<string, number>();
  const adminPasswordOk = async (user: string, password: string): Promise<boolean> => {
    const key = crypto.createHash('sha256').update(`${user}\0${password}`, 'utf8').digest('base64');
    const until = verified.get(key);
    if (until !== undefined && until > now()) return true;
    verified.delete(key);
    if (!(await compare(password, config.adminPasswordHash))) return false;
    if (verified.size >= CACHE_LIMIT) verified.delete(verified.keys().next().value as string);
    verified.set(key, now() + cacheMs);
    return true;
  };
  const isReadToken = (secret: string) => config.readToken !== undefined && sameSecret(secret, config.readToken);
  return async (presented) => {
    switch (presented.scheme) {
      case 'none':
        return 'none';
      case 'malformed':
        return 'wrong';
      case 'bearer':
        return isReadToken(presented.token) ? 'read' : 'wrong';
      case 'basic':
        if (sameSecret(presented.user, config.adminUser)) return (await adminPasswordOk(presented.user, presented.password)) ? 'admin' : 'wrong';
        return isReadToken(presented.password) ? 'read' : 'wrong';
    }
  };
}

// --- the HTTP side, typed structurally (no express, ws or socket.io import) ---------------------

export interface AuthRequest {
  method?: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
  /** the peer, for the failed-login limit (Express and ws requests have it) */
  socket?: { remoteAddress?: string };
}

/**
 * Wrong logins per client: once a client has used up its failures, whatever it presents is refused
 * with 429 before any bcrypt work, so passwords cannot be guessed at speed (on the dashboard's pages
 * too, which the API rate limit does not cover) and guessing costs the server nothing.
 */
export interface LoginThrottle {
  failures: RateLimiter;
  clientOf(req: AuthRequest): string;
}

type Verdict = { credential: Credential } | { retryAfterSeconds: number };

async function verdictOf(check: CredentialChecker, throttle: LoginThrottle | undefined, req: AuthRequest, presented: Presented): Promise<Verdict> {
  if (!throttle || presented.scheme === 'none') return { credential: await check(presented) };
  const client = throttle.clientOf(req);
  const allowed = throttle.failures.peek(client);
  if (!allowed.ok) return { retryAfterSeconds: allowed.retryAfterSeconds };
  const credential = await check(presented);
  if (credential === 'wrong') throttle.failures.take(client);
  return { credential };
}

const TOO_MANY_FAILURES = 'too many failed logins, retry later';

type Next = (err?: unknown) => void;

export const CHALLENGE = 'Basic realm="heatpump-monitor", charset="UTF-8", Bearer realm="heatpump-monitor"';

/** The path as sent, not decoded: `/api/sms%2F..` is not a webhook (Express routes match it undecoded too). */
function pathOf(url: string | undefined): string {
  return (url ?? '/').split('?')[0] ?? '/';
}

function refusalHeaders(decision: Extract<Decision, { allow: false }>): Record<string, string> {
  return decision.status === 401 ? { 'WWW-Authenticate': CHALLENGE } : {};
}

/** Express middleware for the flows' endpoints and the dashboard pages (httpNodeAuth). */
export function createHttpAuth(check: CredentialChecker, throttle?: LoginThrottle) {
  return (req: AuthRequest, res: GuardResponse, next: Next): void => {
    const required = requiredAccess(req.method ?? 'GET', pathOf(req.url));
    if (required === 'open') {
      next();
      return;
    }
    verdictOf(check, throttle, req, parseAuthorization(req.headers.authorization)).then(
      (verdict) => {
        if ('retryAfterSeconds' in verdict) {
          const wait = verdict.retryAfterSeconds;
          sendJson(res, 429, { error: TOO_MANY_FAILURES, retry_after_seconds: wait }, { 'Retry-After': wait });
          return;
        }
        const decision = decide(required, verdict.credential);
        if (decision.allow) {
          next();
          return;
        }
        sendJson(res, decision.status, { error: decision.error }, refusalHeaders(decision));
      },
      () => next(new Error('authentication failed')),
    );
  };
}

/**
 * The token of a WebSocket upgrade: the Authorization header, else `?access_token=` (a browser's
 * WebSocket cannot set headers; accepted here only, never for plain HTTP requests).
 */
export function upgradeCredentials(req: AuthRequest): Presented {
  const fromHeader = parseAuthorization(req.headers.authorization);
  if (fromHeader.scheme !== 'none') return fromHeader;
  const query = (req.url ?? '').split('?')[1];
  const token = query === undefined ? null : new URLSearchParams(query).get('access_token');
  return token ? { scheme: 'bearer', token } : fromHeader;
}

type VerifyCallback = (result: boolean, code?: number, message?: string, headers?: Record<string, string>) => void;

/** settings.webSocketNodeVerifyClient (the ws library's asynchronous verifyClient) for /api/ws. */
export function createWebSocketVerifier(check: CredentialChecker, throttle?: LoginThrottle) {
  return (info: { req: AuthRequest }, done: VerifyCallback): void => {
    verdictOf(check, throttle, info.req, upgradeCredentials(info.req)).then(
      (verdict) => {
        if ('retryAfterSeconds' in verdict) {
          done(false, 429, TOO_MANY_FAILURES, { 'Retry-After': String(verdict.retryAfterSeconds) });
          return;
        }
        const decision = decide('read', verdict.credential);
        if (decision.allow) done(true);
        else done(false, decision.status, decision.error, refusalHeaders(decision));
      },
      () => done(false, 500, 'authentication failed'),
    );
  };
}

interface IoSocket {
  request: AuthRequest;
  handshake: { xdomain: boolean };
}

type IoNext = (err?: Error & { data?: unknown }) => void;

/**
 * settings.dashboard.ioMiddleware: Dashboard 2.0's socket.io connection needs read access (a
 * browser sends the Basic login it gave the page). Setting ioMiddleware replaces the dashboard's
 * own check, so this keeps it: polling first (no direct websocket) and same origin only.
 */
export function createDashboardIoMiddleware(check: CredentialChecker, throttle?: LoginThrottle) {
  return (socket: IoSocket, next: IoNext): void => {
    if ((socket.request.url ?? '').includes('transport=websocket')) {
      next(new Error('the dashboard connects by polling first'));
      return;
    }
    if (socket.handshake.xdomain) {
      next(new Error('the dashboard accepts its own origin only'));
      return;
    }
    verdictOf(check, throttle, socket.request, parseAuthorization(socket.request.headers.authorization)).then(
      (verdict) => {
        if ('retryAfterSeconds' in verdict) {
          next(Object.assign(new Error(TOO_MANY_FAILURES), { data: { status: 429, retry_after_seconds: verdict.retryAfterSeconds } }));
          return;
        }
        const decision = decide('read', verdict.credential);
        if (decision.allow) next();
        else next(Object.assign(new Error(decision.error), { data: { status: decision.status } }));
      },
      () => next(new Error('authentication failed')),
    );
  };
}

export interface AuthSettings {
  config: AuthConfig;
  /** append to httpNodeAuth; undefined when authentication is off */
  httpNodeAuth?: ReturnType<typeof createHttpAuth>;
  webSocketNodeVerifyClient?: ReturnType<typeof createWebSocketVerifier>;
  dashboard?: { ioMiddleware: ReturnType<typeof createDashboardIoMiddleware> };
}

/** Everything settings.js needs, from the environment. */
export function authSettingsFromEnv(env: Env, options: CheckerOptions = {}): AuthSettings {
  const config = authConfigFromEnv(env);
  if (!config.enabled) return { config };
  const check = createCredentialChecker(config, options);
  const isTrustedProxy = proxyList(trustedProxiesFromEnv(env));
  const throttle: LoginThrottle = {
    failures: new RateLimiter(loginFailuresFromEnv(env)),
    clientOf: (req) => clientKey({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, socket: req.socket ?? {} } satisfies GuardRequest, isTrustedProxy),
  };
  return {
    config,
    httpNodeAuth: createHttpAuth(check, throttle),
    webSocketNodeVerifyClient: createWebSocketVerifier(check, throttle),
    dashboard: { ioMiddleware: createDashboardIoMiddleware(check, throttle) },
  };
}
