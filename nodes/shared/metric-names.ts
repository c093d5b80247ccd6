// The common metric names of MetricsReadings (docs/CONTRACTS.md "Common metric names"): every source
// that knows what a value means names it so, whatever the manufacturer calls it, so that alerts,
// dashboards and the performance figures work for any heat pump without per-source mapping.
// A source keeps its other values under their own names. Pure data: no Node-RED import.

export interface MetricName {
  unit: string;
  /** what it is, for help texts and the README */
  meaning: string;
}

export const COMMON_METRICS = {
  flow_temperature: { unit: '°C', meaning: 'flow (supply) temperature leaving the heat pump' },
  return_temperature: { unit: '°C', meaning: 'return temperature entering the heat pump' },
  outdoor_temperature: { unit: '°C', meaning: 'outdoor air temperature' },
  dhw_temperature: { unit: '°C', meaning: 'domestic hot water storage temperature' },
  room_temperature: { unit: '°C', meaning: 'room temperature of the first heating circuit' },
  flow_rate: { unit: 'l/min', meaning: 'water flow through the heat pump' },
  compressor_frequency: { unit: 'Hz', meaning: 'compressor speed' },
  compressor_modulation: { unit: '%', meaning: 'compressor modulation, share of its rated power' },
  compressor_rated_power: { unit: 'kW', meaning: 'rated thermal power of the compressor' },
  compressor_running: { unit: '', meaning: 'true while the compressor runs' },
  defrost_active: { unit: '', meaning: 'true while the heat pump defrosts' },
  dhw_active: { unit: '', meaning: 'true while the three-way valve is on hot water' },
  electrical_power: { unit: 'W', meaning: 'electrical power drawn by the heat pump' },
  electrical_energy: { unit: 'kWh', meaning: 'electrical energy drawn, cumulative counter' },
  heat_power: { unit: 'W', meaning: 'thermal power delivered (a heat meter or the heat pump)' },
  heat_energy: { unit: 'kWh', meaning: 'thermal energy delivered, cumulative counter' },
  error_code: { unit: '', meaning: 'the heat pump error code as a number, 0 when none' },
} as const satisfies Record<string, MetricName>;

export type CommonMetric = keyof typeof COMMON_METRICS;

export const isCommonMetric = (name: string): name is CommonMetric => Object.hasOwn(COMMON_METRICS, name);
