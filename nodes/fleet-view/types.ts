import type { NodeDef } from 'node-red';
import type { ViewName } from './views';

export interface FleetViewProps {
  /** the heatpump-fleet config node to show */
  fleet: string;
  view: ViewName;
  /** devices and alerts views: rows sent at most; blank: 500 */
  maxRows: string | number;
  /** device view: the range of a browser that has not chosen one (a history range or day|week|month|year); blank: 24h */
  range: string;
}

export interface FleetViewDef extends NodeDef, Partial<FleetViewProps> {}
