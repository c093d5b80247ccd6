// Thermal power two ways: from the compressor's modulation and rated power, and from the
// water's flow rate and temperature spread. A heat meter measures the second itself: its own
// heat_power wins over our computation of it. Pure: numbers in, watts out.

/**
 * Volumetric heat capacity c in kWh/(m³·K) = c_p [kJ/(kg·K)] × ρ [kg/m³] / 3600, at about 30 °C.
 * Water: c_p 4.18, ρ 996 → 1.16, the usual figure. A glycol mixture carries less heat per
 * litre: 30 % propylene glycol has c_p about 3.7 to 3.8 and ρ about 1030 (the secondary coolant
 * tables of the ASHRAE Handbook, Fundamentals, ch. 31), so c ≈ 1.05 to 1.09; 1.05 is the lower,
 * cautious end. It varies a few per cent with temperature and mixture: an installer with the
 * fluid's data sheet enters its own number instead (the node's "custom" fluid).
 */
export const FLUID_HEAT_CAPACITY = {
  water: 1.16,
  'propylene-glycol-30': 1.05,
} as const;

export type Fluid = keyof typeof FLUID_HEAT_CAPACITY;

export const isFluid = (name: string): name is Fluid => Object.hasOwn(FLUID_HEAT_CAPACITY, name);

/** l/min → m³/h */
export function cubicMetresPerHour(litresPerMinute: number): number {
  return (litresPerMinute * 60) / 1000;
}

/** Rated thermal power (kW) × modulation (%) → W. */
export function thermalPowerModulation(ratedPowerKw: number, modulationPercent: number): number {
  return ratedPowerKw * 1000 * (modulationPercent / 100);
}

/** V̇ (l/min) × c (kWh/(m³·K)) × (T_flow − T_return) → W; negative while heat is drawn (defrost). */
export function thermalPowerDeltaT(flowRateLitresPerMinute: number, heatCapacity: number, flowC: number, returnC: number): number {
  return cubicMetresPerHour(flowRateLitresPerMinute) * heatCapacity * (flowC - returnC) * 1000;
}

/** How the measured heat was found: our flow × ΔT, or a heat meter's own figure. */
export type MeasuredMethod = 'delta_t' | 'heat_meter';
export type ThermalMethod = 'modulation' | MeasuredMethod;

export interface ThermalFigure<M extends ThermalMethod = ThermalMethod> {
  watts: number;
  method: M;
}

export interface ThermalInputs {
  modulationPercent?: number;
  ratedPowerKw?: number;
  flowC?: number;
  returnC?: number;
  flowRateLitresPerMinute?: number;
  heatMeterW?: number;
}

export interface ThermalFigures {
  modulation?: ThermalFigure<'modulation'>;
  /** the measured heat: the heat meter's figure when there is one, else flow × ΔT */
  deltaT?: ThermalFigure<MeasuredMethod>;
}

/** Both figures as far as the inputs allow; what is missing stays undefined. */
export function thermalFigures(inputs: ThermalInputs, heatCapacity: number): ThermalFigures {
  const figures: ThermalFigures = {};
  if (inputs.modulationPercent !== undefined && inputs.ratedPowerKw !== undefined) {
    figures.modulation = { watts: thermalPowerModulation(inputs.ratedPowerKw, inputs.modulationPercent), method: 'modulation' };
  }
  if (inputs.heatMeterW !== undefined) figures.deltaT = { watts: inputs.heatMeterW, method: 'heat_meter' };
  else if (inputs.flowC !== undefined && inputs.returnC !== undefined && inputs.flowRateLitresPerMinute !== undefined) {
    figures.deltaT = { watts: thermalPowerDeltaT(inputs.flowRateLitresPerMinute, heatCapacity, inputs.flowC, inputs.returnC), method: 'delta_t' };
  }
  return figures;
}
