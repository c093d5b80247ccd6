import type { NodeDef, NodeMessage } from 'node-red';
import type { MapSourceKind } from './map-source';
import type { MetricsReading } from '../shared/contract';
import type { SettingChange } from './poller';

export interface ModbusPollProps {
  name?: string;
  /** id of the modbus-connection config node */
  connection?: string;
  /** heatpump_id of the readings */
  deviceId?: string;
  unitId?: number | string;
  mapSource?: MapSourceKind;
  profile?: string;
  yaml?: string;
  file?: string;
  /** the model of a registers.yml (blank = its only one), or the model name of a NIBE export */
  model?: string;
  /** seconds; default 10 */
  interval?: number | string;
  /** the tags of heatpump_metrics */
  hpName?: string;
  location?: string;
  hpModel?: string;
  /** id of the heatpump-fleet config node; blank: none */
  fleet?: string;
}

export type ModbusPollDef = NodeDef & ModbusPollProps;

/** Output 1 */
export interface ReadingMsg extends NodeMessage {
  payload: MetricsReading;
}

/** Output 2: online-tracker takes it as the device's status */
export interface PresenceMsg extends NodeMessage {
  topic: string;
  payload: 'online' | 'offline';
}

/** Output 3 */
export interface SettingMsg extends NodeMessage {
  payload: SettingChange;
}
