// The runtime side both MQTT gateway decoders share (heishamon-decode, espaltherma-decode): a quiet
// timer per device that ends its cycle, readings to output 1 and the fleet, presence changes to
// output 2, setting changes to output 3 (a decoder that knows settings), and the node status. The
// decoders themselves are pure (decode.ts beside each node).
import type { MetricsReading } from './contract';
import { failInput } from './errors';
import type { FleetLink } from './fleet-link';
import type { DetectSettingChanges, SettingTracker } from './gateway-settings';
import type { Result } from './result';
import { setStatus, type NodeStatusLike } from './status';

export interface GatewayOutcome {
  deviceId: string;
  readings: MetricsReading[];
  presence?: 'online' | 'offline';
  collecting: boolean;
}

export interface GatewayDecoder {
  /** undefined: the message is none of this gateway's (another base, a command topic) */
  input(topic: unknown, payload: unknown, now: number): Result<GatewayOutcome, string> | undefined;
  flush(deviceId: string): MetricsReading | undefined;
  /** values of the device that are text, not metrics (ESPAltherma's modes): sent as msg.texts */
  textsOf?(deviceId: string): Record<string, string>;
  /** a decoder whose readings carry settings: the source its setting changes name, and how they are found */
  readonly settings?: { source: string; changes: DetectSettingChanges };
}

type Message = { topic: string; payload: unknown; texts?: Record<string, string> };
export type Send = (msgs: Array<Message | Message[] | null>) => void;
export type Done = (err?: Error) => void;

export interface GatewayNodeLike extends NodeStatusLike {
  send(msgs: Array<Message | Message[] | null>): void;
  error(text: string): void;
}

export interface GatewayTexts {
  badInput: string;
  reading: (metrics: number) => string;
  collecting: string;
  offline: string;
}

/** The quiet time in ms: blank is the default, anything else a positive number of seconds. */
export function quietMsOf(text: string | undefined, fallbackS: number): number | undefined {
  if (text === undefined || text.trim() === '') return fallbackS * 1000;
  const seconds = Number(text);
  return Number.isFinite(seconds) && seconds > 0 && seconds <= 3600 ? Math.round(seconds * 1000) : undefined;
}

export class GatewayGlue {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** presence last announced, per device id: output 2 only carries changes */
  private readonly announced = new Map<string, 'online' | 'offline'>();

  constructor(
    private readonly node: GatewayNodeLike,
    private readonly decoder: GatewayDecoder,
    private readonly texts: GatewayTexts,
    private readonly quietMs: number,
    private readonly fleet: () => FleetLink | undefined,
    private readonly settings?: SettingTracker,
  ) {}

  input(msg: { topic?: unknown; payload?: unknown }, send: Send, done: Done): void {
    const outcome = this.decoder.input(msg.topic, msg.payload, Date.now());
    if (outcome === undefined) return done();
    if (!outcome.ok) return failInput(this.node, done, this.texts.badInput, outcome.error);
    const { deviceId, readings, presence, collecting } = outcome.value;
    const compared = readings.map((reading) => this.emit(reading, send));
    if (presence !== undefined) {
      this.announce(deviceId, presence, send);
      if (presence === 'offline') setStatus(this.node, 'error', this.texts.offline);
    }
    if (collecting) this.restartTimer(deviceId);
    else this.stopTimer(deviceId);
    if (collecting && readings.length === 0 && presence === undefined) setStatus(this.node, 'busy', this.texts.collecting);
    // the message is done once its readings' settings are compared (after the stored ones are loaded)
    if (compared.length === 0) done();
    else void Promise.all(compared).then(() => done());
  }

  /**
   * Ends every open cycle: a deploy or shutdown does not lose the values collected so far. Resolves
   * once their setting changes are sent and the known settings saved.
   */
  close(): Promise<void> {
    for (const [deviceId, timer] of this.timers) {
      clearTimeout(timer);
      const reading = this.decoder.flush(deviceId);
      if (reading !== undefined) void this.emit(reading, (msgs) => this.node.send(msgs));
    }
    this.timers.clear();
    return this.settings?.idle() ?? Promise.resolve();
  }

  private restartTimer(deviceId: string): void {
    this.stopTimer(deviceId);
    this.timers.set(
      deviceId,
      setTimeout(() => {
        this.timers.delete(deviceId);
        const reading = this.decoder.flush(deviceId);
        if (reading !== undefined) void this.emit(reading, (msgs) => this.node.send(msgs));
      }, this.quietMs),
    );
  }

  private stopTimer(deviceId: string): void {
    clearTimeout(this.timers.get(deviceId));
    this.timers.delete(deviceId);
  }

  /** Sends the reading; resolves once its setting changes are sent. */
  private emit(reading: MetricsReading, send: Send): Promise<void> {
    // data means the gateway is there, whatever its last will said before
    this.announce(reading.device_id, 'online', send);
    const texts = this.decoder.textsOf?.(reading.device_id) ?? {};
    send([Object.keys(texts).length === 0 ? { topic: reading.device_id, payload: reading } : { topic: reading.device_id, payload: reading, texts }, null]);
    // a copy: the fleet keeps the reading, and the first receiver of msg.payload gets it uncloned
    this.fleet()?.metrics(structuredClone(reading));
    setStatus(this.node, 'ok', this.texts.reading(Object.keys(reading.metrics).length));
    return this.settings?.track(reading, (events) => send([null, null, events.map((event): Message => ({ topic: event.device_id, payload: event }))])) ?? Promise.resolve();
  }

  private announce(deviceId: string, presence: 'online' | 'offline', send: Send): void {
    if (this.announced.get(deviceId) === presence) return;
    this.announced.set(deviceId, presence);
    send([null, { topic: deviceId, payload: presence }]);
  }
}
