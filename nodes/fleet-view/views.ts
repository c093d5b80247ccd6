// The five views a fleet-view node can show, each turning the fleet's deliveries into the
// messages to send (none when the part it shows did not change) and answering inputs. The glue
// (fleet-view.ts) only subscribes, sends, paces the status and runs the System view's timer.
// Pure: no Node-RED import; the clock is passed in.
import type { DeviceRecord, FleetChanges, FleetState, FleetSummaryCounts } from '../heatpump-fleet/fleet-state';
import { HISTORY_RANGES } from '../shared/api-request';
import { PERIOD_KINDS } from '../heatpump-performance/periods';
import { deviceIdProblem } from '../shared/device-id';
import { err, ok, type Result } from '../shared/result';
import { DeviceViews, type DeviceInput, type DeviceSource } from './device-view';
import type { Labels, Translate } from './format';
import { CounterRates } from './rates';
import { systemPayload, type SystemSource } from './system';
import { AlertTable, DeviceTable, type Changed } from './tables';

export const VIEW_NAMES = ['summary', 'devices', 'alerts', 'system', 'device'] as const;
export type ViewName = (typeof VIEW_NAMES)[number];

export const DEFAULT_MAX_ROWS = 500;
export const MAX_MAX_ROWS = 100_000;
export const DEFAULT_RANGE = '24h';
/** A page's range: a history range (Device page) or a calendar period (Performance page). */
export const DEVICE_RANGES: readonly string[] = [...Object.keys(HISTORY_RANGES), ...PERIOD_KINDS];
/** How often the System view samples the counters for its rates and refreshes the uptime. */
export const SYSTEM_TICK_MS = 5000;

/** What the views read of the fleet (its state plus the notes of the config node). */
export interface FleetSource extends SystemSource, DeviceSource {
  summary(): FleetSummaryCounts;
}

/** What a source reads of a fleet: its live state and its notes (a heatpump-fleet's FleetLink). */
export interface FleetLike {
  readonly state: Pick<FleetState, 'get' | 'all' | 'summary' | 'rejections' | 'health' | 'counters' | 'dropped'>;
  readonly historyNote: string;
  readonly storeNote: string;
}

/** The fleet's state and notes, read live (the state object stays, its contents change). */
export function sourceOf(fleet: FleetLike): FleetSource {
  const state = fleet.state;
  return {
    get: (id) => state.get(id),
    all: () => state.all(),
    summary: () => state.summary(),
    rejections: () => state.rejections(),
    dropped: () => state.dropped(),
    get health() {
      return state.health;
    },
    get counters() {
      return state.counters;
    },
    get historyNote() {
      return fleet.historyNote;
    },
    get storeNote() {
      return fleet.storeNote;
    },
  };
}

/** Properties of an outgoing message (set on the input message when it is a reply). */
export type Outgoing = { payload: unknown } & Record<string, unknown>;

export interface Problem {
  key: string;
  params?: Record<string, string>;
}

/** The parts of an input message the views look at. */
export interface InputLike {
  payload?: unknown;
  range?: unknown;
  forget?: unknown;
  _client?: unknown;
}

export interface View {
  /** A delivery of the fleet (the first carries every device): what to send. */
  delivered(changes: FleetChanges): Outgoing[];
  /** An input: what to set on it for the reply; undefined: send nothing. */
  reply(input: InputLike): Result<Outgoing | undefined, Problem>;
  /** Every SYSTEM_TICK_MS for views that show time (only the System view does). */
  tick(): Outgoing[];
  /** The number the status shows. */
  count(): number;
}

export interface ViewOptions {
  maxRows: number;
  /** device view: the range of a browser that has not chosen one */
  defaultRange: string;
  labels: Labels;
  t: Translate;
  now: () => number;
}

/** The changed devices with what the fleet holds for each now (undefined: forgotten). */
function changedOf(source: FleetSource, devices: readonly DeviceRecord[]): Changed[] {
  return devices.map((device) => ({ id: device.device_id, record: source.get(device.device_id) }));
}

