// Node-RED glue of heatpump-http-ingest: POST /api/v1/devices/status/update for devices without
// MQTT. The bearer token names the device (tokens.ts), heatpump-decode's pure decode checks the
// payload as if it came on heatpump/{device}/data, the answer goes to `http response` (output 1)
// and the payload, once the device is known, on to the ingest tab's heatpump-decode (output 2), so
// alerts, presence, storage and the rejection counters work exactly as for MQTT.
import type { Node, NodeAPI } from 'node-red';
import { decodeMessage, defaultOptions } from '../heatpump-decode/decode';
import type { Problem } from '../heatpump-decode/types';
import { topics } from '../shared/contract';
import { errorOf } from '../shared/errors';
import { PacedStatus } from '../shared/paced-status';
import { setStatus } from '../shared/status';
import { asReceived, ingestAnswer } from './answer';
import { identify, parseTokenList } from './tokens';
import type { DeviceDataMsg, HeatpumpHttpIngestCredentials, HeatpumpHttpIngestDef, HttpInMsg } from './types';

/** heatpump-decode's message catalog: its rejection texts are the ones the device gets. */
const DECODE_CATALOG = 'node-red-contrib-heatpump-monitor/heatpump-decode:heatpump-decode.errors';
const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

const init = (RED: NodeAPI): void => {
  function HeatpumpHttpIngest(this: Node<HeatpumpHttpIngestCredentials>, config: HeatpumpHttpIngestDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const table = parseTokenList(node.credentials?.tokens);
    for (const problem of table.problems) node.warn(RED._('heatpump-http-ingest.warnings.bad-token-entry', { problem }));
    if (table.devices.size === 0) {
      // Not an error: the shipped flow carries this route whether or not any device uses it.
      node.log(RED._('heatpump-http-ingest.errors.no-tokens'));
      setStatus(node, 'stopped', RED._('heatpump-http-ingest.status.no-tokens'));
    } else {
      setStatus(node, 'tracking', RED._('heatpump-http-ingest.status.devices', { count: new Set(table.devices.values()).size }));
    }
    const options = defaultOptions();
    const maxBytes = Number(config.maxBytes);
    if (Number.isInteger(maxBytes) && maxBytes > 0) options.maxBytes = maxBytes;

    let accepted = 0;
    let refused = 0;
    let lastDevice = '';
    const status = new PacedStatus(node);
    const statusText = () => RED._('heatpump-http-ingest.status.counts', { device: lastDevice, accepted, refused });
    const describe = (problem: Problem) => RED._(`${DECODE_CATALOG}.${problem.code}`, problem.params);

    node.on('input', (msg: HttpInMsg, send, done) => {
      try {
        const reply = (statusCode: number, payload: unknown, headers: Record<string, string> = {}) =>
          send([{ ...msg, statusCode, payload, headers: { ...JSON_HEADERS, ...headers } }, null]);
        const identity = identify(msg.req?.headers?.authorization, table);
        if (!identity.ok) {
          refused += 1;
          const error = RED._(`heatpump-http-ingest.errors.token-${identity.reason}`);
          reply(401, { error }, { 'www-authenticate': 'Bearer realm="heatpump-monitor devices"' });
          status.fail(done, statusText(), error);
          return;
        }
        lastDevice = identity.device;
        const topic = topics.data(identity.device);
        const answer = ingestAnswer(identity.device, decodeMessage(asReceived(msg.payload), topic, options, Date.now()), describe);
        reply(answer.statusCode, answer.payload);
        // A payload refused as a whole stops here; heatpump-decode counts and reports the rest as
        // it does for MQTT (a rejected reading of an array included).
        if (answer.statusCode !== 202) {
          refused += 1;
          status.fail(done, statusText(), RED._('heatpump-http-ingest.errors.refused', { device: identity.device, error: String(answer.payload.error) }));
          return;
        }
        accepted += Number(answer.payload.accepted);
        const forward: DeviceDataMsg = { topic, payload: msg.payload };
        send([null, forward]);
        status.show('ok', statusText);
        done();
      } catch (thrown) {
        status.fail(done, statusText(), errorOf(thrown));
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      status.cancel();
      node.status({});
      done();
    });
  }

  RED.nodes.registerType<Node<HeatpumpHttpIngestCredentials>, HeatpumpHttpIngestDef, unknown, HeatpumpHttpIngestCredentials>('heatpump-http-ingest', HeatpumpHttpIngest, {
    credentials: { tokens: { type: 'password' } },
  });
};

export = init;
