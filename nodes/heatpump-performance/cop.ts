// COP per window for both thermal methods, and over many windows the combined COP (standby
// included) and the running COP (only while the compressor runs above a start threshold).
import type { ThermalFigures } from './thermal';

export const DEFAULT_START_THRESHOLD_W = 100;
/** Below this mean electrical power (W) a window has no COP: the meter reads ~0, not a real draw. */
export const MIN_ELECTRICAL_W = 1;

/** thermal / electrical; undefined when the electrical power is ~0 or a figure is not finite. */
export function cop(thermalW: number, electricalW: number): number | undefined {
  if (!Number.isFinite(thermalW) || !Number.isFinite(electricalW) || electricalW < MIN_ELECTRICAL_W) return undefined;
  return thermalW / electricalW;
}

export interface CopWindowInput {
  thermal: ThermalFigures;
  electricalW?: number;
  /** share 0..1 of the window the compressor ran; undefined when the source does not say */
  compressorRunningShare?: number;
}

export interface CopWindow {
  modulation?: number;
  deltaT?: number;
  /** the window's COP (measured heat preferred) if the window counts as running, else undefined */
  running?: number;
  isRunning: boolean;
}

/**
 * A window counts as running when its mean electrical power is above the start threshold and the
 * compressor ran in it (or the source does not report the compressor).
 */
export function isRunningWindow(electricalW: number | undefined, compressorRunningShare: number | undefined, startThresholdW: number): boolean {
  return electricalW !== undefined && electricalW > startThresholdW && (compressorRunningShare === undefined || compressorRunningShare > 0);
}

/** The measured heat (heat meter or flow × ΔT) where there is one, else the modulation estimate. */
export function preferredThermalW(thermal: ThermalFigures): number | undefined {
  return (thermal.deltaT ?? thermal.modulation)?.watts;
}

export function copWindow(input: CopWindowInput, startThresholdW: number): CopWindow {
  const { thermal, electricalW } = input;
  const running = isRunningWindow(electricalW, input.compressorRunningShare, startThresholdW);
  const result: CopWindow = { isRunning: running };
  if (electricalW === undefined) return result;
  if (thermal.modulation) result.modulation = cop(thermal.modulation.watts, electricalW);
  if (thermal.deltaT) result.deltaT = cop(thermal.deltaT.watts, electricalW);
  const preferred = preferredThermalW(thermal);
  if (running && preferred !== undefined) result.running = cop(preferred, electricalW);
  return result;
}

export interface EnergyWindow {
  thermalW: number;
  electricalW: number;
  isRunning: boolean;
}

export interface CopSummary {
  /** Σ heat / Σ electricity over all windows, standby included */
  combined?: number;
  /** the same over running windows only */
  running?: number;
}

/** Windows of equal length: the ratio of sums of mean powers is the ratio of energies. */
export function summariseCop(windows: readonly EnergyWindow[]): CopSummary {
  const ratio = (list: readonly EnergyWindow[]) =>
    cop(
      list.reduce((sum, w) => sum + w.thermalW, 0),
      list.reduce((sum, w) => sum + w.electricalW, 0),
    );
  const summary: CopSummary = {};
  const combined = ratio(windows);
  if (combined !== undefined) summary.combined = combined;
  const running = ratio(windows.filter((w) => w.isRunning));
  if (running !== undefined) summary.running = running;
  return summary;
}
