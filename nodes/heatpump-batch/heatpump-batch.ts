// Node-RED glue of heatpump-batch: collects points (toPoints) into batches for `influxdb batch`,
// so a flow writes one HTTP request per batch and never one per reading.
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import type { InfluxPoint } from '../shared/contract';
import { errorOf } from '../shared/errors';
import { toPoints } from '../shared/points';
import { PacedStatus } from '../shared/paced-status';
import { PointBuffer, batchOptionsFromConfig } from './buffer';
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

    const statusText = (): string => RED._('heatpump-batch.status.counts', { buffered: buffer.size, sent: sentPoints });
    const status = new PacedStatus(node);
    const showStatus = (): void => status.show(buffer.size > 0 ? 'tracking' : 'ok', statusText);

    const stopTimer = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    };

    const sendBatch = (points: InfluxPoint[], send: (msg: NodeMessage) => void): void => {
      if (points.length === 0) return;
      sentPoints += points.length;
      const msg: BatchMsg = { payload: points };
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

    node.on('input', (msg, send, done) => {
      try {
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
      // Send what is held before closing: nothing buffered is lost on a redeploy.
      stopTimer();
      sendBatch(buffer.takeAll(), (out) => node.send(out));
      status.cancel();
      node.status({});
      done();
    });
  }

  RED.nodes.registerType('heatpump-batch', HeatpumpBatch);
};

export = init;
