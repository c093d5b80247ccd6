// The node's configuration, checked once at deploy. Pure.
import { deviceIdProblem } from '../shared/device-id';
import { parseChannels, type HeatPumpChannels } from './common-metrics';
import { err, ok, type Result } from '../shared/result';
import { PROFILES, type Profile } from './parse';
import { baseUrlOf } from './rpc-client';
import type { ShellyEmProps } from './types';

export const DEFAULT_INTERVAL_S = 10;

export interface ShellyEmOptions {
  /** where to poll; undefined: no polling (no host, or interval 0) */
  base?: URL;
  intervalMs: number;
  deviceId?: string;
  profile: Profile | 'auto';
  /** the em1 channels whose sum is the heat pump's electrical_power / electrical_energy */
  channels: HeatPumpChannels;
}

export function resolveOptions(config: Partial<ShellyEmProps>): Result<ShellyEmOptions, string> {
  const intervalText = String(config.interval ?? '').trim();
  const intervalS = intervalText === '' ? DEFAULT_INTERVAL_S : Number(intervalText);
  if (!Number.isFinite(intervalS) || intervalS < 0) return err(`the poll interval ${JSON.stringify(intervalText)} must be seconds, 0 or more`);
  const profile = config.profile || 'auto';
  if (profile !== 'auto' && !PROFILES.includes(profile)) return err(`the profile ${JSON.stringify(profile)} is not auto, ${PROFILES.join(', ')}`);
  const deviceId = (config.deviceId ?? '').trim();
  if (deviceId !== '') {
    const problem = deviceIdProblem(deviceId);
    if (problem !== undefined) return err(problem);
  }
  const channels = parseChannels(config.channels ?? '');
  if (!channels.ok) return channels;
  const host = (config.host ?? '').trim();
  let base: URL | undefined;
  if (host !== '' && intervalS > 0) {
    const url = baseUrlOf(host);
    if (typeof url === 'string') return err(url);
    base = url;
  }
  return ok({ intervalMs: Math.round(intervalS * 1000), profile, channels: channels.value, ...(base ? { base } : {}), ...(deviceId !== '' ? { deviceId } : {}) });
}
