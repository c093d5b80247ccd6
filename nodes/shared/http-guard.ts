// The front door of the flows' HTTP endpoints (/api/..., /metrics, the SMS webhooks), used by
// settings.js as `httpNodeAuth` (Node-RED mounts it in front of RED.httpNode, in the Docker image
// and in `npm start` alike). It ships in the package (dist/nodes/shared/) because the Docker image
// mounts settings.js beside the installed package, not beside the repository.
//
//  - a malformed URL (bad %-encoding) answers 400 JSON, not Express's HTML stack trace;
//  - an unknown route under /api/ answers 404 JSON (405 when the path exists for another method);
//    the routes are the ones the http in nodes have registered at the time of the request;
//  - a per-client-IP token bucket answers 429 JSON with Retry-After (s): one for /api/* and
//    /metrics, one for the SMS webhooks /api/sms/*;
//  - a request body over the limit answers 413 JSON before anything reads it.
// No answer from here carries a stack trace or a file path.
//
// Environment (guardOptionsFromEnv): HEATPUMP_API_RATE (requests per minute per client IP, default
// 600, 0 = no limit), HEATPUMP_API_BURST (default 120), HEATPUMP_SMS_RATE (default 120),
// HEATPUMP_SMS_BURST (default 30), HEATPUMP_HTTP_MAX_BODY (bytes, default 65536),
// HEATPUMP_TRUSTED_PROXIES (opt-in: addresses or CIDR ranges of reverse proxies, comma separated;
// only a request from one of them is keyed on its X-Forwarded-For, anything else on its own address).
import net from 'node:net';

export type Env = Record<string, string | undefined>;

export interface BucketOptions {
  /** tokens added per minute; 0 = no limit */
  ratePerMinute: number;
  /** bucket size: requests allowed at once */
  burst: number;
  /** clients tracked at most; the least recently seen is forgotten first */
  maxClients?: number;
  /** ms clock, injectable for tests */
  now?: () => number;
}

export type TakeResult = { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets keyed by client (IP); bounded memory. */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private readonly burst: number;
  private readonly maxClients: number;
  private readonly now: () => number;

  constructor(options: BucketOptions) {
    if (!(options.ratePerMinute >= 0) || !(options.burst >= 1)) {
      throw new Error(`rate limit needs a rate >= 0 and a burst >= 1 (got ${options.ratePerMinute}/min, burst ${options.burst})`);
    }
    this.perMs = options.ratePerMinute / 60_000;
    this.burst = options.burst;
    this.maxClients = Math.max(1, options.maxClients ?? 10_000);
    this.now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.perMs > 0;
  }

  /** clients currently tracked */
  get size(): number {
    return this.buckets.size;
  }

  /** Whether `take` would succeed now, without taking a token or touching the client's bucket. */
  peek(key: string): TakeResult {
    if (!this.enabled) return { ok: true, remaining: Infinity };
    const previous = this.buckets.get(key);
    if (!previous) return { ok: true, remaining: this.burst };
    const tokens = Math.min(this.burst, previous.tokens + Math.max(0, this.now() - previous.at) * this.perMs);
    if (tokens >= 1) return { ok: true, remaining: Math.floor(tokens) };
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / this.perMs / 1000)) };
  }

  take(key: string): TakeResult {
    if (!this.enabled) return { ok: true, remaining: Infinity };
    const now = this.now();
    const previous = this.buckets.get(key);
    let bucket: Bucket;
    if (previous) {
      const elapsed = Math.max(0, now - previous.at);
      bucket = { tokens: Math.min(this.burst, previous.tokens + elapsed * this.perMs), at: Math.max(previous.at, now) };
      this.buckets.delete(key); // re-inserted below: Map order = least recently seen first
    } else {
      bucket = { tokens: this.burst, at: now };
      while (this.buckets.size >= this.maxClients) {
        const oldest = this.buckets.keys().next().value;
        if (oldest === undefined) break;
        this.buckets.delete(oldest);
      }
    }
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true, remaining: Math.floor(bucket.tokens) };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000)) };
  }
}

export interface GuardOptions {
  api: BucketOptions;
  sms: BucketOptions;
  /** largest request body in bytes (POST/PUT/PATCH under /api/) */
  maxBodyBytes: number;
  /** the Express app of the flows' endpoints (RED.httpNode); default: looked up in the loaded runtime */
  httpNode?: () => RouterApp | undefined;
  /** reverse proxies whose X-Forwarded-For names the client (addresses or CIDR ranges); default none */
  trustedProxies?: string[];
}