function* everyDevice(source: FleetSource): Generator<Changed> {
  const all = source.all();
  for (let next = all.next(); !next.done; next = all.next()) yield { id: next.value.device_id, record: next.value };
}

/** Total, online, offline, alerting, warning, critical. */
class SummaryView implements View {
  private sent: string | undefined;

  constructor(private readonly source: FleetSource) {}

  delivered(): Outgoing[] {
    const summary = this.source.summary();
    const key = JSON.stringify(summary);
    if (key === this.sent) return [];
    this.sent = key;
    return [{ payload: summary }];
  }

  reply(): Result<Outgoing, Problem> {
    return ok({ payload: this.source.summary() });
  }

  tick(): Outgoing[] {
    return [];
  }

  count(): number {
    return this.source.summary().total;
  }
}

/** Table rows of the fleet, alerting first, at most maxRows; the device list when it changes. */
class DevicesView implements View {
  private readonly table: DeviceTable;
  private started = false;

  constructor(
    private readonly source: FleetSource,
    options: ViewOptions,
  ) {
    this.table = new DeviceTable((id) => source.get(id), options.labels, options.maxRows);
  }

  delivered(changes: FleetChanges): Outgoing[] {
    const change = this.table.apply(changedOf(this.source, changes.devices));
    const first = !this.started;
    this.started = true;
    if (!first && !change.shown && !change.members) return [];
    return [this.message(first || change.members)];
  }

  reply(): Result<Outgoing, Problem> {
    // asked before the fleet's first delivery: read it once now (that delivery changes nothing)
    if (!this.started) this.table.apply(everyDevice(this.source));
    return ok(this.message(true));
  }

  tick(): Outgoing[] {
    return [];
  }

  count(): number {
    return this.table.size;
  }

  private message(withOptions: boolean): Outgoing {
    const { rows, total } = this.table.view();
    return withOptions ? { payload: rows, total, options: this.table.options() } : { payload: rows, total };
  }
}

/** Active alert rows, newest first, at most maxRows. */
class AlertsView implements View {
  private readonly table: AlertTable;
  private started = false;

  constructor(
    private readonly source: FleetSource,
    options: ViewOptions,
  ) {
    this.table = new AlertTable(options.labels, options.maxRows);
  }

  delivered(changes: FleetChanges): Outgoing[] {
    const changed = this.table.apply(changedOf(this.source, changes.devices));
    const first = !this.started;
    this.started = true;
    return first || changed ? [this.message()] : [];
  }

  reply(): Result<Outgoing, Problem> {
    if (!this.started) this.table.apply(everyDevice(this.source));
    return ok(this.message());
  }

  tick(): Outgoing[] {
    return [];
  }

  count(): number {
    return this.table.size;
  }

  private message(): Outgoing {
    const { rows, total } = this.table.view();
    return { payload: rows, total };
  }
}

/** Health, counters, rates and the last rejections; sent when any text or row changes. */
class SystemView implements View {
  private readonly rates = new CounterRates();
  private sent: string | undefined;

  constructor(
    private readonly source: FleetSource,
    private readonly options: ViewOptions,
  ) {}

  delivered(changes: FleetChanges): Outgoing[] {
    if (this.sent === undefined) this.rates.sample(this.options.now(), this.source.counters);
    else if (!changes.health && !changes.counters && !changes.rejections) return [];
    return this.changed();
  }

  reply(): Result<Outgoing, Problem> {
    return ok({ payload: this.payload() });
  }

  tick(): Outgoing[] {
    // before the fleet's first delivery its stored state may still be loading: nothing to show
    if (this.sent === undefined) return [];
    this.rates.sample(this.options.now(), this.source.counters);
    return this.changed();
  }

  count(): number {
    return this.source.counters.readings_accepted;
  }

  private payload() {
    return systemPayload(this.source, this.rates.perMinute(), this.options.t, this.options.now());
  }

