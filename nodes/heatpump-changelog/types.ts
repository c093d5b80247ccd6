import type { NodeDef } from 'node-red';

export interface HeatpumpChangelogProps {
  name?: string;
  /** the heatpump-database config node */
  database: string;
}

export interface HeatpumpChangelogDef extends NodeDef, Omit<Partial<HeatpumpChangelogProps>, 'name'> {}
