// Node-RED glue of heatpump-decode: config -> options, decode (pure, decode.ts), send, report
// (done(err) for rejections, counters on the status, and the fleet's state owner when linked).
// The gathered output sends the readings of every message that arrived in one turn of the event
// loop as one message at its end (setImmediate): `mqtt in` hands over each message of a socket read
// in its own turn of the microtask queue, so a burst of single-reading messages crosses the rest
// of the flow (and Node-RED's routing and cloning) once, not once per reading. Each gathered
// message is done once the gathered one is sent; the receive journal releases them together.
// Output 4 carries the same readings as InfluxDB points, for heatpump-batch: a wire of its own
// instead of a second wire on output 1 spares Node-RED a deep copy of every readings message.
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import type { InfluxPoint } from '../shared/contract';
import { errorOf } from '../shared/errors';
import { fleetOf, type FleetLink } from '../shared/fleet-link';
import { foldReceived, installReceiveJournal } from '../shared/mqtt-receive-journal';
import { alertToPoint, metricsToPoint, readingToPoint } from '../shared/points';
import { PacedStatus } from '../shared/paced-status';
import { decodeMessage, optionsFromConfig } from './decode';
import type { AlertMsg, DecodeResult, FieldProblem, HeatpumpDecodeDef, MetricsMsg, OutputMode, PointsMsg, PresenceMsg, Problem, ReadingMsg, ReadingsMsg, Warning } from './types';

/** An input message of the gathered output, waiting for the end of this turn of the event loop. */
interface Gathered {
  msg: NodeMessage & { _msgid?: string };
  result: DecodeResult;
  send: (msg: Array<NodeMessage | NodeMessage[] | null>) => void;
  done: () => void;
}

/** the output of the readings' points in the reading modes (points mode sends them on output 1) */
const POINTS_OUTPUT = 3;

/**
 * Whether something is wired to output `index`: checked at each send, as the runtime updates
 * node.wires in place when a deploy only rewires a node (it is not restarted then).
 */
const wiredOutput = (node: Node, index: number): boolean => ((node as Node & { wires?: unknown[][] }).wires?.[index]?.length ?? 0) > 0;

/** At most this many problems are spelled out in the one done(err) text of a message. */
const MAX_LISTED_PROBLEMS = 10;

