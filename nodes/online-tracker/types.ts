import type { NodeDef, NodeMessage } from 'node-red';
import type { FleetSummary, PresenceEvent } from '../shared/contract';
import type { PersistedPresence } from './presence';

export interface OnlineTrackerProps {
  /** seconds; blank -> env DEVICE_ONLINE_TIMEOUT_SECONDS -> 600 */
  timeout: string;
  /** JSON object of per-device timeouts in seconds, e.g. {"site1": 1800}; blank for none */
  deviceTimeouts: string;
  /** context store that keeps the state across restarts (e.g. `file`); blank, or not in settings.js: memory only */
  store: string;
  /** id of the heatpump-fleet config node that presence and last seen are reported to; blank: none */
  fleet: string;
}

export interface OnlineTrackerDef extends NodeDef, Partial<OnlineTrackerProps> {}

/** Output 1. */
export interface PresenceMsg extends NodeMessage {
  topic: string;
  payload: PresenceEvent;
}

/** Output 2. */
export interface FleetMsg extends NodeMessage {
  payload: FleetSummary;
}

/** What the node keeps in its context store. */
export interface PersistedTrackerState {
  presence: PersistedPresence;
  /** per-device timeouts (seconds) set by msg.timeouts; the editor's own come from the config */
  timeouts: Record<string, number>;
}
