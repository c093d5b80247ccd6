// Local stand-ins for Viessmann's identity server and IoT API, for the viessmann-account and
// viessmann-device tests. The OAuth stand-in checks what the real one checks: the PKCE verifier
// against the challenge of the authorize request (S256), the client and redirect URI of the code,
// and refresh tokens (rotated on use when asked, revocable). The API stand-in wants a live access
// token and replays the recorded responses of test/fixtures/viessmann/ byte for byte.
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFixture } from './fixtures';

export const INSTALLATION_ID = '2222222';
export const GATEWAY_SERIAL = '7633107093013212';

interface Code {
  clientId: string;
  redirectUri: string;
  challenge: string;
}

export interface StandIn {
  oauthUrl: string;
  apiUrl: string;
  authorizeUrl: string;
  tokenUrl: string;
  /** a refresh token the account can start with, as after an earlier login */
  issueRefreshToken(): string;
  /** every access token issued so far stops working (the API answers expired_token.json) */
  expireAccessTokens(): void;
  /** every refresh token stops working (the token endpoint answers invalid_grant) */
  revokeRefreshTokens(): void;
  /** seconds of life of the access tokens issued from now on */
  accessTokenLifetime: number;
  /** hand out a new refresh token on each renewal, retiring the one used */
  rotateRefreshTokens: boolean;
  /** the fixture file served as the features of a device id */
  features: Map<string, string>;
  /** a body in place of a fixture file, for a device id (a changed setting) */
  featureBodies: Map<string, string>;
  /** answers served before the normal ones, in order: [status, body] */
  failures: Array<[number, string]>;
  /** what arrived: token grants and API calls with their time */
  log: { grants: string[]; pkceChecked: number; api: Array<{ path: string; at: number }>; refusedTokens: number };
  close(): Promise<void>;
}

const base64url = (buffer: Buffer) => buffer.toString('base64url');

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function formOf(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res: http.ServerResponse, status: number, body: string | object, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

export async function startStandIn(clientId: string): Promise<StandIn> {
  const codes = new Map<string, Code>();
  const refreshTokens = new Set<string>();
  const accessTokens = new Set<string>();
  const log: StandIn['log'] = { grants: [], pkceChecked: 0, api: [], refusedTokens: 0 };

  const issue = (res: http.ServerResponse, withRefresh: boolean) => {
    const access = `access-${randomUUID()}`;
    accessTokens.add(access);
    const refresh = withRefresh ? standIn.issueRefreshToken() : undefined;
    send(res, 200, { access_token: access, expires_in: standIn.accessTokenLifetime, token_type: 'Bearer', ...(refresh ? { refresh_token: refresh } : {}) });
  };

  const oauth = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    if (req.method === 'GET' && url.pathname === '/idp/v3/authorize') {
      const q = url.searchParams;
      if (q.get('client_id') !== clientId || q.get('response_type') !== 'code' || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge') || !q.get('redirect_uri')) return send(res, 400, { error: 'invalid_request' });
      if (!q.get('scope')?.split(' ').includes('offline_access')) return send(res, 400, { error: 'invalid_scope' });
      // the user logs in and consents at once: back to the redirect URI with a code
      const code = `code-${randomUUID()}`;
      codes.set(code, { clientId, redirectUri: q.get('redirect_uri')!, challenge: q.get('code_challenge')! });
      const back = new URL(q.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state') ?? '');
      res.writeHead(302, { location: back.toString() });
      return res.end();
    }
    if (req.method === 'POST' && url.pathname === '/idp/v3/token') {
      formOf(req)
        .then((form) => {
          const grant = form.get('grant_type') ?? '';
          log.grants.push(grant);
          if (form.get('client_id') !== clientId) return send(res, 401, { error: 'invalid_client' });
          if (grant === 'authorization_code') {
            const code = codes.get(form.get('code') ?? '');
            codes.delete(form.get('code') ?? '');
            if (!code || code.redirectUri !== form.get('redirect_uri')) return send(res, 400, { error: 'invalid_grant', error_description: 'unknown code or redirect_uri' });
            const verifier = form.get('code_verifier') ?? '';
            if (base64url(createHash('sha256').update(verifier).digest()) !== code.challenge) return send(res, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
            log.pkceChecked += 1;
            return issue(res, true);
          }
          if (grant === 'refresh_token') {
            const token = form.get('refresh_token') ?? '';
            if (!refreshTokens.has(token)) return send(res, 400, { error: 'invalid_grant', error_description: 'refresh token expired or revoked' });
            if (standIn.rotateRefreshTokens) refreshTokens.delete(token);
            return issue(res, standIn.rotateRefreshTokens);
          }
          send(res, 400, { error: 'unsupported_grant_type' });
        })
        .catch(() => send(res, 500, { error: 'server_error' }));
      return;
    }
    send(res, 404, { error: 'not_found' });
  });

  const api = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    log.api.push({ path: url.pathname + url.search, at: Date.now() });
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token || !accessTokens.has(token)) {
      log.refusedTokens += 1;
      return send(res, 401, readFixture('viessmann', 'errors', 'expired_token.json'));
    }
    const failure = standIn.failures.shift();
    if (failure) return send(res, failure[0], failure[1]);
    if (url.pathname === '/iot/v1/equipment/installations' && url.searchParams.get('includeGateways') === 'true') {
      // the shape of the real answer (no recording in the collection): ids only, no personal data
      return send(res, 200, { data: [{ id: Number(INSTALLATION_ID), description: 'Stand-in home', gateways: [{ serial: GATEWAY_SERIAL, gatewayType: 'VitoconnectOpto1', installationId: Number(INSTALLATION_ID) }] }] });
    }
    if (url.pathname === `/iot/v1/equipment/installations/${INSTALLATION_ID}/gateways/${GATEWAY_SERIAL}/devices`) {
      return send(res, 200, { data: [...standIn.features.keys()].map((id) => ({ id, modelId: 'E3_Vitocal', deviceType: 'heating', status: 'Online', gatewaySerial: GATEWAY_SERIAL })) });
    }
    const features = new RegExp(`^/iot/v1/features/installations/${INSTALLATION_ID}/gateways/${GATEWAY_SERIAL}/devices/([^/]+)/features$`).exec(url.pathname);
    const deviceId = features?.[1];
    if (deviceId !== undefined) {
      const body = standIn.featureBodies.get(deviceId);
      const file = standIn.features.get(deviceId);
      if (body !== undefined) return send(res, 200, body);
      if (file !== undefined) return send(res, 200, readFixture('viessmann', file));
    }
    send(res, 404, { viErrorId: 'stand-in', statusCode: 404, errorType: 'NOT_FOUND', message: url.pathname });
  });

  const oauthUrl = await listen(oauth);
  const apiUrl = await listen(api);
  const standIn: StandIn = {
    oauthUrl,
    apiUrl,
    authorizeUrl: `${oauthUrl}/idp/v3/authorize`,
    tokenUrl: `${oauthUrl}/idp/v3/token`,
    issueRefreshToken() {
      const token = `refresh-${randomUUID()}`;
      refreshTokens.add(token);
      return token;
    },
    expireAccessTokens: () => accessTokens.clear(),
    revokeRefreshTokens: () => refreshTokens.clear(),
    accessTokenLifetime: 3600,
    rotateRefreshTokens: false,
    features: new Map(),
    featureBodies: new Map(),
    failures: [],
    log,
    async close() {
      oauth.closeAllConnections();
      api.closeAllConnections();
      await Promise.all([new Promise((resolve) => oauth.close(resolve)), new Promise((resolve) => api.close(resolve))]);
    },
  };
  return standIn;
}
