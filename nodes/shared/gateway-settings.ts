// The setting changes of an MQTT gateway decoder (heishamon-decode's output 3): the last known
// setting values per device, kept in a context store so that a restart reports only real changes,
// and the change events in the shape modbus-poll and viessmann-device send. Runtime side, without
// a Node-RED import: the node hands in its store and its change detection.
import type { MetricsReading } from './contract';
import type { SettingChange } from './setting-changes';

/** device id → setting → last value */
export type KnownSettings = Record<string, Record<string, number>>;

/** A setting change as the change log takes it (like modbus-poll's and viessmann-device's output 3). */
export interface SettingChangeEvent extends SettingChange<number> {
  device_id: string;
  source: string;
  /** ms since the epoch: the time of the reading that showed the new value */
  timestamp: number;
}

export type DetectSettingChanges = (previous: Readonly<Record<string, number>>, values: Readonly<Record<string, unknown>>) => { changes: Array<SettingChange<number>>; known: Record<string, number> };

export interface SettingStore {
  load(): Promise<unknown>;
  save(known: KnownSettings): Promise<void>;
}

/** The stored known values, with anything that is not a device's setting → finite number left out. */
export function knownSettingsOf(stored: unknown): KnownSettings {
  const known: KnownSettings = {};
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) return known;
  for (const [device, settings] of Object.entries(stored)) {
    if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) continue;
    const values = Object.entries(settings as Record<string, unknown>).filter((entry): entry is [string, number] => typeof entry[1] === 'number' && Number.isFinite(entry[1]));
    if (values.length > 0) known[device] = Object.fromEntries(values);
  }
  return known;
}

export class SettingTracker {
  private known: KnownSettings = {};
  /** readings are compared one after the other, the first once the stored values are loaded */
  private queue: Promise<void>;

  constructor(
    private readonly detect: DetectSettingChanges,
    private readonly source: string,
    private readonly store: SettingStore,
    private readonly failed: (action: 'load' | 'save', error: unknown) => void,
  ) {
    this.queue = store.load().then(
      (stored) => {
        this.known = knownSettingsOf(stored);
      },
      (error: unknown) => failed('load', error),
    );
  }

  /** Compares the reading's settings with the known ones; `send` gets the changes, if any. Never rejects. */
  track(reading: MetricsReading, send: (events: SettingChangeEvent[]) => void): Promise<void> {
    this.queue = this.queue.then(async () => {
      const device = reading.device_id;
      const previous = this.known[device] ?? {};
      const { changes, known } = this.detect(previous, reading.metrics);
      // known only grows: more keys means a setting seen for the first time
      if (changes.length === 0 && Object.keys(known).length === Object.keys(previous).length) return;
      this.known[device] = known;
      if (changes.length > 0) send(changes.map((change) => ({ device_id: device, ...change, source: this.source, timestamp: reading.timestamp })));
      try {
        await this.store.save(this.known);
      } catch (error) {
        this.failed('save', error);
      }
    });
    return this.queue;
  }

  /** Resolves once every reading handed in so far is compared and saved. */
  idle(): Promise<void> {
    return this.queue;
  }
}
