// Node-RED glue for shelly-em: polls a Shelly Gen2 energy meter over its local RPC API, and/or
// reads the device's own MQTT status messages; emits MetricsReadings (output 1) and presence
// changes (output 2). Parsing lives in parse.ts, Digest in digest.ts, backoff in reachability.ts.
import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { MetricsReading } from '../shared/contract';
import { errorOf, failInput, refuseConfiguration } from '../shared/errors';
import { fleetOf, type FleetLink } from '../shared/fleet-link';
import { clearStatus, setStatus } from '../shared/status';
import { commonMetrics } from './common-metrics';
import { DigestSession } from './digest';
import { resolveOptions, type ShellyEmOptions } from './options';
import { deviceIdFromPrefix, parseJsonObject, parseMqttStatus, parseShellyStatus, type MeterValues } from './parse';
import { Reachability } from './reachability';
import { callRpc } from './rpc-client';
import type { MetricsMsg, PresenceStatusMsg, ShellyEmCredentials, ShellyEmDef } from './types';

const TYPE = 'shelly-em';
const STATUS_METHOD = 'Shelly.GetStatus';

type Send = (msg: Array<NodeMessage | null>) => void;
type Done = (err?: Error) => void;
type Translate = (key: string, params?: Record<string, string | number>) => string;

class ShellyEm {
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private readonly reachability: Reachability;
  private readonly session: DigestSession | undefined;
  /** presence last announced, per device id: output 2 only carries changes */
  private readonly announced = new Map<string, 'online' | 'offline'>();
  /** device ids learnt from `<prefix>/status/sys` (its MAC) */
  private readonly idByPrefix = new Map<string, string>();
  /** the device id of the last poll answer, for the offline message of a meter that went away */
  private polledDeviceId: string | undefined;
  private badAnswers = 0;
  private lastBadAnswer = '';
  private wasOffline = false;
  /** the device's own error flags last logged */
  private lastWarnings = '';

  constructor(
    private readonly node: Node,
    private readonly t: Translate,
    private readonly options: ShellyEmOptions,
    password: string,
    private readonly fleet: FleetLink | undefined,
  ) {
    this.reachability = new Reachability(options.intervalMs);
    this.session = password === '' ? undefined : new DigestSession(password);
    this.polledDeviceId = options.deviceId;
  }

  start(): void {
    if (this.options.base === undefined) return;
    setStatus(this.node, 'busy', this.t(`${TYPE}.status.connecting`));
    this.schedule(0);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.abort.abort();
    clearStatus(this.node);
  }

