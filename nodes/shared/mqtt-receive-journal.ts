// Node-RED glue of the receive journal (receive-journal.ts): closes the gap between Node-RED's
// `mqtt in`, which confirms a QoS 1 message to the broker as it receives it, and the node that
// stores it. Runtime hooks, not a node: `mqtt in` sends its message synchronously inside the MQTT
// client's 'message' event, and the client writes the PUBACK only after that event, so an onSend
// hook that appends the message has it on disk before the broker hears it was received.
//
// Which messages: QoS 1 and 2 messages an `mqtt in` node sends to a heat pump decoder. A message
// is released when every message derived from it is done: each delivery of a message with its
// _msgid (Node-RED keeps _msgid through clones, and the decoders keep it on what they send) counts
// one, each done() (onComplete) takes one off. A message not done within HOLD_MS (a node on its
// way that never calls done) is released with a warning. A decoder that gathers several messages
// into one (heatpump-decode's gathered output) folds them first (foldReceived): the others are then
// released with the one that carries them, and sent again with it. The first start of the flows sends the
// leftover of a killed or stopped run again from the same `mqtt in` node, before the broker
// connection delivers anything new; a later start (a deploy) sends again what a stopped node
// dropped without calling done. A node that calls done for what it drops when it stops (the core
// delay node does) says it is handled: the journal takes its word.
import fs from 'node:fs';
import path from 'node:path';
import type { NodeAPI, NodeMessage } from 'node-red';
import { errorOf } from './errors';
import { ReceiveJournal, type ReceivedMessage, type ReceiveKey } from './receive-journal';

/** runtime setting (settings.js): false turns the journal off */
const SETTING = 'heatpumpReceiveJournal';
/** the nodes whose input the journal covers */
const DECODERS = new Set(['heatpump-decode', 'heishamon-decode', 'espaltherma-decode']);
/** a message not done by then is released (and counted in a warning) */
const HOLD_MS = 60_000;
/** how often coalesced releases are written and held messages looked at */
const SWEEP_MS = 250;
const LABEL = 'heatpumpReceiveJournal';

interface Tracked {
  key: ReceiveKey;
  /** the `mqtt in` node that sent it, and the message as it sent it (to send it again after a redeploy) */
  source: string;
  msg: NodeMessage;
  /** deliveries of the message and of messages derived from it that are not done yet */
  deliveries: number;
  since: number;
  /** messages folded into this one: released and sent again with it */
  riders: Tracked[];
}

/** the runtime sets _msgid before the hooks run */
type RoutedMsg = NodeMessage & { _msgid: string; qos?: unknown };

interface SendEventLike {
  msg: RoutedMsg;
  source: { id: string; node?: { type?: string } };
  destination: { id: string };
}

interface CompleteEventLike {
  msg: RoutedMsg;
}

/** the journal of this process: one per Node-RED user directory */
let active: { dir: string; stop: () => void; fold: (ids: readonly string[]) => string | undefined } | undefined;

/**
 * Folds the journaled messages among `ids` (the _msgid of messages a node gathers into one, not
 * done yet) into the first of them: the others are released once every delivery of that one is
 * done, and sent again with it. Returns the _msgid the gathered message must carry (the first
 * journaled one), or undefined when none is journaled.
 */
export function foldReceived(ids: readonly string[]): string | undefined {
  return active?.fold(ids);
}