  private changed(): Outgoing[] {
    const payload = this.payload();
    const key = JSON.stringify(payload);
    if (key === this.sent) return [];
    this.sent = key;
    return [{ payload }];
  }
}

/** A device chosen per browser; see device-view.ts. */
class DeviceView implements View {
  private readonly views: DeviceViews;

  constructor(source: FleetSource, options: ViewOptions) {
    this.views = new DeviceViews(source, options.labels, options.defaultRange);
  }

  delivered(changes: FleetChanges): Outgoing[] {
    return this.views.changes(changes.devices).map((update) => ({
      payload: update.payload,
      range: update.range,
      selected: update.selected,
      ...(update.reading ? { reading: update.reading } : {}),
      // Dashboard 2.0 (ui-base acceptsClientConfig) sends it to this browser only
      _client: { socketId: update.socketId },
    }));
  }

  reply(input: InputLike): Result<Outgoing | undefined, Problem> {
    const parsed = parseDeviceInput(input);
    if (!parsed.ok) return parsed;
    if (parsed.value === 'forget') {
      // a browser that closed (ui-control "lost"): nothing to answer
      const socketId = socketIdOf(input);
      if (socketId !== undefined) this.views.forget(socketId);
      return ok(undefined);
    }
    const reply = this.views.input(parsed.value);
    return ok({ payload: reply.payload, range: reply.range, selected: reply.selected });
  }

  tick(): Outgoing[] {
    return [];
  }

  count(): number {
    return this.views.selections.size;
  }
}

function socketIdOf(input: InputLike): string | undefined {
  const client = input._client;
  if (typeof client !== 'object' || client === null) return undefined;
  const socketId = (client as { socketId?: unknown }).socketId;
  return typeof socketId === 'string' && socketId !== '' ? socketId : undefined;
}

/** msg._client.socketId, a device id in msg.payload, msg.range, msg.forget. */
export function parseDeviceInput(input: InputLike): Result<DeviceInput | 'forget', Problem> {
  if (input.forget === true) return ok('forget');
  const socketId = socketIdOf(input);
  let device: string | undefined;
  if (typeof input.payload === 'string' && input.payload !== '') {
    const problem = deviceIdProblem(input.payload);
    if (problem !== undefined) return err({ key: 'bad-device', params: { problem } });
    device = input.payload;
  }
  let range: string | undefined;
  if (input.range !== undefined && input.range !== null && input.range !== '') {
    if (typeof input.range !== 'string' || !DEVICE_RANGES.includes(input.range)) {
      return err({ key: 'bad-range', params: { range: JSON.stringify(input.range), ranges: DEVICE_RANGES.join(', ') } });
    }
    range = input.range;
  }
  return ok({ ...(socketId !== undefined ? { socketId } : {}), ...(device !== undefined ? { device } : {}), ...(range !== undefined ? { range } : {}) });
}

export function isViewName(value: unknown): value is ViewName {
  return typeof value === 'string' && (VIEW_NAMES as readonly string[]).includes(value);
}

/** maxRows from the editor: blank means the default; else a whole number 1..MAX_MAX_ROWS. */
export function parseMaxRows(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return DEFAULT_MAX_ROWS;
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 && n <= MAX_MAX_ROWS ? n : undefined;
}

/** The default range from the editor: blank means DEFAULT_RANGE; else one of DEVICE_RANGES. */
export function parseDefaultRange(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return DEFAULT_RANGE;
  return typeof value === 'string' && DEVICE_RANGES.includes(value) ? value : undefined;
}

export function createView(name: ViewName, source: FleetSource, options: ViewOptions): View {
  switch (name) {
    case 'summary':
      return new SummaryView(source);
    case 'devices':
      return new DevicesView(source, options);
    case 'alerts':
      return new AlertsView(source, options);
    case 'system':
      return new SystemView(source, options);
    case 'device':
      return new DeviceView(source, options);
  }
}
