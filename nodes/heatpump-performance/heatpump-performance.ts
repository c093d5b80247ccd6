// Node-RED glue of heatpump-performance: checks readings, feeds the analysers (analyser.ts, one per
// device in "every device" mode: devices.ts; both pure), closes each device's windows as its
// readings' own clock passes their end (or when it goes quiet, or on msg.flush), sends points,
// window figures and finished days, shows the last COP or why none.
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { hasMetrics, metricsReadingProblem, type MetricsReading } from '../shared/contract';
import { errorOf, failInput, refuseConfiguration } from '../shared/errors';
import { clearStatus, setStatus } from '../shared/status';
import { windowToPoints, type PerformanceAnalyser, type PerformanceWindow } from './analyser';
import { dailyToPoint, type DailyEnergy } from './daily';
import { AnalyserRegistry } from './devices';
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

/**
 * An ESP32 Reading (heatpump-decode's output 1 carries them beside metrics readings): it has no flow
 * rate and no modulation to analyse, so it passes without effect instead of failing the message.
 */
const isSensorReading = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !hasMetrics(value) && typeof (value as { device_id?: unknown }).device_id === 'string';

type Send = (msg: Array<NodeMessage | NodeMessage[] | null>) => void;
type Done = (err?: Error) => void;
type Translate = (key: string, params?: Record<string, string | number>) => string;
type InputMsg = NodeMessageInFlow & { flush?: unknown };

interface PerformanceDef extends NodeDef, PerformanceConfig {}

class Performance {
  private readonly analysers: AnalyserRegistry;
  /** per analysed device: closes its open windows when no reading of it came for a window and the grace */
  private readonly idle = new Map<string, NodeJS.Timeout>();
  private late = 0;
  private reportedDropped = 0;
  private reportedRefused = 0;

  constructor(
    private readonly node: Node,
    private readonly t: Translate,
    private readonly options: PerformanceOptions,
  ) {
    this.analysers = new AnalyserRegistry(options);
    setStatus(node, 'tracking', t('status.waiting'));
  }

  input(msg: InputMsg, send: Send, done: Done): void {
    try {
      const flush = msg.flush === true;
      const readings = flush && msg.payload === undefined ? [] : Array.isArray(msg.payload) ? (msg.payload as unknown[]) : [msg.payload];
      const checked: MetricsReading[] = [];
      for (const [index, reading] of readings.entries()) {
        if (isSensorReading(reading)) continue;
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
      /** the analysed devices that took a sample of this message */
      const fed = new Map<string, PerformanceAnalyser>();
      for (const reading of checked) {
        const route = this.analysers.route(reading.device_id);
        if (typeof route === 'string') continue;
        const outcome = route.analyser.add(reading);
        this.late += outcome.late;
        if (outcome.taken > 0) fed.set(route.deviceId, route.analyser);
      }
      // Each device's windows close by its own readings' clock, so devices do not wait for one another.
      const windows: PerformanceWindow[] = [];
      const days: DailyEnergy[] = [];
      const closing = flush ? this.analysers.entries() : fed.entries();
      for (const [deviceId, analyser] of closing) {
        const latest = analyser.latest;
        windows.push(...(flush ? analyser.closeAll() : latest === undefined ? [] : analyser.close(latest - CLOSE_GRACE_MS)));
        days.push(...analyser.takeDays());
        if (fed.has(deviceId)) this.armIdle(deviceId, analyser);
      }
      this.emit(windows, days, send);
      done();
    } catch (thrown) {
      failInput(this.node, done, this.t('status.error'), errorOf(thrown));
    }
  }

  close(done: () => void): void {
    for (const timer of this.idle.values()) clearTimeout(timer);
    this.idle.clear();
    clearStatus(this.node);
    done();
  }

  private armIdle(deviceId: string, analyser: PerformanceAnalyser): void {
    clearTimeout(this.idle.get(deviceId));
    this.idle.set(
      deviceId,
      setTimeout(() => {
        this.idle.delete(deviceId);
        try {
          const windows = analyser.closeAll();
          this.emit(windows, analyser.takeDays(), (msg) => this.node.send(msg));
        } catch (thrown) {
          this.node.error(errorOf(thrown).message);
        }
      }, this.options.windowMs + CLOSE_GRACE_MS),
    );
  }

  private emit(windows: PerformanceWindow[], days: DailyEnergy[], send: Send): void {
    if (this.late > 0) {
      this.node.warn(this.t('errors.late', { count: this.late }));
      this.late = 0;
    }
    let dropped = 0;
    for (const [, analyser] of this.analysers.entries()) dropped += analyser.dropped;
    if (dropped > this.reportedDropped) {
      this.node.warn(this.t('errors.dropped', { count: dropped - this.reportedDropped }));
      this.reportedDropped = dropped;
    }
    if (this.analysers.refused > this.reportedRefused) {
      this.node.warn(this.t('errors.too-many-devices', { count: this.analysers.refused - this.reportedRefused, max: this.options.maxDevices }));
      this.reportedRefused = this.analysers.refused;
    }
    const last = windows.at(-1);
    if (last === undefined) return;
    const points = [...windows.flatMap(windowToPoints), ...days.map(dailyToPoint)];
    // the device of the points, or in "every device" mode the one of the last window (points of several are tagged each)
    send([
      { topic: this.options.everyDevice ? last.device_id : this.options.deviceId, payload: points },
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
