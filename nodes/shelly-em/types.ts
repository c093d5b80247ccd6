import type { NodeDef, NodeMessage } from 'node-red';
import type { MetricsReading } from '../shared/contract';
import type { Profile } from './parse';

export interface ShellyEmProps {
  /** IP address, host name (with :port) or full URL of the meter; blank: MQTT input only */
  host: string;
  /** blank: `shelly-<mac>` from the device's answer (sys.mac) or its default MQTT topic prefix */
  deviceId: string;
  profile: Profile | 'auto';
  /** seconds between polls; blank: 10; 0: no polling */
  interval: string;
  /** em1 channels the heat pump draws through, e.g. "0" or "0,1"; blank: all of them */
  channels: string;
  /** the heatpump-fleet config node the readings are reported to; blank: none */
  fleet: string;
}

export interface ShellyEmDef extends NodeDef, Partial<ShellyEmProps> {}

export interface ShellyEmCredentials {
  /** the device's password (user admin); blank: the device has none */
  password?: string;
}

/** Output 1. */
export interface MetricsMsg extends NodeMessage {
  topic: string;
  payload: MetricsReading;
}

/** Output 2, as online-tracker takes it: only when the meter's presence changes. */
export interface PresenceStatusMsg extends NodeMessage {
  topic: string;
  payload: 'online' | 'offline';
}
