// Node-RED glue for sms-gateway-bridge: routes alerts/presence/text out as SMS through the
// configured transport (ordered queue, limits, retries), answers SMS commands (from the fleet
// node's state when one is linked) and asks the Android gateway for a message's state. The logic
// lives in the pure modules beside this file.
import { randomUUID } from 'node:crypto';
import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { AlertLevel, Reading } from '../shared/contract';
import { topics } from '../shared/contract';
import { errorOf, failInput } from '../shared/errors';
import { fleetOf, type FleetLink } from '../shared/fleet-link';
import { loadState, resolveStore, saveState } from '../shared/persist';
import { setStatus, clearStatus } from '../shared/status';
import { isSmsGatewayConfigNode, type SmsGatewayConfigNode } from '../sms-gateway-config/types';
import { classifyInput } from './classify';
import { fleetDevices, parseCommand, runCommand, seenDevices } from './commands';
import { composeAlert, composeHeldBackSummary, composePresence, type ComposeOptions } from './compose';
import { fitSegments, segmentInfo } from './gsm7';
import { SmsLimiter, type HeldBack, type LimiterConfig, type Verdict } from './limiter';
import { nodeClusterSettings } from '../shared/cluster';
import { borrowRedis } from '../shared/redis-connection';
import { SharedLimits } from './shared-limits';
import { RedisLease } from '../shared/lease';
import { normalisePhone, parseNumberList } from './phone';
import { SendError, SendQueue, type Scheduler, type Settled } from './queue';
import { SEEN_IDS_LIMITS, SeenIds } from './replay';
import { AndroidTransport, androidStateResult } from './transports/android';
import { DeviceMqttTransport, parseDeviceSmsMessage } from './transports/device-mqtt';
import { buildTransport, positiveNumber } from './transports/factory';
import { SerialModemTransport } from './transports/serial';
import type { InboundSms, OutgoingSms, SendReceipt, Transport } from './transports/transport';
import type { DeliveryResult, InboundReport, SmsGatewayBridgeDef } from './types';
import { handleAndroidWebhook, handleTwilioWebhook, type WebhookRequest } from './webhooks';

interface QueuedSms extends OutgoingSms {
  id: string;
  kind: 'alert' | 'presence' | 'custom' | 'reply' | 'summary';
}

type Outputs = [NodeMessage | null, NodeMessage | null, NodeMessage | null, NodeMessage | null];
const RESULT = 0;
const COMMAND = 1;
const TRANSPORT = 2;
const INBOUND = 3;
/** Context key of the persisted limiter state. */
const STATE_KEY = 'smsLimiter';
/** Context key of the persisted webhook message ids already run (replays run once). */
const SEEN_KEY = 'smsSeenIds';
/**
 * Context key of the SMS the limits let through that are not sent yet (waiting, or waiting for a
 * retry): a restart or redeploy sends them, with the same id (a device modem sends an id once).
 */
const UNSENT_KEY = 'smsUnsent';
const SMS_KINDS: ReadonlySet<string> = new Set<QueuedSms['kind']>(['alert', 'presence', 'custom', 'reply', 'summary']);

/** The stored unsent SMS that have the QueuedSms shape; anything else is dropped. */
function unsentOf(stored: unknown): QueuedSms[] {
  if (!Array.isArray(stored)) return [];
  return stored.filter(
    (sms: unknown): sms is QueuedSms =>
      typeof sms === 'object' &&
      sms !== null &&
      typeof (sms as QueuedSms).id === 'string' &&
      typeof (sms as QueuedSms).to === 'string' &&
      typeof (sms as QueuedSms).text === 'string' &&
      SMS_KINDS.has((sms as QueuedSms).kind) &&
      ['string', 'undefined'].includes(typeof (sms as QueuedSms).device),
  );
}

/** How long the SMS that waited at a restart wait for the broker connection of a device-modem transport. */
const MQTT_WAIT_MS = 30_000;

/** The limiter state is written at most this often (and on close), not per SMS. */
const SAVE_DELAY_MS = 1000;

interface HttpReq {
  headers?: Record<string, unknown>;
  protocol?: string;
  originalUrl?: string;
  url?: string;
}

function outputs(index: number, msg: NodeMessage): Outputs {
  const out: Outputs = [null, null, null, null];
  out[index] = msg;
  return out;
}

