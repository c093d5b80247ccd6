// Node-RED glue of heatpump-batch: collects points (toPoints) into batches for `influxdb batch`,
// so a flow writes one HTTP request per batch and never one per reading. It also owns what
// happens after the write: a `complete` node on `influxdb batch` reports a written batch back,
// a `catch` node a failed one, which is sent again with growing delay and given up (reported as
// given to the disk spool (spool.ts) after the last retry: while it holds anything, new batches
// queue behind it and the oldest is replayed one at a time until InfluxDB takes it. With the
// spool off the points are reported lost. With a fleet whose history is off it writes nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { InfluxPoint } from '../shared/contract';
import { errorOf } from '../shared/errors';
import { fleetOf, type FleetLink } from '../shared/fleet-link';
import { toPoints } from '../shared/points';
import { PacedStatus } from '../shared/paced-status';
import { setStatus } from '../shared/status';
import { PointBuffer, batchOptionsFromConfig, retryDelayMs, writeOutcomeOf } from './buffer';
import { Spool, spoolOptionsFromConfig } from './spool';
import type { BatchMsg, HeatpumpBatchDef } from './types';

/** a restored spool starts replaying this long after the start (the flow is wired by then) */
const REPLAY_START_MS = 1000;

const init = (RED: NodeAPI): void => {
  function HeatpumpBatch(this: Node, config: HeatpumpBatchDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const { options, problems } = batchOptionsFromConfig(config);
    const spoolOptions = spoolOptionsFromConfig(config);
    if (spoolOptions.problem !== undefined) problems.push(spoolOptions.problem);
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

    let spool: Spool | undefined;
    if (spoolOptions.on) {
      const userDir = (RED.settings as { userDir?: unknown }).userDir;
      const base = typeof userDir === 'string' && userDir !== '' ? userDir : os.tmpdir();
      const dir = path.join(base, 'heatpump-spool', node.id.replace(/[^\w.-]/g, '_'));
      if (base !== userDir) node.warn(RED._('heatpump-batch.errors.no-userdir', { dir }));
      try {
        spool = new Spool(fs, dir, spoolOptions.maxMB * 1024 * 1024);
        if (spool.corrupt > 0) node.warn(RED._('heatpump-batch.errors.spool-corrupt', { count: spool.corrupt, dir }));
      } catch (thrown) {
        node.error(RED._('heatpump-batch.errors.spool-failed', { dir, error: errorOf(thrown).message }));
      }
    }
    /** the spooled batch sent for replay, waiting for its complete / catch feedback */
    let inFlight: number | undefined;
    let replayTimer: NodeJS.Timeout | undefined;
    let replayFailures = 0;
    /** points dropped from a full spool since it was last empty (reported once per episode) */
    let spoolDropped = 0;
    let closed = false;
    const spooling = (): boolean => spool !== undefined && spool.batches > 0;

    const statusText = (): string => {
      const counts = RED._('heatpump-batch.status.counts', { buffered: buffer.size + [...retries.values()].reduce((n, m) => n + m.payload.length, 0), sent: sentPoints });
      if (!spool || !spooling()) return counts;
      const key = spoolDropped > 0 ? 'heatpump-batch.status.spool-dropped' : 'heatpump-batch.status.spool';
      return `${RED._(key, { batches: spool.batches, dropped: spoolDropped })} · ${counts}`;
    };
    const status = new PacedStatus(node);
    let reportedSpool = 0;
    const showStatus = (): void => {
      // the fleet's health is degraded while points wait on disk
      const held = spool?.points ?? 0;
      if (held !== reportedSpool) {
        reportedSpool = held;
        linkedFleet()?.spooled(node.id, held);
      }
      status.show(retries.size > 0 || spooling() ? 'busy' : buffer.size > 0 ? 'tracking' : 'ok', statusText);
    };

    /** Sends the oldest spooled batch (one at a time); ends the spooling episode when none is left. */
    const replayNext = (): void => {
      replayTimer = undefined;
      if (!spool || closed || inFlight !== undefined) return;
      const next = spool.oldest();
      if (next === undefined) {
        replayFailures = 0;
        spoolDropped = 0;
        showStatus();
        return;
      }
      inFlight = next.seq;
      sentPoints += next.points.length;
      const msg: BatchMsg = { payload: next.points, heatpumpBatch: { attempt: 0, spooled: next.seq } };
      node.send(msg);
      showStatus();
    };
    const replaySoon = (delayMs: number): void => {
      if (closed || inFlight !== undefined || replayTimer !== undefined) return;
      replayTimer = setTimeout(replayNext, delayMs);
    };

    /** Stores a batch on disk behind the others; false when there is no spool. */
    const toSpool = (points: InfluxPoint[], msg: NodeMessage = {}): boolean => {
      if (!spool) return false;
      if (points.length === 0) return true;
      try {
        const outcome = spool.append(points);
        if (outcome.droppedPoints > 0) {
          linkedFleet()?.writeFailed(outcome.droppedPoints);
          if (spoolDropped === 0) node.error(RED._('heatpump-batch.errors.spool-full', { mb: spoolOptions.maxMB, count: outcome.droppedPoints }), msg);
          spoolDropped += outcome.droppedPoints;
        }
      } catch (thrown) {
        linkedFleet()?.writeFailed(points.length);
        node.error(RED._('heatpump-batch.errors.spool-write', { count: points.length, error: errorOf(thrown).message }), msg);
      }
      replaySoon(replayFailures > 0 ? retryDelayMs(replayFailures) : 0);
      return true;
    };

    const stopTimer = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    };

    const sendBatch = (points: InfluxPoint[], send: (msg: NodeMessage) => void, attempt = 0): void => {
      if (points.length === 0) return;
      // while the spool holds batches, new ones queue behind them: InfluxDB gets them in order
      if (spooling() && toSpool(points)) return;
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
      const spooledSeq = (msg.heatpumpBatch as { spooled?: unknown }).spooled;
      if (typeof spooledSeq === 'number') return replayReported(spooledSeq, points.length, error, done);
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
      if (spool) {
        // the database is down for a while: keep the batch on disk and replay it later
        linkedFleet()?.writeFailed(0);
        if (!spooling() && inFlight === undefined && replayTimer === undefined) replayFailures = Math.max(replayFailures, options.retries + 1);
        node.warn(RED._('heatpump-batch.errors.spooled', { count: points.length, tries: attempt + 1, error }));
        toSpool(points, msg);
        showStatus();
        return done();
      }
      linkedFleet()?.writeFailed(points.length);
      status.fail(done, statusText(), RED._('heatpump-batch.errors.lost', { count: points.length, tries: attempt + 1, error }));
    };

    /** Feedback for a replayed batch: written -> delete it and send the next; failed -> the same one again later. */
    const replayReported = (seq: number, count: number, error: string | undefined, done: (err?: Error) => void): void => {
      if (error === undefined) {
        spool?.remove(seq);
        linkedFleet()?.written(count);
        replayFailures = 0;
        if (inFlight === seq) {
          inFlight = undefined;
          replayNext();
        }
      } else {
        linkedFleet()?.writeFailed(0);
        if (inFlight === seq) {
          inFlight = undefined;
          replayFailures += 1;
          const wait = retryDelayMs(replayFailures);
          node.warn(RED._('heatpump-batch.errors.replay-failed', { count, error, seconds: wait / 1000, batches: spool?.batches ?? 0 }));
          replaySoon(wait);
        }
      }
      showStatus();
      done();
    };

    if (spool && spool.batches > 0) {
      replaySoon(REPLAY_START_MS);
      showStatus();
    }

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

    node.on('close', (removed: boolean, done: () => void) => {
      stopTimer();
      clearTimeout(replayTimer);
      replayTimer = undefined;
      closed = true;
      if (spool && !removed) {
        // Batches waiting for a retry failed already: on disk they survive the restart, and what is
        // held follows them when the spool is not empty (order). The next start replays the spool.
        for (const [pending, retry] of retries) {
          clearTimeout(pending);
          toSpool(retry.payload);
        }
        retries.clear();
        const held = buffer.takeAll();
        if (!spooling() || !toSpool(held)) sendBatch(held, (out) => node.send(out));
      } else {
        // Send what is held and what waits for a retry before closing: nothing is lost on a redeploy.
        const held = buffer.takeAll();
        if (held.length > 0) {
          sentPoints += held.length;
          node.send({ payload: held, heatpumpBatch: { attempt: 0 } });
        }
        for (const [pending, retry] of retries) {
          clearTimeout(pending);
          node.send(retry);
        }
        retries.clear();
      }
      status.cancel();
      node.status({});
      done();
    });
  }

  RED.nodes.registerType('heatpump-batch', HeatpumpBatch);
};

export = init;
