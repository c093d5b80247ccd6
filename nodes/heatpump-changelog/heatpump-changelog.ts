// Records setting changes and events from the flows in the heatpump-database file, and answers the
// change log and event log API for http in / http response.
import type { Node, NodeAPI } from 'node-red';
import { logWriteOf } from './entries';
import { answer } from './answer';
import { ANSWER_FORMATS, formatAnswer, type AnswerFormat } from './rows';
import { parseLogRequest } from './request';
import type { HeatpumpChangelogDef } from './types';
import type { HeatpumpDatabaseNode } from '../heatpump-database/types';
import { DatabaseUnavailable, type LogDatabase, type LogDatabaseState } from '../heatpump-database/log-database';
import type { LogWrite } from '../heatpump-database/store';
import { errorOf, failInput, refuseConfiguration } from '../shared/errors';
import { httpCallOf } from '../shared/http-call';
import { setStatus } from '../shared/status';

/**
 * Writes from the flows are gathered this long and go to the file in one transaction: every
 * transaction waits for the disk (fsync) on the runtime's thread, so one per message would stall
 * every flow when a large fleet comes online at once.
 */
const GATHER_WRITES_MS = 100;

const init = (RED: NodeAPI): void => {
  function HeatpumpChangelog(this: Node, config: HeatpumpChangelogDef) {
    RED.nodes.createNode(this, config);
    const owner = config.database ? (RED.nodes.getNode(config.database) as HeatpumpDatabaseNode | null) : null;
    if (!owner?.database) {
      refuseConfiguration(this, RED._('heatpump-changelog.errors.no-database'), RED._('heatpump-changelog.status.no-database'));
      return;
    }
    const database: LogDatabase = owner.database;
    const format = config.answer === undefined || config.answer === '' ? 'api' : config.answer;
    if (!(ANSWER_FORMATS as readonly string[]).includes(format)) {
      refuseConfiguration(this, RED._('heatpump-changelog.errors.bad-answer', { answer: format }), RED._('heatpump-changelog.status.bad-answer'));
      return;
    }
    const answerFormat = format as AnswerFormat;
    let recorded = 0;

    const showState = (state: LogDatabaseState) => {
      if (state.status === 'open') setStatus(this, state.pending > 0 ? 'busy' : 'ok', RED._('heatpump-changelog.status.recorded', { recorded }));
      else setStatus(this, 'error', RED._(`heatpump-changelog.status.${state.status}`, { pending: state.pending }));
    };
    database.on('state', showState);
    showState(database.state);

    let gathered: LogWrite[] = [];
    let gatherTimer: NodeJS.Timeout | undefined;
    // kept in memory while the file cannot be written: the status says so
    const writeGathered = (): void => {
      clearTimeout(gatherTimer);
      gatherTimer = undefined;
      if (gathered.length === 0) return;
      const writes = gathered;
      gathered = [];
      database.record(writes);
      showState(database.state);
    };

    this.on('input', (msg, send, done) => {
      const now = Date.now();
      const call = httpCallOf(msg);
      if (!call) {
        const write = logWriteOf(msg.payload, now);
        if (!write.ok) return failInput(this, done, RED._('heatpump-changelog.status.bad-message'), RED._('heatpump-changelog.errors.bad-message', { error: write.error }));
        recorded += 1;
        gathered.push(write.value);
        gatherTimer ??= setTimeout(writeGathered, GATHER_WRITES_MS);
        return done();
      }
      // an answer includes every message that came before the request
      writeGathered();
      const parsed = parseLogRequest(call);
      // A bad API call is the caller's mistake, answered with a JSON error, not a flow error.
      const reply = (statusCode: number, payload: unknown) => send({ ...msg, statusCode, payload, headers: { 'content-type': 'application/json; charset=utf-8' } });
      if (!parsed.ok) {
        reply(parsed.error.statusCode, { error: parsed.error.error });
        return done();
      }
      try {
        const request = parsed.value;
        const result = formatAnswer(request, database.use((store) => answer(request, store, now)), answerFormat);
        reply(result.statusCode, result.payload);
        done();
      } catch (thrown) {
        if (thrown instanceof DatabaseUnavailable) {
          reply(503, { error: thrown.message });
          return done();
        }
        reply(500, { error: 'the change log could not be read or written' });
        done(errorOf(thrown));
      }
    });

    this.on('close', (_removed: boolean, done: () => void) => {
      writeGathered();
      database.off('state', showState);
      this.status({});
      done();
    });
  }

  RED.nodes.registerType('heatpump-changelog', HeatpumpChangelog);
};

export = init;
