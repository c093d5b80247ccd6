// Node-RED glue of heatpump-batch: collects points (toPoints) into batches for `influxdb batch`,
// so a flow writes one HTTP request per batch and never one per reading. It also owns what
// happens after the write: a `complete` node on `influxdb batch` reports a written batch back,
// a `catch` node a failed one, which is sent again with growing delay and given up (reported as
// lost) only after the last retry. With a fleet whose history is off it writes nothing.
import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { InfluxPoint } from '../shared/contract';
import { errorOf } from '../shared/errors';
import { fleetOf, type FleetLink } from '../shared/fleet-link';
import { toPoints } from '../shared/points';
import { PacedStatus } from '../shared/paced-status';
import { setStatus } from '../shared/status';
import { PointBuffer, batchOptionsFromConfig, writeOutcomeOf } from './buffer';
import type { BatchMsg, HeatpumpBatchDef } from './types';

const init = (RED: NodeAPI): void => {
  function HeatpumpBatch(this: Node, config: HeatpumpBatchDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const { options, problems } = batchOptionsFromConfig(config);
    if (problems.length > 0) node.error(RED._('heatpump-batch.errors.bad-config', { list: problems.join('; ') }));
    const buffer = new PointBuffer(options);
    let sentPoints = 0;
    let timer: NodeJS.Timeout | undefined;
    /** batches waiting for their next attempt */
    const retries = new Map<NodeJS.Timeout, BatchMsg>();
    let fleet: FleetLink | undefined;
    let fleetLooked = false;
    const linkedFleet = (): FleetLink | undefined => {
      if (!fleetLooked) {
        fleet = fleetOf(RED.nodes, config.fleet);
        fleetLooked = true;
      }
      return fleet;
    };

    const statusText = (): string =>
      RED._('heatpump-batch.status.counts', { buffered: buffer.size + [...retries.values()].reduce((n, m) => n + m.payload.length, 0), sent: sentPoints });
    const status = new PacedStatus(node);
    const showStatus = (): void => status.show(retries.size > 0 ? 'busy' : buffer.size > 0 ? 'tracking' : 'ok', statusText);

    const stopTimer = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    };

    const sendBatch = (points: InfluxPoint[], send: (msg: NodeMessage) => void, attempt = 0): void => {
      if (points.length === 0) return;
      sentPoints += points.length;
      const msg: BatchMsg = { payload: points, heatpumpBatch: { attempt } };
      send(msg);
    };

    /** Sends everything held (timer, msg.flush, close). */
    const flush = (send: (msg: NodeMessage) => void): void => {
      stopTimer();
      sendBatch(buffer.takeAll(), send);
      showStatus();
    };

    const add = (points: InfluxPoint[], msg: NodeMessage, send: (msg: NodeMessage) => void): void => {
      const outcome = buffer.add(points);
      for (const batch of outcome.batches) sendBatch(batch, send);
      if (outcome.dropped > 0) {
        linkedFleet()?.writeFailed(outcome.dropped);
        node.error(RED._('heatpump-batch.errors.dropped', { count: outcome.dropped, max: options.maxBuffered }), msg);
      }
      if (buffer.size === 0) stopTimer();
      else if (timer === undefined && options.maxWaitMs > 0) {
        timer = setTimeout(() => {
          timer = undefined;
          flush((out) => node.send(out));
        }, options.maxWaitMs);
      }
    };

    /** A batch came back from `influxdb batch` through a complete node (written) or a catch node (failed). */
    const writeReported = (msg: NodeMessageInFlow, done: (err?: Error) => void): void => {
      const outcome = writeOutcomeOf(msg, options.retries);
      if (!outcome.ok) return status.fail(done, statusText(), RED._('heatpump-batch.errors.bad-payload', { detail: outcome.error }));
      const { points, attempt, error, retryIn } = outcome.value;
      if (error === undefined) {
        linkedFleet()?.written(points.length);
        showStatus();
        return done();
      }
      if (retryIn !== undefined) {
        linkedFleet()?.writeFailed(0);
        node.warn(RED._('heatpump-batch.errors.retry', { count: points.length, error, attempt: attempt + 1, retries: options.retries, seconds: retryIn / 1000 }));
        const retry: BatchMsg = { payload: points, heatpumpBatch: { attempt: attempt + 1 } };
        const pending = setTimeout(() => {
          retries.delete(pending);
          sentPoints += points.length;
          node.send(retry);
          showStatus();
        }, retryIn);
        retries.set(pending, retry);
        showStatus();
        return done();
      }
      linkedFleet()?.writeFailed(points.length);
      status.fail(done, statusText(), RED._('heatpump-batch.errors.lost', { count: points.length, tries: attempt + 1, error }));
    };

    node.on('input', (msg, send, done) => {
      try {
        if ((msg as { heatpumpBatch?: unknown }).heatpumpBatch !== undefined) return writeReported(msg, done);
        const linked = linkedFleet();
        if (linked && !linked.history) {
          // history off: nothing is written anywhere, so nothing is held either
          setStatus(node, 'stopped', RED._('heatpump-batch.status.history-off'));
          return done();
        }
        const isFlush = msg.flush === true;
        // A flush message's payload counts only when it holds something (an inject sends a timestamp).
        if (!isFlush || (typeof msg.payload === 'object' && msg.payload !== null)) {
          const converted = toPoints(msg.payload);
          if (!converted.ok) {
            if (isFlush) flush(send);
            status.fail(done, statusText(), RED._('heatpump-batch.errors.bad-payload', { detail: converted.error }));
            return;
          }
          add(converted.value.points, msg, send);
        }
        if (isFlush) flush(send);
        showStatus();
        done();
      } catch (thrown) {
        status.fail(done, statusText(), errorOf(thrown));
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      // Send what is held and what waits for a retry before closing: nothing is lost on a redeploy.
      stopTimer();
      sendBatch(buffer.takeAll(), (out) => node.send(out));
      for (const [pending, retry] of retries) {
        clearTimeout(pending);
        node.send(retry);
      }
      retries.clear();
      status.cancel();
      node.status({});
      done();
    });
  }

  RED.nodes.registerType('heatpump-batch', HeatpumpBatch);
};

export = init;
