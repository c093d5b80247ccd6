import type { Node, NodeAPI } from 'node-red';
import type { HeatpumpResponseDef } from './types';
import type { QueryContext } from '../heatpump-query/types';
import { databaseResponse } from '../shared/api-response';
import { DEFAULT_STATE_KEYS, runtimeState } from '../shared/runtime-state';
import { failInput } from '../shared/errors';
import { setStatus } from '../shared/status';

function queryContextOf(value: unknown): QueryContext | undefined {
  const context = value as Partial<QueryContext> | undefined;
  return typeof context === 'object' && context !== null && typeof context.statements === 'number' && typeof context.request?.kind === 'string'
    ? (context as QueryContext)
    : undefined;
}

const init = (RED: NodeAPI): void => {
  function HeatpumpResponse(this: Node, config: HeatpumpResponseDef) {
    RED.nodes.createNode(this, config);
    const keys = { ...DEFAULT_STATE_KEYS, fleetKey: config.fleetKey ?? DEFAULT_STATE_KEYS.fleetKey, healthKey: '', metricsKey: '' };
    let responses = 0;

    this.on('input', (msg, send, done) => {
      const context = queryContextOf((msg as { heatpumpRequest?: unknown }).heatpumpRequest);
      if (!context || context.request.kind === 'health' || context.request.kind === 'metrics') {
        return failInput(this, done, RED._('heatpump-response.status.no-request'), RED._('heatpump-response.errors.no-request'));
      }
      const state = runtimeState(msg as Record<string, unknown>, (key) => this.context().global.get(key), keys);
      const response = databaseResponse(context.request, msg.payload, state, context.statements);
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
