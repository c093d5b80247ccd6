// OAuth2 authorization code with PKCE (RFC 7636, S256) as the Viessmann developer portal requires
// for its public clients: the pieces of the login and of the token renewal, without Node-RED and
// without I/O. The account node sends the requests and keeps the tokens.
import { createHash, randomBytes } from 'node:crypto';
import { err, ok, type Result } from '../shared/result';

export const VIESSMANN_ENDPOINTS = {
  authorize: 'https://iam.viessmann-climatesolutions.com/idp/v3/authorize',
  token: 'https://iam.viessmann-climatesolutions.com/idp/v3/token',
  api: 'https://api.viessmann-climatesolutions.com',
} as const;

/** offline_access: without it the token endpoint hands out no refresh token. */
export const VIESSMANN_SCOPE = 'IoT User offline_access';

/** How long before its expiry an access token is renewed. */
export const RENEW_BEFORE_MS = 2 * 60 * 1000;

/** A token must live at least this long when its call is made (after waiting for the budget). */
export const CALL_MARGIN_MS = 15 * 1000;

/** How long a started login waits for its callback. */
export const LOGIN_TTL_MS = 10 * 60 * 1000;

const base64url = (bytes: Buffer) => bytes.toString('base64url');

export function codeChallengeOf(verifier: string): string {
  return base64url(createHash('sha256').update(verifier, 'ascii').digest());
}

/** A fresh verifier (43 characters of the RFC's unreserved set) and its S256 challenge. */
export function createPkce(random: (size: number) => Buffer = randomBytes): { verifier: string; challenge: string } {
  const verifier = base64url(random(32));
  return { verifier, challenge: codeChallengeOf(verifier) };
}

export function createState(random: (size: number) => Buffer = randomBytes): string {
  return base64url(random(16));
}

export interface AuthorizeRequest {
  authorizeUrl: string;
  clientId: string;
  redirectUri: string;
  state: string;
  challenge: string;
}

export function authorizeUrlOf(request: AuthorizeRequest): string {
  const url = new URL(request.authorizeUrl);
  url.searchParams.set('client_id', request.clientId);
  url.searchParams.set('redirect_uri', request.redirectUri);
  url.searchParams.set('scope', VIESSMANN_SCOPE);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('code_challenge', request.challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', request.state);
  return url.toString();
}

/** The form body of the code exchange. */
export function codeGrantBody(clientId: string, redirectUri: string, code: string, verifier: string): string {
  return new URLSearchParams({ grant_type: 'authorization_code', client_id: clientId, redirect_uri: redirectUri, code, code_verifier: verifier }).toString();
}

/** The form body of a renewal. */
export function refreshGrantBody(clientId: string, refreshToken: string): string {
  return new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken }).toString();
}

export interface Tokens {
  accessToken: string;
  /** ms since the epoch */
  expiresAt: number;
  /** present when the token endpoint issued one (login, or a rotated one on renewal) */
  refreshToken?: string;
}

export type TokenError =
  /** the refresh token (or the code) expired or was revoked: only a new login helps */
  | { kind: 'login-again'; message: string }
  /** the token endpoint failed or answered something unusable: try again later */
  | { kind: 'unavailable'; message: string };

/** The token endpoint's answer, read as RFC 6749 section 5 describes it. */
export function parseTokenResponse(status: number, body: unknown, now: number): Result<Tokens, TokenError> {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  if (status === 400 || status === 401) {
    const code = typeof record.error === 'string' ? record.error : `HTTP ${status}`;
    const description = typeof record.error_description === 'string' ? `: ${record.error_description}` : '';
    // invalid_grant: the refresh token expired or was revoked; invalid_client: the client id is gone
    if (code === 'invalid_grant' || code === 'invalid_client' || code === 'unauthorized_client') return err({ kind: 'login-again', message: `${code}${description}` });
    return err({ kind: 'unavailable', message: `${code}${description}` });
  }
  if (status !== 200) return err({ kind: 'unavailable', message: `token endpoint answered HTTP ${status}` });
  const { access_token: accessToken, expires_in: expiresIn, refresh_token: refreshToken } = record;
  if (typeof accessToken !== 'string' || accessToken === '') return err({ kind: 'unavailable', message: 'token endpoint answered without access_token' });
  const seconds = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : 3600;
  return ok({ accessToken, expiresAt: now + seconds * 1000, ...(typeof refreshToken === 'string' && refreshToken !== '' ? { refreshToken } : {}) });
}

/** Whether to renew before a call: at RENEW_BEFORE_MS before the expiry, or `marginMs` when given. */
export function needsRenewal(tokens: Tokens | undefined, now: number, marginMs = RENEW_BEFORE_MS): boolean {
  return tokens === undefined || now >= tokens.expiresAt - marginMs;
}

export interface PendingLogin {
  nodeId: string;
  clientId: string;
  redirectUri: string;
  tokenUrl: string;
  verifier: string;
  startedAt: number;
}

/** Logins started in the editor, by their state, until their callback or LOGIN_TTL_MS. */
export class PendingLogins {
  private readonly byState = new Map<string, PendingLogin>();

  add(state: string, login: PendingLogin): void {
    this.byState.set(state, login);
  }

  /** The login of `state`, once: a state is good for one callback. */
  take(state: string, now: number): PendingLogin | undefined {
    for (const [key, login] of this.byState) if (now - login.startedAt > LOGIN_TTL_MS) this.byState.delete(key);
    const login = this.byState.get(state);
    this.byState.delete(state);
    return login;
  }
}
