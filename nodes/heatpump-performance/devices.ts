// Which analyser a reading feeds: the configured heat pump's (and its electricity source's), or in
// "every device" mode (no heat pump device id) one analyser per device id seen, each device its own
// electricity source, with the same mapping and parameters, at most `options.maxDevices` of them. Pure.
import { PerformanceAnalyser } from './analyser';
import type { PerformanceOptions } from './options';

export type Route = { deviceId: string; analyser: PerformanceAnalyser } | 'not-concerned' | 'full';

export class AnalyserRegistry {
  private readonly analysers = new Map<string, PerformanceAnalyser>();
  /** readings refused because `options.maxDevices` analysers exist already */
  refused = 0;

  constructor(private readonly options: PerformanceOptions) {
    if (!options.everyDevice) this.analysers.set(options.deviceId, new PerformanceAnalyser(options));
  }

  /** The analyser a reading of `deviceId` feeds; in "every device" mode created at its first reading. */
  route(deviceId: string): Route {
    if (!this.options.everyDevice) {
      const analyser = this.analysers.get(this.options.deviceId) as PerformanceAnalyser;
      return analyser.concerns(deviceId) ? { deviceId: this.options.deviceId, analyser } : 'not-concerned';
    }
    let analyser = this.analysers.get(deviceId);
    if (analyser === undefined) {
      if (this.analysers.size >= this.options.maxDevices) {
        this.refused++;
        return 'full';
      }
      analyser = new PerformanceAnalyser({ ...this.options, deviceId, electricalDeviceId: deviceId });
      this.analysers.set(deviceId, analyser);
    }
    return { deviceId, analyser };
  }

  get(deviceId: string): PerformanceAnalyser | undefined {
    return this.analysers.get(deviceId);
  }

  entries(): IterableIterator<[string, PerformanceAnalyser]> {
    return this.analysers.entries();
  }

  get size(): number {
    return this.analysers.size;
  }
}
