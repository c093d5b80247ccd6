// The shipped flow = flows/*.json concatenated in file-name order (one file per tab). Used by npm start
// (to seed the user directory) and by the Docker image build (docker/node-red/Dockerfile).
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';

export interface FlowNode {
  id: string;
  type: string;
  [key: string]: unknown;
}

/** The repository root, from dist/scripts/lib/ or scripts/lib/. */
export const projectRoot = (() => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();

function isFlowNode(value: unknown): value is FlowNode {
  if (typeof value !== 'object' || value === null) return false;
  const node = value as Record<string, unknown>;
  return typeof node.id === 'string' && node.id !== '' && typeof node.type === 'string';
}

export function loadShippedFlows(flowsDir = path.join(projectRoot, 'flows')): FlowNode[] {
  const files = fs
    .readdirSync(flowsDir)
    .filter((name) => name.endsWith('.json'))
    .sort();
  const nodes: FlowNode[] = [];
  const seenIn = new Map<string, string>();
  for (const file of files) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(path.join(flowsDir, file), 'utf8'));
    } catch (err) {
      throw new Error(`flows/${file}: invalid JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    if (!Array.isArray(parsed)) throw new Error(`flows/${file}: expected a JSON array of flow nodes`);
    parsed.forEach((node: unknown, index) => {
      if (!isFlowNode(node)) throw new Error(`flows/${file}: element ${index} is not a flow node (id and type needed)`);
      const earlier = seenIn.get(node.id);
      if (earlier) throw new Error(`flows/${file}: duplicate node id "${node.id}" (also in flows/${earlier})`);
      seenIn.set(node.id, file);
      nodes.push(node);
    });
  }
  return nodes;
}

/**
 * Node-RED reads credentials only from `<flows>_cred.json`, never from the flow file itself. The
 * shipped flows' credentials are `${ENV}` references (no secrets), written there unencrypted;
 * Node-RED encrypts the file with its credentialSecret on the next deploy.
 */
export function credentialsOf(nodes: FlowNode[]): Record<string, Record<string, unknown>> {
  const credentials: Record<string, Record<string, unknown>> = {};
  for (const node of nodes) {
    if (typeof node.credentials === 'object' && node.credentials !== null) credentials[node.id] = node.credentials as Record<string, unknown>;
  }
  return credentials;
}

export function credentialsFilePath(flowPath: string): string {
  const ext = path.extname(flowPath);
  return path.join(path.dirname(flowPath), `${path.basename(flowPath, ext)}_cred${ext}`);
}

export function writeCredentialsFile(flowPath: string, nodes: FlowNode[]): void {
  fs.writeFileSync(credentialsFilePath(flowPath), `${JSON.stringify(credentialsOf(nodes), null, 4)}\n`);
}

export type SeedOutcome =
  /** there was no flows.json: the shipped flow was written */
  | 'written'
  /** flows.json was the previously shipped version: replaced by the new shipped flow */
  | 'updated'
  /** flows.json already is the shipped flow */
  | 'unchanged'
  /** flows.json was changed in the editor: kept as it is */
  | 'kept-user-flows';

function flowHash(nodes: unknown): string {
  return createHash('sha256').update(JSON.stringify(nodes)).digest('hex');
}

/** Where the hash of the last shipped flow written into a user directory is kept. */
export const SEED_STATE_FILE = '.heatpump-shipped-flows.json';

/**
 * Puts the shipped flow into `<userDir>/<flowFile>` unless the user changed that file in the
 * editor since it was seeded: a user's deployed changes are never overwritten.
 */
export function seedUserFlows(userDir: string, shipped: FlowNode[], flowFile = 'flows.json'): SeedOutcome {
  const flowPath = path.join(userDir, flowFile);
  const statePath = path.join(userDir, SEED_STATE_FILE);
  const shippedHash = flowHash(shipped);
  const write = (outcome: SeedOutcome): SeedOutcome => {
    fs.mkdirSync(userDir, { recursive: true });
    fs.writeFileSync(flowPath, `${JSON.stringify(shipped, null, 4)}\n`);
    writeCredentialsFile(flowPath, shipped);
    fs.writeFileSync(statePath, `${JSON.stringify({ shippedHash }, null, 2)}\n`);
    return outcome;
  };
  if (!fs.existsSync(flowPath)) return write('written');

  let currentHash: string | undefined;
  try {
    currentHash = flowHash(JSON.parse(fs.readFileSync(flowPath, 'utf8')));
  } catch {
    currentHash = undefined; // unreadable: treat as the user's, never overwrite it
  }
  let seededHash: unknown;
  try {
    seededHash = (JSON.parse(fs.readFileSync(statePath, 'utf8')) as { shippedHash?: unknown }).shippedHash;
  } catch {
    seededHash = undefined;
  }
  if (currentHash === shippedHash) {
    if (seededHash !== shippedHash) fs.writeFileSync(statePath, `${JSON.stringify({ shippedHash }, null, 2)}\n`);
    return 'unchanged';
  }
  if (currentHash !== undefined && currentHash === seededHash) return write('updated');
  return 'kept-user-flows';
}
