// Node-RED glue for fleet-view: subscribes to a heatpump-fleet, sends what the chosen view
// makes of each delivery, answers inputs on the input message itself, runs the System view's
// timer and shows a count. The views themselves live in views.ts and the modules it uses.
import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import { errorOf, refuseConfiguration } from '../shared/errors';
import { fleetOf, type FleetChanges, type FleetLink } from '../shared/fleet-link';
import { PacedStatus } from '../shared/paced-status';
import { clearStatus } from '../shared/status';
import { labelsFrom, type Translate } from './format';
import type { FleetViewDef } from './types';
import { createView, isViewName, parseDefaultRange, parseMaxRows, sourceOf, SYSTEM_TICK_MS, type InputLike, type Outgoing, type View, type ViewName } from './views';

const TYPE = 'fleet-view';

type Send = (msg: NodeMessageInFlow) => void;
type Done = (err?: Error) => void;

class FleetView {
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly status: PacedStatus;
  private shown = -1;
  private closed = false;

  constructor(
    private readonly node: Node,
    private readonly t: Translate,
    private readonly name: ViewName,
    private readonly view: View,
    private readonly fleet: FleetLink,
  ) {
    this.status = new PacedStatus(node);
  }

  start(): void {
    this.unsubscribe = this.fleet.subscribe((changes) => this.guarded(() => this.delivered(changes)));
    if (this.name === 'system') this.timer = setInterval(() => this.guarded(() => this.send(this.view.tick())), SYSTEM_TICK_MS);
    this.showStatus();
  }

  input(msg: NodeMessageInFlow, send: Send, done: Done): void {
    try {
      const reply = this.view.reply(msg as InputLike);
      if (!reply.ok) {
        this.shown = -1;
        return this.status.fail(done, this.t('status.bad-input'), this.t(`errors.${reply.error.key}`, reply.error.params));
      }
      if (reply.value) {
        // the same message goes back, so msg._client, msg.req and msg.res reach the widget or http response
        Object.assign(msg, reply.value);
        send(msg);
      }
      this.showStatus();
      done();
    } catch (thrown) {
      this.shown = -1;
      this.status.fail(done, this.t('status.error'), errorOf(thrown));
    }
  }

  close(done: () => void): void {
    this.closed = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
    this.status.cancel();
    clearStatus(this.node);
    done();
  }

  private delivered(changes: FleetChanges): void {
    if (this.closed) return;
    this.send(this.view.delivered(changes));
    this.showStatus();
  }

  private send(messages: Outgoing[]): void {
    if (this.closed || messages.length === 0) return;
    this.node.send([messages]);
  }

  /** A throw escaping a timer or the fleet's callback must not take the runtime down. */
  private guarded(work: () => void): void {
    try {
      work();
    } catch (thrown) {
      this.node.error(errorOf(thrown).message);
    }
  }

  private showStatus(): void {
    const count = this.view.count();
    if (count === this.shown) return;
    this.shown = count;
    this.status.show('tracking', () => this.t(`status.${this.name}`, { count }));
  }
}

const init = (RED: NodeAPI): void => {
  const t: Translate = (key, params) => RED._(`${TYPE}.${key}`, params);

  function FleetViewNode(this: Node, config: FleetViewDef): void {
    RED.nodes.createNode(this, config);
    const name = config.view ?? 'summary';
    const maxRows = parseMaxRows(config.maxRows);
    const defaultRange = parseDefaultRange(config.range);
    const fleet = fleetOf(RED.nodes, config.fleet);
    const problem = !isViewName(name)
      ? t('errors.bad-view', { view: String(name) })
      : maxRows === undefined
        ? t('errors.bad-max-rows', { value: String(config.maxRows) })
        : defaultRange === undefined
          ? t('errors.bad-default-range', { value: String(config.range) })
          : !fleet
            ? t('errors.no-fleet')
            : undefined;
    if (problem !== undefined || !isViewName(name) || maxRows === undefined || defaultRange === undefined || !fleet) {
      // rather than show an empty fleet
      refuseConfiguration(this, problem ?? '', t(fleet ? 'status.config-error' : 'status.no-fleet'));
      return;
    }
    const view = createView(name, sourceOf(fleet), { maxRows, defaultRange, labels: labelsFrom(t), t, now: Date.now });
    const node = new FleetView(this, t, name, view, fleet);
    this.on('input', (msg, send, done) => node.input(msg, send, done));
    this.on('close', (_removed: boolean, done: () => void) => node.close(done));
    node.start();
  }

  RED.nodes.registerType(TYPE, FleetViewNode);
};

export = init;
