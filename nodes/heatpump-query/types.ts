import type { NodeDef } from 'node-red';
import type { DatabaseRequest } from '../shared/api-request';

export interface HeatpumpQueryProps {
  name?: string;
  /** the heatpump-fleet config node that live answers come from */
  fleet: string;
  /** the installation's IANA time zone for calendar periods (performance, energy); blank: Europe/Berlin */
  timeZone?: string;
}

export interface HeatpumpQueryDef extends NodeDef, Omit<Partial<HeatpumpQueryProps>, 'name'> {}

/** Carried from heatpump-query through `influxdb in` to heatpump-response. */
export interface QueryContext {
  request: DatabaseRequest;
  statements: number;
  /** a dashboard browser's request (msg._client): heatpump-response drops its answer once the answer to a newer choice of the same browser through the same query node has gone out */
  asked?: BrowserRequest;
}

export interface BrowserRequest {
  /** the heatpump-query node's id */
  query: string;
  socketId: string;
  /** grows with every choice the browser makes (a message): the requests of one choice share it */
  sequence: number;
}
