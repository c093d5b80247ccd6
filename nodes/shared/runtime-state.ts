// Runtime state the API nodes answer from: msg.fleet / msg.health / msg.metrics when a flow sets
// them, else the global context keys the node is configured with (shipped flow defaults).
import type { FleetSummary } from './contract';
import type { HealthFlags, RuntimeState } from './api-response';

export interface StateKeys {
  fleetKey: string;
  healthKey: string;
  metricsKey: string;
}

export const DEFAULT_STATE_KEYS: StateKeys = { fleetKey: 'heatpump_fleet', healthKey: 'heatpump_health', metricsKey: 'heatpump_metrics' };

const asObject = (value: unknown) => (typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined);

function asFleet(value: unknown): FleetSummary | undefined {
  const fleet = asObject(value) as Partial<FleetSummary> | undefined;
  return fleet && Array.isArray(fleet.devices) ? (fleet as FleetSummary) : undefined;
}

export function runtimeState(msg: Record<string, unknown>, readGlobal: (key: string) => unknown, keys: StateKeys): RuntimeState {
  const pick = (own: unknown, key: string) => own ?? (key ? readGlobal(key) : undefined);
  return {
    fleet: asFleet(pick(msg.fleet, keys.fleetKey)),
    health: asObject(pick(msg.health, keys.healthKey)) as HealthFlags | undefined,
    metrics: asObject(pick(msg.metrics, keys.metricsKey)) as RuntimeState['metrics'],
  };
}
