// Typed access to node-red-node-test-helper (it ships no types) for the flow suites of our nodes,
// the real en-US texts instead of the helper's key-echoing RED._, and what every suite needs:
// mocha hooks, a flow with a Catch node, nodes by id and the messages a helper node receives.
import fs from 'node:fs';
import path from 'node:path';
import type { EventEmitter } from 'node:events';
import type { NodeAPI, NodeMessage } from 'node-red';
import { nodeRedPath, projectRoot } from './node-red';

/** A node module's init; the helper waits for a returned promise. */
export type NodeInit = (RED: NodeAPI) => unknown;

export interface Spied<T> {
  args: T[];
}

interface Helper {
  init(path: string): void;
  /** settings for the next load, merged over the helper's defaults */
  settings(settings: Record<string, unknown>): void;
  /** credentials: per node id, e.g. {n1: {password: "..."}} */
  load(nodes: NodeInit | NodeInit[], flow: Array<Record<string, unknown>>, credentials?: Record<string, Record<string, string>>): Promise<void>;
  unload(): Promise<void>;
  /** deploys `flow` over the loaded one; 'nodes' stops and starts only the nodes that changed or went */
  setFlows(flow: Array<Record<string, unknown>>, type: 'full' | 'flows' | 'nodes'): Promise<void>;
  getNode(id: string): (EventEmitter & { receive(msg: object): void; close(removed: boolean): Promise<void> }) | null;
  startServer(done: () => void): void;
  stopServer(done: () => void): void;
  log(): { args: unknown[][] };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const helper: Helper = require('node-red-node-test-helper');

/** The core catch node of the Node-RED under test: proves errors reach Catch nodes via done(err). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const catchModule = require(require.resolve('@node-red/nodes/core/common/25-catch.js', { paths: [nodeRedPath] })) as NodeInit;
/** The core complete node: fires when a node it watches calls done for a message. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const completeModule = require(require.resolve('@node-red/nodes/core/common/24-complete.js', { paths: [nodeRedPath] })) as NodeInit;

type Translate = (key: string, params?: Record<string, unknown>) => string;

/**
 * Wraps a node module so its RED._ reads our en-US catalog: the tests then see the real texts,
 * and a key missing from the catalog shows up as "MISSING <key>".
 */
export function withCatalog(init: NodeInit, name: string): NodeInit {
  const file = path.join(projectRoot, 'dist', 'nodes', name, 'locales', 'en-US', `${name}.json`);
  const catalog = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  return (RED) => {
    const red = RED as unknown as { _: Translate };
    // several of our modules load into one runtime: each adds its catalog, keys are namespaced by node
    const previous = red._;
    red._ = (key, params = {}) => {
      let entry: unknown = catalog;
      for (const part of key.split('.')) entry = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>)[part] : undefined;
      if (typeof entry === 'string') return entry.replace(/__(\w+)__/g, (_, param: string) => String(params[param]));
      return key.startsWith(`${name}.`) || typeof previous !== 'function' ? `MISSING ${key}` : previous(key, params);
    };
    return init(RED);
  };
}

export type TestNode = NonNullable<ReturnType<Helper['getNode']>>;

/** Mocha hooks of a flow suite: the helper on the Node-RED under test, a server per test. */
export function flowSuiteHooks(): void {
  before(function () {
    helper.init(nodeRedPath);
  });

  beforeEach(function (done) {
    helper.startServer(done);
  });

  afterEach(async function () {
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
  });
}

/**
 * A tab with the node under test (id n1, of `type`), a helper node on each output, and a Catch
 * node that passes what it catches to the helper node `caught`. Catch nodes only see errors of
 * nodes on their own tab, and the runtime takes a node without x/y for a config node
 * (flows/util.js parseConfig), hence the tab, `z`, x and y.
 */
export function flowWithCatch(type: string, outputs: string[], config: Record<string, unknown> = {}): Array<Record<string, unknown>> {
  const at = { z: 'tab', x: 100, y: 100 };
  return [
    { id: 'tab', type: 'tab', label: type },
    { id: 'n1', ...at, type, name: '', wires: outputs.map((id) => [id]), ...config },
    ...outputs.map((id) => ({ id, ...at, type: 'helper', wires: [] })),
    { id: 'catcher', ...at, type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', ...at, type: 'helper', wires: [] },
  ];
}

/** The node `id` of the loaded flow; throws when there is none. */
export function nodeById(id: string): TestNode {
  const node = helper.getNode(id);
  if (node === null) throw new Error(`no node ${id}`);
  return node;
}

/** Resolves with the next `count` messages the helper node `id` receives. */
export function collect(id: string, count: number, timeoutMs = 3000): Promise<NodeMessage[]> {
  return new Promise((resolve, reject) => {
    const got: NodeMessage[] = [];
    const timer = setTimeout(() => reject(new Error(`${id}: got ${got.length} of ${count} messages`)), timeoutMs);
    nodeById(id).on('input', (msg: NodeMessage) => {
      got.push(msg);
      if (got.length === count) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
