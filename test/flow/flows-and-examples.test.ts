// The shipped flows and examples as an integrator receives them: parseable, wired to nodes and
// config nodes that exist, every property our editor defines present, no secret in any file,
// and the package layout Node-RED's loader needs (STYLE.md B6).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { projectRoot } from '../support/node-red';
import { loadShippedFlows } from '../../scripts/lib/shipped-flows';
import { COMPLETE_EXAMPLE, completeExample } from '../../scripts/export-example';

type FlowNode = Record<string, unknown> & { id: string; type: string };

const packageJson = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as {
  'node-red': { nodes: Record<string, string>; version: string };
  files: string[];
};
const ourTypes = Object.keys(packageJson['node-red'].nodes);

interface EditorDefinition {
  defaults: Record<string, unknown>;
  credentials?: Record<string, unknown>;
  icon?: string;
  category?: string;
}

/** Runs a node's editor script against a minimal RED to read its registered definition. */
function editorDefinition(type: string): EditorDefinition {
  const html = fs.readFileSync(path.join(projectRoot, 'nodes', type, `${type}.html`), 'utf8');
  const scripts = [...html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)].map((m) => m[1]).join('\n');
  const registered: Record<string, EditorDefinition> = {};
  const validator = () => () => true;
  const RED = {
    nodes: { registerType: (name: string, definition: EditorDefinition) => (registered[name] = definition) },
    validators: { number: validator, regex: validator, typedInput: validator },
    _: (key: string) => key,
    settings: {},
  };
  // jQuery only as far as editor scripts use it while registering
  const jquery = Object.assign(() => ({}), {
    extend: (...args: unknown[]) => (args[0] === true ? Object.assign({}, ...(JSON.parse(JSON.stringify(args.slice(1))) as object[])) : Object.assign({}, ...(args as object[]))),
  });
  vm.runInNewContext(scripts, { RED, $: jquery, console });
  const definition = registered[type];
  assert.ok(definition, `${type}.html registers ${type}`);
  return definition;
}

function readFlowFile(file: string): FlowNode[] {
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  assert.ok(Array.isArray(parsed), `${file} is a JSON array`);
  return parsed as FlowNode[];
}

