// The Device page: one device's record for gauges, texts and charts, per browser. A browser
// chooses a device (or adopts the first known one); later changes of that device go to every
// browser showing it, each message addressed to one browser. Pure: no Node-RED import.
import type { ActiveAlert, DeviceRecord } from '../heatpump-fleet/fleet-state';
import type { MetricsReading, Reading } from '../shared/contract';
import { utcText, type Labels } from './format';
import { compareIds } from './rows';
import { Selections, type Browser } from './selection';

export interface DeviceTexts {
  device: string;
  status: string;
  /** UTC, or "never" */
  last_seen: string;
  /** UTC time of the latest reading, or "no reading yet" */
  reading_time: string;
  compressor: string;
  fan: string;
  defrost: string;
  alerts: string;
}

/** One metric of a polled source's device, as the Device page's metrics table shows it. */
export interface MetricRow {
  metric: string;
  /** the number as the source sent it, a boolean as on / off (translated) */
  value: string;
  /** empty when the source gave none */
  unit: string;
  /** UTC time of the reading that last reported it (several sources of one device merge metric by metric) */
  updated: string;
}

/**
 * The latest reading's fields at the top level (as heatpump-decode sends them, so gauges read
 * `payload.voltage`), plus presence, active alerts and ready texts. No reading: no sensor fields
 * and no `timestamp`.
 */
export type DeviceView = Omit<Partial<Reading>, 'device_id'> & {
  /** null: no device is known yet */
  device_id: string | null;
  /** false: the fleet does not know this device (yet, or any more) */
  known: boolean;
  online: boolean | null;
  last_seen: number | null;
  alerts: ActiveAlert[];
  /**
   * 'metrics': a device the fleet knows by the metrics readings of a polled source (modbus-poll)
   * and by no ESP32 reading; the page shows its metrics table instead of the sensor groups
   */
  kind: 'sensors' | 'metrics';
  /** the device's merged metrics in the order they were first reported; empty for an ESP32 device */
  metrics_rows: MetricRow[];
  text: DeviceTexts;
};

function metricRows(reading: MetricsReading | undefined, times: Readonly<Record<string, number>> | undefined, labels: Labels): MetricRow[] {
  if (reading === undefined) return [];
  return Object.entries(reading.metrics).map(([metric, value]) => ({
    metric,
    value: typeof value === 'boolean' ? (value ? labels.on : labels.off) : String(value),
    unit: (reading.units !== undefined && Object.hasOwn(reading.units, metric) ? reading.units[metric] : undefined) ?? '',
    updated: utcText((times !== undefined && Object.hasOwn(times, metric) ? times[metric] : undefined) ?? reading.timestamp),
  }));
}

const stateText = (value: boolean | undefined, on: string, off: string, labels: Labels) => (value === undefined ? labels.unknown : value ? on : off);

export function deviceView(deviceId: string | undefined, record: DeviceRecord | undefined, labels: Labels): DeviceView {
  const reading = record?.reading ?? undefined;
  // an ESP32 reading wins: a device that has one is shown with its sensors
  const metrics = reading === undefined ? record?.metrics : undefined;
  const alerts = record ? Object.values(record.alerts).sort((a, b) => compareIds(a.alert_type, b.alert_type)) : [];
  const online = record?.online ?? null;
  const lastSeen = record?.last_seen ?? null;
  return {
    ...(reading ? { ...reading } : {}),
    device_id: deviceId ?? null,
    known: record !== undefined,
    online,
    last_seen: lastSeen,
    alerts: alerts.map((alert) => ({ ...alert })),
    kind: metrics === undefined ? 'sensors' : 'metrics',
    metrics_rows: metricRows(metrics, record?.metric_times, labels),
    text: {
      device: deviceId ?? labels.noDevice,
      status: online === null ? labels.unknown : online ? labels.online : labels.offline,
      last_seen: lastSeen === null ? labels.never : utcText(lastSeen),
      reading_time: reading ? utcText(reading.timestamp) : metrics ? utcText(metrics.timestamp) : labels.noReading,
      compressor: stateText(reading?.compressor_running, labels.running, labels.stopped, labels),
      fan: stateText(reading?.fan_running, labels.running, labels.stopped, labels),
      defrost: stateText(reading?.defrost_active, labels.active, labels.off, labels),
      alerts: alerts.length === 0 ? labels.none : alerts.map((a) => `${a.alert_type} (${a.level === 'critical' ? labels.critical : labels.warning})`).join(', '),
    },
  };
}

