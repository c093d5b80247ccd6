// Gateways such as HeishaMon publish every value on a topic of its own, a burst of them per cycle.
// Alerts and storage want whole readings, so the values of one device are collected until the
// cycle ends: a value already collected arrives again (the next cycle has begun) or the device
// falls quiet (the caller's timer calls flush). Pure: the caller owns time and timers.

export interface CollectedReading {
  deviceId: string;
  /** ms since the epoch of the cycle's first value: the reading's timestamp */
  startedAt: number;
  metrics: Record<string, number | boolean>;
  units: Record<string, string>;
}

export interface CollectedValue {
  name: string;
  value: number | boolean;
  unit?: string;
}

export class ReadingAssembler {
  private readonly open = new Map<string, CollectedReading>();

  /**
   * Adds the values of one message. Returns the device's previous reading when one of these values
   * was already collected (it belongs to the next cycle, which starts with this message).
   */
  add(deviceId: string, values: readonly CollectedValue[], now: number): CollectedReading | undefined {
    let reading = this.open.get(deviceId);
    let finished: CollectedReading | undefined;
    if (reading !== undefined && values.some((v) => Object.hasOwn(reading!.metrics, v.name))) {
      finished = reading;
      reading = undefined;
    }
    if (reading === undefined) {
      reading = { deviceId, startedAt: now, metrics: {}, units: {} };
      this.open.set(deviceId, reading);
    }
    for (const { name, value, unit } of values) {
      reading.metrics[name] = value;
      if (unit !== undefined && unit !== '') reading.units[name] = unit;
    }
    return finished;
  }

  /** Ends the device's cycle: its reading, or undefined when nothing was collected. */
  flush(deviceId: string): CollectedReading | undefined {
    const reading = this.open.get(deviceId);
    this.open.delete(deviceId);
    return reading;
  }

  /** True while the device has a cycle in progress. */
  isCollecting(deviceId: string): boolean {
    return this.open.has(deviceId);
  }
}

/** A lower_snake_case metric name from a gateway's own name ("Main_Inlet_Temp", "Fan speed (rpm)"). */
export function snakeCaseName(text: string): string {
  const name = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return (name === '' ? 'value' : name).slice(0, 64).replace(/_+$/, '');
}
