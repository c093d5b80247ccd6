// Defrost episodes: from the defrost flag, or where there is none from negative heat (the heat
// pump pulls heat back out of the circuit to melt the ice). A recovery gate covers each episode
// and the minutes after it, so the running COP does not count the circuit warming up again.
import { energyWithinSpans, powerSegments } from './energy';
import { DEFAULT_MAX_GAP_MS, MINUTE_MS, overlapMs, trueSpans, type Span } from './intervals';
import type { BoolSample, Sample } from './types';

export const DEFAULT_RECOVERY_MINUTES = 10;

export interface DefrostEpisode extends Span {
  durationMs: number;
  /** heat taken from the circuit, the negative heat during the episode, as a positive kWh figure */
  heatDrawnKwh: number;
  electricityKwh: number;
}

export interface DefrostInput {
  defrost: readonly BoolSample[];
  /** W; negative while heat is drawn from the circuit */
  heatPower: readonly Sample[];
  /** W */
  electricalPower: readonly Sample[];
}

export interface DefrostOptions { recoveryMinutes?: number; maxGapMs?: number }

export interface DefrostSummary {
  source: 'flag' | 'negative-heat';
  episodes: DefrostEpisode[];
  count: number;
  totalDurationMs: number;
  heatDrawnKwh: number;
  /** net heat (defrosts subtracted) / electricity over the whole span */
  effectiveCop: number | null;
  /** heat / electricity outside the recovery gate: what the running COP sees */
  copOutsideRecovery: number | null;
  recoveryGate: Span[];
}

const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);
const ratio = (heat: number, electricity: number): number | null => (electricity > 0 ? heat / electricity : null);

/** Each episode widened by the recovery time after it, overlapping spans merged. */
export function recoveryGate(episodes: readonly Span[], recoveryMinutes = DEFAULT_RECOVERY_MINUTES): Span[] {
  const gate: Span[] = [];
  for (const episode of [...episodes].sort((a, b) => a.start - b.start)) {
    const widened = { start: episode.start, end: episode.end + recoveryMinutes * MINUTE_MS };
    const last = gate[gate.length - 1];
    if (last && widened.start <= last.end) last.end = Math.max(last.end, widened.end);
    else gate.push(widened);
  }
  return gate;
}

/** Defrost episodes and their figures inside span. */
export function defrostSummary(input: DefrostInput, span: Span, options: DefrostOptions = {}): DefrostSummary {
  const { recoveryMinutes = DEFAULT_RECOVERY_MINUTES, maxGapMs = DEFAULT_MAX_GAP_MS } = options;
  const source = input.defrost.length > 0 ? 'flag' : 'negative-heat';
  const flag = source === 'flag' ? input.defrost : input.heatPower.map((s) => ({ t: s.t, value: s.value < 0 }));
  const heat = powerSegments(input.heatPower, maxGapMs).segments;
  const heatDrawn = powerSegments(input.heatPower.map((s) => ({ t: s.t, value: Math.min(0, s.value) })), maxGapMs).segments;
  const electricity = powerSegments(input.electricalPower, maxGapMs).segments;

  const spans = trueSpans(flag, span.end, maxGapMs).filter((episode) => overlapMs(episode, span) > 0);
  const drawn = energyWithinSpans(heatDrawn, spans);
  const electricityInEpisodes = energyWithinSpans(electricity, spans);
  const episodes = spans.map((episode, i) => ({
    ...episode,
    durationMs: episode.end - episode.start,
    heatDrawnKwh: -(drawn[i] as number),
    electricityKwh: electricityInEpisodes[i] as number,
  }));
  const gate = recoveryGate(episodes, recoveryMinutes);
  const [heatKwh = 0] = energyWithinSpans(heat, [span]);
  const [electricityKwh = 0] = energyWithinSpans(electricity, [span]);
  const gatedSpans = gate.map((g) => ({ start: Math.max(g.start, span.start), end: Math.min(g.end, span.end) })).filter((g) => g.end > g.start);
  const gatedHeat = sum(energyWithinSpans(heat, gatedSpans));
  const gatedElectricity = sum(energyWithinSpans(electricity, gatedSpans));
  return {
    source,
    episodes,
    count: episodes.length,
    totalDurationMs: sum(episodes.map((e) => e.durationMs)),
    heatDrawnKwh: sum(episodes.map((e) => e.heatDrawnKwh)),
    effectiveCop: ratio(heatKwh, electricityKwh),
    copOutsideRecovery: ratio(heatKwh - gatedHeat, electricityKwh - gatedElectricity),
    recoveryGate: gate,
  };
}
