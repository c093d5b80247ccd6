// A fresh clone runs its tests alone: no file under test/, scripts/, bench/ or nodes/ may point
// at the team's shared folder beside the repository (its fixtures and seeds). The data the tests
// need is copied into test/fixtures/ (see SOURCES.md there). And a user reads only what the
// repository holds: no code, help, flow, example, firmware or doc cites a document from outside
// it; the contracts are in docs/CONTRACTS.md.
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

/** Installed packages and build output (firmware/build, firmware/.pio): not the repository's text. */
const SKIPPED_DIRS = new Set(['node_modules', 'build', '.pio']);

function files(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : files(full);
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

// Documents a user of this repository does not have: the team's design, flow and style notes
// and its numbered seed documents. Written in parts so that this file does not cite them itself.
// `--seed 1` (the simulator's random seed) and names such as seedReading are not citations.
const SEED = 'se' + 'ed';
const NOTES = ['DESIGN', 'FLOWS', 'STYLE'].join('|');
const CITATIONS: [string, RegExp][] = [
  ['a note from outside the repository', new RegExp(`\\b(?:${NOTES})\\.md\\b`, 'i')],
  ['a seed document or one of its sections', new RegExp(`(?<![-\\w])${SEED}s?\\s+(?:0\\d\\d\\b|\\d+\\.\\d+|sections?\\b)`, 'i')],
  ['a seed document by name', new RegExp(`\\b${SEED}['\u2019]s\\b|\\b${SEED}s/|\\bthe ${SEED} (?:payload|reading|example|document|table)s?\\b`, 'i')],
];
/** Where a user reads: the folders below, README.md and docs/*.md (not CHANGELOG.md, which is history). */
const CITATION_DIRS = ['nodes', 'flows', 'examples', 'scripts', 'bench', 'test', 'docker', 'firmware'];

function citationFiles(): string[] {
  const docs = path.join(repoRoot, 'docs');
  const markdown = fs.existsSync(docs) ? files(docs).filter((file) => file.endsWith('.md')) : [];
  return [...CITATION_DIRS.flatMap((dir) => files(path.join(repoRoot, dir))), path.join(repoRoot, 'README.md'), ...markdown];
}

/** Where a file cites a document from outside the repository, one problem per line. */
export function outsideCitations(file: string, text: string): string[] {
  if (text.includes('\0')) return []; // a binary left in a scanned folder
  const problems: string[] = [];
  text.split('\n').forEach((line, i) => {
    for (const [what, rule] of CITATIONS) {
      if (rule.test(line)) problems.push(`${path.relative(repoRoot, file)}:${i + 1}: ${what}: ${line.trim().slice(0, 160)}`);
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

  it('finds the citations it is meant to find (and not the random seed or names)', function () {
    const file = path.join(repoRoot, 'nodes', 'shared', 'x.ts');
    const cited = [
      `// the contracts of ../${SHARED}/${'DESIGN'}.md`,
      `// One status vocabulary (${'STYLE'}.md B3)`,
      `# env of ${'FLOWS'}.md`,
      `// (${SEED} 000, section 4.4)`,
      `## Hardware and wiring (${SEED} 3.2)`,
      `TEST_CASE("alert thresholds of ${SEED} section 4.6")`,
      `Fan and defrost are not in the ${SEED}'s pin table`,
      `"info": "The injects use the ${SEED} payload;"`,
    ];
    for (const line of cited) assert.equal(outsideCitations(file, line).length, 1, line);
    assert.match(outsideCitations(file, `a\n// ${'DESIGN'}.md`)[0] ?? '', /^nodes\/shared\/x\.ts:2: /);
    const fine = [
      `[--${SEED} 1] [--faults 0.002]`,
      `const ${SEED} = 42; ${SEED}Reading(); ${SEED}Fields();`,
      'longer than seeding 100k devices plus the flood',
      'Seeed_GPRS_SIM900_issue39.txt',
      'docs/CONTRACTS.md "Alert contract"',
    ];
    for (const line of fine) assert.deepEqual(outsideCitations(file, line), [], line);
  });

  it('no code, help, flow, example, firmware, README or docs/*.md cites a document from outside the repository', function () {
    const problems = citationFiles().flatMap((file) => outsideCitations(file, fs.readFileSync(file, 'utf8')));
    assert.ok(problems.length === 0, `cite docs/CONTRACTS.md (or nothing) instead of:\n${problems.join('\n')}`);
  });
});
