import type { NodeDef } from 'node-red';

export interface HeatpumpFleetProps {
  /** context store that keeps the fleet across restarts (e.g. `file`); blank: memory only */
  store: string;
  /** `files`: the devices changed since the last save, in the fleet's own files under the user directory; else (`context`, absent) the whole state in the context store */
  persist: 'context' | 'files';
  /** mqtt-broker config node whose connection /api/health reports */
  broker: string;
  /** node-red-contrib-influxdb config node; none, or one without a host: history is off */
  influxdb: string;
}

export interface HeatpumpFleetDef extends NodeDef, Partial<HeatpumpFleetProps> {}

/** What the fleet reads of a node-red-contrib-influxdb `influxdb` config node. */
export interface InfluxConfigLike {
  influxdbVersion?: string;
  hostname?: string;
  port?: string | number;
  usetls?: boolean;
  client?: { _options?: { url?: string } };
}
