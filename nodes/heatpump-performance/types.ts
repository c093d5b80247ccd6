// nodes/heatpump-performance/types.ts (helper "perf-node" writes it first and commits it at once;
// helper "perf-periods" copies the same text if it has not landed in main yet — keep it identical)
export interface Sample { t: number /* ms since epoch */; value: number }
export interface BoolSample { t: number; value: boolean }
/** Per device, the series the figures need, after mapping metric names (each optional). */
export interface PerformanceSeries {
  flow: Sample[]; return: Sample[]; outdoor: Sample[]; flowRate: Sample[] /* l/min */;
  modulation: Sample[] /* % */; ratedPowerKw?: number;
  electricalPower: Sample[] /* W */; electricalEnergy: Sample[] /* kWh cumulative */;
  heatPower: Sample[] /* W, heat meter */; heatEnergy: Sample[] /* kWh cumulative */;
  compressorRunning: BoolSample[]; defrost: BoolSample[]; dhw: BoolSample[];
}
export interface Quality { /** share 0..1 of the span with valid samples (gaps < 15 min bridged) */ share: number; sound: boolean }
