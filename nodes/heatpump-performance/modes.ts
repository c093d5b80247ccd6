// Heat and electricity split into space heating, hot water and cooling. The mode at an instant:
// hot water while the DHW flag (three-way valve) is on; else cooling while a cooling flag is on,
// or, without a cooling flag, while flow is colder than return (negative ΔT) and no defrost runs
// (a defrost also reverses ΔT but belongs to heating); else space heating. The mode holds from one
// flag or temperature sample to the next, and energy is split at those instants.
import { energyWithinSpans, powerSegments } from './energy';
import { byTime, DEFAULT_MAX_GAP_MS, valueAt, type Span } from './intervals';
import type { BoolSample, Sample } from './types';

export type OperatingMode = 'space' | 'dhw' | 'cooling';

export interface ModeInput {
  /** W; negative while cooling or defrosting */
  heatPower: readonly Sample[];
  /** W */
  electricalPower: readonly Sample[];
  dhw: readonly BoolSample[];
  defrost: readonly BoolSample[];
  /** when the source has one; otherwise cooling is recognised by negative ΔT */
  cooling?: readonly BoolSample[];
  flow: readonly Sample[];
  return: readonly Sample[];
}

export interface ModeOptions {
  maxGapMs?: number;
  /** flow must be this much colder than return to count as cooling (default 0.5 K, above sensor noise) */
  coolingDeltaTK?: number;
}

export interface ModeEnergy {
  /** heat delivered; for cooling the heat removed from the building, as a positive figure */
  heatKwh: number;
  electricityKwh: number;
  /** heat / electricity (for cooling: the EER) */
  cop: number | null;
}

export type ModeSplit = Record<OperatingMode, ModeEnergy>;

interface SortedModeInput { dhw: BoolSample[]; defrost: BoolSample[]; cooling: BoolSample[] | null; flow: Sample[]; return: Sample[] }

function modeAt(t: number, input: SortedModeInput, maxGapMs: number, coolingDeltaTK: number): OperatingMode {
  if (valueAt(input.dhw, t, maxGapMs) === true) return 'dhw';
  if (input.cooling) return valueAt(input.cooling, t, maxGapMs) === true ? 'cooling' : 'space';
  const flow = valueAt(input.flow, t, maxGapMs);
  const ret = valueAt(input.return, t, maxGapMs);
  const reversed = flow !== undefined && ret !== undefined && ret - flow >= coolingDeltaTK;
  return reversed && valueAt(input.defrost, t, maxGapMs) !== true ? 'cooling' : 'space';
}

/** The spans of each mode inside span, changing only at flag and temperature samples. */
export function modeSpans(input: Omit<ModeInput, 'heatPower' | 'electricalPower'>, span: Span, options: ModeOptions = {}): Record<OperatingMode, Span[]> {
  const { maxGapMs = DEFAULT_MAX_GAP_MS, coolingDeltaTK = 0.5 } = options;
  const sorted: SortedModeInput = {
    dhw: byTime(input.dhw), defrost: byTime(input.defrost), cooling: input.cooling && input.cooling.length > 0 ? byTime(input.cooling) : null,
    flow: byTime(input.flow), return: byTime(input.return),
  };
  const changes = new Set<number>([span.start]);
  for (const series of [sorted.dhw, sorted.defrost, sorted.cooling ?? [], sorted.flow, sorted.return]) {
    series.forEach((sample, i) => {
      const previous = series[i - 1];
      // a repeated value changes nothing, unless the one before had expired
      const repeated = previous !== undefined && previous.value === sample.value && sample.t - previous.t <= maxGapMs;
      if (!repeated && sample.t > span.start && sample.t < span.end) changes.add(sample.t);
      // a held value expires maxGapMs after its sample when no other sample follows in time
      const expiry = sample.t + maxGapMs + 1;
      const next = series[i + 1];
      if ((next === undefined || next.t >= expiry) && expiry > span.start && expiry < span.end) changes.add(expiry);
    });
  }
  const instants = [...changes].filter((t) => t < span.end).sort((a, b) => a - b);
  const spans: Record<OperatingMode, Span[]> = { space: [], dhw: [], cooling: [] };
  let current: { mode: OperatingMode; span: Span } | null = null;
  instants.forEach((t, i) => {
    const mode = modeAt(t, sorted, maxGapMs, coolingDeltaTK);
    const end = instants[i + 1] ?? span.end;
    if (current && current.mode === mode) current.span.end = end;
    else {
      current = { mode, span: { start: t, end } };
      spans[mode].push(current.span);
    }
  });
  return spans;
}

/** Heat and electricity of space heating, hot water and cooling in span. */
export function splitByMode(input: ModeInput, span: Span, options: ModeOptions = {}): ModeSplit {
  const maxGapMs = options.maxGapMs ?? DEFAULT_MAX_GAP_MS;
  const spans = modeSpans(input, span, options);
  const heat = powerSegments(input.heatPower, maxGapMs).segments;
  const electricity = powerSegments(input.electricalPower, maxGapMs).segments;
  const total = (values: number[]): number => values.reduce((sum, value) => sum + value, 0);
  const energyOf = (mode: OperatingMode): ModeEnergy => {
    const netHeat = total(energyWithinSpans(heat, spans[mode]));
    const heatKwh = mode === 'cooling' ? Math.abs(netHeat) : netHeat;
    const electricityKwh = total(energyWithinSpans(electricity, spans[mode]));
    return { heatKwh, electricityKwh, cop: electricityKwh > 0 ? heatKwh / electricityKwh : null };
  };
  return { space: energyOf('space'), dhw: energyOf('dhw'), cooling: energyOf('cooling') };
}
