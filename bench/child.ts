// Starting and stopping bench/node-red-child.js (a Node-RED runtime in its own process) for the
// end-to-end benches, and reading its CPU time and memory from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../scripts/lib/ports';

export interface NodeRedChild {
  process: ChildProcess;
  port: number;
  /** what the child printed on stdout so far */
  printed(): string;
  /** BENCH_HEAP_PROFILE: the child's heap profile begins (call it as the measured part does) */
  startHeapProfile(): void;
  /** SIGTERM, then waits for the exit; the child prints the first reading's path before it goes */
  stop(): Promise<void>;
}

/** Runs `flows` in a fresh Node-RED process with `env` added to this one's; resolves once it is ready. */
export async function startNodeRedChild(name: string, flows: object[], env: Record<string, string>): Promise<NodeRedChild> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-bench-'));
  const flowFile = path.join(dir, 'flows.json');
  fs.writeFileSync(flowFile, JSON.stringify(flows));
  const port = await freePort();
  // BENCH_CPU_PROFILE=<dir>: the child writes a V8 CPU profile there when it exits (open it in
  // Chrome DevTools, or summarise it with `node dist/bench/profile-top.js <file>`).
  const profileDir = process.env.BENCH_CPU_PROFILE;
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name.replace(/[^a-z0-9]+/gi, '-')}.cpuprofile`] : [];
  // BENCH_HEAP_PROFILE=<dir>: a sampling heap profile of the measured part (startHeapProfile), the
  // same summaries (profile-top.js) in bytes allocated
  const heapProfileDir = process.env.BENCH_HEAP_PROFILE;
  const heapProfile = heapProfileDir ? { BENCH_HEAP_PROFILE_FILE: path.join(path.resolve(heapProfileDir), `${name.replace(/[^a-z0-9]+/gi, '-')}.heapprofile`) } : {};
  const child = spawn(process.execPath, [...profile, path.join(__dirname, 'node-red-child.js'), flowFile, String(port)], {
    env: { ...process.env, ...env, ...heapProfile },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let printed = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    printed += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const ready = () => {
      if (!printed.includes('ready')) return;
      child.stdout?.off('data', ready);
      child.off('exit', exited);
      resolve();
    };
    const exited = (code: number | null) => reject(new Error(`${name}: Node-RED exited with ${code}`));
    child.stdout?.on('data', ready);
    child.once('exit', exited);
  });
  return {
    process: child,
    port,
    printed: () => printed,
    startHeapProfile() {
      // the child takes SIGUSR2 only when it samples (unhandled, the signal would end it)
      if (heapProfileDir) child.kill('SIGUSR2');
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** utime + stime of a process in seconds, and its peak resident memory in MiB (Linux /proc). */
export function processUsage(pid: number): { cpuSeconds: number; peakRssMiB: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return { cpuSeconds: ticks / 100, peakRssMiB: hwm / 1024 };
}
