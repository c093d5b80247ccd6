// Shared measuring for `npm run bench`: every figure is printed beside a baseline measured in
// the same run, so ratios stay meaningful on whatever machine runs it.

import { execFileSync } from 'node:child_process';

export interface Throughput {
  label: string;
  opsPerSecond: number;
  iterations: number;
  milliseconds: number;
}

/** Runs `work` repeatedly for at least `minMs` (after a warm-up) and reports operations/s. */
export function throughput(label: string, work: () => void, opsPerCall = 1, minMs = 1000): Throughput {
  const warmUntil = performance.now() + Math.min(200, minMs / 4);
  while (performance.now() < warmUntil) work();
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 100; i++) work();
    iterations += 100;
    elapsed = performance.now() - start;
  }
  return { label, opsPerSecond: (iterations * opsPerCall * 1000) / elapsed, iterations, milliseconds: elapsed };
}

export function formatRate(perSecond: number): string {
  return perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(2)} M/s` : perSecond >= 1e3 ? `${(perSecond / 1e3).toFixed(1)} k/s` : `${perSecond.toFixed(1)} /s`;
}

export function printComparison(subject: Throughput, baseline: Throughput, goal?: { minRatio: number; text: string }): void {
  const ratio = subject.opsPerSecond / baseline.opsPerSecond;
  console.log(`  ${subject.label.padEnd(44)} ${formatRate(subject.opsPerSecond).padStart(12)}`);
  console.log(`  ${baseline.label.padEnd(44)} ${formatRate(baseline.opsPerSecond).padStart(12)}  (baseline)`);
  const verdict = goal ? `  goal ${goal.text}: ${ratio >= goal.minRatio ? 'met' : 'NOT met'}` : '';
  console.log(`  ratio ${(ratio * 100).toFixed(1)} % of baseline${verdict}`);
}

/** A percentile of already-sorted numbers. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? NaN;
}

/** The heap in use after two full collections, so that garbage does not count. */
export function heapAfterGc(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Runs `measure` with a garbage collector to call: here when this process was started with
 * --expose-gc, else in a child process of the bench file `file` started with it and `flag`, which
 * answers through `answerMemoryChild`. Results travel as JSON.
 */
export function measureWithGc<T>(measure: (gc: () => void) => T, file: string, flag: string): T {
  const gc: unknown = Reflect.get(globalThis, 'gc');
  if (typeof gc === 'function') return measure(() => gc());
  return JSON.parse(execFileSync(process.execPath, ['--expose-gc', file, flag], { encoding: 'utf8' })) as T;
}

/** In a bench file's top level: when started as `measureWithGc`'s child, prints what `measure` finds. */
export function answerMemoryChild<T>(measure: (gc: () => void) => T, flag: string): void {
  if (!process.argv.includes(flag)) return;
  const gc: unknown = Reflect.get(globalThis, 'gc');
  if (typeof gc !== 'function') throw new Error('run with --expose-gc');
  process.stdout.write(JSON.stringify(measure(() => gc())));
}
