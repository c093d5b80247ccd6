import type { NodeDef, NodeMessage } from 'node-red';

export interface HeatpumpHttpIngestProps {
  name: string;
  /** largest payload in bytes (as JSON text); default 65536 */
  maxBytes: string | number;
}

export interface HeatpumpHttpIngestDef extends NodeDef, HeatpumpHttpIngestProps {}

export interface HeatpumpHttpIngestCredentials {
  /** `device_id:sha256hex` entries, see tokens.ts */
  tokens?: string;
}

/** Output 2: the payload as heatpump-decode takes it from MQTT. */
export interface DeviceDataMsg extends NodeMessage {
  topic: string;
  payload: unknown;
}

/** What `http in` puts on the message (typed structurally). */
export interface HttpInMsg extends NodeMessage {
  req?: { headers?: Record<string, string | string[] | undefined> };
}
