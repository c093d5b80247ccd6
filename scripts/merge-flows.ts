// `node dist/scripts/merge-flows.js <out.json>`: writes the shipped flow (flows/*.json merged)
// to one flows.json file, and its `${ENV}` credential references to flows_cred.json beside it,
// as the Docker image build does.
import fs from 'node:fs';
import { loadShippedFlows, writeCredentialsFile } from './lib/shipped-flows';

const out = process.argv[2];
const flowsDir = process.argv[3];
try {
  const nodes = loadShippedFlows(flowsDir);
  const text = `${JSON.stringify(nodes, null, 2)}\n`;
  if (out) {
    fs.writeFileSync(out, text);
    writeCredentialsFile(out, nodes);
  } else process.stdout.write(text);
  console.error(`merged ${nodes.length} flow nodes${out ? ` into ${out}` : ''}`);
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