/** What the device view reads of the fleet. */
export interface DeviceSource {
  get(deviceId: string): DeviceRecord | undefined;
  /** every device in the order the fleet got to know them */
  all(): Iterator<DeviceRecord>;
}

/** An input: who asks (no socket id: a caller without a browser, e.g. HTTP) and what it chose. */
export interface DeviceInput {
  socketId?: string;
  /** a device id chosen in the browser */
  device?: string;
  /** a history range chosen in the browser */
  range?: string;
}

/** The answer to an input (set on the input message). */
export interface DeviceReply {
  payload: DeviceView;
  range: string;
  /** a (re)selection: charts start over and history is loaded */
  selected: true;
}

/** A change of a shown device, addressed to one browser. */
export interface DeviceUpdate {
  socketId: string;
  payload: DeviceView;
  range: string;
  /** the browser's device was just chosen for it (it adopted the first known one) */
  selected: boolean;
  /** the reading, when it is new to this browser: one point for its live charts */
  reading?: Reading;
}

export class DeviceViews {
  readonly selections: Selections;

  constructor(
    private readonly fleet: DeviceSource,
    private readonly labels: Labels,
    private readonly defaultRange: string,
    maxBrowsers?: number,
  ) {
    this.selections = new Selections(defaultRange, maxBrowsers);
  }

  /** A browser chose a device or a range, or opened the page (neither): answer with its view. */
  input(input: DeviceInput): DeviceReply {
    if (input.socketId === undefined) {
      // no browser to remember: answer for the device asked for, else the first known one
      const device = input.device ?? this.firstKnown();
      return { payload: this.view(device), range: input.range ?? this.defaultRange, selected: true };
    }
    const chosen = this.selections.get(input.socketId)?.device;
    const browser = this.selections.choose(input.socketId, input.device ?? (chosen === undefined ? this.firstKnown() : undefined), input.range);
    const view = this.view(browser.device);
    browser.shownReading = browser.device === undefined ? null : (this.fleet.get(browser.device)?.reading?.timestamp ?? null);
    return { payload: view, range: browser.range, selected: true };
  }

  forget(socketId: string): void {
    this.selections.forget(socketId);
  }

  /** A delivery: one update per browser that shows a changed device or adopts its first one. */
  changes(devices: readonly DeviceRecord[]): DeviceUpdate[] {
    const updates: DeviceUpdate[] = [];
    for (const changed of devices) {
      const browsers = this.selections.watching(changed.device_id);
      if (browsers.size === 0) continue;
      const record = this.fleet.get(changed.device_id);
      const view = this.view(changed.device_id);
      for (const browser of browsers) updates.push(this.update(browser, record, view, false));
    }
    const waiting = this.selections.waiting();
    if (waiting.size > 0) {
      const first = devices.find((device) => this.fleet.get(device.device_id) !== undefined);
      if (first) {
        const record = this.fleet.get(first.device_id);
        const view = this.view(first.device_id);
        for (const browser of [...waiting]) {
          this.selections.choose(browser.socketId, first.device_id);
          updates.push(this.update(browser, record, view, true));
        }
      }
    }
    // one view object per device was built: every browser gets its own copy
    const used = new Set<DeviceView>();
    for (const update of updates) {
      if (used.has(update.payload)) update.payload = structuredClone(update.payload);
      else used.add(update.payload);
    }
    return updates;
  }

  private update(browser: Browser, record: DeviceRecord | undefined, view: DeviceView, selected: boolean): DeviceUpdate {
    const update: DeviceUpdate = { socketId: browser.socketId, payload: view, range: browser.range, selected };
    const reading = record?.reading;
    if (reading && reading.timestamp !== browser.shownReading) {
      // a browser that just adopted the device loads its history instead of one point
      if (!selected) update.reading = { ...reading };
      browser.shownReading = reading.timestamp;
    }
    return update;
  }

  private view(deviceId: string | undefined): DeviceView {
    return deviceView(deviceId, deviceId === undefined ? undefined : this.fleet.get(deviceId), this.labels);
  }

  private firstKnown(): string | undefined {
    const first = this.fleet.all().next();
    return first.done ? undefined : first.value.device_id;
  }
}
