// Summaries of a V8 CPU profile (as written by BENCH_CPU_PROFILE, see child.ts), or of a sampling
// heap profile (BENCH_HEAP_PROFILE: the bytes allocated, garbage included, by the function that
// allocated them):
//   node dist/bench/profile-top.js <file> [count]     functions with the most self time (bytes)
//   node dist/bench/profile-top.js <file> --areas       self time (bytes) by area (each node of this
//     package, Node-RED's runtime, message cloning, node-influx, MQTT, GC, ...): where a reading's CPU goes
//   node dist/bench/profile-top.js <file> --callers <function name> [depth]
//     the time spent (bytes allocated) in that function (and below it), by the chain of its callers
//   --last <seconds> after a CPU profile: only the profile's last seconds (a bench's measured part,
//     without the start and a warm-up; a heap profile covers the measured part only)
import fs from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}
/** A sampling heap profile: a tree of nested nodes, each with the bytes allocated in its frame. */
interface HeapNode {
  id: number;
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

/** A profile's nodes, flat, and what each sample weighs: µs of CPU, or bytes. */
interface Weighed {
  nodes: ProfileNode[];
  samples: Array<[id: number, weight: number]>;
  unit: 'ms' | 'MB';
}

function cpuSamples(profile: Profile, lastSeconds: number): Weighed {
  const length = profile.timeDeltas.reduce((sum, delta) => sum + delta, 0);
  const from = length - lastSeconds * 1e6;
  let at = 0;
  const samples: Weighed['samples'] = [];
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at >= from) samples.push([id, delta]);
  });
  return { nodes: profile.nodes, samples, unit: 'ms' };
}

function heapSamples(head: HeapNode): Weighed {
  const nodes: ProfileNode[] = [];
  const samples: Weighed['samples'] = [];
  const visit = (node: HeapNode): void => {
    nodes.push({ id: node.id, callFrame: node.callFrame, children: node.children.map((child) => child.id) });
    if (node.selfSize > 0) samples.push([node.id, node.selfSize]);
    node.children.forEach(visit);
  };
  visit(head);
  return { nodes, samples, unit: 'MB' };
}

/** Areas in the order they are tried, from the sampled frame up its stack: the first match wins. */
const AREAS: ReadonlyArray<[string, (frame: CallFrame) => boolean]> = [
  ['idle', (f) => f.functionName === '(idle)'],
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  ['message clones (Node-RED)', (f) => /lodash\.clonedeep/.test(f.url) || f.functionName === 'cloneMessage'],
  ['module loading (start)', (f) => /^Module\._|^wrapSafe$|^loadNodeSet/.test(f.functionName)],
  ['context store flush (Node-RED)', (f) => /context\/localfilesystem/.test(f.url)],
  ['node-influx (points to line protocol)', (f) => /node_modules\/influx\//.test(f.url)],
  ['our nodes: ', (f) => /\/dist\/nodes\//.test(f.url)],
  ['MQTT', (f) => /node_modules\/(mqtt|mqtt-packet|aedes)/.test(f.url) || /10-mqtt\.js/.test(f.url)],
  ['JSONata', (f) => /jsonata/.test(f.url)],
  ['Dashboard 2.0', (f) => /node-red-dashboard|socket\.io|engine\.io/.test(f.url)],
  ['Node-RED runtime (routing, hooks)', (f) => /@node-red\/(runtime|util)/.test(f.url)],
];

function parentsOf(nodes: readonly ProfileNode[]): Map<number, number> {
  const parents = new Map<number, number>();
  for (const node of nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  return parents;
}

const where = (frame: CallFrame): string => (frame.url === '' ? '' : ` ${frame.url.replace(/^.*node_modules\//, '').replace(/^(file:\/\/)?.*\/dist\//, 'dist/')}:${frame.lineNumber + 1}`);
const nameOf = (frame: CallFrame): string => `${frame.functionName || '(anonymous)'}${where(frame)}`;

/** The area of a sample: "our nodes: <node folder>" names the node. */
function areaOf(id: number, byId: Map<number, ProfileNode>, parents: Map<number, number>): string {
  for (let current: number | undefined = id; current !== undefined; current = parents.get(current)) {
    const frame = (byId.get(current) as ProfileNode).callFrame;
    const match = AREAS.find(([, test]) => test(frame));
    if (match) return match[0] === 'our nodes: ' ? `our nodes: ${/\/dist\/nodes\/([^/]+)/.exec(frame.url)?.[1] ?? '?'}` : match[0];
  }
  return 'other';
}

function print(totals: Map<string, number>, total: number, count: number, unit: Weighed['unit']): void {
  const scale = unit === 'ms' ? 1e3 : 1e6;
  for (const [key, weight] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, count)) {
    console.log(`${((weight / total) * 100).toFixed(1).padStart(5)} %  ${(weight / scale).toFixed(0).padStart(7)} ${unit}  ${key}`);
  }
}

function main(): void {
  const args = process.argv.slice(2);
  const lastAt = args.indexOf('--last');
  const lastSeconds = lastAt >= 0 ? Number(args.splice(lastAt, 2)[1]) : Infinity;
  const [file, mode, ...rest] = args;
  if (!file || Number.isNaN(lastSeconds)) throw new Error('usage: profile-top <file.cpuprofile | file.heapprofile> [--last <seconds>] [count | --areas | --callers <function name> [depth]]');
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile | { head: HeapNode };
  const profile = 'head' in parsed ? heapSamples(parsed.head) : cpuSamples(parsed, lastSeconds);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = parentsOf(profile.nodes);
  const totals = new Map<string, number>();
  const add = (key: string, weight: number) => totals.set(key, (totals.get(key) ?? 0) + weight);
  let total = 0;
  profile.samples.forEach(([id, weight]) => {
    total += weight;
    if (mode === '--areas') return add(areaOf(id, byId, parents), weight);
    if (mode === '--callers') {
      const [name, depth = '4'] = rest;
      const chain: string[] = [];
      for (let current: number | undefined = id; current !== undefined; current = parents.get(current)) {
        const frame = (byId.get(current) as ProfileNode).callFrame;
        if (chain.length > 0 || frame.functionName === name) chain.push(nameOf(frame));
      }
      if (chain.length > 0) add(chain.slice(0, Number(depth)).join(' < '), weight);
      return;
    }
    const frame = byId.get(id)?.callFrame;
    if (frame) add(nameOf(frame), weight);
  });
  if (profile.unit === 'MB') console.log(`${(total / 1e6).toFixed(0)} MB allocated in all (sampled)`);
  print(totals, total, mode === undefined || /^\d+$/.test(mode) ? Number(mode ?? 25) : 30, profile.unit);
}

main();
