// HTTP Digest authentication (RFC 7616) as Shelly Gen2 devices use it: a 401 names the realm (the
// device id) and a nonce, algorithm SHA-256, qop auth, user `admin`. Both sides live here: the
// client (DigestSession) the node uses, and the check (verifyDigest) the tests' device stand-in
// enforces. No Node-RED import.
import crypto from 'node:crypto';

export type DigestAlgorithm = 'SHA-256' | 'MD5';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  algorithm: DigestAlgorithm;
  /** 'auth' when the server offers it (Shelly always does); undefined: the RFC 2069 form */
  qop?: 'auth';
  opaque?: string;
  stale?: boolean;
}

/** The user name Gen2 devices accept (their only user). */
export const SHELLY_USER = 'admin';

const hash = (algorithm: DigestAlgorithm, text: string): string => crypto.createHash(algorithm === 'MD5' ? 'md5' : 'sha256').update(text, 'utf8').digest('hex');

/** The auth-params of a Digest header (`name=value` or `name="quoted"`, comma separated). */
export function parseAuthParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  const param = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/gy;
  for (let match = param.exec(text); match !== null && match[0] !== ''; match = param.exec(text)) {
    const [, name = '', quoted, token] = match;
    params.set(name.toLowerCase(), quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (token ?? ''));
  }
  return params;
}

/** The Digest challenge of a WWW-Authenticate header, or why there is none we can answer. */
export function parseChallenge(header: string | string[] | undefined): DigestChallenge | string {
  const headers = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const digest = headers.find((value) => /^\s*digest\s/i.test(value));
  if (digest === undefined) return `the device asks for ${headers.length === 0 ? 'no known' : JSON.stringify(headers.join(', ').slice(0, 60))} authentication, not Digest`;
  const params = parseAuthParams(digest.replace(/^\s*digest\s+/i, ''));
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  if (realm === undefined || nonce === undefined || nonce === '') return 'the Digest challenge lacks realm or nonce';
  const algorithmName = (params.get('algorithm') ?? 'MD5').toUpperCase();
  if (algorithmName !== 'SHA-256' && algorithmName !== 'MD5') return `the Digest algorithm ${algorithmName} is not supported (SHA-256, MD5)`;
  const qops = (params.get('qop') ?? '').split(',').map((qop) => qop.trim());
  if (params.has('qop') && !qops.includes('auth')) return `the Digest qop ${params.get('qop')} is not supported (auth)`;
  const opaque = params.get('opaque');
  return {
    realm,
    nonce,
    algorithm: algorithmName,
    ...(qops.includes('auth') ? { qop: 'auth' as const } : {}),
    ...(opaque !== undefined ? { opaque } : {}),
    ...(params.get('stale')?.toLowerCase() === 'true' ? { stale: true } : {}),
  };
}

export interface DigestInput {
  username: string;
  password: string;
  method: string;
  /** request-target as sent, e.g. /rpc/Shelly.GetStatus */
  uri: string;
  challenge: DigestChallenge;
  cnonce: string;
  /** request count under this nonce, from 1 */
  nc: number;
}

const ncText = (nc: number): string => nc.toString(16).padStart(8, '0');

/** The `response` value of RFC 7616 section 3.4.1 (qop auth, or without qop). */
export function digestResponse(input: DigestInput): string {
  const { algorithm, realm, nonce, qop } = input.challenge;
  const ha1 = hash(algorithm, `${input.username}:${realm}:${input.password}`);
  const ha2 = hash(algorithm, `${input.method}:${input.uri}`);
  return qop === 'auth' ? hash(algorithm, `${ha1}:${nonce}:${ncText(input.nc)}:${input.cnonce}:auth:${ha2}`) : hash(algorithm, `${ha1}:${nonce}:${ha2}`);
}

const quote = (text: string): string => `"${text.replace(/(["\\])/g, '\\$1')}"`;