function whole(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number >= ${min}, got "${raw}"`);
  return value;
}

/** The comma-separated HEATPUMP_TRUSTED_PROXIES entries. */
export function trustedProxiesFromEnv(env: Env): string[] {
  return (env.HEATPUMP_TRUSTED_PROXIES ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

/** Wrong logins allowed per client and minute (HEATPUMP_LOGIN_FAILURES, burst as many); 0 = no limit. */
export function loginFailuresFromEnv(env: Env): BucketOptions {
  const perMinute = whole(env, 'HEATPUMP_LOGIN_FAILURES', 10);
  return { ratePerMinute: perMinute, burst: Math.max(1, perMinute) };
}

export function guardOptionsFromEnv(env: Env): GuardOptions {
  return {
    api: { ratePerMinute: whole(env, 'HEATPUMP_API_RATE', 600), burst: whole(env, 'HEATPUMP_API_BURST', 120, 1) },
    sms: { ratePerMinute: whole(env, 'HEATPUMP_SMS_RATE', 120), burst: whole(env, 'HEATPUMP_SMS_BURST', 30, 1) },
    maxBodyBytes: whole(env, 'HEATPUMP_HTTP_MAX_BODY', 65_536, 1),
    trustedProxies: trustedProxiesFromEnv(env),
  };
}

// --- the Express side, typed structurally (no express import in the shipped package) ---------

export interface GuardRequest {
  method: string;
  url: string;
  ip?: string;
  headers: Record<string, string | string[] | undefined>;
  socket: { remoteAddress?: string };
}

export interface GuardResponse {
  headersSent: boolean;
  statusCode: number;
  setHeader(name: string, value: string | number): unknown;
  end(body?: string): unknown;
}

interface RouteLayer {
  route?: { _handles_method?(method: string): boolean; methods?: Record<string, boolean> };
  regexp?: { fast_slash?: boolean };
  match?(path: string): boolean;
}

export interface RouterApp {
  _router?: { stack?: RouteLayer[] };
}

type Next = (err?: unknown) => void;

export function sendJson(res: GuardResponse, status: number, body: Record<string, unknown>, headers: Record<string, string | number> = {}): void {
  if (res.headersSent) return;
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.end(JSON.stringify(body));
}

/** RED.httpNode of the Node-RED runtime loaded in this process (settings.js cannot see RED). */
function runtimeHttpNode(): RouterApp | undefined {
  for (const [file, mod] of Object.entries(require.cache)) {
    if (/[\\/]@node-red[\\/]runtime[\\/]lib[\\/]index\.js$/.test(file)) {
      const app = (mod?.exports as { httpNode?: RouterApp } | undefined)?.httpNode;
      if (app) return app;
    }
  }
  return undefined;
}

type RouteMatch = 'found' | 'other-method' | 'none' | 'unknown';

/** Whether the app has a route for the path (and method); 'unknown' when it cannot tell. */
export function routeMatch(app: RouterApp | undefined, method: string, path: string): RouteMatch {
  const stack = app?._router?.stack;
  if (!stack) return 'unknown';
  let otherMethod = false;
  for (const layer of stack) {
    if (typeof layer.match !== 'function') continue;
    if (!layer.route && layer.regexp?.fast_slash) continue; // app.use(fn) for every path
    let matched = false;
    try {
      matched = layer.match(path);
    } catch {
      matched = false;
    }
    if (!matched) continue;
    if (!layer.route) return 'found'; // a mounted middleware (app.use('/x', ...)) owns the path
    const handles = layer.route._handles_method ? layer.route._handles_method(method) : Boolean(layer.route.methods?.[method.toLowerCase()]);
    if (handles) return 'found';
    otherMethod = true;
  }
  return otherMethod ? 'other-method' : 'none';
}

const plainAddress = (ip: string) => (ip.startsWith('::ffff:') ? ip.slice(7) : ip);

/** A set of addresses and CIDR ranges; throws on an entry that is neither. */
export function proxyList(entries: string[]): (ip: string) => boolean {
  const list = new net.BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const family = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : undefined;
    const bits = prefix === undefined ? undefined : Number(prefix);
    if (!family || (bits !== undefined && !(Number.isInteger(bits) && bits >= 0 && bits <= (family === 'ipv4' ? 32 : 128)))) {
      throw new Error(`HEATPUMP_TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR range`);
    }
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, bits, family);
  }
  return (ip) => {
    const family = net.isIPv4(ip) ? 'ipv4' : net.isIPv6(ip) ? 'ipv6' : undefined;
    return family !== undefined && list.check(ip, family);
  };
}

/**
 * The client a request is counted against: its peer address, or, when the peer is a trusted proxy,
 * the nearest address in X-Forwarded-For that is not one (the entries before it can be forged).
 */
export function clientKey(req: GuardRequest, isTrustedProxy: (ip: string) => boolean = () => false): string {
  const peer = plainAddress(req.socket.remoteAddress || req.ip || 'unknown');
  if (!isTrustedProxy(peer)) return peer;
  const forwarded = ([] as string[])
    .concat(req.headers['x-forwarded-for'] ?? [])
    .flatMap((value) => value.split(','))
    .map((hop) => plainAddress(hop.trim()))
    .filter(Boolean);
  for (let i = forwarded.length - 1; i >= 0; i--) {
    const hop = forwarded[i] as string;
    if (!isTrustedProxy(hop)) return hop;
  }
  return forwarded[0] ?? peer;
}

/** 400 for a URL with bad %-encoding; everything else passes. Also for the editor (httpAdminMiddleware). */
export function rejectMalformedUrl(req: GuardRequest, res: GuardResponse, next: Next): void {
  const pathname = req.url.split('?')[0] ?? '';
  try {
    decodeURIComponent(pathname);
  } catch {
    sendJson(res, 400, { error: 'malformed URL: invalid percent-encoding in the path' });
    return;
  }
  next();
}

export type Guard = ((req: GuardRequest, res: GuardResponse, next: Next) => void) & { api: RateLimiter; sms: RateLimiter };

export function createHttpGuard(options: GuardOptions): Guard {
  const api = new RateLimiter(options.api);
  const sms = new RateLimiter(options.sms);
  const httpNode = options.httpNode ?? runtimeHttpNode;
  const isTrustedProxy = proxyList(options.trustedProxies ?? []);
  const guard = (req: GuardRequest, res: GuardResponse, next: Next): void => {
    const pathname = req.url.split('?')[0] ?? '';
    let path: string;
    try {
      path = decodeURIComponent(pathname);
    } catch {
      sendJson(res, 400, { error: 'malformed URL: invalid percent-encoding in the path' });
      return;
    }
    const underApi = path.startsWith('/api/') || path === '/api';
    if (!underApi && path !== '/metrics') {
      next();
      return;
    }
    const limiter = path.startsWith('/api/sms/') ? sms : api;
    const taken = limiter.take(clientKey(req, isTrustedProxy));
    if (!taken.ok) {
      sendJson(res, 429, { error: 'too many requests, retry later', retry_after_seconds: taken.retryAfterSeconds }, { 'Retry-After': taken.retryAfterSeconds });
      return;
    }
    const method = req.method.toUpperCase();
    if (underApi && method !== 'OPTIONS') {
      const match = routeMatch(httpNode(), method, pathname);
      if (match === 'none') {
        sendJson(res, 404, { error: `no API endpoint ${method} ${path}` });
        return;
      }
      if (match === 'other-method') {
        sendJson(res, 405, { error: `${method} is not allowed on ${path}` });
        return;
      }
    }
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
      const length = req.headers['content-length'];
      const chunked = String(req.headers['transfer-encoding'] ?? '') !== '';
      if (length === undefined && chunked) {
        sendJson(res, 411, { error: 'a Content-Length header is required' });
        return;
      }
      const bytes = Number(length ?? 0);
      if (!Number.isFinite(bytes) || bytes > options.maxBodyBytes) {
        sendJson(res, 413, { error: `request body too large (limit ${options.maxBodyBytes} bytes)` });
        return;
      }
    }
    next();
  };
  return Object.assign(guard, { api, sms });
}

/**
 * Last error handler (npm start mounts it after RED.httpNode): JSON with the status, never the
 * stack or a path. Express's own handler prints stacks unless NODE_ENV=production.
 */
export function jsonErrorHandler(err: unknown, _req: GuardRequest, res: GuardResponse, next: Next): void {
  if (res.headersSent) {
    next(err);
    return;
  }
  const raw = (err as { status?: unknown; statusCode?: unknown } | undefined) ?? {};
  const candidate = Number(raw.status ?? raw.statusCode);
  const status = Number.isInteger(candidate) && candidate >= 400 && candidate < 600 ? candidate : 500;
  const expose = status < 500 && (err as { expose?: unknown }).expose !== false;
  const message = expose && err instanceof Error ? err.message.replace(/(\/|[A-Za-z]:\\)[^\s'"]*/g, '…') : 'internal error';
  sendJson(res, status, { error: message });
}
