// Two spans of 5-minute cop windows around a setting change with a known effect, as
// heatpump-performance writes them: the COP rises with the outdoor temperature, the span after the
// change is colder than the span before it, and its COP is `changePercent` higher at the same
// outdoor temperature. For the effect of a change (GET /api/devices/{id}/effect) end to end.
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WINDOWS_PER_HOUR = 12;
const WINDOW = HOUR / WINDOWS_PER_HOUR;

/** Park-Miller: the same series on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 16_807) % 2_147_483_647;
    return state / 2_147_483_647;
  };
}

export interface CopWindowsOptions {
  deviceId: string;
  /** the change, ms since the epoch */
  at: number;
  /** whole days of windows on each side of the change */
  days: number;
  /** the COP after the change at the same outdoor temperature, in % of the COP before it */
  changePercent: number;
  /** whether the window `window` (0..11) of the hour `hour` after the change (negative: before) defrosts */
  defrosting?: (hour: number, window: number) => boolean;
}

/** Line protocol of the windows; the hour-to-hour noise is ±3 % and the same on every run. */
export function copWindowLines(options: CopWindowsOptions): string[] {
  const noise = random(7);
  const lines: string[] = [];
  for (let hour = -options.days * 24; hour < options.days * 24; hour++) {
    const after = hour >= 0;
    const hourNoise = 1 + 0.06 * (noise() - 0.5);
    for (let w = 0; w < WINDOWS_PER_HOUR; w++) {
      const t = options.at + hour * HOUR + w * WINDOW;
      // a daily swing of ±5 K around 5 °C before the change and 0 °C after it
      const outdoor = (after ? 0 : 5) + 5 * Math.sin((2 * Math.PI * (t - options.at)) / DAY);
      const cop = (3 + 0.1 * outdoor) * (after ? 1 + options.changePercent / 100 : 1) * hourNoise;
      const defrosting = options.defrosting?.(hour, w) ?? false;
      // a defrost draws heat from the circuit: the window's heat is negative
      const heat = defrosting ? -500 : 1000 * cop;
      lines.push(
        `cop,device_id=${options.deviceId} electrical_power=1000,thermal_power_delta_t=${heat.toFixed(3)},cop_running=${(heat / 1000).toFixed(4)},outdoor_temperature=${outdoor.toFixed(3)},flow_temperature=35,defrost_share=${defrosting ? 0.5 : 0},quality=1,sound=true ${t}`,
      );
    }
  }
  return lines;
}
