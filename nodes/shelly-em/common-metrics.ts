// The common metrics (nodes/shared/metric-names.ts) a Shelly meter gives beside its own keys, so
// the performance figures find the heat pump's electrical power and energy whatever the profile:
// electrical_power (W) and electrical_energy (kWh, cumulative). Pure.
import { err, ok, type Result } from '../shared/result';
import type { MeterValues } from './parse';

/**
 * Which em1 channels (monophase, Pro EM-50) the heat pump draws through: the listed ones, or
 * 'all' (every channel of a complete answer). The triphase meter's totals need no choice.
 */
export type HeatPumpChannels = readonly number[] | 'all';

const WH_PER_KWH = 1000;
const EM1_CHANNEL = /^em1_(\d+)_act_power$/;

/** A sum without binary float noise (0.1 + 0.2), to the precision a meter reports. */
const rounded = (value: number, decimals: number): number => Number(value.toFixed(decimals));

/** The sum of `em1_<N>_<key>` over `channels`, or undefined when one of them is missing. */
function channelSum(metrics: MeterValues['metrics'], channels: readonly number[], key: string): number | undefined {
  if (channels.length === 0) return undefined;
  let sum = 0;
  for (const channel of channels) {
    const value = metrics[`em1_${channel}_${key}`];
    if (typeof value !== 'number') return undefined;
    sum += value;
  }
  return sum;
}

/**
 * electrical_power and electrical_energy of one reading, with their units. Triphase: the totals
 * of em:0 (total_act_power, total_act / 1000). em1 channels: the sum over the chosen channels,
 * only when the reading has every one of them; 'all' only for a `complete` reading (a poll or a
 * full status notification): an MQTT message of one channel must not pass for the whole meter.
 */
export function commonMetrics(values: Pick<MeterValues, 'metrics'>, channels: HeatPumpChannels, complete: boolean): Pick<MeterValues, 'metrics' | 'units'> {
  const { metrics } = values;
  const out: Pick<MeterValues, 'metrics' | 'units'> = { metrics: {}, units: {} };
  let power = typeof metrics.total_act_power === 'number' ? metrics.total_act_power : undefined;
  let energyWh = typeof metrics.total_act === 'number' ? metrics.total_act : undefined;
  const chosen =
    channels !== 'all'
      ? channels
      : complete
        ? Object.keys(metrics)
            .map((name) => EM1_CHANNEL.exec(name)?.[1])
            .filter((channel): channel is string => channel !== undefined)
            .map(Number)
        : [];
  power ??= channelSum(metrics, chosen, 'act_power');
  energyWh ??= channelSum(metrics, chosen, 'total_act_energy');
  if (power !== undefined) {
    out.metrics.electrical_power = rounded(power, 3);
    out.units.electrical_power = 'W';
  }
  if (energyWh !== undefined) {
    out.metrics.electrical_energy = rounded(energyWh / WH_PER_KWH, 6);
    out.units.electrical_energy = 'kWh';
  }
  return out;
}

/** The channels setting: blank = 'all', else channel numbers separated by commas ("0" or "0,1"). */
export function parseChannels(text: string): Result<HeatPumpChannels, string> {
  const trimmed = text.trim();
  if (trimmed === '') return ok('all');
  const parts = trimmed.split(',').map((part) => part.trim());
  if (parts.some((part) => !/^\d{1,2}$/.test(part))) return err(`the heat pump channels ${JSON.stringify(trimmed)} must be blank (all) or channel numbers such as 0 or 0,1`);
  return ok([...new Set(parts.map(Number))]);
}
