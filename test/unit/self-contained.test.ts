// A fresh clone runs its tests alone: no file under test/, scripts/, bench/ or nodes/ may point
// at the team's shared folder beside the repository (its fixtures and seeds). The data the tests
// need is copied into test/fixtures/ (see SOURCES.md there).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../support/fixtures';

const SCANNED = ['test', 'scripts', 'bench', 'nodes'];
const BINARY = /\.(png|jpe?g|gif|ico|woff2?|ttf|bin|gz|zip)$/i;

// Written so that this file does not match itself.
const SHARED = 'sha' + 'red';
const RULES: [string, RegExp][] = [
  ['a path into the shared fixtures or seeds', new RegExp(`${SHARED}[\\\\/](fixtures|seeds)\\b`)],
  ['a path join onto the shared folder', new RegExp(`['"]\\.\\.['"]\\s*,\\s*['"]${SHARED}['"]`)],
  ['an absolute path to the shared folder', new RegExp(`/work/${SHARED}\\b`)],
];
/** One or more "../" then the folder name in a slash path: allowed only where it stays in the repository (nodes/shared). */
const RELATIVE = new RegExp(`(?:\\.\\./)+${SHARED}\\b`, 'g');

function files(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : files(full);
    return entry.isFile() && !BINARY.test(entry.name) ? [full] : [];
  });
}

/** What a file says about the shared folder, one problem per line. */
export function sharedReferences(file: string, text: string): string[] {
  const problems: string[] = [];
  text.split('\n').forEach((line, i) => {
    const where = `${path.relative(repoRoot, file)}:${i + 1}`;
    for (const [what, rule] of RULES) if (rule.test(line)) problems.push(`${where}: ${what}: ${line.trim()}`);
    for (const match of line.matchAll(RELATIVE)) {
      const target = path.resolve(path.dirname(file), match[0]);
      const inside = !path.relative(repoRoot, target).startsWith('..') && fs.existsSync(target);
      if (!inside) problems.push(`${where}: ${match[0]} leaves the repository: ${line.trim()}`);
    }
  });
  return problems;
}

describe('the repository is self-contained', function () {
  it('finds the references it is meant to find (and not nodes/shared imports)', function () {
    const inNodes = path.join(repoRoot, 'nodes', 'threshold-alert', 'x.ts');
    assert.deepEqual(sharedReferences(inNodes, `import { topics } from '../${SHARED}/contract';`), []);
    const inTests = path.join(repoRoot, 'test', 'unit', 'x.ts');
    assert.equal(sharedReferences(inTests, `const DIR = path.resolve(__dirname, '..', '..', '..', '..', '${SHARED}', 'fixtures');`).length, 1);
    assert.equal(sharedReferences(inTests, `// bodies from ../${SHARED}/fixtures/sms_gateways`).length, 2);
    assert.equal(sharedReferences(inTests, `read('../../../${SHARED}/x.json')`).length, 1);
    assert.equal(sharedReferences(inTests, `const seeds = '/work/${SHARED}/seeds';`).length, 2);
  });

  it(`no file under ${SCANNED.join('/, ')}/ reads the shared fixtures, seeds or folder`, function () {
    const problems = SCANNED.flatMap((dir) => files(path.join(repoRoot, dir))).flatMap((file) => sharedReferences(file, fs.readFileSync(file, 'utf8')));
    assert.deepEqual(problems, []);
  });
});
