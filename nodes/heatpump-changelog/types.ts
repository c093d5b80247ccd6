import type { NodeDef } from 'node-red';

export interface HeatpumpChangelogProps {
  name?: string;
  /** the heatpump-database config node */
  database: string;
  /** `api` (default): the HTTP API's JSON; `rows`: lists as table rows for a dashboard; `markers`: the change log as ui-chart markers */
  answer?: string;
}

export interface HeatpumpChangelogDef extends NodeDef, Omit<Partial<HeatpumpChangelogProps>, 'name'> {}
