import type { NodeDef } from 'node-red';

export interface HeatpumpResponseProps {
  name: string;
  fleetKey: string;
}

export interface HeatpumpResponseDef extends NodeDef, HeatpumpResponseProps {}
