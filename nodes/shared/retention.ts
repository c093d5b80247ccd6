// Which retention policy each measurement is stored in (docs/CONTRACTS.md "Storage contract"):
// heatpump-batch writes by it, heatpump-query reads by it, `npm run db:setup` migrates by it.
// Readings and alerts stay in the default policy `raw` (30 days; continuous queries keep their
// aggregates); the performance figures are already aggregates and go straight to a longer one.
import type { InfluxPoint } from './contract';

export type RetentionPolicyName = 'raw' | 'hourly' | 'daily';

/** The default policy: a point written without one lands here. */
export const DEFAULT_RETENTION_POLICY: RetentionPolicyName = 'raw';

/**
 * Measurements kept longer than `raw`. `energy_daily` (one point a device and day) is the year's
 * and every later year's SPF, so it is kept forever. The 5-minute windows (`cop` and the two
 * thermal power estimates) are 105,120 points a device and year, about 1-2 MB in InfluxDB's TSM
 * files (a dozen fields at a few bytes each once compressed): small enough to keep a year at full
 * resolution in `hourly` (52 weeks), where a continuous query's hourly means would lose the
 * window-level quality and Carnot figures the year's answer averages.
 */
export const RETENTION_POLICY_BY_MEASUREMENT: Readonly<Record<string, RetentionPolicyName>> = Object.freeze({
  energy_daily: 'daily',
  cop: 'hourly',
  thermal_power_modulation: 'hourly',
  thermal_power_delta_t: 'hourly',
});

/** The policy a measurement is written to; undefined for the default (`raw`). */
export function retentionPolicyOf(measurement: string): RetentionPolicyName | undefined {
  return RETENTION_POLICY_BY_MEASUREMENT[measurement];
}

/** `"<policy>"."<measurement>"` as InfluxQL names a measurement in its policy. */
export function storedMeasurement(measurement: string): string {
  return `"${retentionPolicyOf(measurement) ?? DEFAULT_RETENTION_POLICY}"."${measurement}"`;
}

/**
 * Splits points into runs of one retention policy each (`influxdb batch` writes a message to one
 * policy, msg.retentionPolicy), in the order each policy first appears; within a run the points
 * keep their order. A point's own `retentionPolicy` wins over its measurement's.
 */
export function byRetentionPolicy(points: readonly InfluxPoint[]): { retentionPolicy: string | undefined; points: InfluxPoint[] }[] {
  const runs = new Map<string | undefined, InfluxPoint[]>();
  for (const point of points) {
    const policy = point.retentionPolicy ?? retentionPolicyOf(point.measurement);
    const run = runs.get(policy);
    if (run) run.push(point);
    else runs.set(policy, [point]);
  }
  return [...runs].map(([retentionPolicy, run]) => ({ retentionPolicy, points: run }));
}
