import type { NodeDef } from 'node-red';
import type { ApiRequest } from '../shared/api-request';

export interface HeatpumpQueryProps {
  name: string;
  fleetKey: string;
  healthKey: string;
  metricsKey: string;
}

export interface HeatpumpQueryDef extends NodeDef, HeatpumpQueryProps {}

/** Carried from heatpump-query through `influxdb in` to heatpump-response. */
export interface QueryContext {
  request: ApiRequest;
  statements: number;
}
