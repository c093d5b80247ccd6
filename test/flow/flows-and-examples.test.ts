// The shipped flows and examples as an integrator receives them: parseable, wired to nodes and
// config nodes that exist, every property our editor defines present, no secret in any file,
// and the package layout Node-RED's loader needs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { projectRoot } from '../support/node-red';
import { loadShippedFlows } from '../../scripts/lib/shipped-flows';
import { COMPLETE_EXAMPLE, completeExample } from '../../scripts/export-example';
import { thresholdDrift } from '../../nodes/shared/thresholds';
import { databasePath } from '../../nodes/heatpump-database/options';

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
        const configKeys = ['broker', 'influxdb', 'server', 'gateway', 'ui', 'group', 'page', 'theme', 'client', 'fleet', 'database'];
        for (const node of nodes) {
          for (const key of configKeys) {
            const ref = node[key];
            const hostname = key === 'broker' && node.type === 'mqtt-broker';
            if (typeof ref === 'string' && ref !== '' && /^[\w.-]+$/.test(ref) && !hostname && !(key === 'page' && node.type === 'ui-control') && !(key === 'database' && node.type !== 'heatpump-changelog')) {
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

      it('keeps the change log database in the Node-RED user directory (or HEATPUMP_DB_PATH), never at a fixed path', () => {
        for (const node of nodes.filter((n) => n.type === 'heatpump-database')) {
          assert.match(String(node.path), /^(\$\{HEATPUMP_DB_PATH\})?$/, `${name}: ${node.id} path`);
          const userDir = path.join(path.sep, 'some', 'user-dir');
          assert.equal(path.dirname(databasePath('', userDir)), userDir, 'a blank path is a file in the user directory');
        }
      });

      it('keeps every threshold-alert at the alert contract (nodes/shared/thresholds.ts)', () => {
        for (const node of nodes.filter((n) => n.type === 'threshold-alert')) assert.deepEqual(thresholdDrift(node as { rules?: unknown }), [], `${name}: ${node.id}`);
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

/** The editor's box of a node: Node-RED sizes it from its label (view.js: 20 px steps, at least 100 x 30). */
function editorBox(node: FlowNode): { left: number; right: number; top: number; bottom: number } {
  const x = node.x as number;
  const y = node.y as number;
  const outputs = Array.isArray(node.wires) ? node.wires.length : 0;
  const height = Math.max(30, outputs * 15);
  // link and junction nodes draw no label inside the node unless shown (l: true)
  if ((node.type === 'link in' || node.type === 'link out' || node.type === 'link call') && node.l !== true) return { left: x - 15, right: x + 15, top: y - 15, bottom: y + 15 };
  if (node.type === 'junction') return { left: x - 5, right: x + 5, top: y - 5, bottom: y + 5 };
  const label = String(node.name || node.label || node.topic || node.url || node.type);
  // 8 px a character overestimates the editor's 14 px Helvetica, so a pass here is a pass there
  const width = Math.max(100, 20 * Math.ceil((label.length * 8 + 50 + 7) / 20));
  return { left: x - width / 2, right: x + width / 2, top: y - height / 2, bottom: y + height / 2 };
}

describe('shipped flows read as a pipeline', () => {
  const shipped = loadShippedFlows() as FlowNode[];
  const tabs = shipped.filter((n) => n.type === 'tab');

  for (const tab of tabs) {
    const onTab = shipped.filter((n) => n.z === tab.id && typeof n.x === 'number' && typeof n.y === 'number' && n.type !== 'group');
    it(`${String(tab.label)}: fits a 1600 x 1000 editor at 100 % zoom, and no two nodes overlap`, () => {
      const boxes = onTab.map((node) => ({ node, box: editorBox(node) }));
      for (const { node, box } of boxes) {
        assert.ok(box.left >= 0 && box.top >= 0 && box.right <= 1600 && box.bottom <= 1000, `${node.id} (${node.type}) lies outside 1600 x 1000: ${JSON.stringify(box)}`);
      }
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i]!;
          const b = boxes[j]!;
          const overlap = a.box.left < b.box.right && b.box.left < a.box.right && a.box.top < b.box.bottom && b.box.top < a.box.bottom;
          assert.ok(!overlap, `${a.node.id} (${a.node.type}) overlaps ${b.node.id} (${b.node.type})`);
        }
      }
    });
  }

  it('has no function nodes and no global or flow context keys as contracts (the fleet owns the live state)', () => {
    for (const node of shipped) {
      assert.notEqual(node.type, 'function', `${node.id} is a function node`);
      const text = JSON.stringify(node);
      assert.doesNotMatch(text, /\$(global|flow)Context\(/, `${node.id} reads context in JSONata`);
      for (const rule of (node.rules as Record<string, unknown>[] | undefined) ?? []) {
        for (const key of ['pt', 'tot']) assert.ok(rule[key] !== 'global' && rule[key] !== 'flow', `${node.id} uses ${String(rule[key])} context`);
      }
      assert.ok(node.propertyType !== 'global' && node.propertyType !== 'flow', `${node.id} switches on context`);
    }
  });

  it('wires every typed node that keeps state to the one fleet', () => {
    const fleets = shipped.filter((n) => n.type === 'heatpump-fleet');
    assert.equal(fleets.length, 1);
    for (const node of shipped.filter((n) => ['heatpump-decode', 'threshold-alert', 'online-tracker', 'heatpump-batch', 'heatpump-query', 'heatpump-response', 'sms-gateway-bridge', 'fleet-view'].includes(n.type))) {
      assert.equal(node.fleet, fleets[0]?.id, `${node.id} (${node.type}) reports to / reads from the fleet`);
    }
  });
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
      const definition = editorDefinition(type);
      // config nodes take no messages: their help has Details only
      const sections = definition.category === 'config' ? ['Details'] : ['Inputs', 'Outputs', 'Details'];
      for (const section of sections) assert.match(en, new RegExp(`<h3>${section}</h3>`), `${type} help has ${section}`);
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
