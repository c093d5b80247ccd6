// Node-RED glue of heatpump-performance: checks readings, feeds the analyser (analyser.ts, pure),
// closes windows as the readings' own clock passes their end (or when the sources go quiet, or on
// msg.flush), sends points, window figures and finished days, shows the last COP or why none.
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { metricsReadingProblem, type MetricsReading } from '../shared/contract';
import { errorOf, failInput, refuseConfiguration } from '../shared/errors';
import { clearStatus, setStatus } from '../shared/status';
import { PerformanceAnalyser, windowToPoints, type PerformanceWindow } from './analyser';
import { dailyToPoint } from './daily';
import { parseOptions, type PerformanceConfig, type PerformanceOptions } from './options';

const TYPE = 'heatpump-performance';
/**
 * A window closes once a reading this much younger than its end has arrived: a slow source's poll
 * of the window's last moments may reach us a little after the fast source's next reading.
 */
const CLOSE_GRACE_MS = 60_000;
/**
 * Windows close by the readings' own clock, so one reading stamped far ahead (a device with a
 * wrong clock) would close every window before its time: such a reading is refused.
 */
const MAX_FUTURE_MS = 10 * 60_000;

type Send = (msg: Array<NodeMessage | NodeMessage[] | null>) => void;
type Done = (err?: Error) => void;
type Translate = (key: string, params?: Record<string, string | number>) => string;
type InputMsg = NodeMessageInFlow & { flush?: unknown };

interface PerformanceDef extends NodeDef, PerformanceConfig {}

class Performance {
  private readonly analyser: PerformanceAnalyser;
  /** closes the open windows when no reading came for a window and the grace */
  private idle: NodeJS.Timeout | undefined;
  private late = 0;
  private reportedDropped = 0;

  constructor(
    private readonly node: Node,
    private readonly t: Translate,
    private readonly options: PerformanceOptions,
  ) {
    this.analyser = new PerformanceAnalyser(options);
    setStatus(node, 'tracking', t('status.waiting'));
  }

  input(msg: InputMsg, send: Send, done: Done): void {
    try {
      const flush = msg.flush === true;
      const readings = flush && msg.payload === undefined ? [] : Array.isArray(msg.payload) ? (msg.payload as unknown[]) : [msg.payload];
      const checked: MetricsReading[] = [];
      for (const [index, reading] of readings.entries()) {
        const problem = metricsReadingProblem(reading);
        if (problem !== undefined) {
          const where = Array.isArray(msg.payload) ? `[${index}] ` : '';
          return failInput(this.node, done, this.t('status.bad-input'), this.t('errors.bad-reading', { problem: `${where}${problem}` }));
        }
        const { timestamp } = reading as MetricsReading;
        if (timestamp > Date.now() + MAX_FUTURE_MS) {
          return failInput(this.node, done, this.t('status.bad-input'), this.t('errors.future', { device: (reading as MetricsReading).device_id, time: new Date(timestamp).toISOString() }));
        }
        checked.push(reading as MetricsReading);
      }
      let taken = 0;
      for (const reading of checked) {
        if (!this.analyser.concerns(reading.device_id)) continue;
        const outcome = this.analyser.add(reading);
        taken += outcome.taken;
        this.late += outcome.late;
      }
      const latest = this.analyser.latest;
      const windows = flush ? this.analyser.closeAll() : latest === undefined ? [] : this.analyser.close(latest - CLOSE_GRACE_MS);
      if (taken > 0) this.armIdle();
      this.emit(windows, send);
      done();
    } catch (thrown) {
      failInput(this.node, done, this.t('status.error'), errorOf(thrown));
    }
  }

  close(done: () => void): void {
    clearTimeout(this.idle);
    this.idle = undefined;
    clearStatus(this.node);
    done();
  }

  private armIdle(): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      this.idle = undefined;
      try {
        this.emit(this.analyser.closeAll(), (msg) => this.node.send(msg));
      } catch (thrown) {
        this.node.error(errorOf(thrown).message);
      }
    }, this.options.windowMs + CLOSE_GRACE_MS);
  }

  private emit(windows: PerformanceWindow[], send: Send): void {
    if (this.late > 0) {
      this.node.warn(this.t('errors.late', { count: this.late }));
      this.late = 0;
    }
    if (this.analyser.dropped > this.reportedDropped) {
      this.node.warn(this.t('errors.dropped', { count: this.analyser.dropped - this.reportedDropped }));
      this.reportedDropped = this.analyser.dropped;
    }
    const last = windows.at(-1);
    if (last === undefined) return;
    const days = this.analyser.takeDays();
    const points = [...windows.flatMap(windowToPoints), ...days.map(dailyToPoint)];
    send([
      { topic: this.options.deviceId, payload: points },
      windows.map((window) => ({ topic: window.device_id, payload: window })),
      days.map((day) => ({ topic: day.device_id, payload: day })),
    ]);
    this.showStatus(last);
  }

  private showStatus(window: PerformanceWindow): void {
    if (window.no_cop !== undefined) return setStatus(this.node, 'stopped', this.t(`status.${window.no_cop}`));
    const cop = window.cop_delta_t ?? window.cop_modulation;
    const text = this.t(window.cop_delta_t === undefined ? 'status.cop-modulation' : 'status.cop-delta-t', { cop: (cop ?? 0).toFixed(2) });
    if (window.sound) setStatus(this.node, 'ok', text);
    else setStatus(this.node, 'busy', this.t('status.unsound', { text, quality: Math.round(window.quality * 100) }));
  }
}

const init = (RED: NodeAPI): void => {
  const t: Translate = (key, params) => RED._(`${TYPE}.${key}`, params);

  function HeatpumpPerformanceNode(this: Node, config: PerformanceDef): void {
    RED.nodes.createNode(this, config);
    const options = parseOptions(config);
    if (!options.ok) {
      refuseConfiguration(this, t(`errors.${options.error.key}`, options.error.params), t('status.config-error'));
      return;
    }
    const performance = new Performance(this, t, options.value);
    this.on('input', (msg, send, done) => performance.input(msg, send, done));
    this.on('close', (_removed: boolean, done: () => void) => performance.close(done));
  }

  RED.nodes.registerType(TYPE, HeatpumpPerformanceNode);
};

export = init;
