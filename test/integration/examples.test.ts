// Every example of Import ▸ Examples deploys in a real Node-RED (the runtime npm start builds): the
// first as the whole flow npm start runs, each next one deployed over the one before, as a user
// imports and deploys it in the editor. No unknown node type, no node error at start (nor while the
// example before it stops), and the example's first inject or endpoint does what its comment says.
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

  after(async () => {
    await product?.stop();
  });

  /** npm start with `flows` as its flow, or, once it runs, a full deploy of `flows`; the output since */
  async function deploy(flows: unknown[]): Promise<{ running: RunningProduct; since: () => string }> {
    if (!product) {
      product = await startProduct(
        { SIMULATOR: '0', LOCAL_INFLUXD: '0', HEATPUMP_RESET_FLOWS: '0' },
        { flows, ready: async (p) => p.output().includes('Started flows') },
      );
      assert.match(product.output(), /keeping your edited flows/, 'npm start ran the example, not the shipped flow');
      const running = product;
      return { running, since: () => running.output() };
    }
    const running = product;
    const from = running.output().length;
    const since = () => running.output().slice(from);
    const res = await fetch(`${running.baseUrl}/flows`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify(flows),
    });
    assert.equal(res.status, 204, `deploy: ${await res.text()}`);
    await eventually(async () => since().includes('Started flows') || undefined, 20_000, 'the deployed flows started');
    return { running, since };
  }

  for (const file of files) {
    it(file, async () => {
      const { running, since } = await deploy(JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8')) as unknown[]);
      // errors a node reports while starting show within the first moments
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const problems = since()
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
