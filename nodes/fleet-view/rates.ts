// Per-minute rates of the fleet's counters from samples taken by the node (the fleet keeps
// totals only). Pure: every sample carries its time.
import { COUNTER_NAMES, type CounterName, type Counters } from '../heatpump-fleet/fleet-state';

export type Rates = Record<CounterName, number | null>;

/** Below this span the rate would be mostly noise. */
const MIN_SPAN_MS = 1000;

export class CounterRates {
  private samples: { at: number; counters: Counters }[] = [];

  /** Rates over the last `windowMs` (sampled every few seconds, so 60 s smooths bursts). */
  constructor(private readonly windowMs = 60_000) {}

  sample(at: number, counters: Counters): void {
    const last = this.samples[this.samples.length - 1];
    if (last && at < last.at) return; // the clock went back: keep the older, consistent samples
    // counters that went down were reset: rates start over from here
    if (last && COUNTER_NAMES.some((name) => counters[name] < last.counters[name])) this.samples = [];
    this.samples.push({ at, counters: { ...counters } });
    // keep one sample at or before the window start, so the rate spans the whole window
    while (this.samples.length > 2 && (this.samples[1] as { at: number }).at <= at - this.windowMs) this.samples.shift();
  }

  /** Per minute; null until two samples at least a second apart exist. */
  perMinute(): Rates {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const span = first && last ? last.at - first.at : 0;
    return Object.fromEntries(
      COUNTER_NAMES.map((name) => [name, first && last && span >= MIN_SPAN_MS ? ((last.counters[name] - first.counters[name]) * 60_000) / span : null]),
    ) as Rates;
  }
}
