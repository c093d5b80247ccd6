// heatpump-http-ingest in the runtime: the device token from the node's credentials, the answer on
// output 1, the payload for heatpump-decode on output 2, refusals on the status and at a Catch node.
import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import { tokenDigest } from '../../nodes/heatpump-http-ingest/tokens';
import { devicePayload } from '../fixtures/payloads';
import { catchModule, collect, flowSuiteHooks, flowWithCatch, helper, nodeById, sleep, withCatalog, type NodeInit } from '../support/flow-helper';
import { nodeModule } from '../support/node-red';

const ingestModule = withCatalog(nodeModule('heatpump-http-ingest') as NodeInit, 'heatpump-http-ingest');
const TOKEN = 'a-device-token-of-site1-0123456789abcdef';
const credentials = { n1: { tokens: `site1:${tokenDigest(TOKEN)}` } };
const request = (payload: unknown, authorization?: string) => ({ payload, req: { headers: authorization === undefined ? {} : { authorization } } });
const load = (tokens = credentials) => helper.load([ingestModule, catchModule], flowWithCatch('heatpump-http-ingest', ['answer', 'data'], { maxBytes: 65536 }), tokens);

interface Answer extends NodeMessage {
  statusCode: number;
  payload: Record<string, unknown>;
  headers: Record<string, string>;
}

describe('heatpump-http-ingest node', function () {
  flowSuiteHooks();

  it('should be loaded with correct defaults', async function () {
    await helper.load(ingestModule, [{ id: 'n1', type: 'heatpump-http-ingest', name: 'devices over HTTP', maxBytes: 65536 }]);
    const node = nodeById('n1') as unknown as { name: string; type: string };
    assert.deepEqual([node.type, node.name], ['heatpump-http-ingest', 'devices over HTTP']);
  });

  it('answers 202 and passes the payload on as heatpump/{device}/data for the right token', async function () {
    await load();
    const answer = collect('answer', 1);
    const data = collect('data', 1);
    const payload = devicePayload({ device: 'site1', timestamp: Date.now() });
    nodeById('n1').receive(request(payload, `Bearer ${TOKEN}`));
    const [reply] = (await answer) as Answer[];
    assert.deepEqual([reply?.statusCode, reply?.payload], [202, { device_id: 'site1', accepted: 1, rejected: 0 }]);
    assert.match(String(reply?.headers['content-type']), /^application\/json/);
    const [forwarded] = await data;
    assert.deepEqual([forwarded?.topic, forwarded?.payload], ['heatpump/site1/data', payload]);
    assert.equal((forwarded as NodeMessage & { req?: unknown }).req, undefined, 'the request stays with the answer');
  });

  it('answers 401 for a wrong token, passes nothing on, and reports the refusal to a Catch node', async function () {
    await load();
    const answer = collect('answer', 1);
    const caught = collect('caught', 1);
    let forwarded = 0;
    nodeById('data').on('input', () => (forwarded += 1));
    nodeById('n1').receive(request(devicePayload(), 'Bearer another-token'));
    const [reply] = (await answer) as Answer[];
    assert.deepEqual([reply?.statusCode, reply?.payload], [401, { error: 'wrong device token' }]);
    assert.match(String(reply?.headers['www-authenticate']), /^Bearer /);
    const [error] = (await caught) as (NodeMessage & { error: { message: string } })[];
    assert.match(String(error?.error.message), /wrong device token$/);
    await sleep(50);
    assert.equal(forwarded, 0);
  });

  it('answers 400 for a reading of another device, and passes nothing on', async function () {
    await load();
    const answer = collect('answer', 1);
    const caught = collect('caught', 1);
    let forwarded = 0;
    nodeById('data').on('input', () => (forwarded += 1));
    nodeById('n1').receive(request(devicePayload({ device: 'site2' }), `Bearer ${TOKEN}`));
    const [reply] = (await answer) as Answer[];
    assert.equal(reply?.statusCode, 400);
    assert.deepEqual((reply?.payload.problems as { code: string }[]).map((problem) => problem.code), ['device-mismatch']);
    const [error] = (await caught) as (NodeMessage & { error: { message: string } })[];
    assert.match(String(error?.error.message), /site1: payload refused: .*device-mismatch/);
    await sleep(50);
    assert.equal(forwarded, 0);
  });

  it('without tokens (an unset environment variable): says so in the log, not as an error, and refuses every request', async function () {
    await load({ n1: { tokens: '${HEATPUMP_DEVICE_TOKENS_UNSET}' } });
    const answer = collect('answer', 1);
    nodeById('n1').receive(request(devicePayload(), `Bearer ${TOKEN}`));
    const [reply] = (await answer) as Answer[];
    assert.equal(reply?.statusCode, 401);
    const logged = helper.log().args.map((args) => args[0] as { type?: string; level?: number; msg?: unknown }).filter((entry) => entry.type === 'heatpump-http-ingest');
    const notice = logged.find((entry) => String(entry.msg).startsWith('off: no device tokens configured'));
    assert.ok(notice, JSON.stringify(logged));
    assert.equal(notice.level, 40, 'info (Node-RED level 40), not error (20)');
  });
});
