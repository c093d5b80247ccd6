import type { Node, NodeAPI } from 'node-red';
import type { HeatpumpResponseDef } from './types';
import type { QueryContext } from '../heatpump-query/types';
import { isDatabaseKind } from '../shared/api-request';
import { databaseResponse, queryFailedResponse, statementError } from '../shared/api-response';
import { fleetOf } from '../shared/fleet-link';
import { failInput } from '../shared/errors';
import { setStatus } from '../shared/status';
import { NewestAnswers } from './overtaken';


function queryContextOf(value: unknown): QueryContext | undefined {
  const context = value as Partial<QueryContext> | undefined;
  return typeof context === 'object' && context !== null && typeof context.statements === 'number' && isDatabaseKind(context.request?.kind)
    ? (context as QueryContext)
    : undefined;
}

/** The error a Catch node adds (msg.error.message), or undefined for a message with rows. */
function queryFailureOf(msg: object): string | undefined {
  const error = (msg as { error?: { message?: unknown } }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  return typeof error.message === 'string' && error.message !== '' ? error.message : 'unknown error';
}

const init = (RED: NodeAPI): void => {
  function HeatpumpResponse(this: Node, config: HeatpumpResponseDef) {
    RED.nodes.createNode(this, config);
    let responses = 0;
    let overtaken = 0;
    const newestAnswers = new NewestAnswers();

    this.on('input', (msg, send, done) => {
      const context = queryContextOf((msg as { heatpumpRequest?: unknown }).heatpumpRequest);
      if (!context) {
        return failInput(this, done, RED._('heatpump-response.status.no-request'), RED._('heatpump-response.errors.no-request'));
      }
      const fleet = fleetOf(RED.nodes, config.fleet);
      // a Catch node on `influxdb in` brings the failed query here: the caller gets 503, health knows
      // InfluxDB's raw answer carries a failed statement's error itself (a bad query is a 200 with `error`)
      const failure = queryFailureOf(msg) ?? statementError(msg.payload);
      if (failure !== undefined) fleet?.queryFailed(failure);
      else fleet?.queryAnswered();
      const asked = context.asked;
      if (asked !== undefined && !newestAnswers.admit(asked.query, asked.socketId, asked.sequence)) {
        overtaken += 1;
        setStatus(this, 'ok', RED._('heatpump-response.status.overtaken', { count: overtaken }));
        return done();
      }
      // the fleet tells an unknown device (404) from a known one without rows in the range
      const response = failure !== undefined ? queryFailedResponse(failure) : databaseResponse(context.request, msg.payload, fleet?.state, context.statements);
      responses += 1;
      setStatus(this, response.statusCode < 400 ? 'ok' : 'error', RED._('heatpump-response.status.sent', { code: response.statusCode, count: responses }));
      send({ ...msg, statusCode: response.statusCode, payload: response.payload, headers: response.headers ?? {} });
      done();
    });

    this.on('close', (_removed: boolean, done: () => void) => {
      this.status({});
      done();
    });
  }

  RED.nodes.registerType('heatpump-response', HeatpumpResponse);
};

export = init;
