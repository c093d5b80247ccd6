// The config node that owns the SQLite file of the change log and the event log: one LogDatabase,
// opened once when the flows start, shared by every heatpump-changelog node that names it.
import type { NodeAPI } from 'node-red';
import { LogDatabase } from './log-database';
import { DEFAULT_RETENTION_DAYS, databasePath, retentionDaysOf } from './options';
import type { HeatpumpDatabaseDef, HeatpumpDatabaseNode } from './types';

const init = (RED: NodeAPI): void => {
  const settings = RED.settings as unknown as { userDir?: string; heatpumpDatabaseRetryInterval?: number };

  function HeatpumpDatabase(this: HeatpumpDatabaseNode, config: HeatpumpDatabaseDef) {
    RED.nodes.createNode(this, config);
    const file = databasePath(config.path, settings.userDir ?? process.cwd());
    const configuredDays = retentionDaysOf(config.retentionDays);
    if (configuredDays === undefined) this.error(RED._('heatpump-database.errors.bad-retention', { value: String(config.retentionDays) }));
    this.database = new LogDatabase(file, {
      retentionDays: configuredDays ?? DEFAULT_RETENTION_DAYS,
      retryMs: settings.heatpumpDatabaseRetryInterval ?? 5000,
      maxPending: 100_000,
    });
    let reported = '';
    this.database.on('state', (state: LogDatabase['state']) => {
      // one log line per new problem, not one per retry
      const problem = state.status === 'open' ? '' : state.message;
      if (problem !== '' && problem !== reported) this.error(problem);
      if (problem === '' && reported !== '') this.log(RED._('heatpump-database.log.recovered', { path: file }));
      reported = problem;
    });
    this.database.on('warning', (message: string) => this.warn(message));
    this.database.on('lost', (count: number) => this.error(RED._('heatpump-database.errors.lost', { count, path: file })));
    this.database.open();

    this.on('close', (_removed: boolean, done: () => void) => {
      const unwritten = this.database.close();
      if (unwritten > 0) this.error(RED._('heatpump-database.errors.unwritten', { count: unwritten, path: file }));
      done();
    });
  }

  RED.nodes.registerType('heatpump-database', HeatpumpDatabase, {
    settings: { heatpumpDatabaseRetryInterval: { value: 5000, exportable: true } },
  });
};

export = init;
