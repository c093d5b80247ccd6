// Node-RED glue of threshold-alert: config -> engine (engine.ts, pure), state load/save through a
// context store, messages in order (queued until the stored state is loaded), status.
import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import { errorOf, failInput } from '../shared/errors';
import { loadState, saveState } from '../shared/persist';
import { err, ok, type Result } from '../shared/result';
import { setStatus } from '../shared/status';
import { PacedStatus } from '../shared/paced-status';
import { AlertEngine, readingInput } from './engine';
import { CONTROL_TOPIC, DEFAULT_COOLDOWN_SECONDS, DEFAULT_FAULT_AFTER_SECONDS, parseControl, parseOverrideTable, parseRules } from './rules';
import type { AlertMsg, AnnotatedMsg, ThresholdAlertDef } from './types';

const STATE_KEY = 'thresholdAlertState';

type Send = (msg: Array<NodeMessage | NodeMessage[] | null>) => void;
type Done = (err?: Error) => void;

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
    const store = typeof config.store === 'string' && config.store.trim() !== '' ? config.store.trim() : undefined;
    const rules = parseRules(config.rules);
    const overrides = rules.ok ? parseOverrideTable(config.overrides, rules.value) : rules;
    const cooldown = seconds(config.cooldown, DEFAULT_COOLDOWN_SECONDS, 'cooldown');
    const faultAfter = seconds(config.faultAfter, DEFAULT_FAULT_AFTER_SECONDS, 'faultAfter');
    const configProblem = [rules, overrides, cooldown, faultAfter].find((r) => !r.ok);
    if (!rules.ok || !overrides.ok || !cooldown.ok || !faultAfter.ok) {
      const message = RED._('threshold-alert.errors.bad-config', { reason: configProblem && !configProblem.ok ? configProblem.error : '' });
      node.error(message);
      setStatus(node, 'error', RED._('threshold-alert.status.bad-config'));
      node.on('input', (_msg: NodeMessageInFlow, _send: Send, done: Done) => failInput(node, done, RED._('threshold-alert.status.bad-config'), message));
      return;
    }
    const engine = new AlertEngine({
      rules: rules.value,
      overrides: overrides.value,
      cooldownSeconds: cooldown.value,
      faultAfterSeconds: faultAfter.value,
    });
    let lastDevice = '';

    const status = new PacedStatus(node);
    const showStatus = (): void => {
      const { warning, critical } = engine.counts();
      const count = warning + critical;
      const device = lastDevice;
      const text = () => (device === '' ? RED._('threshold-alert.status.active-all', { count }) : RED._('threshold-alert.status.active', { count, device }));
      status.show(critical > 0 ? 'error' : warning > 0 ? 'busy' : 'ok', text);
    };
    const save = (): Promise<void> => saveState(node.context(), STATE_KEY, engine.snapshot(), store);

    // Everything runs through this chain: messages that arrive while the stored state is still
    // loading wait for it, and every message is handled after the one before it.
    setStatus(node, 'busy', RED._('threshold-alert.status.loading'));
    let queue: Promise<void> = loadState(node.context(), STATE_KEY, store)
      .then((stored) => {
        for (const problem of engine.restore(stored)) node.warn(RED._('threshold-alert.errors.bad-state', { reason: problem }));
      })
      .catch((thrown: unknown) => node.error(RED._('threshold-alert.errors.load-failed', { reason: errorOf(thrown).message })))
      .then(showStatus);

    async function handle(msg: NodeMessageInFlow & { reset?: unknown; invalid?: unknown }, send: Send, done: Done): Promise<void> {
      if (msg.reset === true) {
        const deviceId = typeof msg.topic === 'string' && msg.topic !== '' ? msg.topic : undefined;
        if (engine.reset(deviceId)) await save();
        showStatus();
        done();
        return;
      }
      if (msg.topic === CONTROL_TOPIC) {
        const command = parseControl(msg.payload, engine.baseRules);
        const applied = command.ok ? engine.setOverrides(command.value) : command;
        if (!applied.ok) {
          status.fail(done, RED._('threshold-alert.status.bad-control'), RED._('threshold-alert.errors.bad-control', { reason: applied.error }));
          return;
        }
        await save();
        showStatus();
        done();
        return;
      }
      const input = readingInput(msg.payload, msg.topic, msg.invalid, Date.now());
      if (!input.ok) {
        status.fail(done, RED._('threshold-alert.status.bad-reading'), RED._('threshold-alert.errors.bad-reading', { reason: input.error }));
        return;
      }
      const { deviceId } = input.value;
      const result = engine.process(input.value);
      lastDevice = deviceId;
      const events: AlertMsg[] = result.events.map((event) => ({ topic: deviceId, payload: event }));
      const annotated: AnnotatedMsg = { ...msg, alerts: result.alerts };
      send([events.length > 0 ? events : null, annotated]);
      if (result.changed) await save();
      showStatus();
      done();
    }

    node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
      queue = queue.then(() =>
        handle(msg, send, done).catch((thrown: unknown) => status.fail(done, RED._('threshold-alert.status.failed'), errorOf(thrown))),
      );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      // Let queued messages and their saves finish so a restart finds the latest state.
      void queue.finally(() => {
        status.cancel();
        node.status({});
        done();
      });
    });
  }

  RED.nodes.registerType('threshold-alert', ThresholdAlert);
};

export = init;
