// Node-RED glue of heatpump-batch: collects points (toPoints) into batches, so a flow writes one
// HTTP request per batch and never one per reading. With an InfluxDB 1.x server chosen (an
// `influxdb` config node) it writes each batch itself (influx-write.ts); without one it sends the
// batch to an `influxdb batch` node, and learns the outcome back: a `complete` node on `influxdb
// batch` reports a written batch, a `catch` node a failed one. It owns what happens after the
// write: a failed batch is sent again with growing delay and given up (reported as
// given to the disk spool (spool.ts) after the last retry: while it holds anything, new batches
// queue behind it and the oldest is replayed one at a time until InfluxDB takes it. With the
// spool off the points are reported lost. A write that gets no answer within writeTimeoutS (a hung
// database may never answer) counts as failed and goes to the spool at once; a late answer for it
// is ignored, so nothing is counted twice. With a fleet whose history is off it writes nothing.
// With the spool on, every accepted point is first appended to a write-ahead journal (journal.ts)
// kept until InfluxDB confirmed its batch: a Node-RED killed meanwhile replays it at the next start.
// A message that added points is acknowledged (done) once its append is on disk (group-commit.ts:
// one fdatasync per heatpumpBatchJournalSyncMs, run off the event loop), so a power cut loses
// nothing acknowledged either.
// Each batch holds the points of one retention policy (shared/retention.ts: the performance figures
// are kept longer than readings), sent as msg.retentionPolicy; spooled batches keep it too.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { InfluxPoint } from '../shared/contract';
import { errorOf } from '../shared/errors';
import { err } from '../shared/result';
import { fleetOf, type FleetLink } from '../shared/fleet-link';
import { toLines } from '../shared/line-protocol';
import { toPoints } from '../shared/points';
import { PacedStatus } from '../shared/paced-status';
import { byRetentionPolicy } from '../shared/retention';
import { setStatus } from '../shared/status';
import { PointBuffer, batchOptionsFromConfig, retryDelayMs, writeOutcomeOf, type WriteOutcome } from './buffer';
import { GroupCommit, resolveJournalSyncMs, DEFAULT_JOURNAL_SYNC_MS } from './group-commit';
import { InfluxWriter, influxTargetOf, type InfluxConfigLike } from './influx-write';
import { Journal } from './journal';
import { Spool, spoolOptionsFromConfig } from './spool';
import type { BatchMsg, HeatpumpBatchDef } from './types';

type Done = (err?: Error) => void;

/** runtime setting (settings.js): how long a message may wait for its journal sync, in ms */
const JOURNAL_SYNC_SETTING = 'heatpumpBatchJournalSyncMs';

/** node instances started in this process: an answer names the instance that sent its write */
let instances = 0;

/** a restored spool starts replaying this long after the start (the flow is wired by then) */
const REPLAY_START_MS = 1000;

/** Points cut into batches of one retention policy each, in order. */
const perPolicy = (points: readonly InfluxPoint[]): InfluxPoint[][] => byRetentionPolicy(points).map((run) => run.points);

/**
 * The message `influxdb batch` writes: msg.retentionPolicy is the batch's policy (all its points
 * share one), left out for the default policy so the node's own setting applies.
 */
