import type { NodeDef } from 'node-red';

export interface HeatpumpResponseProps {
  name: string;
  /** the heatpump-fleet config node: tells an unknown device (404) from one without data */
  fleet: string;
}

export interface HeatpumpResponseDef extends NodeDef, Omit<Partial<HeatpumpResponseProps>, 'name'> {}
