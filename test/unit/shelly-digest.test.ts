// HTTP Digest (RFC 7616) of shelly-em, checked against the RFC's own example (section 3.9.1),
// an independent source, then client against server side.
import assert from 'node:assert/strict';
import { authorizationHeader, digestResponse, DigestSession, parseAuthParams, parseChallenge, verifyDigest, type DigestChallenge } from '../../nodes/shelly-em/digest';

/** RFC 7616 section 3.9.1: the challenge, the request and the two responses printed there. */
const RFC = {
  wwwAuthenticate: [
    'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
    'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
  ],
  username: 'Mufasa',
  password: 'Circle of Life',
  method: 'GET',
  uri: '/dir/index.html',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  nc: 1,
  sha256Response: '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
  md5Response: '8ca523f5e9506fed4657c9700eebdbec',
};

describe('HTTP Digest for Shelly Gen2 (shelly-em digest)', () => {
  const rfcChallenge = (index: 0 | 1): DigestChallenge => {
    const challenge = parseChallenge(RFC.wwwAuthenticate[index]);
    assert.ok(typeof challenge !== 'string', String(challenge));
    return challenge;
  };

  it('parses the RFC 7616 3.9.1 challenge (both WWW-Authenticate headers)', () => {
    assert.deepEqual(parseChallenge(RFC.wwwAuthenticate), {
      realm: 'http-auth@example.org',
      nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
      algorithm: 'SHA-256',
      qop: 'auth',
      opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
    });
  });

  const vectors: Array<[string, 0 | 1, string]> = [
    ['SHA-256', 0, RFC.sha256Response],
    ['MD5', 1, RFC.md5Response],
  ];
  for (const [algorithm, index, expected] of vectors) {
    it(`gives the RFC 7616 3.9.1 ${algorithm} response`, () => {
      const input = { username: RFC.username, password: RFC.password, method: RFC.method, uri: RFC.uri, challenge: rfcChallenge(index), cnonce: RFC.cnonce, nc: RFC.nc };
      assert.equal(digestResponse(input), expected);
      const header = parseAuthParams(authorizationHeader(input).replace(/^Digest /, ''));
      assert.deepEqual(Object.fromEntries(header), {
        username: 'Mufasa',
        realm: 'http-auth@example.org',
        uri: '/dir/index.html',
        algorithm,
        nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
        nc: '00000001',
        cnonce: RFC.cnonce,
        qop: 'auth',
        response: expected,
        opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
      });
    });
  }

  it('the server side accepts the RFC example request and refuses its replay', () => {
    const header = authorizationHeader({ username: RFC.username, password: RFC.password, method: RFC.method, uri: RFC.uri, challenge: rfcChallenge(0), cnonce: RFC.cnonce, nc: 1 });
    const nonces = new Map([[rfcChallenge(0).nonce, 0]]);
    const check = { method: 'GET', uri: RFC.uri, header, realm: 'http-auth@example.org', username: RFC.username, password: RFC.password, algorithm: 'SHA-256' as const, nonces };
    assert.deepEqual(verifyDigest(check), { ok: true });
    assert.deepEqual(verifyDigest(check), { ok: false, reason: 'nc not above the last one (replay)' });
  });

  describe('a session against a Shelly-like challenge', () => {
    const SHELLY_CHALLENGE = 'Digest qop="auth", realm="shellypro3em-aabbccddeeff", nonce="1707326927", algorithm=SHA-256';
    const challenged = (password: string): DigestSession => {
      const session = new DigestSession(password);
      assert.equal(session.challenged(SHELLY_CHALLENGE), undefined);
      return session;
    };
    const server = (password: string) => {
      const nonces = new Map([['1707326927', 0]]);
      return (uri: string, header: string | undefined) => verifyDigest({ method: 'GET', uri, header, realm: 'shellypro3em-aabbccddeeff', username: 'admin', password, algorithm: 'SHA-256', nonces });
    };

    it('sends nothing before the first challenge, then reuses the nonce with nc counting up', () => {
      const session = new DigestSession('secret');
      const device = server('secret');
      assert.equal(session.authorization('GET', '/rpc/Shelly.GetStatus'), undefined);
      assert.equal(session.challenged(SHELLY_CHALLENGE), undefined);
      const first = session.authorization('GET', '/rpc/Shelly.GetStatus');
      const second = session.authorization('GET', '/rpc/Shelly.GetStatus');
      assert.match(first ?? '', /nc=00000001/);
      assert.match(second ?? '', /nc=00000002/);
      assert.deepEqual([device('/rpc/Shelly.GetStatus', first), device('/rpc/Shelly.GetStatus', second)], [{ ok: true }, { ok: true }]);
    });

    const refused: Array<[string, (session: DigestSession) => [string, string | undefined], string]> = [
      ['a wrong password', () => ['/rpc/Shelly.GetStatus', challenged('wrong').authorization('GET', '/rpc/Shelly.GetStatus')], 'wrong response (password)'],
      ['a header for another uri', (session) => ['/rpc/EM.GetStatus?id=0', session.authorization('GET', '/rpc/Shelly.GetStatus')], 'uri does not match the request'],
      ['no header', () => ['/rpc/Shelly.GetStatus', undefined], 'no Digest authorization'],
    ];
    for (const [name, request, reason] of refused) {
      it(`the device refuses ${name}`, () => {
        const [uri, header] = request(challenged('secret'));
        assert.deepEqual(server('secret')(uri, header), { ok: false, reason });
      });
    }

    const unanswerable: Array<[string, string | undefined, RegExp]> = [
      ['Basic only', 'Basic realm="x"', /not Digest/],
      ['no header', undefined, /no known/],
      ['SHA-512-256', 'Digest realm="r", nonce="n", algorithm=SHA-512-256, qop="auth"', /SHA-512-256 is not supported/],
      ['auth-int only', 'Digest realm="r", nonce="n", algorithm=SHA-256, qop="auth-int"', /qop auth-int is not supported/],
      ['no nonce', 'Digest realm="r", algorithm=SHA-256', /lacks realm or nonce/],
    ];
    for (const [name, header, message] of unanswerable) {
      it(`names a challenge it cannot answer: ${name}`, () => assert.match(new DigestSession('x').challenged(header) ?? '', message));
    }
  });
});
