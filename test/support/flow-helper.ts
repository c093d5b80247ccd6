// Typed access to node-red-node-test-helper (it ships no types) for the heatpump-decode and
// heatpump-batch flow suites, plus the real en-US texts instead of the helper's key-echoing RED._.
import fs from 'node:fs';
import path from 'node:path';
import type { EventEmitter } from 'node:events';
import type { NodeAPI } from 'node-red';
import { nodeRedPath, projectRoot } from './node-red';

export type NodeInit = (RED: NodeAPI) => void;

export interface Spied<T> {
  args: T[];
}

interface Helper {
  init(path: string): void;
  load(nodes: NodeInit | NodeInit[], flow: Array<Record<string, unknown>>): Promise<void>;
  unload(): Promise<void>;
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

type Translate = (key: string, params?: Record<string, unknown>) => string;

/**
 * Wraps a node module so its RED._ reads our en-US catalog: the tests then see the real texts,
 * and a key missing from the catalog shows up as "MISSING <key>".
 */
export function withCatalog(init: NodeInit, name: string): NodeInit {
  const file = path.join(projectRoot, 'dist', 'nodes', name, 'locales', 'en-US', `${name}.json`);
  const catalog = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  const translate: Translate = (key, params = {}) => {
    let entry: unknown = catalog;
    for (const part of key.split('.')) entry = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>)[part] : undefined;
    if (typeof entry !== 'string') return `MISSING ${key}`;
    return entry.replace(/__(\w+)__/g, (_, param: string) => String(params[param]));
  };
  return (RED) => {
    (RED as unknown as { _: Translate })._ = translate;
    init(RED);
  };
}
