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
}