const init = (RED: NodeAPI): void => {
  installReceiveJournal(RED);
  function HeatpumpDecode(this: Node, config: HeatpumpDecodeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const mode: OutputMode = config.output === 'points' || config.output === 'readings' || config.output === 'gathered' ? config.output : 'reading';
    const { options, problems: configProblems } = optionsFromConfig(config);
    if (configProblems.length > 0) {
      // Unusable settings fall back to the defaults; say so once instead of failing every message.
      node.error(RED._('heatpump-decode.errors.bad-config', { list: configProblems.join('; ') }));
    }
    let accepted = 0;
    let rejected = 0;
    /** fields left out for a reason other than valid:false: warnings, counted but not logged one by one */
    let leftOut = 0;
    let lastDevice = '';

    const status = new PacedStatus(node);
    const statusText = (): string =>
      leftOut === 0
        ? RED._('heatpump-decode.status.counts', { device: lastDevice, accepted, rejected })
        : RED._('heatpump-decode.status.counts-left-out', { device: lastDevice, accepted, rejected, leftOut });

    const describeProblem = (problem: Problem | Warning, kind: 'errors' | 'warnings'): string => {
      const text = RED._(`heatpump-decode.${kind}.${problem.code}`, problem.params);
      return problem.index === undefined ? text : `[${problem.index}] ${text}`;
    };

    // Config nodes may start after this node, so the fleet is looked up at the first input (and
    // again while it is missing).
    const fleetId = typeof config.fleet === 'string' ? config.fleet : '';
    let fleet: FleetLink | undefined;
    let fleetMissingLogged = false;
    const linkedFleet = (): FleetLink | undefined => {
      if (fleet !== undefined || fleetId === '') return fleet;
      fleet = fleetOf(RED.nodes, fleetId);
      if (fleet === undefined && !fleetMissingLogged) {
        fleetMissingLogged = true;
        node.warn(RED._('heatpump-decode.warnings.no-fleet', { id: fleetId }));
      }
      return fleet;
    };

    const leftOutOf = (problems: readonly FieldProblem[]): Array<{ field: string; reason: string }> =>
      problems.map((problem) => ({ field: problem.field, reason: RED._(`heatpump-decode.leftOut.${problem.code}`, problem.params) }));

    /** `problemTexts`: the i18n texts of result.problems, in the same order */
    const report = (to: FleetLink, result: DecodeResult, problemTexts: readonly string[], now: number): void => {
      // A copy: the fleet keeps the reading, and the first receiver of msg.payload gets it uncloned.
      for (const { reading, fieldProblems } of result.readings) to.reading({ ...reading }, fieldProblems.length === 0 ? [] : leftOutOf(fieldProblems));
      for (const { reading } of result.metrics) to.metrics(structuredClone(reading));
      for (const { alert } of result.alerts) to.seen(alert.device_id, now);
      result.problems.forEach((problem, i) => {
        to.rejected({
          scope: problem.scope === 'message' ? 'payload' : 'reading',
          device_id: problem.device ?? null,
          field: problem.field ?? null,
          reason: problemTexts[i] ?? problem.code,
        });
      });
    };

    /** gathered output: the messages of this turn of the event loop, sent as one at its end */
    let gathered: Gathered[] = [];
    let gatherFlush: NodeJS.Immediate | undefined;
    const sendGathered = (): void => {
      gatherFlush = undefined;
      const items = gathered;
      gathered = [];
      const first = items[0];
      if (first === undefined) return;
      const out: ReadingsMsg = { payload: [], invalid: [], invalidReasons: [] };
      const devices = new Set<string>();
      for (const { result } of items) {
        appendReadings(out, result);
        for (const device of devicesOf(result)) devices.add(device);
      }
      // the journaled messages among them are released with the one whose _msgid it carries
      out._msgid = foldReceived(items.flatMap((item) => (item.msg._msgid === undefined ? [] : [item.msg._msgid]))) ?? first.msg._msgid;
      if (devices.size === 1) out.topic = devices.values().next().value;
      const points = wiredOutput(node, POINTS_OUTPUT) ? pointsMsg({ _msgid: out._msgid }, items.reduce((all, { result }) => readingPointsOf(result, all), [] as InfluxPoint[]), out.topic) : null;
      sendWithPoints(first.send, [out, null, [...devices].map(presenceMsg)], points);
      for (const item of items) item.done();
    };

    node.on('input', (msg, send, done) => {
      try {
        const now = Date.now();
        const result = decodeMessage(msg.payload, msg.topic, options, now);
        const gather = mode === 'gathered' && result.problems.length === 0 && result.alerts.length === 0 && result.readings.length + result.metrics.length > 0;
        // a message that is not gathered goes out after those before it
        if (mode === 'gathered' && !gather && gatherFlush !== undefined) {
          clearImmediate(gatherFlush);
          sendGathered();
        }
        if (gather) {
          gathered.push({ msg, result, send, done });
          gatherFlush ??= setImmediate(sendGathered);
        }
        const sent = gather
          ? result.readings.length + result.metrics.length
          : mode === 'points'
            ? sendPoints(msg, result, send)
            : mode === 'reading'
              ? sendItems(msg, result, send, wiredOutput(node, POINTS_OUTPUT))
              : sendReadingArray(msg, result, send, wiredOutput(node, POINTS_OUTPUT));
        accepted += sent;
        rejected += result.problems.length;
        for (const { fieldProblems } of result.readings) leftOut += fieldProblems.length;
        for (const { fieldProblems } of result.metrics) leftOut += fieldProblems.length;
        lastDevice = result.topicDevice ?? result.readings[0]?.reading.device_id ?? result.metrics[0]?.reading.device_id ?? result.alerts[0]?.alert.device_id ?? result.problems[0]?.device ?? lastDevice;
        const problemTexts = result.problems.map((problem) => describeProblem(problem, 'errors'));
        const to = linkedFleet();
        if (to !== undefined) report(to, result, problemTexts, now);

        // Fields left out are counted (status, fleet) but not logged: one line per field would
        // flood the log at a high message rate.
        for (const warning of result.warnings) node.warn(describeProblem(warning, 'warnings'));
        if (result.problems.length === 0) {
          status.show('ok', statusText);
          if (!gather) done();
          return;
        }
        // An array gets one warning per rejected element, and one done(err) per input message.
        if (result.batch) for (const text of problemTexts) node.warn(text);
        const listed = problemTexts.slice(0, MAX_LISTED_PROBLEMS);
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
      // dropped, not done: the receive journal sends the journaled ones again
      if (gatherFlush !== undefined) clearImmediate(gatherFlush);
      gathered = [];
      status.cancel();
      node.status({});
      done();
    });
  }

  /** The device of a result's readings: its topic's, else its first reading's. */
  const topicOf = (result: DecodeResult): string | undefined => result.topicDevice ?? result.readings[0]?.reading.device_id ?? result.metrics[0]?.reading.device_id;

  /** `sensor_reading` and `heatpump_metrics` points of a result's readings, appended to `into`. */
  function readingPointsOf(result: DecodeResult, into: InfluxPoint[] = []): InfluxPoint[] {
    for (const { reading } of result.readings) {
      const point = readingToPoint(reading);
      // A reading whose every sensor was left out has no field to write (line protocol needs one).
      for (const _field in point.fields) {
        into.push(point);
        break;
      }
    }
    for (const { reading } of result.metrics) {
      if (Object.keys(reading.metrics).length > 0) into.push(metricsToPoint(reading));
    }
    return into;
  }

  /**
   * Sends outputs 1 to 3, then output 4's points in a send() of their own: the runtime copies every
   * message of a send() after its first (Node.send), and the points need no copy (nothing else
   * holds them). The input is done after both, so the receive journal holds it until both are.
   */
  function sendWithPoints(send: (msg: Array<NodeMessage | NodeMessage[] | null>) => void, outputs: Array<NodeMessage | NodeMessage[] | null>, points: PointsMsg | null): void {
    send(outputs);
    if (points !== null) send([null, null, null, points]);
  }

  /** A points message with the input's properties; null for no points. */
  function pointsMsg(msg: NodeMessage, payload: InfluxPoint[], topic: string | undefined): PointsMsg | null {
    if (payload.length === 0) return null;
    const out: PointsMsg = { ...msg, payload };
    if (topic !== undefined) out.topic = topic;
    return out;
  }

  /**
   * Reading mode: one message per reading and metrics reading on output 1, one per device alert on
   * output 2; with `withPoints`, their points as one message on output 4.
   */
  function sendItems(msg: NodeMessage, result: DecodeResult, send: (msg: Array<NodeMessage | NodeMessage[] | null>) => void, withPoints: boolean): number {
    const readings: ReadingMsg[] = result.readings.map(({ reading, invalid, invalidReasons, timestampReplaced }) => {
      const out: ReadingMsg = { ...msg, topic: reading.device_id, payload: reading, invalid };
      delete out.invalidReasons;
      delete out.timestampReplaced;
      if (invalidReasons !== undefined) out.invalidReasons = invalidReasons;
      if (timestampReplaced) out.timestampReplaced = true;
      return out;
    });
    const metrics: MetricsMsg[] = result.metrics.map(({ reading, timestampReplaced }) => {
      const out: MetricsMsg = { ...msg, topic: reading.device_id, payload: reading };
      delete out.invalid;
      delete out.invalidReasons;
      delete out.timestampReplaced;
      if (timestampReplaced) out.timestampReplaced = true;
      return out;
    });
    const alerts = alertMsgs(msg, result);
    const outputOne: Array<ReadingMsg | MetricsMsg> = [...readings, ...metrics];
    const points = withPoints ? pointsMsg(msg, readingPointsOf(result), topicOf(result)) : null;
    if (outputOne.length > 0 || alerts.length > 0) sendWithPoints(send, [outputOne, alerts, presenceMsgs(result)], points);
    return outputOne.length + alerts.length;
  }

  /**
   * Readings mode: one message per input message on output 1, its payload every reading and metrics
   * reading as an array (one delivery per firmware buffer instead of one per reading); alerts as in
   * reading mode; with `withPoints`, the readings' points on output 4.
   */
  function sendReadingArray(msg: NodeMessage, result: DecodeResult, send: (msg: Array<NodeMessage | NodeMessage[] | null>) => void, withPoints: boolean): number {
    const { payload, invalid, invalidReasons } = appendReadings({ payload: [], invalid: [], invalidReasons: [] }, result);
    const topic = topicOf(result);
    const readings: ReadingsMsg | null = payload.length === 0 ? null : { ...msg, payload, invalid, invalidReasons };
    delete readings?.timestampReplaced;
    if (readings !== null && topic !== undefined) readings.topic = topic;
    const alerts = alertMsgs(msg, result);
    const points = withPoints ? pointsMsg(msg, readingPointsOf(result), topic) : null;
    if (readings !== null || alerts.length > 0) sendWithPoints(send, [readings, alerts, presenceMsgs(result)], points);
    return payload.length + alerts.length;
  }

  /** Adds a result's readings and metrics readings to the array of a readings message. */
  function appendReadings(into: Pick<ReadingsMsg, 'payload' | 'invalid' | 'invalidReasons'>, result: DecodeResult): Pick<ReadingsMsg, 'payload' | 'invalid' | 'invalidReasons'> {
    for (const decoded of result.readings) {
      into.payload.push(decoded.reading);
      into.invalid.push(decoded.invalid);
      into.invalidReasons.push(decoded.invalidReasons ?? null);
    }
    for (const { reading } of result.metrics) {
      into.payload.push(reading);
      into.invalid.push([]);
      into.invalidReasons.push(null);
    }
    return into;
  }

  /** The devices heard from in a result. */
  function devicesOf(result: DecodeResult): Set<string> {
    const devices = new Set<string>();
    for (const { reading } of result.readings) devices.add(reading.device_id);
    for (const { reading } of result.metrics) devices.add(reading.device_id);
    for (const { alert } of result.alerts) devices.add(alert.device_id);
    return devices;
  }

  const presenceMsg = (device: string): PresenceMsg => ({ topic: device, payload: { device_id: device } });

  /** Output 3: one small message per device heard from in this input (in every mode). */
  function presenceMsgs(result: DecodeResult): PresenceMsg[] {
    return [...devicesOf(result)].map(presenceMsg);
  }

  /** One message per device alert (output 2 of the reading modes). */
  function alertMsgs(msg: NodeMessage, result: DecodeResult): AlertMsg[] {
    return result.alerts.map(({ alert, timestampReplaced }) => {
      const out: AlertMsg = { ...msg, topic: alert.device_id, payload: alert };
      delete out.invalid;
      delete out.invalidReasons;
      delete out.timestampReplaced;
      if (timestampReplaced) out.timestampReplaced = true;
      return out;
    });
  }

  /** Points mode: one message per input message and output, its payload the points for `influxdb batch`. */
  function sendPoints(msg: NodeMessage, result: DecodeResult, send: (msg: Array<NodeMessage | NodeMessage[] | null>) => void): number {
    const topic = topicOf(result) ?? result.alerts[0]?.alert.device_id;
    const outputs = [pointsMsg(msg, readingPointsOf(result), topic), pointsMsg(msg, result.alerts.map(({ alert }) => alertToPoint(alert)), topic)];
    if (outputs[0] !== null || outputs[1] !== null) send([...outputs, presenceMsgs(result)]);
    return result.readings.length + result.metrics.length + result.alerts.length;
  }

  RED.nodes.registerType('heatpump-decode', HeatpumpDecode);
};

export = init;
