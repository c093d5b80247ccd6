// Node-RED glue of heatpump-decode: config -> options, decode (pure, decode.ts), send, report.
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import type { InfluxPoint } from '../shared/contract';
import { errorOf } from '../shared/errors';
import { alertToPoint, readingToPoint } from '../shared/points';
import { PacedStatus } from '../shared/paced-status';
import { decodeMessage, optionsFromConfig } from './decode';
import type { AlertMsg, DecodeResult, HeatpumpDecodeDef, OutputMode, PointsMsg, Problem, ReadingMsg, Warning } from './types';

/** At most this many problems are spelled out in the one done(err) text of a message. */
const MAX_LISTED_PROBLEMS = 10;

const init = (RED: NodeAPI): void => {
  function HeatpumpDecode(this: Node, config: HeatpumpDecodeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const mode: OutputMode = config.output === 'points' ? 'points' : 'reading';
    const { options, problems: configProblems } = optionsFromConfig(config);
    if (configProblems.length > 0) {
      // Unusable settings fall back to the defaults; say so once instead of failing every message.
      node.error(RED._('heatpump-decode.errors.bad-config', { list: configProblems.join('; ') }));
    }
    let accepted = 0;
    let rejected = 0;
    let lastDevice = '';

    const status = new PacedStatus(node);
    const statusText = (): string => RED._('heatpump-decode.status.counts', { device: lastDevice, accepted, rejected });

    const describeProblem = (problem: Problem | Warning, kind: 'errors' | 'warnings'): string => {
      const text = RED._(`heatpump-decode.${kind}.${problem.code}`, problem.params);
      return problem.index === undefined ? text : `[${problem.index}] ${text}`;
    };

    node.on('input', (msg, send, done) => {
      try {
        const result = decodeMessage(msg.payload, msg.topic, options, Date.now());
        const sent = mode === 'points' ? sendPoints(msg, result, send) : sendItems(msg, result, send);
        accepted += sent;
        rejected += result.problems.length;
        lastDevice = result.topicDevice ?? result.readings[0]?.reading.device_id ?? result.alerts[0]?.alert.device_id ?? result.problems[0]?.device ?? lastDevice;

        for (const warning of result.warnings) node.warn(describeProblem(warning, 'warnings'));
        if (result.problems.length === 0) {
          status.show('ok', statusText);
          done();
          return;
        }
        // An array gets one warning per bad element, and one done(err) per input message.
        if (result.batch) for (const problem of result.problems) node.warn(describeProblem(problem, 'errors'));
        const listed = result.problems.slice(0, MAX_LISTED_PROBLEMS).map((problem) => describeProblem(problem, 'errors'));
        const more = result.problems.length - listed.length;
        const summary = RED._('heatpump-decode.errors.summary', {
          count: result.problems.length,
          sent,
          list: listed.join('; ') + (more > 0 ? RED._('heatpump-decode.errors.more', { count: more }) : ''),
        });
        status.fail(done, statusText(), summary);
      } catch (thrown) {
        status.fail(done, statusText(), errorOf(thrown));
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      status.cancel();
      node.status({});
      done();
    });
  }

  /** Reading mode: one message per reading on output 1, one per device alert on output 2. */
  function sendItems(msg: NodeMessage, result: DecodeResult, send: (msg: Array<NodeMessage | NodeMessage[] | null>) => void): number {
    const readings: ReadingMsg[] = result.readings.map(({ reading, invalid, invalidReasons, timestampReplaced }) => {
      const out: ReadingMsg = { ...msg, topic: reading.device_id, payload: reading, invalid };
      delete out.invalidReasons;
      delete out.timestampReplaced;
      if (invalidReasons !== undefined) out.invalidReasons = invalidReasons;
      if (timestampReplaced) out.timestampReplaced = true;
      return out;
    });
    const alerts: AlertMsg[] = result.alerts.map(({ alert, timestampReplaced }) => {
      const out: AlertMsg = { ...msg, topic: alert.device_id, payload: alert };
      delete out.invalid;
      delete out.invalidReasons;
      delete out.timestampReplaced;
      if (timestampReplaced) out.timestampReplaced = true;
      return out;
    });
    if (readings.length > 0 || alerts.length > 0) send([readings, alerts]);
    return readings.length + alerts.length;
  }

  /** Points mode: one message per input message and output, its payload the points for `influxdb batch`. */
  function sendPoints(msg: NodeMessage, result: DecodeResult, send: (msg: Array<NodeMessage | NodeMessage[] | null>) => void): number {
    const readingPoints: InfluxPoint[] = [];
    for (const { reading } of result.readings) {
      const point = readingToPoint(reading);
      // A reading whose every sensor was left out has no field to write (line protocol needs one).
      for (const _field in point.fields) {
        readingPoints.push(point);
        break;
      }
    }
    const alertPoints = result.alerts.map(({ alert }) => alertToPoint(alert));
    const topic = result.topicDevice ?? result.readings[0]?.reading.device_id ?? result.alerts[0]?.alert.device_id;
    const toMsg = (payload: InfluxPoint[]): PointsMsg | null => {
      if (payload.length === 0) return null;
      const out: PointsMsg = { ...msg, payload };
      if (topic !== undefined) out.topic = topic;
      return out;
    };
    const outputs = [toMsg(readingPoints), toMsg(alertPoints)];
    if (outputs[0] !== null || outputs[1] !== null) send(outputs);
    return result.readings.length + result.alerts.length;
  }

  RED.nodes.registerType('heatpump-decode', HeatpumpDecode);
};

export = init;
