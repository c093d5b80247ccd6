// System binaries some suites need (influxd, mosquitto, chromium, socat, g++), and optional npm
// dependencies (serialport). Locally a missing one skips that suite with a loud message naming the
// install command; under CI=true it fails.
import { execFileSync } from 'node:child_process';

export function findBinary(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Call in a suite's `before`: returns the binary's path, or skips the suite (locally) / throws (CI).
 * `debianPackage` names what `apt-get install` needs.
 */
export function requireBinary(ctx: Mocha.Context, name: string, debianPackage: string): string {
  const found = findBinary(name);
  if (found) return found;
  return skipOrFail(ctx, `${name} not found: install it with 'apt-get install -y ${debianPackage}'`);
}

/** Call in a suite's `before`: skips the suite (locally) / throws (CI) when an optional npm dependency is not installed. */
export function requireOptionalPackage(ctx: Mocha.Context, name: string): void {
  try {
    require.resolve(name);
  } catch {
    skipOrFail(ctx, `${name} is not installed (an optional dependency): install it with 'npm install ${name}'`);
  }
}

function skipOrFail(ctx: Mocha.Context, message: string): never {
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true: this suite must not be skipped)`);
  console.warn(`\n  !!! SKIPPING: ${message}\n`);
  ctx.skip();
  throw new Error('unreachable');
}
