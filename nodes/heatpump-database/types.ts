import type { Node, NodeDef } from 'node-red';
import type { LogDatabase } from './log-database';

export interface HeatpumpDatabaseProps {
  name?: string;
  /** the SQLite file; blank: heatpump-monitor.db in the Node-RED user directory */
  path?: string;
  /** days the event log keeps; 0 = for ever */
  retentionDays?: string | number;
}

export interface HeatpumpDatabaseDef extends NodeDef, Omit<HeatpumpDatabaseProps, 'name'> {}

/** The config node as the heatpump-changelog nodes see it: the owner of the open file. */
export interface HeatpumpDatabaseNode extends Node {
  database: LogDatabase;
}
