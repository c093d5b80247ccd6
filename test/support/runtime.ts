// Runs what `npm start` runs (dist/scripts/start.js) as a child process on free ports, with its
// Node-RED user directory and data in a temporary HEATPUMP_HOME, for tests against the product.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/lib/ports';
import { writeCredentialsFile, type FlowNode } from '../../scripts/lib/shipped-flows';
import { projectRoot } from './node-red';

export interface RunningProduct {
  baseUrl: string;
  mqttUrl: string;
  home: string;
  child: ChildProcess;
  /** everything the process printed so far */
  output(): string;
  /** SIGTERM, then the exit code */
  stop(): Promise<number | null>;
}

export interface ProductOptions {
  /** a flow to run instead of the shipped one (npm start keeps a flows.json it did not write) */
  flows?: unknown[];
  /** when the product counts as started; default: /api/health answers */
  ready?: (product: RunningProduct) => Promise<boolean>;
  readyTimeoutMs?: number;
  /** a HEATPUMP_HOME to use and keep (a restart test starts twice on the same one); default: a new temporary one, removed on stop */
  home?: string;
}

async function healthAnswers(product: RunningProduct): Promise<boolean> {
  const res = await fetch(`${product.baseUrl}/api/health`, { signal: AbortSignal.timeout(1000) });
  return res.status === 200 || res.status === 503;
}

export async function startProduct(env: Record<string, string>, options: ProductOptions = {}): Promise<RunningProduct> {
  const { ready = healthAnswers, readyTimeoutMs = 60_000 } = options;
  const home = options.home ?? fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-product-'));
  if (options.flows) {
    fs.mkdirSync(path.join(home, 'node-red'), { recursive: true });
    const flowPath = path.join(home, 'node-red', 'flows.json');
    fs.writeFileSync(flowPath, JSON.stringify(options.flows));
    // Node-RED reads credentials (the broker login among them) only from flows_cred.json
    writeCredentialsFile(flowPath, options.flows as FlowNode[]);
  }
  const port = await freePort();
  const mqttPort = await freePort();
  const child = spawn(process.execPath, [path.join(projectRoot, 'dist', 'scripts', 'start.js')], {
    cwd: projectRoot,
    env: { ...process.env, PORT: String(port), MQTT_PORT: String(mqttPort), HEATPUMP_HOME: home, SIMULATOR: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let printed = '';
  child.stdout?.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const product: RunningProduct = {
    baseUrl: `http://127.0.0.1:${port}`,
    mqttUrl: `mqtt://127.0.0.1:${env.MQTT_PORT ?? mqttPort}`,
    home,
    child,
    output: () => printed,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      if (!options.home) fs.rmSync(home, { recursive: true, force: true });
      return code;
    },
  };
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${printed}`);
    try {
      if (await ready(product)) return product;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await product.stop();
  throw new Error(`npm start was not ready within ${readyTimeoutMs} ms:\n${printed}`);
}

// moved to wait.ts; still exported here for the suites that import it from this file
export { eventually } from './wait';

export interface StartedProcess {
  child: ChildProcess;
  port: number;
  output: () => string;
  exit: Promise<number | null>;
}

/**
 * `npm start` (dist/scripts/start.js) as a bare child process on free ports, for tests of the
 * process itself (banner, signals, children): no broker, InfluxDB or remote database from the
 * calling environment; `unset` removes further variables. Resolves once the banner is printed.
 */
export async function spawnNpmStart(home: string, extraEnv: Record<string, string> = {}, unset: string[] = []): Promise<StartedProcess> {
  const port = await freePort();
  const env: Record<string, string | undefined> = {
    ...process.env,
    HEATPUMP_HOME: home,
    PORT: String(port),
    MQTT_PORT: String(await freePort()),
    INFLUXDB_PORT: String(await freePort()),
    ...extraEnv,
  };
  for (const key of ['MQTT_BROKER', 'INFLUXDB_URL', 'MQTT_USER', 'MQTT_PASSWORD', ...unset]) delete env[key];
  const child = spawn(process.execPath, [path.join(projectRoot, 'dist', 'scripts', 'start.js')], {
    cwd: projectRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!output.includes('heatpump-monitor is running')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { child, port, output: () => output, exit };
}
