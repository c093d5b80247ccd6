// How working nodes reach the fleet's state owner (a heatpump-fleet config node): they report
// into it and read from it through this interface only, so the owner's storage can change
// (local context store today, a shared store for several instances later) without them.
import type { AlertEvent, MetricsReading, PresenceEvent, Reading } from './contract';
import type { FleetChanges, FleetState, Rejection, WriteDropReason } from '../heatpump-fleet/fleet-state';

export type { FleetChanges, FleetState };

export interface FleetLink {
  /** false when no InfluxDB is configured: nothing may be written or queried */
  readonly history: boolean;
  /** why history is off, for errors and status; empty when it is on */
  readonly historyNote: string;
  /** 'memory only' when the chosen context store is not configured (state lost at a restart); else empty */
  readonly storeNote: string;
  /** resolves once the saved state is restored: a read before it would see an empty fleet */
  readonly ready: Promise<void>;
  /** true once `ready` has resolved (readers need not wait any more) */
  readonly isReady: boolean;
  /** the live state; read it, never change it (reports go through the methods below) */
  readonly state: FleetState;
  /** a decoded reading and the fields left out of it (heatpump-decode) */
  reading(reading: Reading, leftOut: readonly { field: string; reason: string }[]): void;
  /**
   * a metrics reading of a polled or third-party source (modbus-poll, viessmann-device, shelly-em,
   * once per reading): merged into the device's metrics metric by metric (several sources of one
   * heat pump side by side), last seen, readings_accepted. One that fails isMetricsReading is not
   * kept but counted and listed as a rejected reading (payloads_rejected, the last rejections).
   */
  metrics(reading: MetricsReading): void;
  /** a payload or one reading rejected (heatpump-decode) */
  rejected(rejection: Omit<Rejection, 'time'>): void;
  /** any message from a device: it is alive (online-tracker) */
  seen(deviceId: string, at: number): void;
  /** raised, escalated or cleared (threshold-alert) */
  alert(event: AlertEvent): void;
  /** online / offline (online-tracker) */
  presence(event: PresenceEvent): void;
  /** points that reached InfluxDB, and those of the same write it dropped as older than its retention (heatpump-batch) */
  written(points: number, beyondRetention?: number): void;
  /** a failed write; lostPoints > 0 when its points were given up, for `reason` (heatpump-batch) */
  writeFailed(lostPoints: number, reason?: WriteDropReason): void;
  /** how many points this reporter's spool holds now (heatpump-batch); health is degraded while any does */
  spooled(reporter: string, points: number): void;
  /** an InfluxDB query answered (heatpump-response): clears a query failure from health */
  queryAnswered(): void;
  /** an InfluxDB query failed or timed out (heatpump-response): InfluxDB is unhealthy for a while */
  queryFailed(reason: string): void;
  /**
   * Changes once per interval; the first call after subscribing (and after a restart's restore)
   * carries every known device. Returns the unsubscribe function (call it on close).
   */
  subscribe(listener: (changes: FleetChanges) => void): () => void;
}

interface NodesLike {
  getNode(id: string): unknown;
}

/** The fleet config node a working node names in its `fleet` property, if any. */
export function fleetOf(nodes: NodesLike, id: unknown): FleetLink | undefined {
  if (typeof id !== 'string' || id === '') return undefined;
  const node = nodes.getNode(id) as { fleet?: FleetLink } | null | undefined;
  return node?.fleet;
}
