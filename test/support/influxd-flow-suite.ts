// Mocha hooks of a flow suite against its own Debian influxd: influxd started once per suite (and
// prepared by the suite), a Node-RED test server per test, everything removed at the end.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startInfluxd, type RunningInfluxd } from '../../scripts/lib/influxd';
import { helper } from './flow-helper';
import { nodeRedPath } from './node-red';
import { requireBinary } from './system';

export interface InfluxdFlowSuite {
  /** the running influxd (from the suite's `before` on) */
  readonly influx: RunningInfluxd;
  /** the Node-RED user directory of the tests (spools live there) */
  readonly userDir: string;
}

/** Call inside `describe`; `prepare` sets up databases and users once influxd runs. */
export function influxdFlowSuite(prefix: string, prepare: (influx: RunningInfluxd) => Promise<void>, options: { authEnabled?: boolean } = {}): InfluxdFlowSuite {
  let influx: RunningInfluxd | undefined;
  let dataDir = '';
  let userDir = '';
  before(async function () {
    const binary = requireBinary(this, 'influxd', 'influxdb');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-influx-`));
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-user-`));
    influx = await startInfluxd({ dataDir, port: 0, binary, authEnabled: options.authEnabled === true });
    await prepare(influx);
    helper.init(nodeRedPath);
    helper.settings({ userDir });
  });
  beforeEach((done) => {
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
  });
  after(async () => {
    helper.settings({});
    await influx?.stop();
    for (const dir of [dataDir, userDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    get influx(): RunningInfluxd {
      if (!influx) throw new Error('influxd is not started yet (use it inside a test or hook)');
      return influx;
    },
    get userDir(): string {
      return userDir;
    },
  };
}