/** The Authorization header value for one request. */
export function authorizationHeader(input: DigestInput): string {
  const { challenge } = input;
  const parts = [
    `username=${quote(input.username)}`,
    `realm=${quote(challenge.realm)}`,
    `uri=${quote(input.uri)}`,
    `algorithm=${challenge.algorithm}`,
    `nonce=${quote(challenge.nonce)}`,
    ...(challenge.qop === 'auth' ? [`nc=${ncText(input.nc)}`, `cnonce=${quote(input.cnonce)}`, 'qop=auth'] : []),
    `response=${quote(digestResponse(input))}`,
    ...(challenge.opaque !== undefined ? [`opaque=${quote(challenge.opaque)}`] : []),
  ];
  return `Digest ${parts.join(', ')}`;
}

/**
 * One client's digest state for one device: after the first 401 every request carries an
 * Authorization header for the same nonce with nc counting up; a 401 on that (a stale or
 * forgotten nonce) gives a new challenge and the request is answered once more.
 */
export class DigestSession {
  private challenge: DigestChallenge | undefined;
  private nc = 0;

  constructor(
    private readonly password: string,
    private readonly username = SHELLY_USER,
    private readonly newCnonce: () => string = () => crypto.randomBytes(16).toString('hex'),
  ) {}

  /** The header for the next request, if a challenge is known. */
  authorization(method: string, uri: string): string | undefined {
    if (this.challenge === undefined) return undefined;
    this.nc += 1;
    return authorizationHeader({ username: this.username, password: this.password, method, uri, challenge: this.challenge, cnonce: this.newCnonce(), nc: this.nc });
  }

  /** Takes the challenge of a 401; returns why it cannot be answered, or undefined. */
  challenged(header: string | string[] | undefined): string | undefined {
    const challenge = parseChallenge(header);
    if (typeof challenge === 'string') return challenge;
    this.challenge = challenge;
    this.nc = 0;
    return undefined;
  }
}

export interface DigestCheck {
  method: string;
  /** the request-target the server received */
  uri: string;
  header: string | undefined;
  realm: string;
  username: string;
  password: string;
  algorithm: DigestAlgorithm;
  /** nonces the server issued, with the highest nc seen for each (updated on success) */
  nonces: Map<string, number>;
}

/** The server side: whether an Authorization header is a valid answer to one of our challenges. */
export function verifyDigest(check: DigestCheck): { ok: true } | { ok: false; reason: string } {
  if (check.header === undefined || !/^\s*digest\s/i.test(check.header)) return { ok: false, reason: 'no Digest authorization' };
  const params = parseAuthParams(check.header.replace(/^\s*digest\s+/i, ''));
  const nonce = params.get('nonce') ?? '';
  const lastNc = check.nonces.get(nonce);
  if (lastNc === undefined) return { ok: false, reason: 'unknown nonce' };
  if (params.get('username') !== check.username) return { ok: false, reason: 'unknown user' };
  if (params.get('realm') !== check.realm) return { ok: false, reason: 'wrong realm' };
  if (params.get('uri') !== check.uri) return { ok: false, reason: 'uri does not match the request' };
  if ((params.get('algorithm') ?? 'MD5').toUpperCase() !== check.algorithm) return { ok: false, reason: 'wrong algorithm' };
  if (params.get('qop') !== 'auth') return { ok: false, reason: 'qop auth expected' };
  const nc = Number.parseInt(params.get('nc') ?? '', 16);
  if (!Number.isInteger(nc) || nc <= lastNc) return { ok: false, reason: 'nc not above the last one (replay)' };
  const cnonce = params.get('cnonce') ?? '';
  const expected = digestResponse({
    username: check.username,
    password: check.password,
    method: check.method,
    uri: check.uri,
    challenge: { realm: check.realm, nonce, algorithm: check.algorithm, qop: 'auth' },
    cnonce,
    nc,
  });
  const given = Buffer.from(params.get('response') ?? '');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, Buffer.from(expected))) return { ok: false, reason: 'wrong response (password)' };
  check.nonces.set(nonce, nc);
  return { ok: true };
}
