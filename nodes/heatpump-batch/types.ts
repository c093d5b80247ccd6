// Config and message types of heatpump-batch.
import type { NodeDef, NodeMessage } from 'node-red';
import type { InfluxPoint } from '../shared/contract';

/** What the editor stores; every property may be missing (a node with an empty config works). */
export interface HeatpumpBatchProps {
  maxPoints?: string | number;
  maxWaitMs?: string | number;
  maxBuffered?: string | number;
  /** how often a failed write is tried again before its points are reported lost */
  retries?: string | number;
  /** a write without an answer (complete / catch) after this many seconds counts as failed; 0: wait forever */
  writeTimeoutS?: string | number;
  /** keep on disk what is not written yet (the journal of accepted points, batches whose last retry failed) and replay it (default on) */
  spool?: boolean | string;
  /** size limit of the spool in MB; beyond it the oldest batches are dropped (default 150) */
  spoolMB?: string | number;
  /** heatpump-fleet config node: points written, write errors and history on/off */
  fleet?: string;
  /** `influxdb` config node (InfluxDB 1.x) to write to directly; empty: batches go out to an `influxdb batch` node */
  influxdb?: string;
}

export interface HeatpumpBatchDef extends NodeDef, HeatpumpBatchProps {}

export interface BatchOptions {
  /** send when this many points are buffered; 0 = no count limit */
  maxPoints: number;
  /** send this long after the first buffered point; 0 = no timer */
  maxWaitMs: number;
  /** hard cap on buffered points: beyond it the oldest are dropped (and reported) */
  maxBuffered: number;
  retries: number;
  /** seconds to wait for a write's complete / catch answer before it counts as failed; 0 = no deadline */
  writeTimeoutS: number;
}

export interface BatchMsg extends NodeMessage {
  payload: InfluxPoint[];
  /**
   * comes back through complete / catch so the node knows the outcome: which attempt this is, the
   * spool sequence number of a replayed batch, and `sent`, the number of this write by node
   * instance `by` (an answer for a write past its deadline is ignored), and the write-ahead
   * `journal` segment the batch was cut from (deleted once its batches are confirmed)
   */
  heatpumpBatch: { attempt: number; spooled?: number; sent?: number; by?: number; journal?: number };
  /** the retention policy of every point of the batch; absent for the default policy */
  retentionPolicy?: string;
}
