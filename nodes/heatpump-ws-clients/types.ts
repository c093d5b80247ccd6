import type { NodeDef, NodeMessage } from 'node-red';

export interface HeatpumpWsClientsProps {
  name: string;
  /** the websocket-listener config node whose connections this node serves */
  listener: string;
  /** the heatpump-fleet config node get_current_status reads */
  fleet: string;
}

export interface HeatpumpWsClientsDef extends NodeDef, HeatpumpWsClientsProps {}

/** How Node-RED's websocket nodes name one connection. */
export interface WebSocketSession {
  type: 'websocket';
  id: string;
}

export interface WsMsg extends NodeMessage {
  _session?: WebSocketSession;
  /** with threshold-alert's readings: the device's active levels (an array of them for an array of readings) */
  alerts?: unknown;
}

/** What this node uses of the websocket-listener config node (22-websocket.js): its connection events. */
export interface ListenerLike {
  on(event: 'opened' | 'closed', handler: (event: { id: string }) => void): unknown;
  removeListener(event: 'opened' | 'closed', handler: (event: { id: string }) => void): unknown;
  /** the open connections by id (22-websocket.js keeps them here), for connections older than this node */
  _clients?: Record<string, unknown>;
}
