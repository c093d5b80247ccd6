// Node-RED glue of threshold-alert: config -> engine (engine.ts, pure), state load/save through a
// context store, messages in order (queued until the stored state is loaded), events reported to
// the fleet's state owner, status; the alert rules API (rules-api.ts) and rule changes out to the
// change log. Exports the default rules as runtime settings for the editor.
import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { AlertEvent } from '../shared/contract';
import { errorOf, failInput } from '../shared/errors';
import { fleetOf, type FleetLink } from '../shared/fleet-link';
import { httpCallOf, type HttpCall } from '../shared/http-call';
import { loadText, resolveStore, saveAsText } from '../shared/persist';
import { err, ok, type Result } from '../shared/result';
import { setStatus } from '../shared/status';
import { PacedStatus } from '../shared/paced-status';
import { Coalescer } from '../shared/coalesce';
import { nodeClusterSettings } from '../shared/cluster';
import { borrowRedis, closeRedis, follow, openRedis } from '../shared/redis-connection';
import { SharedHash } from '../shared/shared-hash';
import { SharedAlertStates } from './shared-state';
import { AlertEngine, deviceAlertInput, isAlertShape, readingInput, type ProcessResult } from './engine';
import type { DeviceInput } from './evaluate';
import { DEFAULT_COOLDOWN_SECONDS, DEFAULT_FAULT_AFTER_SECONDS, DEFAULT_RULES, parseControl, parseDeviceOverrides, parseOverrideTable, parseRules, type ControlCommand } from './rules';
import { editorChanges, editorTableOf, parseRulesRequest, ruleChanges, rulesAnswer, ruleSettingChange, type DeviceRuleChange, type RuleSettingChange } from './rules-api';
import type { AlertMsg, AnnotatedMsg, ThresholdAlertDef } from './types';

const TYPE = 'threshold-alert';
const STATE_KEY = 'thresholdAlertState';
/**
 * State changed by readings is saved at most this often: a save copies every device's state, so
 * one per reading would cost a fleet of n new devices n² copies. API, control and reset changes
 * are saved at once; close saves what is left.
 */
const SAVE_PACE_MS = 1000;

type Send = (msg: Array<NodeMessage | NodeMessage[] | null>) => void;
type SettingMsg = NodeMessage & { payload: RuleSettingChange };
type Done = (err?: Error) => void;
type InputMsg = NodeMessageInFlow & { reset?: unknown; invalid?: unknown; thresholds?: unknown };
type ArrayInputMsg = InputMsg & { payload: unknown[] };

/** A seconds setting: blank means the default, anything else must be a number >= 0. */
function seconds(value: unknown, fallback: number, name: string): Result<number, string> {
  if (value === undefined || value === null || value === '') return ok(fallback);
  const parsed = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(parsed) && parsed >= 0 ? ok(parsed) : err(`${name} must be a number of seconds >= 0`);
}

