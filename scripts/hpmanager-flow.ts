// `node dist/scripts/hpmanager-flow.js heatpumps.yml registers.yml [interval_s] > hpmanager.json`:
// an HPManager user's configuration as a flow to import into the editor (Import > select a file).
// The shipped flow's fleet (hp_fleet) and ingest tab receive what it polls.
import fs from 'node:fs';
import { hpmanagerFlow } from './lib/hpmanager-flow';

const [heatpumps, registers, interval] = process.argv.slice(2);
if (!heatpumps || !registers) {
  console.error('usage: node dist/scripts/hpmanager-flow.js heatpumps.yml registers.yml [interval_s] > flow.json');
  process.exit(2);
}
const flow = hpmanagerFlow(fs.readFileSync(heatpumps, 'utf8'), fs.readFileSync(registers, 'utf8'), { intervalS: interval ? Number(interval) : undefined, fleet: 'hp_fleet' });
if (!flow.ok) {
  for (const problem of flow.error) console.error(problem);
  process.exit(1);
}
process.stdout.write(`${JSON.stringify(flow.value, null, 2)}\n`);