  private schedule(delayMs: number): void {
    // one poll at a time: the next is only scheduled when this one is over
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.poll().catch((error: unknown) => this.node.error(errorOf(error).message));
    }, delayMs);
  }

  private async poll(): Promise<void> {
    const base = this.options.base;
    if (this.closed || base === undefined) return;
    const result = await callRpc(base, STATUS_METHOD, this.session, this.abort.signal);
    if (this.closed) return;
    if (result.kind === 'unreachable') {
      const step = this.reachability.polled('unreachable');
      const retryS = Math.round(step.delayMs / 100) / 10;
      if (step.transition === 'offline') {
        this.wasOffline = true;
        this.node.warn(this.t(`${TYPE}.log.offline`, { url: base.href, reason: result.reason }));
        if (this.polledDeviceId !== undefined) this.announce(this.polledDeviceId, 'offline');
      }
      setStatus(this.node, 'error', this.t(`${TYPE}.status.offline`, { seconds: retryS }));
      this.schedule(step.delayMs);
      return;
    }
    // an answer, whatever it says, means the meter is there
    const step = this.reachability.polled('answered');
    if (step.transition === 'online') {
      if (this.wasOffline) this.node.log(this.t(`${TYPE}.log.online`, { url: base.href }));
      this.wasOffline = false;
      if (this.polledDeviceId !== undefined) this.announce(this.polledDeviceId, 'online');
    }
    this.schedule(step.delayMs);
    if (result.kind === 'auth') return this.badAnswer(result.reason);
    if (result.status !== 200) return this.badAnswer(this.t(`${TYPE}.errors.http-status`, { status: result.status, body: result.body.slice(0, 80) }));
    const json = parseJsonObject(result.body, this.t(`${TYPE}.errors.answer`));
    if (!json.ok) return this.badAnswer(json.error);
    const answer = parseShellyStatus(json.value, this.options.profile);
    if (!answer.ok) return this.badAnswer(answer.error);
    const deviceId = this.options.deviceId ?? answer.value.derivedDeviceId;
    if (deviceId === undefined) return this.badAnswer(this.t(`${TYPE}.errors.no-device-id`));
    this.polledDeviceId = deviceId;
    this.badAnswers = 0;
    this.lastBadAnswer = '';
    this.emit(deviceId, answer.value, true);
  }

  /** The meter answered, but not with readings: counted and shown; logged once per kind of failure. */
  private badAnswer(reason: string): void {
    this.badAnswers += 1;
    if (reason !== this.lastBadAnswer) this.node.error(this.t(`${TYPE}.log.bad-answer`, { reason }));
    this.lastBadAnswer = reason;
    setStatus(this.node, 'error', this.t(`${TYPE}.status.bad-answer`, { count: this.badAnswers }));
  }

  input(msg: NodeMessageInFlow, send: Send, done: Done): void {
    const parsed = parseMqttStatus(msg.topic, msg.payload);
    if (!parsed.ok) return failInput(this.node, done, this.t(`${TYPE}.status.bad-input`), parsed.error);
    const status = parsed.value;
    if (status.kind === 'other') return done();
    if ((status.kind === 'sys' || status.kind === 'meter') && status.derivedDeviceId !== undefined) this.idByPrefix.set(status.prefix, status.derivedDeviceId);
    if (status.kind === 'sys') return done();
    const deviceId = this.options.deviceId ?? this.idByPrefix.get(status.prefix) ?? deviceIdFromPrefix(status.prefix);
    if (deviceId === undefined) return failInput(this.node, done, this.t(`${TYPE}.status.bad-input`), this.t(`${TYPE}.errors.no-mqtt-device-id`, { prefix: status.prefix }));
    if (status.kind === 'online') {
      this.announce(deviceId, status.online ? 'online' : 'offline', send);
      if (!status.online) setStatus(this.node, 'error', this.t(`${TYPE}.status.mqtt-offline`));
      return done();
    }
    this.emit(deviceId, status.values, status.complete, send);
    done();
  }

  /**
   * `complete`: the values of every meter component (a poll, a full status notification), not of
   * one MQTT message. `send` is the input handler's for readings from messages, the node's own for polls.
   */
  private emit(deviceId: string, values: MeterValues, complete: boolean, send: Send = (msg) => this.node.send(msg)): void {
    this.announce(deviceId, 'online', send);
    // what the device flags is logged once per change, not per reading
    const warnings = values.warnings.join('; ');
    if (warnings !== '' && warnings !== this.lastWarnings) this.node.warn(this.t(`${TYPE}.log.device-errors`, { errors: warnings }));
    this.lastWarnings = warnings;
    const common = commonMetrics(values, this.options.channels, complete);
    // a meter that reports a failure may leave nothing to send; an empty reading helps no one
    if (Object.keys(values.metrics).length > 0) {
      const reading: MetricsReading = {
        device_id: deviceId,
        timestamp: Date.now(),
        metrics: { ...values.metrics, ...common.metrics },
        units: { ...values.units, ...common.units },
        info: { source: 'shelly' },
      };
      // the fleet's own copy: it may apply it later (before its saved state is restored), and a flow may change msg.payload
      this.fleet?.metrics(structuredClone(reading));
      const out: MetricsMsg = { topic: deviceId, payload: reading };
      send([out, null]);
    }
    // the heat pump's power, as the readings name it
    const power = common.metrics.electrical_power;
    const shown = typeof power === 'number' ? `${Math.round(power * 10) / 10} W` : this.t(`${TYPE}.status.reading`, { count: Object.keys(values.metrics).length });
    if (values.warnings.length > 0) setStatus(this.node, 'error', this.t(`${TYPE}.status.warning`, { text: shown }));
    else if (values.negative.length > 0) setStatus(this.node, 'ok', this.t(`${TYPE}.status.negative`, { text: shown }));
    else setStatus(this.node, 'ok', shown);
  }

  private announce(deviceId: string, presence: 'online' | 'offline', send: Send = (msg) => this.node.send(msg)): void {
    if (this.announced.get(deviceId) === presence) return;
    this.announced.set(deviceId, presence);
    const msg: PresenceStatusMsg = { topic: deviceId, payload: presence };
    send([null, msg]);
  }
}

function init(RED: NodeAPI): void {
  function ShellyEmNode(this: Node<ShellyEmCredentials>, config: ShellyEmDef) {
    RED.nodes.createNode(this, config);
    const t: Translate = (key, params) => RED._(key, params);
    const options = resolveOptions(config);
    if (!options.ok) {
      refuseConfiguration(this, t(`${TYPE}.errors.config`, { reason: options.error }), t(`${TYPE}.status.config-error`));
      return;
    }
    const meter = new ShellyEm(this, t, options.value, this.credentials?.password ?? '', fleetOf(RED.nodes, config.fleet));
    this.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
      try {
        meter.input(msg, send, done);
      } catch (error) {
        failInput(this, done, t(`${TYPE}.status.bad-input`), errorOf(error));
      }
    });
    this.on('close', (_removed: boolean, done: () => void) => {
      meter.close();
      done();
    });
    meter.start();
  }
  RED.nodes.registerType<Node<ShellyEmCredentials>, ShellyEmDef, unknown, ShellyEmCredentials>(TYPE, ShellyEmNode, { credentials: { password: { type: 'password' } } });
}

export = init;