const exampleFiles = fs
  .readdirSync(path.join(projectRoot, 'examples'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => path.join(projectRoot, 'examples', f));

describe('shipped flows and examples', () => {
  const shipped = loadShippedFlows() as FlowNode[];
  const flowSets: [string, FlowNode[]][] = [['flows/', shipped], ...exampleFiles.map((f): [string, FlowNode[]] => [path.basename(f), readFlowFile(f)])];

  it('ships one example for each of our nodes, each starting with a comment node', () => {
    const examples = exampleFiles.map((file) => ({ name: path.basename(file), nodes: readFlowFile(file) }));
    for (const example of examples) {
      assert.match(example.name, /^\d\d - .+\.json$/, 'examples are named "NN - Title.json"');
      assert.equal(example.nodes[0]?.type, 'comment', `${example.name} starts with a comment node`);
    }
    const configOnly = new Set(['sms-gateway-config']);
    for (const type of ourTypes) {
      const where = examples.filter((e) => e.nodes.some((n) => n.type === type)).map((e) => e.name);
      assert.ok(where.length > 0, `an example uses ${type}`);
      if (!configOnly.has(type)) assert.ok(where.some((name) => !name.startsWith('10 ')), `${type} has an example of its own`);
    }
  });

  it('keeps the complete example in step with flows/ (npm run examples)', () => {
    assert.deepEqual(readFlowFile(path.join(projectRoot, 'examples', COMPLETE_EXAMPLE)), completeExample(shipped));
  });

  for (const [name, nodes] of flowSets) {
    describe(name, () => {
      const byId = new Map(nodes.map((n) => [n.id, n]));

      it('has unique ids, and every wire and link points to a node that exists', () => {
        assert.equal(byId.size, nodes.length, 'ids are unique');
        for (const node of nodes) {
          for (const port of (node.wires as string[][] | undefined) ?? []) {
            for (const target of port) assert.ok(byId.has(target), `${node.id} (${node.type}) is wired to missing ${target}`);
          }
          if (node.type === 'link out' || node.type === 'link in') {
            for (const link of (node.links as string[] | undefined) ?? []) {
              const other = byId.get(link);
              // an example may hold only one end of a cross-tab link; Node-RED drops the missing side on import
              if (name === 'flows/') assert.ok(other, `${node.id} links to missing ${link}`);
              if (other) assert.ok((other.links as string[]).includes(node.id), `${link} links back to ${node.id}`);
            }
          }
          if (node.z) assert.ok(byId.get(node.z as string)?.type === 'tab' || byId.get(node.z as string)?.type === 'subflow', `${node.id} sits on a tab`);
        }
      });

      it('references config nodes that exist', () => {
        const configKeys = ['broker', 'influxdb', 'server', 'gateway', 'ui', 'group', 'page', 'theme', 'client'];
        for (const node of nodes) {
          for (const key of configKeys) {
            const ref = node[key];
            const hostname = key === 'broker' && node.type === 'mqtt-broker';
            if (typeof ref === 'string' && ref !== '' && /^[\w.-]+$/.test(ref) && !hostname && !(key === 'page' && node.type === 'ui-control')) {
              assert.ok(byId.has(ref), `${node.id} (${node.type}).${key} refers to missing ${ref}`);
            }
          }
        }
      });

      it('gives each of our nodes every property its editor defines', () => {
        for (const node of nodes.filter((n) => ourTypes.includes(n.type))) {
          const definition = editorDefinition(node.type);
          for (const key of Object.keys(definition.defaults)) {
            assert.ok(key in node, `${name}: ${node.id} (${node.type}) lacks "${key}"`);
          }
        }
      });

      it('holds no secret: credentials only name environment variables', () => {
        for (const node of nodes) {
          for (const [key, value] of Object.entries((node.credentials as Record<string, unknown> | undefined) ?? {})) {
            assert.match(String(value), /^(\$\{[A-Z0-9_]+\})?$/, `${node.id} credential ${key} must be empty or \${ENV}`);
          }
          for (const [key, value] of Object.entries(node)) {
            if (/pass(word)?|token|secret|api_?key/i.test(key) && typeof value === 'string' && value !== '') {
              assert.match(value, /^\$\{[A-Z0-9_]+\}$/, `${node.id}.${key} holds a literal secret`);
            }
          }
        }
      });
    });
  }
});

describe('package layout', () => {
  it('has, for every registered node, its runtime, editor, help and labels in en-US and de, and its icon', () => {
    for (const [type, entry] of Object.entries(packageJson['node-red'].nodes)) {
      const runtime = path.join(projectRoot, entry);
      assert.ok(fs.existsSync(runtime), `${entry} is built`);
      const dir = path.dirname(runtime);
      assert.ok(fs.existsSync(path.join(dir, `${type}.html`)), `${type}.html sits beside the runtime`);
      for (const locale of ['en-US', 'de']) {
        const help = fs.readFileSync(path.join(dir, 'locales', locale, `${type}.html`), 'utf8');
        assert.match(help, new RegExp(`data-help-name="${type}"`), `${locale} help of ${type}`);
        const labels = JSON.parse(fs.readFileSync(path.join(dir, 'locales', locale, `${type}.json`), 'utf8')) as Record<string, unknown>;
        assert.ok(labels[type], `${locale}/${type}.json is keyed under ${type}`);
      }
      const en = fs.readFileSync(path.join(dir, 'locales', 'en-US', `${type}.html`), 'utf8');
      if (type !== 'sms-gateway-config') {
        for (const section of ['Inputs', 'Outputs', 'Details']) assert.match(en, new RegExp(`<h3>${section}</h3>`), `${type} help has ${section}`);
      }
      const definition = editorDefinition(type);
      if (definition.category !== 'config') {
        assert.equal(definition.category, 'heat_pump', `${type} sits in the heat_pump palette category`);
        assert.ok(definition.icon && fs.existsSync(path.join(dir, 'icons', definition.icon)), `${type} icon ${definition.icon} exists`);
      }
    }
  });

  it('packs only what Node-RED needs (npm pack --dry-run)', function () {
    this.timeout(60_000);
    const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: projectRoot, encoding: 'utf8' });
    const files = (JSON.parse(output) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path) ?? [];
    assert.ok(files.includes('package.json'));
    assert.ok(files.some((f) => f.startsWith('examples/')), 'examples are packed');
    for (const entry of Object.values(packageJson['node-red'].nodes)) assert.ok(files.includes(entry), `${entry} is packed`);
    const stray = files.filter((f) => /^(test|firmware|flows|scripts|bench|docker|nodes)\//.test(f) || f.startsWith('dist/test/'));
    assert.deepEqual(stray, [], 'no tests, firmware, sources or deployment files in the package');
  });
});