function batchMsg(payload: InfluxPoint[], heatpumpBatch: BatchMsg['heatpumpBatch']): BatchMsg {
  const retentionPolicy = byRetentionPolicy(payload.slice(0, 1))[0]?.retentionPolicy;
  return retentionPolicy === undefined ? { payload, heatpumpBatch } : { payload, heatpumpBatch, retentionPolicy };
}

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
    /** write-ahead journal of accepted points (with the spool only: it replays through the spool) */
    let journal: Journal | undefined;
    if (spoolOptions.on) {
      const userDir = (RED.settings as { userDir?: unknown }).userDir;
      const base = typeof userDir === 'string' && userDir !== '' ? userDir : os.tmpdir();
      const dir = path.join(base, 'heatpump-spool', node.id.replace(/[^\w.-]/g, '_'));
      if (base !== userDir) node.warn(RED._('heatpump-batch.errors.no-userdir', { dir }));
      try {
        spool = new Spool(fs, dir, spoolOptions.maxMB * 1024 * 1024);
        if (spool.corrupt > 0) node.warn(RED._('heatpump-batch.errors.spool-corrupt', { count: spool.corrupt, dir }));
        journal = new Journal(fs, dir);
      } catch (thrown) {
        node.error(RED._('heatpump-batch.errors.spool-failed', { dir, error: errorOf(thrown).message }));
      }
    }
    const syncSetting = resolveJournalSyncMs(Reflect.get(RED.settings, JOURNAL_SYNC_SETTING));
    if (syncSetting.problem !== undefined) node.warn(syncSetting.problem);
    const durable = journal
      ? new GroupCommit(journal, syncSetting.ms, (ms, run) => {
          const pending = setTimeout(run, ms);
          return () => clearTimeout(pending);
        })
      : undefined;
    /** the chosen InfluxDB server: written to directly, else batches go out to an `influxdb batch` node */
    const server = config.influxdb ? (RED.nodes.getNode(config.influxdb) as (Node & InfluxConfigLike) | null) : undefined;
    const target = server === undefined ? undefined : server === null ? err('the chosen InfluxDB server is not deployed') : influxTargetOf(server);
    // with the fleet's history off (no database set up) nothing is written, so an unusable server is no news
    // (looked up without caching: a fleet config node that starts after this node is found at the first input)
    if (target && !target.ok && fleetOf(RED.nodes, config.fleet)?.history !== false) node.error(RED._('heatpump-batch.errors.influx-server', { error: target.error }));
    const writer = target?.ok ? new InfluxWriter(target.value) : undefined;
    /** writes sent and not answered yet, by their `sent` number, with their deadline timers (and the request, written directly) */
    const awaiting = new Map<number, { msg: BatchMsg; deadline: NodeJS.Timeout | undefined; request?: AbortController }>();
    const instance = ++instances;
    let lastSent = 0;
    /** answers that came after their write's deadline (ignored), counted for the log */
    let lateAnswers = 0;
    /** Writes a batch (itself or through `influxdb batch`) and waits at most writeTimeoutS for its answer. */
    const write = (payload: InfluxPoint[], tag: { attempt: number; spooled?: number; journal?: number }, send: (msg: NodeMessage) => void = (out) => node.send(out)): void => {
      sentPoints += payload.length;
      if (closed) {
        // sent while closing: the answer goes to the next instance, which takes it as it comes
        if (target === undefined) return send(batchMsg(payload, tag));
        return writeDirect(batchMsg(payload, tag), undefined);
      }
      const sent = ++lastSent;
      const msg = batchMsg(payload, { ...tag, sent, by: instance });
      const deadline = options.writeTimeoutS > 0 ? setTimeout(() => writeTimedOut(sent), options.writeTimeoutS * 1000) : undefined;
      if (target === undefined) {
        awaiting.set(sent, { msg, deadline });
        return send(msg);
      }
      const request = new AbortController();
      awaiting.set(sent, { msg, deadline, request });
      writeDirect(msg, request);
    };

    /** A write of our own: its answer is taken like one reported by complete / catch (a deadline's abort is not an answer). */
    const writeDirect = (msg: BatchMsg, request: AbortController | undefined): void => {
      const written = writer ? writer.write(toLines(msg.payload), msg.retentionPolicy, request?.signal) : Promise.reject(new Error(target && !target.ok ? target.error : 'no InfluxDB server'));
      const answer = (error: Error | undefined): void => {
        if (request?.signal.aborted) return;
        const report = (failed?: Error): void => {
          if (failed) node.error(failed.message, msg);
        };
        try {
          // after the close nothing is retried or spooled: written points are counted, lost ones reported
          if (closed) return error ? node.error(RED._('heatpump-batch.errors.lost', { count: msg.payload.length, tries: msg.heatpumpBatch.attempt + 1, error: error.message }), msg) : linkedFleet()?.written(msg.payload.length, 0);
          writeReported(error ? { ...msg, error: { message: error.message }, _msgid: '' } : { ...msg, _msgid: '' }, report);
        } catch (thrown) {
          // never an unhandled rejection: that would stop Node-RED
          report(errorOf(thrown));
        }
      };
      written.then(() => answer(undefined), answer);
    };

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
      const damaged = spool.takeDamaged();
      if (damaged > 0) linkedFleet()?.writeFailed(damaged, 'spool_failed');
      if (next === undefined) {
        replayFailures = 0;
        spoolDropped = 0;
        showStatus();
        return;
      }
      inFlight = next.seq;
      write(next.points, { attempt: 0, spooled: next.seq });
      showStatus();
    };
    const replaySoon = (delayMs: number): void => {
      if (closed || inFlight !== undefined || replayTimer !== undefined) return;
      replayTimer = setTimeout(replayNext, delayMs);
    };

    /** Stores points on disk behind the others, a batch per retention policy; false when there is no spool. */
    const toSpool = (points: InfluxPoint[], msg: NodeMessage = {}): boolean => {
      if (!spool) return false;
      if (points.length === 0) return true;
      for (const batch of perPolicy(points)) {
        try {
          const outcome = spool.append(batch);
          if (outcome.droppedPoints > 0) {
            linkedFleet()?.writeFailed(outcome.droppedPoints, 'spool_full');
            if (spoolDropped === 0) node.error(RED._('heatpump-batch.errors.spool-full', { mb: spoolOptions.maxMB, count: outcome.droppedPoints }), msg);
            spoolDropped += outcome.droppedPoints;
          }
        } catch (thrown) {
          linkedFleet()?.writeFailed(batch.length, 'spool_failed');
          node.error(RED._('heatpump-batch.errors.spool-write', { count: batch.length, error: errorOf(thrown).message }), msg);
        }
      }
      replaySoon(replayFailures > 0 ? retryDelayMs(replayFailures) : 0);
      return true;
    };

    const stopTimer = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    };

    /** Sends a batch (of one retention policy) cut from journal `segment` (or queues it behind the spool). */
    const sendBatch = (points: InfluxPoint[], send: (msg: NodeMessage) => void, attempt = 0, segment: number | undefined = undefined): void => {
      if (points.length === 0) return;
      // while the spool holds batches, new ones queue behind them: InfluxDB gets them in order
      if (spooling() && toSpool(points)) return journal?.release(segment);
      write(points, segment === undefined ? { attempt } : { attempt, journal: segment }, send);
    };

    /** Sends everything held (timer, msg.flush, close). */
    const flush = (send: (msg: NodeMessage) => void): void => {
      stopTimer();
      const batches = perPolicy(buffer.takeAll());
      const segment = journal?.cut(batches.length, []);
      for (const batch of batches) sendBatch(batch, send, 0, segment);
      showStatus();
    };

    /** a failing journal is reported once until it works again (the points stay in memory) */
    let journalFailing = false;
    /** a failed sync is reported like a failed append (the points stay held in memory); the message still completes */
    const journalSynced = (syncError: Error | undefined, msg: NodeMessage, done: Done): void => {
      if (syncError) {
        if (!journalFailing) node.error(RED._('heatpump-batch.errors.journal-write', { error: syncError.message }), msg);
        journalFailing = true;
      }
      done();
    };
    const add = (points: InfluxPoint[], msg: NodeMessage, send: (msg: NodeMessage) => void): void => {
      try {
        journal?.append(points);
        journalFailing = false;
      } catch (thrown) {
        if (!journalFailing) node.error(RED._('heatpump-batch.errors.journal-write', { error: errorOf(thrown).message }), msg);
        journalFailing = true;
      }
      const outcome = buffer.add(points);
      const batches = outcome.batches.flatMap(perPolicy);
      // the journal segment ends with the batches cut from it; what is still held goes on in the next one
      const segment = batches.length > 0 || outcome.dropped > 0 ? journal?.cut(batches.length, buffer.held()) : undefined;
      for (const batch of batches) sendBatch(batch, send, 0, segment);
      if (outcome.dropped > 0) {
        linkedFleet()?.writeFailed(outcome.dropped, 'buffer_full');
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
    const writeReported = (msg: NodeMessageInFlow, done: Done): void => {
      const outcome = writeOutcomeOf(msg, options.retries);
      if (!outcome.ok) return status.fail(done, statusText(), RED._('heatpump-batch.errors.bad-payload', { detail: outcome.error }));
      const { points, attempt, error, retryIn, beyondRetention } = outcome.value;
      const tag = msg.heatpumpBatch as { spooled?: unknown; sent?: unknown; by?: unknown };
      // an answer for a write of an earlier instance (sent before a redeploy) is taken as it comes
      let segment: number | undefined;
      if (tag.by === instance && typeof tag.sent === 'number') {
        const waiting = awaiting.get(tag.sent);
        if (waiting === undefined) {
          // past its deadline the write was taken as failed and spooled: its replay counts it, once
          lateAnswers += 1;
          node.warn(RED._('heatpump-batch.errors.late-answer', { count: points.length, seconds: options.writeTimeoutS, total: lateAnswers }));
          return done();
        }
        clearTimeout(waiting.deadline);
        awaiting.delete(tag.sent);
        segment = waiting.msg.heatpumpBatch.journal;
      }
      const spooledSeq = typeof tag.spooled === 'number' ? tag.spooled : undefined;
      if (beyondRetention > 0) node.warn(RED._('heatpump-batch.errors.beyond-retention', { count: beyondRetention, total: points.length }));
      writeAnswered(points, attempt, spooledSeq, segment, { error, retryIn, beyondRetention }, msg, done);
    };

    /** No answer within writeTimeoutS: the write counts as failed; with a spool it goes there at once (the database hangs: retries would hang too). */
    const writeTimedOut = (sent: number): void => {
      const waiting = awaiting.get(sent);
      if (waiting === undefined) return;
      awaiting.delete(sent);
      waiting.request?.abort();
      const { payload, heatpumpBatch } = waiting.msg;
      const error = RED._('heatpump-batch.errors.no-answer', { seconds: options.writeTimeoutS });
      const retryIn = spool || heatpumpBatch.attempt >= options.retries ? undefined : retryDelayMs(heatpumpBatch.attempt + 1);
      writeAnswered(payload, heatpumpBatch.attempt, heatpumpBatch.spooled, heatpumpBatch.journal, { error, retryIn, beyondRetention: 0 }, waiting.msg, (err) => {
        if (err) node.error(err.message, waiting.msg);
      });
    };

    /**
     * What to do with a write's outcome: count it, retry it, spool it or report its points lost.
     * Its journal segment goes once the batch is counted, spooled or lost, never while it waits
     * for a retry. Written points are counted in the same step their journal goes: a replay after
     * a kill counts only points whose write was never confirmed.
     */
    const writeAnswered = (
      points: InfluxPoint[],
      attempt: number,
      spooledSeq: number | undefined,
      segment: number | undefined,
      { error, retryIn, beyondRetention }: Pick<WriteOutcome, 'error' | 'retryIn' | 'beyondRetention'>,
      msg: NodeMessage,
      done: Done,
    ): void => {
      if (spooledSeq !== undefined) return replayReported(spooledSeq, points.length, error, beyondRetention, done);
      if (error === undefined) {
        journal?.release(segment);
        linkedFleet()?.written(points.length - beyondRetention, beyondRetention);
        showStatus();
        return done();
      }
      if (retryIn !== undefined) {
        linkedFleet()?.writeFailed(0);
        node.warn(RED._('heatpump-batch.errors.retry', { count: points.length, error, attempt: attempt + 1, retries: options.retries, seconds: retryIn / 1000 }));
        const retry = batchMsg(points, segment === undefined ? { attempt: attempt + 1 } : { attempt: attempt + 1, journal: segment });
        const pending = setTimeout(() => {
          retries.delete(pending);
          // behind a spool that filled meanwhile, in order
          sendBatch(points, (out) => node.send(out), attempt + 1, segment);
          showStatus();
        }, retryIn);
        retries.set(pending, retry);
        showStatus();
        return done();
      }
      if (spool) {
        // the database is down for a while: keep the batch on disk and replay it later
        linkedFleet()?.writeFailed(0);
        // the first replay waits as long as the next retry would have (a timed-out write skips its retries)
        if (!spooling() && inFlight === undefined && replayTimer === undefined) replayFailures = Math.max(replayFailures, attempt + 1);
        node.warn(RED._('heatpump-batch.errors.spooled', { count: points.length, tries: attempt + 1, error }));
        toSpool(points, msg);
        journal?.release(segment);
        showStatus();
        return done();
      }
      journal?.release(segment);
      linkedFleet()?.writeFailed(points.length, 'retries_exhausted');
      status.fail(done, statusText(), RED._('heatpump-batch.errors.lost', { count: points.length, tries: attempt + 1, error }));
    };

    /** Feedback for a replayed batch: written -> delete it and send the next; failed -> the same one again later. */
    const replayReported = (seq: number, count: number, error: string | undefined, beyondRetention: number, done: Done): void => {
      if (error === undefined) {
        // a batch deleted already (dropped from a full spool meanwhile) is not counted again
        if (spool?.remove(seq)) linkedFleet()?.written(count - beyondRetention, beyondRetention);
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

    if (spool && journal) {
      // a killed run's unconfirmed points become spool batches (written again: InfluxDB overwrites
      // a point with the same series and timestamp, so a batch whose write had succeeded adds no row)
      try {
        const { points, unreadableLines } = journal.leftover();
        const size = options.maxPoints > 0 ? options.maxPoints : points.length;
        let dropped = 0;
        for (let from = 0; from < points.length; from += size) {
          for (const batch of perPolicy(points.slice(from, from + size))) dropped += spool.append(batch).droppedPoints;
        }
        if (dropped > 0) linkedFleet()?.writeFailed(dropped, 'spool_full');
        journal.discardLeftover();
        if (points.length > 0 || unreadableLines > 0) node.warn(RED._('heatpump-batch.errors.journal-replayed', { count: points.length, unreadable: unreadableLines }));
      } catch (thrown) {
        // the journal files stay: the next start tries again
        node.error(RED._('heatpump-batch.errors.journal-read', { dir: spool.dir, error: errorOf(thrown).message }));
      }
    }
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
        let added = false;
        // A flush message's payload counts only when it holds something (an inject sends a timestamp).
        if (!isFlush || (typeof msg.payload === 'object' && msg.payload !== null)) {
          const converted = toPoints(msg.payload);
          const policy = (msg as { retentionPolicy?: unknown }).retentionPolicy;
          const policyProblem = policy === undefined || typeof policy === 'string' ? undefined : `msg.retentionPolicy must be a retention policy name, got ${typeof policy}`;
          const problem = converted.ok ? policyProblem : converted.error;
          if (!converted.ok || problem !== undefined) {
            if (isFlush) flush(send);
            status.fail(done, statusText(), RED._('heatpump-batch.errors.bad-payload', { detail: problem ?? '' }));
            return;
          }
          // a message's own policy wins over the measurements' (shared/retention.ts)
          if (typeof policy === 'string' && policy !== '') for (const point of converted.value.points) point.retentionPolicy = policy;
          add(converted.value.points, msg, send);
          added = true;
        }
        if (isFlush) flush(send);
        showStatus();
        // acknowledged once its points are on disk: a power cut after done() loses none of them
        if (added && durable) return durable.commit((syncError) => journalSynced(syncError, msg, done));
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
      // answers after the close go to a node that is gone: writes still waiting are not followed up;
      // our own writes under way are stopped and, with a spool, kept there for the next start (a
      // batch InfluxDB did take meanwhile is written again: same series and time, no new row)
      for (const { deadline, request, msg } of awaiting.values()) {
        clearTimeout(deadline);
        if (!request) continue;
        request.abort();
        if (spool && !removed && msg.heatpumpBatch.spooled === undefined) toSpool(msg.payload);
        else if (!spool || removed) writeDirect(msg, undefined);
      }
      awaiting.clear();
      if (spool && !removed) {
        // Batches waiting for a retry failed already: on disk they survive the restart, and what is
        // held follows them when the spool is not empty (order). The next start replays the spool.
        for (const [pending, retry] of retries) {
          clearTimeout(pending);
          toSpool(retry.payload);
        }
        retries.clear();
        const held = buffer.takeAll();
        // written directly, what is held goes to the spool too: a write now could fail with no one to retry it
        if ((target === undefined && !spooling()) || !toSpool(held)) for (const batch of perPolicy(held)) sendBatch(batch, (out) => node.send(out));
      } else {
        // Send what is held and what waits for a retry before closing: nothing is lost on a redeploy.
        const held = buffer.takeAll();
        for (const batch of perPolicy(held)) write(batch, { attempt: 0 });
        for (const [pending, retry] of retries) {
          clearTimeout(pending);
          write(retry.payload, retry.heatpumpBatch);
        }
        retries.clear();
      }
      // messages waiting for their sync (or in one running) complete now, after a blocking sync; what the
      // journal held is written, sent or spooled above (a sync still running closes its fd when it ends)
      durable?.flush();
      journal?.discardAll();
      writer?.close();
      status.cancel();
      node.status({});
      done();
    });
  }

  RED.nodes.registerType('heatpump-batch', HeatpumpBatch, {
    settings: { [JOURNAL_SYNC_SETTING]: { value: DEFAULT_JOURNAL_SYNC_MS, exportable: true } },
  });
};

export = init;