function init(RED: NodeAPI): void {
  const settingsOf = RED.settings as unknown as Record<string, unknown>;
  const summaryInterval = positiveNumber(settingsOf.smsGatewayBridgeSummaryInterval, 60000);

  function SmsGatewayBridge(this: Node, config: SmsGatewayBridgeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const t = (key: string, values?: Record<string, string | number>) => RED._(`sms-gateway-bridge.${key}`, values);
    const gatewayNode: unknown = config.gateway ? RED.nodes.getNode(config.gateway) : undefined;
    const gateway: SmsGatewayConfigNode | undefined = isSmsGatewayConfigNode(gatewayNode) ? gatewayNode : undefined;
    const gatewaySettings = gateway?.settings ?? {};
    const credentials = gateway?.credentials ?? {};
    const defaultCountry = gatewaySettings.defaultCountry;
    const recipients = parseNumberList(config.recipients, defaultCountry);
    const whitelist = config.whitelist?.trim() ? parseNumberList(config.whitelist, defaultCountry) : recipients;
    for (const bad of [...recipients.invalid, ...whitelist.invalid]) node.warn(t('errors.bad-number', { number: bad }));
    const levels = config.levels === 'all' ? ['warning', 'critical'] : ['critical'];
    const presence = config.presence ?? 'off';
    const maxSegments = Math.max(1, positiveNumber(config.maxSegments, 3));
    const requireSignature = config.requireSignature !== false;
    const compose: ComposeOptions = { timeZone: config.timeZone || Intl.DateTimeFormat().resolvedOptions().timeZone };
    /** context store for the limits; undefined: memory only, a restart starts them afresh */
    const { store, fallback: storeMissing } = resolveStore(RED.settings, config.store);
    if (storeMissing) node.warn(t('errors.no-store', { store: (config.store ?? '').trim() }));
    // Looked up at first use, and again until found: config nodes start in flow order.
    let linkedFleet: FleetLink | undefined;
    const fleet = () => (linkedFleet ??= fleetOf(RED.nodes, config.fleet));
    const limits: LimiterConfig = {
      ratePerRecipient: positiveNumber(config.ratePerHour, 5),
      rateWindowMs: 3600000,
      dailyCap: positiveNumber(config.dailyCap, 50),
      dedupWindowMs: positiveNumber(config.dedupMinutes, 30) * 60000,
    };
    // Replaced by the stored one once loaded; until then only the status reads it.
    let limiter = new SmsLimiter(limits);
    // REDIS_URL set: the limits are shared with the other instances, which run the same flows
    // (so the node id names the same bridge on each)
    const cluster = nodeClusterSettings((reason) => node.error(t('errors.bad-cluster', { reason })));
    const redis = cluster ? borrowRedis(cluster.redisUrl) : undefined;
    const sharedLimits = cluster && redis ? new SharedLimits(redis.client, `${cluster.keyPrefix}sms:${node.id}:limits`, limits) : undefined;
    // the summary check runs on one instance at a time (the limits would hand a summary out once
    // anyway; the lease spares the others the polling)
    const summaryLease =
      cluster && redis ? new RedisLease(redis.client, { key: `${cluster.keyPrefix}sms:${node.id}:summaries`, holder: cluster.instanceId }) : undefined;
    /** shared decisions are taken one after another, so SMS keep their order */
    let sharedChain: Promise<void> = Promise.resolve();
    // Webhook message ids already run, kept beside the limits.
    let seenIds = new SeenIds(SEEN_IDS_LIMITS);
    // What STATUS answers from when no fleet node is linked (with one, its state is used: it
    // survives restarts and a copy here would only double the memory per device).
    const readings = new Map<string, Reading>();
    const activeAlerts = new Map<string, Map<string, AlertLevel>>();
    const timers = new Set<ReturnType<typeof setTimeout>>();
    const scheduler: Scheduler = {
      setTimeout(fn, ms) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          fn();
        }, ms);
        timers.add(timer);
        return timer;
      },
      clearTimeout(handle) {
        for (const timer of timers) if (timer === handle) {
          clearTimeout(timer);
          timers.delete(timer);
        }
      },
    };
    let failed = 0;
    let lastFailed = false;
    let signalText = '';
    let modemProblem = '';

    let closing = false;
    // Until the stored limits are loaded, everything that reaches the limiter waits here in
    // arrival order; `waiting` holds the input's done so a close can still finish it.
    let loaded = false;
    const waiting: Array<{ run: () => void; done?: (err?: Error) => void }> = [];
    const afterLoad = (run: () => void, done?: (err?: Error) => void) => {
      if (loaded) run();
      else waiting.push({ run, done });
    };

    const updateStatus = () => {
      if (closing) return;
      const counts = limiter.counts();
      const text = t(storeMissing ? 'status.counts-memory' : 'status.counts', { sent: counts.sent - failed, held: counts.held + counts.duplicates, failed, queued: queue.length });
      const full = signalText ? `${signalText} ${text}` : text;
      if (modemProblem) setStatus(node, 'error', modemProblem);
      else if (lastFailed) setStatus(node, 'error', full);
      else if (queue.length > 0) setStatus(node, 'busy', full);
      else setStatus(node, 'ok', full);
    };

    const emitResult = (result: Omit<DeliveryResult, 'transport' | 'timestamp'>) => {
      const payload: DeliveryResult = { ...result, transport: gatewaySettings.transport ?? 'device-mqtt', timestamp: Date.now() };
      node.send(outputs(RESULT, { topic: `sms/${payload.status}`, payload } as NodeMessage));
      return payload;
    };

    const built = gateway
      ? buildTransport(gatewaySettings, credentials, {
          publish: (message) => node.send(outputs(TRANSPORT, { topic: message.topic, payload: message.payload } as NodeMessage)),
          scheduler,
          newId: () => randomUUID(),
          onInbound: (sms) => afterLoad(() => handleInbound(sms)),
          onSignal: (signal) => {
            signalText = signal.percent === null ? t('status.no-signal') : `${signal.percent}%`;
            updateStatus();
          },
          onModemState: (state) => {
            modemProblem = state === 'ready' ? '' : state === 'no-answer' ? t('status.no-answer') : state.slice(0, 30);
            if (state !== 'ready') node.warn(t('errors.modem', { state }));
            updateStatus();
          },
        })
      : undefined;
    const transport: Transport | undefined = built?.ok ? built.transport : undefined;
    if (!gateway) {
      node.error(t('errors.missing-config'));
      setStatus(node, 'error', t('status.no-config'));
    } else if (built && !built.ok) {
      node.error(t('errors.incomplete-config', { missing: built.missing }));
      setStatus(node, 'error', t('status.no-config'));
    }

    /** SMS the limits let through and not yet sent or given up, by id (kept in the store) */
    const unsent = new Map<string, QueuedSms>();
    const settle = (result: Settled<QueuedSms, SendReceipt>) => {
      const sms = result.item;
      // Stopped before it went out (closed while waiting or between retries): it stays unsent and
      // goes out after the restart. Without a store it would be lost, so it is reported failed.
      if (closing && store && !result.ok) return;
      unsent.delete(sms.id);
      unsentChanged();
      const info = segmentInfo(sms.text);
      const common = { to: sms.to, text: sms.text, kind: sms.kind, device: sms.device, segments: info.segments, encoding: info.encoding, attempts: result.attempts };
      lastFailed = !result.ok;
      if (result.ok) emitResult({ status: 'sent', ...common, ref: result.receipt.ref, state: result.receipt.state });
      else {
        failed += 1;
        const payload = emitResult({
          status: 'failed',
          ...common,
          error: result.error.message,
          code: result.error instanceof SendError ? result.error.code : undefined,
        });
        // Catch nodes see failed deliveries; the flow goes on.
        node.error(t('errors.send-failed', { to: sms.to, error: result.error.message }), { topic: 'sms/failed', payload } as NodeMessage);
      }
      updateStatus();
    };

    const queue = new SendQueue<QueuedSms, SendReceipt>(
      (sms) => {
        if (!transport) return Promise.reject(new SendError(t('errors.missing-config'), false));
        return transport.send(sms);
      },
      settle,
      { maxAttempts: 1 + positiveNumber(config.retries, 3), baseDelayMs: positiveNumber(settingsOf.smsGatewayBridgeRetryDelay, 5000), maxDelayMs: 300000 },
      scheduler,
    );

    /** what each stored key holds now: the limits, the webhook ids already run, the unsent SMS */
    const snapshots: Record<string, () => unknown> = {
      [STATE_KEY]: () => limiter.toJSON(),
      [SEEN_KEY]: () => seenIds.toJSON(),
      [UNSENT_KEY]: () => [...unsent.values()],
    };
    /** the keys changed since the last save */
    const dirty = new Set<string>();
    let saveTimer: ReturnType<typeof setTimeout> | undefined;
    /** saves run one after another, so the last one written is the newest state */
    let saving: Promise<void> = Promise.resolve();
    const save = (): Promise<void> => {
      if (dirty.size === 0) return saving;
      const writes = [...dirty].map((key) => {
        const value = snapshots[key]?.();
        return () =>
          saveState(node.context(), key, value, store).catch((thrown: unknown) => {
            dirty.add(key);
            throw thrown;
          });
      });
      dirty.clear();
      saving = saving
        .then(() => Promise.all(writes.map((write) => write())))
        .then(() => undefined)
        .catch((thrown: unknown) => {
          node.warn(t('errors.save-failed', { error: errorOf(thrown).message }));
        });
      return saving;
    };
    /** Throttled: the first change starts the timer, later ones ride along with it. */
    const scheduleSave = () => {
      saveTimer ??= setTimeout(() => {
        saveTimer = undefined;
        void save();
      }, SAVE_DELAY_MS);
    };
    const changed = (key: string) => {
      if (!store) return;
      dirty.add(key);
      scheduleSave();
    };
    const limiterChanged = () => changed(STATE_KEY);
    const seenChanged = () => changed(SEEN_KEY);
    function unsentChanged() {
      changed(UNSENT_KEY);
    }
    const enqueue = (sms: QueuedSms) => {
      unsent.set(sms.id, sms);
      unsentChanged();
      queue.push(sms);
    };

    /** Limits first, then into the ordered queue. */
    const offer = (to: string, text: string, kind: QueuedSms['kind'], device?: string) => {
      const limitKind = kind === 'reply' ? 'reply' : 'alert';
      const decided = (verdict: Verdict) => {
        if (verdict.verdict === 'send') enqueue({ id: randomUUID(), to, text, kind, device });
        else emitResult({ status: verdict.verdict, to, text, kind, device, reason: verdict.verdict === 'held' ? verdict.reason : 'duplicate' });
        updateStatus();
      };
      if (!sharedLimits) {
        const verdict = limiter.admit(to, text, Date.now(), limitKind);
        limiterChanged();
        decided(verdict);
        return;
      }
      sharedChain = sharedChain.then(() =>
        sharedLimits.admit(to, text, Date.now(), limitKind).then(
          (shared) => {
            limiter.addCounts(shared.limiter.counts());
            if (!closing) decided(shared.verdict);
          },
          (thrown: unknown) => {
            // an alert is not lost because Redis fails: this instance's own limits decide
            node.warn(t('errors.shared-limits-failed', { error: errorOf(thrown).message }));
            if (!closing) decided(limiter.admit(to, text, Date.now(), limitKind));
          },
        ),
      );
    };

    const sendVia = (device: string | undefined) => gatewaySettings.sendVia || device;

    const inboundBase = (sms: InboundSms) => {
      const number = normalisePhone(sms.from, defaultCountry);
      return { from: sms.from, ...(number ? { number } : {}), text: sms.text, transport: gatewaySettings.transport ?? 'device-mqtt', timestamp: sms.timestamp };
    };
    const reportInbound = (base: ReturnType<typeof inboundBase>, rest: Pick<InboundReport, 'accepted' | 'reason'> & Partial<InboundReport>) => {
      const payload: InboundReport = { ...base, ...rest };
      node.send(outputs(INBOUND, { topic: `sms/inbound/${payload.reason}`, payload } as NodeMessage));
    };

    function handleInbound(sms: InboundSms) {
      const base = inboundBase(sms);
      const { number } = base;
      const report = (payload: InboundReport) => node.send(outputs(INBOUND, { topic: `sms/inbound/${payload.reason}`, payload } as NodeMessage));
      if (sms.handled) {
        node.log(t('log.handled-by-device', { from: sms.from, device: sms.device ?? '?' }));
        return report({ ...base, accepted: true, reason: 'handled-by-device', device: sms.device });
      }
      if (!number || !whitelist.numbers.includes(number)) {
        node.warn(t('errors.unknown-number', { from: sms.from }));
        return report({ ...base, accepted: false, reason: 'unknown-number' });
      }
      const command = parseCommand(sms.text);
      const linked = fleet();
      const devices = linked ? fleetDevices(linked.state) : seenDevices(readings, activeAlerts);
      // A device's modem report may command that device alone (commands.ts, viaDevice).
      const outcome = runCommand(command, { devices, viaDevice: sms.device, now: Date.now() });
      if (outcome.refused) {
        node.warn(t('errors.other-device', { from: sms.from, device: sms.device ?? '?', requested: outcome.requested ?? '' }));
        offer(number, outcome.reply, 'reply', sendVia(sms.device));
        return report({ ...base, accepted: false, reason: outcome.refused, command: command.cmd, device: outcome.device, requested: outcome.requested, reply: outcome.reply });
      }
      if (outcome.deviceCommand) node.send(outputs(COMMAND, { topic: topics.cmd(outcome.deviceCommand.device), payload: { cmd: outcome.deviceCommand.cmd } } as NodeMessage));
      offer(number, outcome.reply, 'reply', sendVia(sms.device ?? outcome.device));
      report({ ...base, accepted: true, reason: 'command', command: command.cmd, device: outcome.device, reply: outcome.reply });
    }

    const requestUrl = (req: HttpReq) => {
      if (gatewaySettings.webhookUrl) return gatewaySettings.webhookUrl;
      const headers = req.headers ?? {};
      const proto = typeof headers['x-forwarded-proto'] === 'string' ? headers['x-forwarded-proto'].split(',')[0]?.trim() : req.protocol;
      const host = typeof headers['x-forwarded-host'] === 'string' ? headers['x-forwarded-host'] : headers.host;
      return `${proto ?? 'http'}://${String(host ?? 'localhost')}${req.originalUrl ?? req.url ?? '/'}`;
    };

    const onWebhook = (msg: NodeMessageInFlow & { req?: HttpReq }, done: (err?: Error) => void) => {
      const req = msg.req ?? {};
      const request: WebhookRequest = { payload: msg.payload, headers: req.headers ?? {}, url: requestUrl(req) };
      const kind = gatewaySettings.transport;
      if (kind !== 'twilio' && kind !== 'android') {
        node.send(outputs(TRANSPORT, { ...msg, statusCode: 404, payload: 'no webhook transport configured' } as NodeMessage));
        return failInput(node, done, t('status.bad-webhook'), t('errors.webhook-transport', { transport: kind ?? '-' }));
      }
      const now = Date.now();
      const outcome =
        kind === 'twilio'
          ? handleTwilioWebhook(request, credentials.twilioAuthToken, requireSignature, now)
          : handleAndroidWebhook(request, credentials.androidSigningKey, requireSignature, now);
      node.send(outputs(TRANSPORT, { ...msg, statusCode: outcome.answer.statusCode, headers: outcome.answer.headers, payload: outcome.answer.payload } as NodeMessage));
      if (outcome.problem) return failInput(node, done, t(`status.${outcome.problem}`), t(`errors.${outcome.problem}`, { detail: outcome.detail ?? '' }));
      if (outcome.replayKey && (outcome.inbound || outcome.delivery)) {
        if (!seenIds.firstSeen(outcome.replayKey, now)) {
          // Answered like the first time (so the gateway stops retrying), run only once.
          node.log(t('log.replayed', { id: outcome.replayKey }));
          if (outcome.inbound) reportInbound(inboundBase(outcome.inbound), { accepted: false, reason: 'replayed' });
          updateStatus();
          return done();
        }
        seenChanged();
      }
      if (outcome.inbound) handleInbound(outcome.inbound);
      if (outcome.delivery) {
        const state = outcome.delivery.state;
        const status = state === 'delivered' ? 'delivered' : state === 'failed' || state === 'undelivered' ? 'delivery-failed' : 'sent-report';
        emitResult({ status, ref: outcome.delivery.ref, state, to: outcome.delivery.recipient, reason: outcome.delivery.reason });
      }
      updateStatus();
      done();
    };

    /** msg.smsState: the gateway's answer becomes a delivery result, so messages the webhook missed can be polled. */
    const queryState = async (id: string, done: (err?: Error) => void) => {
      if (!transport) return failInput(node, done, t('status.no-config'), t('errors.missing-config'));
      if (!(transport instanceof AndroidTransport)) return failInput(node, done, t('status.state-unsupported'), t('errors.state-unsupported', { transport: transport.kind }));
      try {
        emitResult(androidStateResult(await transport.state(id)));
        updateStatus();
        done();
      } catch (thrown) {
        const error = t('errors.state-failed', { id, error: errorOf(thrown).message });
        // After close the status must stay cleared; the error still reaches Catch nodes.
        if (closing) done(new Error(error));
        else failInput(node, done, t('status.state-failed'), error);
      }
    };

    const enqueueSummaries = (due: readonly HeldBack[]) => {
      for (const held of due) enqueue({ id: randomUUID(), to: held.to, text: composeHeldBackSummary(held.count, held.since, compose), kind: 'summary', device: sendVia(undefined) });
      if (queue.length) updateStatus();
    };
    const sendSummaries = () => {
      if (summaryLease && !summaryLease.isHeld) return;
      if (!sharedLimits) {
        const due = limiter.dueSummaries(Date.now());
        if (due.length) limiterChanged();
        enqueueSummaries(due);
        return;
      }
      sharedChain = sharedChain.then(() =>
        sharedLimits.dueSummaries(Date.now()).then(
          (shared) => {
            limiter.addCounts(shared.limiter.counts());
            if (!closing) enqueueSummaries(shared.due);
          },
          (thrown: unknown) => node.warn(t('errors.shared-limits-failed', { error: errorOf(thrown).message })),
        ),
      );
    };

    /** a serial modem shows its own start-up status first */
    const countsAtStart = transport !== undefined && !(transport instanceof SerialModemTransport);
    let summaryTimer: ReturnType<typeof setInterval> | undefined;
    const begin = ([stored, storedSeen, storedUnsent]: [unknown, unknown, unknown]) => {
      if (closing) return;
      if (stored !== undefined) {
        const restored = SmsLimiter.fromJSON(stored, limits, Date.now());
        if (restored.ok) limiter = restored.value;
        else node.warn(t('errors.bad-state', { reason: restored.error }));
      }
      if (storedSeen !== undefined) {
        const restored = SeenIds.fromJSON(storedSeen, SEEN_IDS_LIMITS, Date.now());
        if (restored.ok) seenIds = restored.value;
        else node.warn(t('errors.bad-state', { reason: restored.error }));
      }
      // before anything new: they were let through first
      for (const sms of unsentOf(storedUnsent)) enqueue(sms);
      loaded = true;
      summaryTimer = setInterval(sendSummaries, summaryInterval);
      summaryLease?.start();
      if (countsAtStart) updateStatus();
      for (const entry of waiting.splice(0)) entry.run();
    };

    if (transport instanceof SerialModemTransport) {
      setStatus(node, 'busy', t('status.connecting'));
      transport.start().then(updateStatus, (error: unknown) => node.warn(t('errors.modem', { state: errorOf(error).message })));
    }
    /**
     * Device modems are reached through an mqtt out node, which drops what it gets before its broker
     * connection is up: the SMS that waited at a restart wait for it too (the fleet reads it every
     * second), at most MQTT_WAIT_MS.
     */
    const brokerConnected = (): Promise<void> => {
      const linked = fleet();
      if (!(transport instanceof DeviceMqttTransport) || linked === undefined) return Promise.resolve();
      const deadline = Date.now() + MQTT_WAIT_MS;
      return new Promise((resolve) => {
        const check = () => {
          if (closing || linked.state.health.mqtt_connected === true || Date.now() >= deadline) return resolve();
          const timer = setTimeout(() => {
            timers.delete(timer);
            check();
          }, 250);
          timers.add(timer);
        };
        check();
      });
    };

    if (!store) begin([undefined, undefined, undefined]);
    else {
      if (countsAtStart) setStatus(node, 'busy', t('status.loading'));
      Promise.all([loadState(node.context(), STATE_KEY, store), loadState(node.context(), SEEN_KEY, store), loadState(node.context(), UNSENT_KEY, store)])
        .catch((thrown: unknown): [unknown, unknown, unknown] => {
          node.warn(t('errors.load-failed', { error: errorOf(thrown).message }));
          return [undefined, undefined, undefined];
        })
        .then((values) => (unsentOf(values[2]).length > 0 ? brokerConnected().then(() => values) : values))
        .then(begin)
        .catch((thrown: unknown) => node.error(errorOf(thrown).message));
    }

    const handleInput = (msg: NodeMessageInFlow, done: (err?: Error) => void) => {
      try {
        const input = classifyInput(msg as NodeMessageInFlow & { to?: unknown; req?: unknown; res?: unknown; smsState?: unknown });
        switch (input.kind) {
          case 'webhook':
            return onWebhook(msg, done);
          case 'device-sms': {
            const parsed = parseDeviceSmsMessage(msg.topic, msg.payload, Date.now());
            if (typeof parsed === 'string') return failInput(node, done, t('status.bad-input'), t('errors.bad-device-sms', { detail: parsed }));
            if (parsed.kind === 'received') handleInbound(parsed.inbound);
            else if (parsed.kind === 'own-publish') return done();
            else if (!(transport instanceof DeviceMqttTransport) || !transport.acknowledge(parsed)) node.log(t('log.late-ack', { id: parsed.id }));
            return done();
          }
          case 'reading':
            if (!fleet()) readings.set(input.reading.device_id, input.reading);
            return done();
          case 'alert': {
            const alert = input.alert;
            if (!fleet()) {
              const active = activeAlerts.get(alert.device_id) ?? new Map<string, AlertLevel>();
              if (alert.state === 'cleared') active.delete(alert.alert_type);
              else active.set(alert.alert_type, alert.level);
              if (active.size > 0) activeAlerts.set(alert.device_id, active);
              else activeAlerts.delete(alert.device_id);
            }
            if (levels.includes(alert.level)) for (const to of recipients.numbers) offer(to, composeAlert(alert, compose), 'alert', sendVia(alert.device_id));
            return done();
          }
          case 'presence': {
            const wanted = presence === 'both' || (presence === 'offline' && input.presence.event === 'device_offline');
            if (wanted) for (const to of recipients.numbers) offer(to, composePresence(input.presence, compose), 'presence', sendVia(input.presence.device_id));
            return done();
          }
          case 'text': {
            if (segmentInfo(input.text).segments > maxSegments)
              return failInput(node, done, t('status.too-long'), t('errors.too-long', { segments: segmentInfo(input.text).segments, max: maxSegments }));
            // Node settings win: msg.to is used when given, else the configured recipients.
            const targets = input.to.length ? input.to.map((raw) => ({ raw, number: normalisePhone(raw, defaultCountry) })) : recipients.numbers.map((n) => ({ raw: n, number: n }));
            const bad = targets.filter((x) => !x.number).map((x) => x.raw);
            if (bad.length) return failInput(node, done, t('status.bad-number'), t('errors.bad-number', { number: bad.join(', ') }));
            for (const target of targets) if (target.number) offer(target.number, fitSegments(input.text, maxSegments), 'custom', sendVia(undefined));
            return done();
          }
          case 'state-query':
            void queryState(input.id, done);
            return;
          case 'bad-state-query':
            return failInput(node, done, t('status.bad-state-id'), t('errors.bad-state-id', { detail: input.reason }));
          case 'invalid':
            return failInput(node, done, t('status.bad-input'), t('errors.bad-input', { detail: input.reason }));
        }
      } catch (thrown) {
        failInput(node, done, t('status.bad-input'), errorOf(thrown));
      }
    };

    node.on('input', (msg, _send, done) =>
      afterLoad(() => {
        // STATUS reads the fleet: right after a start, wait until its saved state is restored
        const linked = fleet();
        if (linked && !linked.isReady) void linked.ready.then(() => handleInput(msg, done));
        else handleInput(msg, done);
      }, done),
    );

    node.on('close', (_removed: boolean, done: () => void) => {
      closing = true;
      clearInterval(summaryTimer);
      clearTimeout(saveTimer);
      saveTimer = undefined;
      for (const entry of waiting.splice(0)) entry.done?.(new Error(t('errors.closed')));
      queue.close();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const transportClosed = transport ? transport.close() : Promise.resolve();
      // The last changes are written before done, so a restart finds them.
      const released = (summaryLease?.stop() ?? Promise.resolve()).then(() => redis?.release());
      Promise.all([transportClosed.catch(() => undefined), save(), released]).finally(() => {
        clearStatus(node);
        done();
      });
    });
  }

  RED.nodes.registerType('sms-gateway-bridge', SmsGatewayBridge, {
    settings: {
      smsGatewayBridgeSummaryInterval: { value: 60000, exportable: true },
      smsGatewayBridgeRetryDelay: { value: 5000, exportable: true },
    },
  });
}

export = init;
