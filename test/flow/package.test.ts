// What an `npm install node-red-contrib-heatpump-monitor` brings along: only the dependencies the
// shipped nodes load, serialport (a native binding) as optional, no source maps without their
// sources; and `npm run build` starting from an empty dist/. The file layout itself is checked in
// flows-and-examples.test.ts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../support/node-red';

interface PackageJson {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  scripts: Record<string, string>;
}
const packageJson = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as PackageJson;

function jsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? jsFiles(full) : entry.name.endsWith('.js') ? [full] : [];
  });
}

/** "@scope/name/sub" -> "@scope/name", "name/sub" -> "name" */
const packageOf = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

describe('npm package', () => {
  it('has serialport as an optional dependency only, and no dependency the nodes do not load', () => {
    const dependencies = packageJson.dependencies ?? {};
    assert.equal(dependencies.serialport, undefined, 'serialport is not a hard dependency');
    assert.ok(packageJson.optionalDependencies?.serialport, 'serialport is an optional dependency');
    assert.equal(dependencies['@node-red/util'], undefined, 'no shipped file uses @node-red/util');
  });

  it('every module a shipped file requires is a Node.js built-in or a declared (optional) dependency', () => {
    const declared = new Set([...Object.keys(packageJson.dependencies ?? {}), ...Object.keys(packageJson.optionalDependencies ?? {})]);
    const builtins = new Set(builtinModules);
    const files = jsFiles(path.join(projectRoot, 'dist', 'nodes'));
    assert.ok(files.length > 0, 'dist/nodes is built');
    const undeclared: string[] = [];
    const used = new Set<string>();
    for (const file of files) {
      for (const [, specifier] of fs.readFileSync(file, 'utf8').matchAll(/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g)) {
        if (!specifier || specifier.startsWith('.')) continue;
        const name = specifier.replace(/^node:/, '');
        if (specifier.startsWith('node:') || builtins.has(name)) continue;
        used.add(packageOf(specifier));
        if (!declared.has(packageOf(specifier))) undeclared.push(`${path.relative(projectRoot, file)}: ${specifier}`);
      }
    }
    assert.deepEqual(undeclared, []);
    assert.deepEqual([...declared].filter((name) => !used.has(name)), [], 'every declared dependency is used by a shipped file');
  });

  it('packs no source maps (their sources are not packed)', function () {
    this.timeout(60_000);
    const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: projectRoot, encoding: 'utf8' });
    const files = (JSON.parse(output) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path) ?? [];
    assert.ok(files.some((f) => f.startsWith('dist/nodes/') && f.endsWith('.js')), 'the runtime is packed');
    assert.deepEqual(
      files.filter((f) => f.endsWith('.map')),
      [],
    );
  });

  it('npm run build empties dist/ first (scripts/clean.js)', () => {
    assert.match(packageJson.scripts.build ?? '', /^node scripts\/clean\.js && /);
    // the script on a copy of the layout, not on the dist/ the tests run from
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'clean-'));
    try {
      fs.mkdirSync(path.join(root, 'scripts'));
      fs.copyFileSync(path.join(projectRoot, 'scripts', 'clean.js'), path.join(root, 'scripts', 'clean.js'));
      fs.mkdirSync(path.join(root, 'dist', 'nodes', 'gone'), { recursive: true });
      fs.writeFileSync(path.join(root, 'dist', 'nodes', 'gone', 'gone.js'), '');
      execFileSync(process.execPath, [path.join(root, 'scripts', 'clean.js')]);
      assert.equal(fs.existsSync(path.join(root, 'dist')), false);
      execFileSync(process.execPath, [path.join(root, 'scripts', 'clean.js')]); // no dist/: nothing to do
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
