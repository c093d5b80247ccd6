// Every example of Import ▸ Examples deploys in a real Node-RED (the runtime npm start builds, with
// the example as its whole flow): no unknown node type, no node error at start, and the example's
// first inject or endpoint does what its comment says.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../support/node-red';
import { eventually, startProduct, type RunningProduct } from '../support/runtime';

const EXAMPLES = path.join(projectRoot, 'examples');
/** The complete example is the shipped flow, which every npm start test already runs. */
const files = fs.readdirSync(EXAMPLES).filter((file) => file.endsWith('.json') && !file.startsWith('10 '));

describe('examples deploy in a real runtime', function () {
  this.timeout(60_000);
  let product: RunningProduct | undefined;

  afterEach(async () => {
    await product?.stop();
    product = undefined;
  });

  for (const file of files) {
    it(file, async () => {
      const flows = JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8')) as unknown[];
      product = await startProduct(
        { SIMULATOR: '0', LOCAL_INFLUXD: '0', HEATPUMP_RESET_FLOWS: '0' },
        { flows, ready: async (p) => p.output().includes('Started flows') },
      );
      const running = product;
      assert.match(running.output(), /keeping your edited flows/, 'npm start ran the example, not the shipped flow');
      // errors a node reports while starting show within the first moments
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const problems = running
        .output()
        .split('\n')
        .filter((line) => /\[error\]|Waiting for missing types|Unknown type/.test(line));
      assert.deepEqual(problems, []);
      if (file.startsWith('06 ')) {
        const health = await eventually(async () => {
          const res = await fetch(`${running.baseUrl}/example/api/health`);
          return res.status === 200 || res.status === 503 ? ((await res.json()) as { status?: string }) : undefined;
        }, 5000, 'the example health endpoint');
        assert.match(String(health.status), /^(healthy|degraded|unhealthy)$/);
        const bad = await fetch(`${running.baseUrl}/example/api/alerts?hours=0`);
        assert.equal(bad.status, 400);
      }
    });
  }
});
