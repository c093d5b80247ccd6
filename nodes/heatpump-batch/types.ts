// Config and message types of heatpump-batch.
import type { NodeDef, NodeMessage } from 'node-red';
import type { InfluxPoint } from '../shared/contract';

/** What the editor stores; every property may be missing (a node with an empty config works). */
export interface HeatpumpBatchProps {
  maxPoints?: string | number;
  maxWaitMs?: string | number;
  maxBuffered?: string | number;
}

export interface HeatpumpBatchDef extends NodeDef, HeatpumpBatchProps {}

export interface BatchOptions {
  /** send when this many points are buffered; 0 = no count limit */
  maxPoints: number;
  /** send this long after the first buffered point; 0 = no timer */
  maxWaitMs: number;
  /** hard cap on buffered points: beyond it the oldest are dropped (and reported) */
  maxBuffered: number;
}

export interface BatchMsg extends NodeMessage {
  payload: InfluxPoint[];
}
