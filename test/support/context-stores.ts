// Context stores in node-red-node-test-helper flows, for the restart tests of the nodes that keep
// state (threshold-alert, sms-gateway-bridge): the helper initialises Node-RED's context module but
// never loads the configured stores, and these helpers fill that gap.
import { helper } from './flow-helper';
import { nodeRedPath } from './node-red';

/** The interface of a Node-RED context store module instance. */
export interface ContextStore {
  open(): Promise<void>;
  close(): Promise<void>;
  get(scope: string, key: string, callback: (err: Error | null, value: unknown) => void): void;
  set(scope: string, key: string, value: unknown, callback: (err?: Error | null) => void): void;
  keys(scope: string, callback: (err: Error | null, keys: string[]) => void): void;
  delete(scope: string): Promise<void>;
  clean(activeNodes: string[]): Promise<void>;
}

/** Internals of node-red-node-test-helper used to restart a flow over the same context store. */
export const helperInternals = helper as typeof helper & {
  _context: { init(settings: unknown): void; load(): Promise<unknown>; close(): Promise<unknown> };
  _settings: Record<string, unknown>;
  _redNodes: { stopFlows(): Promise<void> };
};

const patched = Symbol('unload closes the context stores');

/**
 * Makes helper.unload() also close the context stores, as Node-RED does when it stops: the helper
 * stops the flows but leaves the stores open, and a file store then keeps the 30 s flush timer of
 * the node's last save running (and writes later, into a directory the suite may have removed).
 * Installed once for all suites by the root hook plugin (leak-check.ts).
 */
export function closeStoresOnUnload(): void {
  const target = helperInternals as typeof helperInternals & { [patched]?: true };
  if (target[patched]) return;
  target[patched] = true;
  const unload = target.unload.bind(target);
  target.unload = async () => {
    await unload();
    // unset until a suite called helper.init()
    const context = target._context as typeof target._context | undefined;
    await context?.close();
  };
}

/** As an extra "node module" of helper.load(), this runs after the context init and before the flow starts. */
export const loadContextStores = (): Promise<unknown> => helperInternals._context.load();

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const memoryStore = require(require.resolve('@node-red/runtime/lib/nodes/context/memory', { paths: [nodeRedPath] })) as (config: unknown) => ContextStore;

/**
 * A context store module over one memory store that outlives restarts: reads take `delayMs` (a
 * slow persistent store), writes are also recorded in `writes`.
 */
export function lastingStore(delayMs: number, writes: unknown[] = []): () => ContextStore {
  const inner = memoryStore({});
  return () => ({
    open: () => inner.open(),
    close: () => Promise.resolve(),
    get: (scope, key, callback) => setTimeout(() => inner.get(scope, key, callback), delayMs),
    set: (scope, key, value, callback) => {
      writes.push(value);
      inner.set(scope, key, value, callback);
    },
    keys: (scope, callback) => inner.keys(scope, callback),
    delete: (scope) => inner.delete(scope),
    clean: () => Promise.resolve(),
  });
}
