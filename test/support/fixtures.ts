// The test data in test/fixtures/ (origins and licences in test/fixtures/SOURCES.md). Tests run
// compiled from dist/test/..., so the path starts at the repository root, not at __dirname.
import fs from 'node:fs';
import path from 'node:path';

const PACKAGE_NAME = 'node-red-contrib-heatpump-monitor';

/** The nearest directory at or above `from` whose package.json is this package's. */
export function findRepoRoot(from: string): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json of ${PACKAGE_NAME} at or above ${from}`);
  }
}

export const repoRoot = findRepoRoot(__dirname);
export const fixturesDir = path.join(repoRoot, 'test', 'fixtures');

/** Path of a file in test/fixtures/, e.g. fixturePath('sms_modem', '01_....txt'). */
export function fixturePath(...segments: string[]): string {
  return path.join(fixturesDir, ...segments);
}

export function readFixture(...segments: string[]): string {
  return fs.readFileSync(fixturePath(...segments), 'utf8');
}
