import type { NodeDef, NodeMessage } from 'node-red';
import type { MetricsReading } from '../shared/contract';
import type { SettingValue } from './features';

export interface ViessmannDeviceProps {
  name: string;
  /** the viessmann-account config node */
  account: string;
  installationId: string;
  gatewaySerial: string;
  deviceId: string;
  /** the device's modelId from the discovery, e.g. E3_Vitocal */
  model: string;
  /** device id of the readings; blank: viessmann-<gateway serial>-<device id> */
  heatpumpId: string;
  /** seconds between polls */
  interval: string | number;
  /** the heatpump-fleet config node the readings are reported to; blank or absent: none */
  fleet?: string;
}

export interface ViessmannDeviceDef extends NodeDef, ViessmannDeviceProps {}

export interface SettingChangeEvent {
  device_id: string;
  setting: string;
  old_value: SettingValue;
  new_value: SettingValue;
  unit?: string;
  source: 'viessmann';
  /** ms since the epoch */
  timestamp: number;
}

export interface MetricsMsg extends NodeMessage {
  topic: string;
  payload: MetricsReading;
}

/** What online-tracker takes as a status message. */
export interface PresenceMsg extends NodeMessage {
  topic: string;
  payload: 'online' | 'offline';
}

export interface SettingChangeMsg extends NodeMessage {
  topic: string;
  payload: SettingChangeEvent;
}
