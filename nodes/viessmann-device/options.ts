// viessmann-device's configuration as the node uses it, checked once at start. Pure.
import { deviceIdProblem } from '../shared/device-id';
import { err, ok, type Result } from '../shared/result';
import type { DeviceAddress } from '../viessmann-account/api';
import type { ViessmannDeviceProps } from './types';

/** Every 5 minutes: 288 calls a day, so up to 5 devices of one account fit Viessmann's 1,450. */
export const DEFAULT_INTERVAL_S = 300;
export const MIN_INTERVAL_S = 10;

export interface DeviceOptions {
  address: DeviceAddress;
  heatpumpId: string;
  model: string | undefined;
  intervalMs: number;
}

export function resolveDeviceOptions(config: Partial<ViessmannDeviceProps>): Result<DeviceOptions, string> {
  const text = (value: unknown) => (typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '');
  const address = { installationId: text(config.installationId), gatewaySerial: text(config.gatewaySerial), deviceId: text(config.deviceId) };
  if (address.installationId === '' || address.gatewaySerial === '' || address.deviceId === '') return err('choose a device: installation, gateway serial and device id are needed');
  const heatpumpId = text(config.heatpumpId) || `viessmann-${address.gatewaySerial}-${address.deviceId}`;
  const idProblem = deviceIdProblem(heatpumpId);
  if (idProblem !== undefined) return err(`heat pump id: ${idProblem}`);
  const rawInterval = text(config.interval);
  const seconds = rawInterval === '' ? DEFAULT_INTERVAL_S : Number(rawInterval);
  if (!Number.isFinite(seconds) || seconds < MIN_INTERVAL_S) return err(`interval must be at least ${MIN_INTERVAL_S} seconds`);
  const model = text(config.model);
  return ok({ address, heatpumpId, model: model === '' ? undefined : model, intervalMs: Math.round(seconds * 1000) });
}
