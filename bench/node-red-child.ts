// A Node-RED runtime in its own process for the end-to-end bench, so CPU time and memory can be
// read per pipeline: `node node-red-child.js <flows.json> <port>`; prints "ready" when started.
// Config nodes read their broker and database from the environment (README "Configuration").
import http from 'node:http';
import fs from 'node:fs';
import inspector from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import RED from 'node-red';
import { projectRoot } from '../scripts/lib/shipped-flows';

interface DeliveryEvent {
  msg?: { _msgid?: string };
  source?: { node?: { type?: string } };
  destination?: { node?: { type?: string } };
}

/**
 * Counts message deliveries between nodes (the runtime's postDeliver hook) by the type of the node
 * they went into, which GET /bench/deliveries answers while the flow runs (deliveries per reading,
 * and the count of a flow without a database); and the path of the first reading: every delivery
 * that carries the _msgid of the first message an `mqtt in` node sent.
 */
function countHops(): { path: string[]; into: Record<string, number> } {
  const hops = { path: [] as string[], into: {} as Record<string, number> };
  let traced: string | undefined;
  (RED as unknown as { hooks: { add(name: string, hook: (event: DeliveryEvent) => void): void } }).hooks.add('postDeliver.benchHops', (event) => {
    const id = event.msg?._msgid;
    const from = event.source?.node?.type ?? '?';
    const to = event.destination?.node?.type ?? '?';
    hops.into[to] = (hops.into[to] ?? 0) + 1;
    if (traced === undefined && from === 'mqtt in') traced = id;
    if (id !== undefined && id === traced) hops.path.push(`${from} -> ${to}`);
  });
  return hops;
}

/**
 * BENCH_STALLS=1: what holds the event loop up. Every input handler that runs longer than 15 ms
 * (by node type) and every timer tick more than 40 ms late, with the second since the start,
 * printed at exit: the causes of the publish -> WebSocket tail.
 */
function watchStalls(): () => string {
  const started = performance.now();
  const events: string[] = [];
  const at = () => ((performance.now() - started) / 1000).toFixed(2);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const NodeClass = require('@node-red/runtime/lib/nodes/Node') as { prototype: { _emitInput(this: { type: string }, msg: unknown): void } };
  const emitInput = NodeClass.prototype._emitInput;
  NodeClass.prototype._emitInput = function timedEmitInput(msg) {
    const t = performance.now();
    emitInput.call(this, msg);
    const took = performance.now() - t;
    if (took > 15) events.push(`${at()} s handler ${this.type} ${took.toFixed(0)} ms`);
  };
  let expected = performance.now() + 10;
  setInterval(() => {
    const late = performance.now() - expected;
    if (late > 40) events.push(`${at()} s loop ${late.toFixed(0)} ms late`);
    expected = performance.now() + 10;
  }, 10).unref();
  return () => events.join('\n');
}

/**
 * BENCH_HEAP_PROFILE_FILE (child.ts sets it from BENCH_HEAP_PROFILE): V8's sampling heap profiler
 * runs from SIGUSR2 (the bench's measured part begins) to the exit, when the profile is written.
 * It keeps the samples of objects the collector has freed too, so the profile shows everything
 * allocated (the garbage that garbage collection time is spent on), not only what still lives.
 */
function sampleHeap(file: string): () => Promise<void> {
  const session = new inspector.Session();
  session.connect();
  let started = false;
  process.on('SIGUSR2', () => {
    // the flags are V8's (Node 20 has them); @types/node does not list them
    const options = { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true };
    session.post('HeapProfiler.startSampling', options, (error) => {
      if (error) console.error(`heap profile not started: ${error.message}`);
      else started = true;
    });
  });
  return async () => {
    if (!started) return;
    const { profile } = await new Promise<inspector.HeapProfiler.StopSamplingReturnType>((resolve, reject) =>
      session.post('HeapProfiler.stopSampling', (error, result) => (error ? reject(error) : resolve(result))),
    );
    fs.writeFileSync(file, JSON.stringify(profile));
  };
}

async function main(): Promise<void> {
  const heapProfileFile = process.env.BENCH_HEAP_PROFILE_FILE;
  const writeHeapProfile = heapProfileFile ? sampleHeap(heapProfileFile) : async () => undefined;
  const stalls = process.env.BENCH_STALLS === '1' ? watchStalls() : undefined;
  const [flowFile, portText] = process.argv.slice(2);
  if (!flowFile || !portText) throw new Error('usage: node-red-child <flows.json> <port>');
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-bench-nr-'));
  fs.copyFileSync(flowFile, path.join(userDir, 'flows.json'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const base = require(path.join(projectRoot, 'settings.js')) as Record<string, unknown>;
  const settings = {
    ...base,
    userDir,
    flowFile: 'flows.json',
    uiPort: Number(portText),
    nodesDir: [projectRoot],
    logging: { console: { level: 'warn', metrics: false, audit: false } },
  };
  const app = express();
  const server = http.createServer(app);
  RED.init(server, settings as unknown as Parameters<typeof RED.init>[1]);
  const hops = countHops();
  app.get('/bench/deliveries', (_req, res) => {
    res.json(hops.into);
  });
  app.use('/', RED.httpAdmin);
  app.use('/', RED.httpNode);
  await RED.start();
  await new Promise<void>((resolve) => server.listen(Number(portText), '127.0.0.1', resolve));
  console.log('ready');
  process.on('SIGTERM', () => {
    console.log(`hops ${JSON.stringify({ path: hops.path })}`);
    if (stalls) console.error(`stalls:\n${stalls()}`);
    void writeHeapProfile()
      .catch((error: unknown) => console.error(`heap profile not written: ${String(error)}`))
      .then(() => RED.stop())
      .then(() => {
        fs.rmSync(userDir, { recursive: true, force: true });
        process.exit(0);
      });
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
