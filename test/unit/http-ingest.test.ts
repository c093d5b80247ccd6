// The pure cores of heatpump-http-ingest: the device token list, who a request is, and the HTTP
// answer to the decode result of its payload. Table-driven.
import assert from 'node:assert/strict';
import { decodeMessage, defaultOptions } from '../../nodes/heatpump-decode/decode';
import type { Problem } from '../../nodes/heatpump-decode/types';
import { asReceived, ingestAnswer } from '../../nodes/heatpump-http-ingest/answer';
import { identify, parseTokenList, tokenDigest } from '../../nodes/heatpump-http-ingest/tokens';
import { devicePayload } from '../fixtures/payloads';

const SITE1_TOKEN = 'f3b1c0de5a7e4d2c9b8a7f6e5d4c3b2a';
const SITE2_TOKEN = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const NOW = Date.UTC(2026, 2, 1, 12);

describe('heatpump-http-ingest device tokens', function () {
  it('tokenDigest is the SHA-256 hex of the token text', function () {
    // printf %s abc | sha256sum
    assert.equal(tokenDigest('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  const d1 = tokenDigest(SITE1_TOKEN);
  const d2 = tokenDigest(SITE2_TOKEN);
  const lists: [string, unknown, [string, string][], RegExp[]][] = [
    ['nothing configured', '', [], []],
    ['not a string', undefined, [], []],
    ['an unset environment variable', '${HEATPUMP_DEVICE_TOKENS}', [], []],
    ['commas', `site1:${d1},site2:${d2}`, [[d1, 'site1'], [d2, 'site2']], []],
    ['new lines and spaces, upper-case hex', `site1:${d1.toUpperCase()}\n  site2:${d2} `, [[d1, 'site1'], [d2, 'site2']], []],
    ['a device id with a colon', `plant:a:${d1}`, [[d1, 'plant:a']], []],
    ['two tokens for one device', `site1:${d1},site1:${d2}`, [[d1, 'site1'], [d2, 'site1']], []],
    ['the same digest listed twice for one device', `site1:${d1} site1:${d1}`, [[d1, 'site1']], []],
    ['no colon', `site1${d1}`, [], [/is not device_id:sha256/]],
    ['the token instead of its digest', `site1:${SITE1_TOKEN},site2:${d2}`, [[d2, 'site2']], [/^site1: the token digest must be 64 hex digits/]],
    ['an unsafe device id', `site/1:${d1}`, [], [/^device id "site\/1": /]],
    ['an empty device id', `:${d1}`, [], [/^device id "": /]],
    ['one digest for two devices: neither', `site1:${d1},site2:${d1},site2:${d2}`, [[d2, 'site2']], [/^site2: the same token is listed for site1/]],
  ];
  for (const [name, text, devices, problems] of lists) {
    it(`parses the list: ${name}`, function () {
      const table = parseTokenList(text);
      assert.deepEqual([...table.devices.entries()].sort(), devices.sort());
      assert.equal(table.problems.length, problems.length, table.problems.join('; '));
      problems.forEach((pattern, i) => assert.match(table.problems[i] ?? '', pattern));
    });
  }

  const table = parseTokenList(`site1:${d1},site2:${d2}`);
  const requests: [string, unknown, ReturnType<typeof identify>][] = [
    ['site1 token', `Bearer ${SITE1_TOKEN}`, { ok: true, device: 'site1' }],
    ['site2 token, lower-case scheme and trailing space', `bearer ${SITE2_TOKEN} `, { ok: true, device: 'site2' }],
    ['no header', undefined, { ok: false, reason: 'missing' }],
    ['empty header', '', { ok: false, reason: 'missing' }],
    ['the digest instead of the token', `Bearer ${d1}`, { ok: false, reason: 'wrong' }],
    ['another token', 'Bearer not-a-device-token-at-all', { ok: false, reason: 'wrong' }],
    ['Basic login', `Basic ${Buffer.from(`site1:${SITE1_TOKEN}`).toString('base64')}`, { ok: false, reason: 'malformed' }],
    ['no token after Bearer', 'Bearer ', { ok: false, reason: 'malformed' }],
    ['two header values', [`Bearer ${SITE1_TOKEN}`, `Bearer ${SITE2_TOKEN}`], { ok: false, reason: 'malformed' }],
  ];
  for (const [name, header, expected] of requests) {
    it(`identifies the device: ${name}`, function () {
      assert.deepEqual(identify(header, table), expected);
    });
  }

  it('refuses every token when no list is configured', function () {
    assert.deepEqual(identify(`Bearer ${SITE1_TOKEN}`, parseTokenList('')), { ok: false, reason: 'wrong' });
  });
});

describe('heatpump-http-ingest answers', function () {
  it('measures a parsed body as the JSON text it came as', function () {
    assert.equal(asReceived({ device: 'site1' }), '{"device":"site1"}');
    assert.equal(asReceived('{"device":"site1"}'), '{"device":"site1"}');
    const bytes = Buffer.from('[]');
    assert.equal(asReceived(bytes), bytes);
    assert.equal(asReceived(undefined), undefined);
  });

  const describeProblem = (problem: Problem) => `${problem.code}${problem.device === undefined ? '' : ` (${problem.device})`}`;
  const answerTo = (payload: unknown, maxBytes = 65536) =>
    ingestAnswer('site1', decodeMessage(asReceived(payload), 'heatpump/site1/data', { ...defaultOptions(), maxBytes }, NOW), describeProblem);

  const cases: [string, unknown, number, Record<string, unknown>, number?][] = [
    ['one reading', devicePayload(), 202, { device_id: 'site1', accepted: 1, rejected: 0 }],
    ['one reading as JSON text', JSON.stringify(devicePayload()), 202, { device_id: 'site1', accepted: 1, rejected: 0 }],
    ['a reading without a device id takes the token\'s', { ...devicePayload(), device: undefined }, 202, { device_id: 'site1', accepted: 1, rejected: 0 }],
    ['a flush of three', [devicePayload(), devicePayload(), devicePayload()], 202, { device_id: 'site1', accepted: 3, rejected: 0 }],
    [
      'a flush with one reading of another device',
      [devicePayload(), devicePayload({ device: 'site2' })],
      202,
      { device_id: 'site1', accepted: 1, rejected: 1, problems: [{ index: 1, code: 'device-mismatch', field: 'device', message: 'device-mismatch (site1)' }] },
    ],
    [
      'a reading of another device',
      devicePayload({ device: 'site2' }),
      400,
      { error: 'device-mismatch (site1)', device_id: 'site1', accepted: 0, rejected: 1, problems: [{ code: 'device-mismatch', field: 'device', message: 'device-mismatch (site1)' }] },
    ],
    [
      'a group of the wrong type',
      { ...devicePayload(), temperature: 'hot' },
      400,
      { error: 'wrong-type (site1)', device_id: 'site1', accepted: 0, rejected: 1, problems: [{ code: 'wrong-type', field: 'temperature', message: 'wrong-type (site1)' }] },
    ],
    ['not JSON', '{"device":', 400, { error: 'not-json (site1)', device_id: 'site1', accepted: 0, rejected: 0, problems: [{ code: 'not-json', message: 'not-json (site1)' }] }],
    ['an empty array', [], 400, { error: 'empty-array (site1)', device_id: 'site1', accepted: 0, rejected: 0, problems: [{ code: 'empty-array', message: 'empty-array (site1)' }] }],
    ['a number', 42, 400, { error: 'bad-payload (site1)', device_id: 'site1', accepted: 0, rejected: 0, problems: [{ code: 'bad-payload', message: 'bad-payload (site1)' }] }],
    ['JSON text over the size limit', JSON.stringify([devicePayload(), devicePayload()]), 413, { error: 'too-large (site1)', device_id: 'site1', problems: [{ code: 'too-large', message: 'too-large (site1)' }] }, 1000],
    ['a parsed body over the size limit (http in parses JSON)', [devicePayload(), devicePayload()], 413, { error: 'too-large (site1)', device_id: 'site1', problems: [{ code: 'too-large', message: 'too-large (site1)' }] }, 1000],
  ];
  for (const [name, payload, statusCode, body, maxBytes] of cases) {
    it(`${statusCode} for ${name}`, function () {
      const answer = answerTo(payload, maxBytes);
      assert.deepEqual(answer, { statusCode, payload: body });
    });
  }
});
