// `npm run examples`: writes the shipped flows (flows/*.json) as one importable example, so that
// Import > Examples in any Node-RED >= 4 offers the complete product flow. A test keeps the
// example and flows/ in step.
import fs from 'node:fs';
import path from 'node:path';
import { loadShippedFlows, projectRoot, type FlowNode } from './lib/shipped-flows';

export const COMPLETE_EXAMPLE = '10 - Heat pump monitor (complete).json';
const FIRST_COMMENT = 'hp_c_ingest_devices';

/** The shipped flow with its introductory comment first, as our examples start. */
export function completeExample(flows: FlowNode[] = loadShippedFlows()): FlowNode[] {
  const comment = flows.find((node) => node.id === FIRST_COMMENT);
  return comment ? [comment, ...flows.filter((node) => node !== comment)] : flows;
}

if (require.main === module) {
  const file = path.join(projectRoot, 'examples', COMPLETE_EXAMPLE);
  fs.writeFileSync(file, `${JSON.stringify(completeExample(), null, 2)}\n`);
  console.log(`wrote examples/${COMPLETE_EXAMPLE}`);
}