const init = (RED: NodeAPI): void => {
  function ThresholdAlert(this: Node, config: ThresholdAlertDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const storeName = typeof config.store === 'string' ? config.store.trim() : '';
    const { store, fallback } = resolveStore(RED.settings, storeName);
    const rules = parseRules(config.rules);
    const overrides = rules.ok ? parseOverrideTable(config.overrides, rules.value) : rules;
    const cooldown = seconds(config.cooldown, DEFAULT_COOLDOWN_SECONDS, 'cooldown');
    const faultAfter = seconds(config.faultAfter, DEFAULT_FAULT_AFTER_SECONDS, 'faultAfter');
    const readingsEvery = seconds(config.readingsEvery, 0, 'readingsEvery');
    const configProblem = [rules, overrides, cooldown, faultAfter, readingsEvery].find((r) => !r.ok);
    if (!rules.ok || !overrides.ok || !cooldown.ok || !faultAfter.ok || !readingsEvery.ok) {
      const message = RED._('threshold-alert.errors.bad-config', { reason: configProblem && !configProblem.ok ? configProblem.error : '' });
      node.error(message);
      setStatus(node, 'error', RED._('threshold-alert.status.bad-config'));
      node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
        // an API caller still gets an answer
        if (httpCallOf(msg) !== undefined) send([null, null, { ...msg, statusCode: 503, payload: { error: message }, headers: { 'content-type': 'application/json; charset=utf-8' } }]);
        failInput(node, done, RED._('threshold-alert.status.bad-config'), message);
      });
      return;
    }
    const engine = new AlertEngine({
      rules: rules.value,
      overrides: overrides.value,
      cooldownSeconds: cooldown.value,
      faultAfterSeconds: faultAfter.value,
    });
    let lastDevice = '';
    // REDIS_URL set: the device states are shared with the other instances of the cluster, which
    // run the same flows (so the node id names the same node on each)
    const cluster = nodeClusterSettings((reason) => node.error(RED._('threshold-alert.errors.bad-cluster', { reason })));
    const redis = cluster ? borrowRedis(cluster.redisUrl) : undefined;
    const shared = cluster && redis ? new SharedAlertStates(redis.client, `${cluster.keyPrefix}alerts:${node.id}:`) : undefined;
    const sharedOverrides = cluster && redis ? new SharedHash(redis.client, `${cluster.keyPrefix}alerts:${node.id}:overrides`) : undefined;
    // a subscribed connection takes no other commands: the announcements get one of their own
    const overrideFeed = cluster && sharedOverrides ? openRedis(cluster.redisUrl) : undefined;
    /** Runs an engine step about one device, on its shared state when there is one. */
    const evaluate = <T extends { changed: boolean }>(deviceId: string, step: () => T): Promise<T> => (shared ? shared.update(engine, deviceId, step) : Promise.resolve(step()));
    // The state would be lost at a restart without anyone noticing: say so once in the log and
    // on every status.
    if (fallback) node.warn(RED._('threshold-alert.errors.no-store', { store: storeName }));

    // Looked up at first use: config nodes need not be started before this node.
    const fleetId = typeof config.fleet === 'string' ? config.fleet : '';
    let fleet: FleetLink | undefined;
    let fleetMissingTold = false;
    const report = (events: readonly AlertEvent[]): void => {
      if (fleetId === '' || events.length === 0) return;
      fleet ??= fleetOf(RED.nodes, fleetId);
      if (fleet === undefined) {
        if (!fleetMissingTold) node.warn(RED._('threshold-alert.errors.no-fleet', { id: fleetId }));
        fleetMissingTold = true;
        return;
      }
      for (const event of events) fleet.alert(event);
    };

    const status = new PacedStatus(node);
    const showStatus = (): void => {
      const { warning, critical } = engine.counts();
      const count = warning + critical;
      const device = lastDevice;
      if (fallback) {
        const text = () => (count === 0 ? RED._('threshold-alert.status.memory-only', { store: storeName }) : RED._('threshold-alert.status.active-memory', { count }));
        status.show(critical > 0 ? 'error' : 'busy', text);
        return;
      }
      const text = () => (device === '' ? RED._('threshold-alert.status.active-all', { count }) : RED._('threshold-alert.status.active', { count, device }));
      status.show(critical > 0 ? 'error' : warning > 0 ? 'busy' : 'ok', text);
    };
    const save = (): Promise<void> => saveAsText(node.context(), STATE_KEY, () => engine.snapshot(), store);
    let pacedSave: NodeJS.Timeout | undefined;
    const saveInChain = (): void => {
      pacedSave = undefined;
      queue = queue.then(save).catch((thrown: unknown) => node.error(RED._('threshold-alert.errors.save-failed', { reason: errorOf(thrown).message })));
    };
    const saveSoon = (): void => {
      pacedSave ??= setTimeout(saveInChain, SAVE_PACE_MS);
    };
    /** Rule changes as setting changes on output 4, for the change log. */
    const settingMsgs = (changes: readonly DeviceRuleChange[], source: RuleSettingChange['source'], author: string | null): SettingMsg[] => {
      const now = Date.now();
      return changes.map((change) => ({ payload: ruleSettingChange(change, source, author, now) }));
    };
    /** What a deploy changed in the editor's rules, compared with the table the stored state was saved under. */
    async function recordEditorChanges(stored: unknown): Promise<void> {
      const previous = editorTableOf((stored as { editor?: unknown } | undefined)?.editor);
      const changes = previous === undefined ? [] : editorChanges(previous, engine.editorTable());
      if (changes.length > 0) node.send([null, null, null, settingMsgs(changes, 'editor', null)]);
      // the first start keeps the table to compare the next deploy with
      if (previous === undefined || changes.length > 0) await save();
    }

    /**
     * Takes the shared run-time overrides as Redis has them: one device's (announced by the
     * instance that changed them) or every device's (at the start, and after a reconnect, when
     * announcements may have been missed). Another instance's changes go to the change log from
     * that instance, not again from this one.
     */
    async function adoptSharedOverrides(deviceId?: string): Promise<void> {
      if (!sharedOverrides) return;
      const entries: Array<[string, unknown]> =
        deviceId === undefined ? await sharedOverrides.all(engine.runtimeOverrideList()) : [[deviceId, await sharedOverrides.get(deviceId)]];
      const stored = new Set(entries.map(([id]) => id));
      if (deviceId === undefined) {
        for (const [id] of engine.runtimeOverrideList()) if (!stored.has(id)) engine.setOverrides({ deviceId: id, rules: null });
      }
      for (const [id, raw] of entries) {
        const parsed = raw === undefined ? ok(null) : parseDeviceOverrides(raw, engine.baseRules);
        const applied = parsed.ok ? engine.setOverrides({ deviceId: id, rules: parsed.value }) : parsed;
        if (!applied.ok) node.warn(RED._('threshold-alert.errors.bad-shared-overrides', { device: id, reason: applied.error }));
      }
      saveSoon();
    }
    const adoptInChain = (deviceId?: string): void => {
      queue = queue.then(() => adoptSharedOverrides(deviceId)).catch((thrown: unknown) => node.error(errorOf(thrown).message));
    };
    // Everything runs through this chain: messages that arrive while the stored state is still
    // loading wait for it, and every message is handled after the one before it.
    setStatus(node, 'busy', RED._('threshold-alert.status.loading'));
    let queue: Promise<void> = loadText(node.context(), STATE_KEY, store)
      .then(async (stored) => {
        for (const problem of engine.restore(stored)) node.warn(RED._('threshold-alert.errors.bad-state', { reason: problem }));
        await adoptSharedOverrides();
        return recordEditorChanges(stored);
      })
      .catch((thrown: unknown) => node.error(RED._('threshold-alert.errors.load-failed', { reason: errorOf(thrown).message })))
      .then(showStatus);

    if (overrideFeed && sharedOverrides) {
      follow(overrideFeed, sharedOverrides.channel, { message: (deviceId) => adoptInChain(deviceId), reconnected: () => adoptInChain() }).catch((thrown: unknown) =>
        node.error(errorOf(thrown).message),
      );
    }

    // With readingsEvery, output 2 carries at most one message per device that often:
    // the first at once, then the latest, so a display is not fed at the ingest rate.
    const readingsOut =
      readingsEvery.value > 0 ? new Coalescer<AnnotatedMsg>(readingsEvery.value * 1000, (annotated) => node.send([null, annotated])) : undefined;

    /** Events out on output 1 and into the fleet; readings (only) on output 2, one message per device (`annotated`, by device). */
    async function emit(deviceId: string, result: ProcessResult, annotated: ReadonlyMap<string, AnnotatedMsg> | null, send: Send, done: Done): Promise<void> {
      lastDevice = deviceId;
      const events: AlertMsg[] = result.events.map((event) => ({ topic: event.device_id, payload: event }));
      if (readingsOut !== undefined && annotated !== null) {
        for (const [device, out] of annotated) readingsOut.offer(device, out);
        if (events.length > 0) send([events, null]);
      } else if (events.length > 0 || annotated !== null) send([events.length > 0 ? events : null, annotated === null ? null : [...annotated.values()]]);
      report(result.events);
      if (result.changed) saveSoon();
      showStatus();
      done();
    }

    /** Sets or removes a device's overrides (for every instance, when shared); the rule changes it made. */
    async function changeOverrides(command: ControlCommand): Promise<Result<DeviceRuleChange[], string>> {
      const before = engine.rulesFor(command.deviceId);
      const applied = engine.setOverrides(command);
      if (!applied.ok) return applied;
      await sharedOverrides?.set(command.deviceId, command.rules);
      await save();
      return ok(ruleChanges(before, engine.rulesFor(command.deviceId)).map((change) => ({ device_id: command.deviceId, ...change })));
    }

    /** GET/PUT/DELETE /api/devices/{id}/rules: the answer on output 3, the changes on output 4. */
    async function answerApi(msg: InputMsg, call: HttpCall, send: Send, done: Done): Promise<void> {
      const reply = (statusCode: number, payload: unknown, settings: SettingMsg[] = []) =>
        send([null, null, { ...msg, statusCode, payload, headers: { 'content-type': 'application/json; charset=utf-8' } }, settings.length > 0 ? settings : null]);
      const request = parseRulesRequest(call, engine.baseRules);
      // a bad API call is the caller's mistake, answered with a JSON error, not a flow error
      if (!request.ok) {
        reply(request.error.statusCode, { error: request.error.error });
        done();
        return;
      }
      const { deviceId } = request.value;
      const answerNow = () => {
        const overrides = engine.overridesOf(deviceId);
        return rulesAnswer(deviceId, engine.baseRules, overrides.editor, overrides.device);
      };
      if (request.value.kind === 'get') {
        reply(200, answerNow());
        done();
        return;
      }
      const rules = request.value.kind === 'put' ? request.value.overrides : null;
      try {
        const changed = await changeOverrides({ deviceId, rules });
        if (!changed.ok) reply(409, { error: changed.error });
        else reply(200, answerNow(), settingMsgs(changed.value, 'api', request.value.author));
        showStatus();
        done();
      } catch (thrown) {
        reply(500, { error: 'the alert rules could not be saved' });
        throw thrown;
      }
    }

    async function handle(msg: InputMsg, send: Send, done: Done): Promise<void> {
      const call = httpCallOf(msg);
      if (call !== undefined) {
        await answerApi(msg, call, send, done);
        return;
      }
      // Control by message properties only: any msg.topic that is a safe device id is a device.
      if (msg.thresholds !== undefined) {
        const command = parseControl(msg.thresholds, engine.baseRules);
        const changed = command.ok ? await changeOverrides(command.value) : command;
        if (!changed.ok) {
          status.fail(done, RED._('threshold-alert.status.bad-control'), RED._('threshold-alert.errors.bad-control', { reason: changed.error }));
          return;
        }
        if (changed.value.length > 0) send([null, null, null, settingMsgs(changed.value, 'flow', null)]);
        showStatus();
        done();
        return;
      }
      if (msg.reset === true) {
        const deviceId = typeof msg.topic === 'string' && msg.topic !== '' ? msg.topic : undefined;
        await shared?.reset(deviceId);
        if (engine.reset(deviceId)) await save();
        showStatus();
        done();
        return;
      }
      if (isAlertShape(msg.payload)) {
        const alert = deviceAlertInput(msg.payload, msg.topic, Date.now());
        const result = alert.ok
          ? (await evaluate(alert.value.deviceId, () => {
              const processed = engine.processDeviceAlert(alert.value);
              return { processed, changed: processed.ok && processed.value.changed };
            })).processed
          : alert;
        if (!alert.ok || !result.ok) {
          const reason = !alert.ok ? alert.error : !result.ok ? result.error : '';
          status.fail(done, RED._('threshold-alert.status.bad-alert'), RED._('threshold-alert.errors.bad-alert', { reason }));
          return;
        }
        await emit(alert.value.deviceId, result.value, null, send, done);
        return;
      }
      if (Array.isArray(msg.payload)) {
        await handleArray(msg as ArrayInputMsg, send, done);
        return;
      }
      const input = readingInput(msg.payload, msg.topic, msg.invalid, Date.now());
      if (!input.ok) {
        status.fail(done, RED._('threshold-alert.status.bad-reading'), RED._('threshold-alert.errors.bad-reading', { reason: input.error }));
        return;
      }
      const result = await evaluate(input.value.deviceId, () => engine.process(input.value));
      await emit(input.value.deviceId, result, new Map([[input.value.deviceId, { ...msg, alerts: result.alerts }]]), send, done);
    }

    /**
     * An array of readings (heatpump-decode's readings and gathered modes) in one message: all are
     * checked before any is evaluated, so a bad element refuses the message as a whole; output 2
     * carries the message once with msg.alerts an array, the device's levels after each element.
     * An array of several devices' readings (gathered) goes out as one message per device, its
     * elements in their order: a display takes a message's last reading as its device's latest.
     */
    async function handleArray(msg: ArrayInputMsg, send: Send, done: Done): Promise<void> {
      const now = Date.now();
      const invalid = Array.isArray(msg.invalid) ? (msg.invalid as unknown[]) : [];
      const inputs: DeviceInput[] = [];
      for (const [index, element] of msg.payload.entries()) {
        const input = readingInput(element, msg.topic, invalid[index], now);
        if (!input.ok) {
          status.fail(done, RED._('threshold-alert.status.bad-reading'), RED._('threshold-alert.errors.bad-reading', { reason: `[${index}] ${input.error}` }));
          return;
        }
        inputs.push(input.value);
      }
      const combined: ProcessResult = { events: [], alerts: {}, changed: false };
      const levels: ProcessResult['alerts'][] = [];
      const indexesByDevice = new Map<string, number[]>();
      inputs.forEach((input, index) => {
        const indexes = indexesByDevice.get(input.deviceId);
        if (indexes) indexes.push(index);
        else indexesByDevice.set(input.deviceId, [index]);
      });
      // each device's readings as one step on its (possibly shared) state, in their order
      for (const [deviceId, indexes] of indexesByDevice) {
        const step = await evaluate(deviceId, () => {
          const processed = indexes.map((index) => engine.process(inputs[index] as DeviceInput));
          return { processed, changed: processed.some((result) => result.changed) };
        });
        step.processed.forEach((result, i) => {
          combined.events.push(...result.events);
          combined.changed ||= result.changed;
          levels[indexes[i] as number] = result.alerts;
        });
      }
      const deviceId = inputs[inputs.length - 1]?.deviceId ?? lastDevice;
      const annotated = new Map<string, AnnotatedMsg>();
      if (indexesByDevice.size === 1) annotated.set(deviceId, { ...msg, alerts: levels });
      else {
        const pick = (value: unknown, indexes: number[]): unknown => (Array.isArray(value) ? indexes.map((index) => value[index] as unknown) : value);
        const { invalid, invalidReasons } = msg as { invalid?: unknown; invalidReasons?: unknown };
        for (const [device, indexes] of indexesByDevice) {
          const own: AnnotatedMsg = { ...msg, topic: device, payload: pick(msg.payload, indexes), alerts: indexes.map((index) => levels[index] as ProcessResult['alerts']) };
          // the lists of fields left out, for this device's readings, where the input has them
          if (invalid !== undefined) own.invalid = pick(invalid, indexes);
          if (invalidReasons !== undefined) own.invalidReasons = pick(invalidReasons, indexes);
          annotated.set(device, own);
        }
      }
      await emit(deviceId, combined, inputs.length === 0 ? null : annotated, send, done);
    }

    node.on('input', (msg: InputMsg, send: Send, done: Done) => {
      queue = queue.then(() =>
        handle(msg, send, done).catch((thrown: unknown) => status.fail(done, RED._('threshold-alert.status.failed'), errorOf(thrown))),
      );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      // Let queued messages and their saves finish so a restart finds the latest state.
      if (pacedSave !== undefined) {
        clearTimeout(pacedSave);
        saveInChain();
      }
      void queue.finally(async () => {
        readingsOut?.close();
        if (overrideFeed) await closeRedis(overrideFeed);
        await redis?.release();
        status.cancel();
        node.status({});
        done();
      });
    });
  }

  // The editor takes its defaults from here (RED.settings.thresholdAlertDefault*), so the numbers
  // live in ../shared/thresholds.ts only.
  RED.nodes.registerType(TYPE, ThresholdAlert, {
    settings: {
      thresholdAlertDefaultRules: { value: DEFAULT_RULES.map((rule) => ({ ...rule })), exportable: true },
      thresholdAlertDefaultCooldown: { value: DEFAULT_COOLDOWN_SECONDS, exportable: true },
      thresholdAlertDefaultFaultAfter: { value: DEFAULT_FAULT_AFTER_SECONDS, exportable: true },
    },
  });
};

export = init;
