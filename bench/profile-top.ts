// Summaries of a V8 CPU profile (as written by BENCH_CPU_PROFILE, see child.ts):
//   node dist/bench/profile-top.js <file.cpuprofile> [count]     functions with the most self time
//   node dist/bench/profile-top.js <file.cpuprofile> --areas       self time by area (each node of this
//     package, Node-RED's runtime, message cloning, node-influx, MQTT, GC, ...): where a reading's CPU goes
//   node dist/bench/profile-top.js <file.cpuprofile> --callers <function name> [depth]
//     the time spent in that function (and below it), by the chain of its callers
//   --last <seconds> after the file: only the profile's last seconds (a bench's measured part,
//     without the start and a warm-up)
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

function parentsOf(profile: Profile): Map<number, number> {
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  return parents;
}

const where = (frame: CallFrame): string => (frame.url === '' ? '' : ` ${frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${frame.lineNumber + 1}`);
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

function print(totals: Map<string, number>, total: number, count: number): void {
  for (const [key, micros] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, count)) {
    console.log(`${((micros / total) * 100).toFixed(1).padStart(5)} %  ${(micros / 1000).toFixed(0).padStart(7)} ms  ${key}`);
  }
}

function main(): void {
  const args = process.argv.slice(2);
  const lastAt = args.indexOf('--last');
  const lastSeconds = lastAt >= 0 ? Number(args.splice(lastAt, 2)[1]) : Infinity;
  const [file, mode, ...rest] = args;
  if (!file || Number.isNaN(lastSeconds)) throw new Error('usage: profile-top <file.cpuprofile> [--last <seconds>] [count | --areas | --callers <function name> [depth]]');
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const length = profile.timeDeltas.reduce((sum, delta) => sum + delta, 0);
  const from = length - lastSeconds * 1e6;
  let at = 0;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = parentsOf(profile);
  const totals = new Map<string, number>();
  const add = (key: string, micros: number) => totals.set(key, (totals.get(key) ?? 0) + micros);
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at < from) return;
    total += delta;
    if (mode === '--areas') return add(areaOf(id, byId, parents), delta);
    if (mode === '--callers') {
      const [name, depth = '4'] = rest;
      const chain: string[] = [];
      for (let current: number | undefined = id; current !== undefined; current = parents.get(current)) {
        const frame = (byId.get(current) as ProfileNode).callFrame;
        if (chain.length > 0 || frame.functionName === name) chain.push(nameOf(frame));
      }
      if (chain.length > 0) add(chain.slice(0, Number(depth)).join(' < '), delta);
      return;
    }
    const frame = byId.get(id)?.callFrame;
    if (frame) add(nameOf(frame), delta);
  });
  print(totals, total, mode === undefined || /^\d+$/.test(mode) ? Number(mode ?? 25) : 30);
}

main();
