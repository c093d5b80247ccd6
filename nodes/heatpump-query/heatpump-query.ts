import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import { influxqlStatements } from './influxql';
import { RequestNumbers } from './browser-requests';
import { parseHttpRequest, parseRequestObject, type HttpRequestLike } from './request';
import type { BrowserRequest, HeatpumpQueryDef, QueryContext } from './types';
import { isDatabaseRequest, type ApiRequest } from '../shared/api-request';
import { historyOffResponse, isMetricsDevice, liveResponse, type ApiResponse } from '../shared/api-response';
import { fleetOf, type FleetLink } from '../shared/fleet-link';
import { failInput } from '../shared/errors';
import { setStatus } from '../shared/status';
import { DEFAULT_TIME_ZONE, isTimeZone } from '../heatpump-performance/periods';

interface ExpressRequestLike {
  route?: { path?: unknown };
  originalUrl?: unknown;
  params?: Record<string, unknown>;
  query?: Record<string, unknown>;
}

function httpRequestOf(msg: NodeMessageInFlow): HttpRequestLike | undefined {
  const req = (msg as { req?: ExpressRequestLike }).req;
  if (!req || typeof req.route?.path !== 'string') return undefined;
  const http: HttpRequestLike = { route: req.route.path, params: req.params ?? {}, query: req.query ?? {} };
  return typeof req.originalUrl === 'string' ? { ...http, path: req.originalUrl.split('?')[0] } : http;
}

/** One count for every query node of the process: a redeployed node's requests still come after its earlier ones. */
let requestCount = 0;
const nextRequest = () => ++requestCount;

type Send = (msg: Array<NodeMessage | null>) => void;
type Done = (err?: Error) => void;

/** A ready answer on output 2 (to http response), on the request message itself. */
function reply(msg: NodeMessageInFlow, send: Send, response: ApiResponse): void {
  send([null, { ...msg, statusCode: response.statusCode, payload: response.payload, headers: response.headers ?? {} }]);
}

const init = (RED: NodeAPI): void => {
  function HeatpumpQuery(this: Node, config: HeatpumpQueryDef) {
    RED.nodes.createNode(this, config);
    let answered = 0;
    let refused = 0;
    const timeZone = (config.timeZone ?? '').trim() || DEFAULT_TIME_ZONE;
    const timeZoneKnown = isTimeZone(timeZone);
    const requestNumbers = new RequestNumbers(nextRequest);
    /** The browser a dashboard request comes from (msg._client), and the number of its choice. */
    const browserRequestOf = (msg: NodeMessageInFlow): BrowserRequest | undefined => {
      const socketId = (msg as { _client?: { socketId?: unknown } })._client?.socketId;
      return typeof socketId === 'string' ? { query: this.id, socketId, sequence: requestNumbers.number(socketId, msg._msgid) } : undefined;
    };
    if (!timeZoneKnown) setStatus(this, 'error', RED._('heatpump-query.status.bad-time-zone', { timeZone }));

    this.on('input', (msg, send, done) => {
      // a wrong installation zone would put every day in the wrong period: refuse rather than mislead
      if (!timeZoneKnown) {
        return failInput(this, done, RED._('heatpump-query.status.bad-time-zone', { timeZone }), RED._('heatpump-query.errors.bad-time-zone', { timeZone }));
      }
      const now = Date.now();
      const http = httpRequestOf(msg);
      const parsed = http ? parseHttpRequest(http, now, timeZone) : parseRequestObject(msg.payload, now, timeZone);
      if (!parsed.ok) {
        refused += 1;
        const { statusCode, error } = parsed.error;
        if (!http) return failInput(this, done, RED._('heatpump-query.status.bad-request'), RED._('heatpump-query.errors.bad-request', { error }));
        // A bad API call is the caller's mistake, answered with 400/404, not a flow error.
        setStatus(this, 'error', RED._('heatpump-query.status.refused', { answered, refused }));
        reply(msg, send, { statusCode, payload: { error } });
        return done();
      }
      const request = parsed.value;
      const fleet = fleetOf(RED.nodes, config.fleet);
      if (!fleet) {
        return failInput(this, done, RED._('heatpump-query.status.no-fleet'), RED._('heatpump-query.errors.no-fleet'));
      }
      // right after a start the saved fleet may still be loading: answer from it, not from an empty one
      if (!fleet.isReady) {
        void fleet.ready.then(() => answerFrom(fleet, request, msg, send, done));
        return;
      }
      answerFrom(fleet, request, msg, send, done);
    });

    const answerFrom = (fleet: FleetLink, request: ApiRequest, msg: NodeMessageInFlow, send: Send, done: Done): void => {
      const now = Date.now();
      answered += 1;
      const note = fleet.storeNote ? ` (${fleet.storeNote})` : '';
      setStatus(this, 'ok', RED._('heatpump-query.status.answered', { kind: request.kind, answered, refused }) + note);
      if (!isDatabaseRequest(request)) {
        reply(msg, send, liveResponse(request, fleet.state, now, fleet.historyNote));
        return done();
      }
      // History off means no query anywhere: the caller learns why instead of reading another database.
      if (!fleet.history) {
        reply(msg, send, historyOffResponse(fleet.historyNote));
        return done();
      }
      const device = 'device_id' in request && request.device_id !== null ? fleet.state.get(request.device_id) : undefined;
      // a polled source's device has its readings in heatpump_metrics, an ESP32's in sensor_reading
      const query = request.kind === 'readings' && isMetricsDevice(device) ? { ...request, source: 'metrics' as const } : request;
      const statements = influxqlStatements(query, now, device !== undefined);
      const asked = browserRequestOf(msg);
      const heatpumpRequest: QueryContext = { request: query, statements: statements.length, ...(asked ? { asked } : {}) };
      // epoch milliseconds, and InfluxDB's own JSON (rawOutput): heatpump-response shapes the answer
      // from its value rows, without a row object and a Date per point first
      send([{ ...msg, query: statements.join('; '), precision: 'ms', rawOutput: true, heatpumpRequest }, null]);
      done();
    };

    this.on('close', (_removed: boolean, done: () => void) => {
      this.status({});
      done();
    });
  }

  RED.nodes.registerType('heatpump-query', HeatpumpQuery);
};

export = init;