/** Installs the journal's hooks once per runtime (every decoder module asks). */
export function installReceiveJournal(RED: NodeAPI): void {
  const userDir = (RED.settings as { userDir?: unknown }).userDir;
  // without a user directory (node-red-node-test-helper) there is no place that outlives the process
  if (Reflect.get(RED.settings, SETTING) === false || typeof userDir !== 'string' || userDir === '') return;
  const dir = path.join(userDir, 'heatpump-spool', 'received');
  if (active?.dir === dir) return;
  active?.stop();

  let journal: ReceiveJournal;
  try {
    journal = new ReceiveJournal(fs, dir);
  } catch (thrown) {
    RED.log.error(`heatpump receive journal: cannot use ${dir}: ${errorOf(thrown).message}; QoS 1 messages from mqtt in are not journaled`);
    return;
  }
  const leftover = journal.leftover();
  const tracked = new Map<string, Tracked>();
  let failing = false;

  const report = (thrown: unknown): void => {
    // one error per episode: a full disk would otherwise log once per message
    if (failing) return;
    failing = true;
    RED.log.error(`heatpump receive journal: ${errorOf(thrown).message}; messages go on without it until it works again`);
  };

  const onSend = (events: SendEventLike[]): void => {
    try {
      const first = events[0];
      if (first === undefined) return;
      if (tracked.has(first.msg._msgid)) {
        // messages derived from journaled ones: one more delivery to wait for each
        for (const event of events) {
          const entry = tracked.get(event.msg._msgid);
          if (entry) entry.deliveries += 1;
        }
        return;
      }
      if (first.source.node?.type !== 'mqtt in' || !(Number(first.msg.qos) > 0)) return;
      if (!events.some((event) => DECODERS.has(RED.nodes.getNode(event.destination.id)?.type ?? ''))) return;
      const key = journal.append(first.source.id, first.msg);
      failing = false;
      // sent again, it gets a new _msgid: the deliveries of this one may still be under way
      const { _msgid: id, ...msg } = first.msg;
      tracked.set(id, { key, source: first.source.id, msg: msg as NodeMessage, deliveries: events.length, since: Date.now(), riders: [] });
    } catch (thrown) {
      report(thrown);
    }
  };

  /** Releases a message and those folded into it. */
  const release = (entry: Tracked): void => {
    try {
      journal.release(entry.key);
      for (const rider of entry.riders) journal.release(rider.key);
    } catch (thrown) {
      report(thrown);
    }
  };

  const fold = (ids: readonly string[]): string | undefined => {
    let carrier: Tracked | undefined;
    let carrierId: string | undefined;
    for (const id of ids) {
      const entry = tracked.get(id);
      if (!entry || entry === carrier) continue;
      if (carrier === undefined) {
        carrier = entry;
        carrierId = id;
        continue;
      }
      // its delivery into the gathering node is all it had: it now goes with the carrier's
      tracked.delete(id);
      carrier.riders.push(entry, ...entry.riders);
      entry.riders = [];
    }
    return carrierId;
  };

  const onComplete = (event: CompleteEventLike): void => {
    const entry = tracked.get(event.msg._msgid);
    if (!entry) return;
    entry.deliveries -= 1;
    if (entry.deliveries > 0) return;
    tracked.delete(event.msg._msgid);
    release(entry);
  };

  /** Writes the coalesced releases; at flows:stopped too, or a stop (SIGTERM) would leave the last ones to be sent again at the next start. */
  const writeReleases = (): void => {
    try {
      journal.flush();
    } catch (thrown) {
      report(thrown);
    }
  };
  const sweep = setInterval(() => {
    let expired = 0;
    const oldest = Date.now() - HOLD_MS;
    // a Map iterates in insertion order: the oldest messages come first
    for (const [id, entry] of tracked) {
      if (entry.since > oldest) break;
      tracked.delete(id);
      expired += 1 + entry.riders.length;
      release(entry);
    }
    if (expired > 0) {
      RED.log.warn(`heatpump receive journal: ${expired} message(s) from mqtt in not done within ${HOLD_MS / 1000} s (does a node on their way not call done?); a restart will not send them again`);
    }
    writeReleases();
  }, SWEEP_MS);
  sweep.unref();

  /** the messages that were on their way when the flows began to stop */
  let interrupted: Set<string> | undefined;
  const noteInterrupted = (): void => {
    interrupted = new Set(tracked.keys());
  };
  /** Sends a message again from its `mqtt in` node; false when that node is not deployed. */
  const sendAgain = (source: string, msg: NodeMessage): boolean => {
    const node = RED.nodes.getNode(source);
    if (node?.type !== 'mqtt in') return false;
    node.send(msg);
    return true;
  };
  let started = false;
  const onFlowsStarted = (): void => {
    if (!started) {
      started = true;
      sendLeftover();
      return;
    }
    // A deploy stopped the nodes these messages were going to, and a stopped node drops what
    // reaches it or what it holds: send again those not done (one that a node not stopped by a
    // partial deploy is still handling is handled twice, as QoS 1 allows).
    const orphans: ReceivedMessage[] = [];
    let again = 0;
    for (const id of interrupted ?? []) {
      const entry = tracked.get(id);
      if (!entry) continue;
      tracked.delete(id);
      for (const message of [entry, ...entry.riders]) {
        if (sendAgain(message.source, message.msg)) again += 1;
        else orphans.push({ source: message.source, msg: message.msg });
      }
      release(entry);
    }
    interrupted = undefined;
    setAside(orphans);
    if (again > 0) RED.log.info(`heatpump receive journal: sent again ${again} message(s) that were on their way and not done when the deploy stopped nodes`);
  };
  /** Keeps messages whose `mqtt in` node is no longer deployed in a file beside the journal, and says so; false if it could not. */
  const setAside = (orphans: ReceivedMessage[]): boolean => {
    if (orphans.length === 0) return true;
    try {
      const file = journal.setAside(orphans, `orphaned-${new Date().toISOString().replace(/[:.]/g, '-')}.ndjson`);
      RED.log.warn(`heatpump receive journal: ${orphans.length} message(s) taken in from mqtt in nodes no longer deployed; kept in ${file}`);
      return true;
    } catch (thrown) {
      RED.log.error(`heatpump receive journal: ${orphans.length} message(s) taken in from mqtt in nodes no longer deployed could not be kept: ${errorOf(thrown).message}`);
      return false;
    }
  };
  const sendLeftover = (): void => {
    if (leftover.corrupt > 0) RED.log.warn(`heatpump receive journal: ${leftover.corrupt} unreadable line(s) in ${dir}`);
    if (leftover.files.length === 0) return;
    const orphans = leftover.messages.filter((message) => !sendAgain(message.source, message.msg as NodeMessage));
    // the files stay (and are read again at the next start) if the orphans could not be kept
    if (!setAside(orphans)) return;
    journal.removeLeftover(leftover.files);
    const sent = leftover.messages.length - orphans.length;
    if (sent > 0) RED.log.info(`heatpump receive journal: sent again ${sent} message(s) taken in but not handled before the last stop`);
  };
  RED.events.on('flows:stopping', noteInterrupted);
  RED.events.on('flows:stopped', writeReleases);
  RED.events.on('flows:started', onFlowsStarted);

  RED.hooks.remove(`*.${LABEL}`);
  RED.hooks.add(`onSend.${LABEL}`, onSend as (events: unknown) => void);
  RED.hooks.add(`onComplete.${LABEL}`, onComplete as (event: unknown) => void);
  active = {
    dir,
    fold,
    stop: () => {
      clearInterval(sweep);
      RED.events.removeListener('flows:stopping', noteInterrupted);
      RED.events.removeListener('flows:stopped', writeReleases);
      RED.events.removeListener('flows:started', onFlowsStarted);
      RED.hooks.remove(`*.${LABEL}`);
    },
  };
}
