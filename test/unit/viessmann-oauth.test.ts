// PKCE and the token answers of the Viessmann login (nodes/viessmann-account/oauth.ts).
import assert from 'node:assert/strict';
import { authorizeUrlOf, codeChallengeOf, codeGrantBody, createPkce, needsRenewal, parseTokenResponse, PendingLogins, refreshGrantBody, RENEW_BEFORE_MS } from '../../nodes/viessmann-account/oauth';

describe('viessmann oauth', () => {
  it('computes the S256 challenge of RFC 7636 appendix B', () => {
    assert.equal(codeChallengeOf('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('makes a verifier of 43 unreserved characters and its challenge', () => {
    const { verifier, challenge } = createPkce(() => Buffer.alloc(32, 7));
    assert.match(verifier, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(challenge, codeChallengeOf(verifier));
  });

  it('asks for a code with the challenge, S256, the state and offline_access', () => {
    const url = new URL(authorizeUrlOf({ authorizeUrl: 'https://iam.example/idp/v3/authorize', clientId: 'client', redirectUri: 'http://localhost:1880/viessmann-account/callback', state: 's1', challenge: 'c1' }));
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      client_id: 'client',
      redirect_uri: 'http://localhost:1880/viessmann-account/callback',
      scope: 'IoT User offline_access',
      response_type: 'code',
      code_challenge: 'c1',
      code_challenge_method: 'S256',
      state: 's1',
    });
  });

  it('sends the verifier with the code, and the refresh token on renewal', () => {
    assert.deepEqual(Object.fromEntries(new URLSearchParams(codeGrantBody('client', 'http://r', 'code1', 'v1'))), { grant_type: 'authorization_code', client_id: 'client', redirect_uri: 'http://r', code: 'code1', code_verifier: 'v1' });
    assert.deepEqual(Object.fromEntries(new URLSearchParams(refreshGrantBody('client', 'r1'))), { grant_type: 'refresh_token', client_id: 'client', refresh_token: 'r1' });
  });

  const cases: Array<[string, number, unknown, unknown]> = [
    ['a login answer', 200, { access_token: 'a', expires_in: 3600, refresh_token: 'r', token_type: 'Bearer' }, { ok: true, value: { accessToken: 'a', expiresAt: 1000 + 3600_000, refreshToken: 'r' } }],
    ['a renewal without a new refresh token', 200, { access_token: 'a2', expires_in: 60 }, { ok: true, value: { accessToken: 'a2', expiresAt: 1000 + 60_000 } }],
    ['a revoked refresh token', 400, { error: 'invalid_grant', error_description: 'token revoked' }, { ok: false, error: { kind: 'login-again', message: 'invalid_grant: token revoked' } }],
    ['a bad request of another kind', 400, { error: 'invalid_request' }, { ok: false, error: { kind: 'unavailable', message: 'invalid_request' } }],
    ['a server error', 503, 'down', { ok: false, error: { kind: 'unavailable', message: 'token endpoint answered HTTP 503' } }],
    ['an answer without a token', 200, {}, { ok: false, error: { kind: 'unavailable', message: 'token endpoint answered without access_token' } }],
  ];
  for (const [title, status, body, expected] of cases) {
    it(`reads ${title}`, () => assert.deepEqual(parseTokenResponse(status, body, 1000), expected));
  }

  it('renews shortly before the expiry, not after', () => {
    const tokens = { accessToken: 'a', expiresAt: 100_000_000 };
    assert.equal(needsRenewal(tokens, tokens.expiresAt - RENEW_BEFORE_MS - 1), false);
    assert.equal(needsRenewal(tokens, tokens.expiresAt - RENEW_BEFORE_MS), true);
    assert.equal(needsRenewal(undefined, 0), true);
  });

  it('takes a started login once, and not after 10 minutes', () => {
    const logins = new PendingLogins();
    const login = { nodeId: 'n', clientId: 'c', redirectUri: 'r', tokenUrl: 't', verifier: 'v', startedAt: 0 };
    logins.add('s1', login);
    logins.add('s2', login);
    assert.equal(logins.take('s1', 1000), login);
    assert.equal(logins.take('s1', 1000), undefined, 'a state is good for one callback');
    assert.equal(logins.take('s2', 10 * 60 * 1000 + 1), undefined, 'expired');
  });
});
