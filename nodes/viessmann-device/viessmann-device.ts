// Node-RED glue of viessmann-device: polls the features of one device through its account (which
// owns the token and the call budget) and sends readings (output 1), presence changes (output 2)
// and setting changes (output 3). Decoding lives in features.ts, the options in options.ts.
import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { MetricsReading } from '../shared/contract';
import { errorOf, refuseConfiguration } from '../shared/errors';
import { fleetOf, type FleetLink } from '../shared/fleet-link';
import { clearStatus, setStatus } from '../shared/status';
import { apiPaths } from '../viessmann-account/api';
import type { ApiAnswer, ViessmannAccountNode } from '../viessmann-account/types';
import { decodeFeatures, settingChanges, type SettingValue } from './features';
import { resolveDeviceOptions, type DeviceOptions } from './options';
import type { MetricsMsg, PresenceMsg, SettingChangeMsg, ViessmannDeviceDef } from './types';

const TYPE = 'viessmann-device';

type Send = (msg: Array<NodeMessage | NodeMessage[] | null>) => void;
type Translate = (key: string, params?: Record<string, string | number>) => string;
type PollResult = { ok: true } | { ok: false; message: string };

class ViessmannDevice {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private inFlight: Promise<PollResult> | undefined;
  /** presence last sent: output 2 carries changes only */
  private announced: 'online' | 'offline' | undefined;
  /** the state last logged ('ok' or an error kind): one log line per change */
  private loggedState = 'ok';
  /** the settings of the last polls; undefined until the first answer (which is no change) */
  private knownSettings: Record<string, SettingValue> | undefined;

  constructor(
    private readonly node: Node,
    private readonly t: Translate,
    private readonly account: ViessmannAccountNode,
    private readonly options: DeviceOptions,
    private readonly fleet: FleetLink | undefined,
  ) {}

  start(): void {
    setStatus(this.node, 'busy', this.t(`${TYPE}.status.polling`));
    this.schedule(0);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    clearStatus(this.node);
  }

  /** A message asks for a poll now (the budget still decides when it is made). */
  input(send: Send): Promise<PollResult> {
    return this.poll(send);
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.poll((msg) => this.node.send(msg))
        .catch((error: unknown) => this.node.error(errorOf(error).message))
        .finally(() => {
          if (!this.closed) this.schedule(this.options.intervalMs);
        });
    }, delayMs);
  }

  /** One poll at a time: a request while one runs (waiting for the budget, say) joins it. */
  private poll(send: Send): Promise<PollResult> {
    if (this.inFlight) return this.inFlight;
    const remaining = this.account.remaining();
    // the call will wait for the budget (or a 429 reset): say so rather than show a stale state
    if (remaining.day === 0 || remaining.burst === 0 || remaining.blockedUntil > 0) setStatus(this.node, 'busy', this.t(`${TYPE}.status.waiting`));
    this.inFlight = this.account
      .get(apiPaths.features(this.options.address), 'reading')
      .then((answer) => this.handle(answer, send))
      .finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private handle(answer: ApiAnswer, send: Send): PollResult {
    if (this.closed) return { ok: true };
    if (!answer.ok) return this.failed(answer.error.kind, answer.error.message, send, answer.error.kind === 'rate-limited' && 'resetAt' in answer.error ? answer.error.resetAt : undefined);
    const decoded = decodeFeatures(answer.body);
    if (!decoded.ok) return this.failed('bad-answer', decoded.error, send);
    const now = Date.now();
    const { heatpumpId } = this.options;
    const out: Array<NodeMessage | NodeMessage[] | null> = [null, null, null];
    const { metrics, units } = decoded.value;
    if (Object.keys(metrics).length > 0) {
      const reading: MetricsReading = { device_id: heatpumpId, timestamp: now, metrics, units, info: { source: 'viessmann', ...(this.options.model ? { model: this.options.model } : {}) } };
      // the fleet's own copy: it may apply it later (before its saved state is restored), and a flow may change msg.payload
      this.fleet?.metrics(structuredClone(reading));
      out[0] = { topic: heatpumpId, payload: reading } satisfies MetricsMsg;
    }
    out[1] = this.presence('online');
    if (this.knownSettings === undefined) this.knownSettings = decoded.value.settings;
    else {
      const { changes, known } = settingChanges(this.knownSettings, decoded.value);
      this.knownSettings = known;
      if (changes.length > 0) out[2] = changes.map((change): SettingChangeMsg => ({ topic: heatpumpId, payload: { device_id: heatpumpId, ...change, source: 'viessmann', timestamp: now } }));
    }
    send(out);
    if (this.loggedState !== 'ok') this.node.log(this.t(`${TYPE}.log.recovered`, { device: heatpumpId }));
    this.loggedState = 'ok';
    setStatus(this.node, 'ok', this.t(`${TYPE}.status.ok`, { count: Object.keys(metrics).length, left: answer.remaining.day }));
    return { ok: true };
  }

  private failed(kind: string, message: string, send: Send, resetAt?: number): PollResult {
    const presence = this.presence('offline');
    if (presence) send([null, presence, null]);
    const until = resetAt === undefined ? '' : new Date(resetAt).toISOString().slice(11, 16);
    const known = ['gateway-offline', 'device-offline', 'server-error', 'expired-token', 'rate-limited', 'login-again', 'not-logged-in', 'token-unavailable', 'unreachable', 'bad-answer'];
    setStatus(this.node, 'error', this.t(`${TYPE}.status.${known.includes(kind) ? kind : 'request-failed'}`, { until }));
    const text = this.t(`${TYPE}.log.failed`, { device: this.options.heatpumpId, reason: message });
    if (this.loggedState !== kind) this.node.warn(text);
    this.loggedState = kind;
    return { ok: false, message: text };
  }

  private presence(state: 'online' | 'offline'): PresenceMsg | null {
    if (this.announced === state) return null;
    this.announced = state;
    return { topic: this.options.heatpumpId, payload: state };
  }
}

function init(RED: NodeAPI): void {
  const t: Translate = (key, params) => RED._(key, params);

  function ViessmannDeviceNode(this: Node, config: ViessmannDeviceDef) {
    RED.nodes.createNode(this, config);
    const account = RED.nodes.getNode(config.account) as ViessmannAccountNode | null;
    const options = resolveDeviceOptions(config);
    if (account === null || typeof account.get !== 'function' || typeof account.remaining !== 'function' || !options.ok) {
      const reason = options.ok ? t(`${TYPE}.errors.no-account`) : options.error;
      refuseConfiguration(this, t(`${TYPE}.errors.config`, { reason }), t(`${TYPE}.status.config-error`));
      return;
    }
    const device = new ViessmannDevice(this, t, account, options.value, fleetOf(RED.nodes, config.fleet));
    this.on('input', (_msg: NodeMessageInFlow, send: Send, done: (err?: Error) => void) => {
      device
        .input(send)
        .then((result) => done(result.ok ? undefined : new Error(result.message)))
        .catch((error: unknown) => done(errorOf(error)));
    });
    this.on('close', (_removed: boolean, done: () => void) => {
      device.close();
      done();
    });
    device.start();
  }

  RED.nodes.registerType(TYPE, ViessmannDeviceNode);
}

export = init;
