// Node state kept in a Node-RED context store, so that with a persistent store (settings.js
// `contextStorage`) a restart remembers active alerts and device presence. Callbacks are used
// because file-backed stores may be asynchronous.

export interface ContextLike {
  get(key: string, store: string | undefined, callback: (err: Error | null | undefined, value: unknown) => void): void;
  set(key: string, value: unknown, store: string | undefined, callback: (err?: Error | null) => void): void;
}

export function loadState(context: ContextLike, key: string, store?: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    context.get(key, store || undefined, (err, value) => (err ? reject(err) : resolve(value)));
  });
}

export function saveState(context: ContextLike, key: string, value: unknown, store?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    context.set(key, value, store || undefined, (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * Saves a large state as JSON text that is made only when the store writes it. Node-RED's `file`
 * store serializes a whole scope at each flush with a replacer call per value and indent 4: for
 * 100,000 devices about three times the time of JSON.stringify and twice the bytes, where a string
 * is copied as it is. The memory store keeps the object and serializes nothing; `state` is read at
 * that moment, so what is written is the state as it is then. Read it back with loadText.
 */
export function saveAsText(context: ContextLike, key: string, state: () => unknown, store?: string): Promise<void> {
  return saveState(context, key, { toJSON: () => JSON.stringify(state()) }, store);
}

/**
 * What saveAsText saved: its text (after a restart), the object itself (the memory store, after a
 * redeploy), or an object saved whole by an earlier version of the node.
 */
export function loadText(context: ContextLike, key: string, store?: string): Promise<unknown> {
  return loadState(context, key, store).then((value) => {
    if (typeof value === 'string') return JSON.parse(value) as unknown;
    const toJSON = typeof value === 'object' && value !== null ? Reflect.get(value, 'toJSON') : undefined;
    return typeof toJSON === 'function' ? (JSON.parse(String(toJSON.call(value))) as unknown) : value;
  });
}

export interface ResolvedStore {
  /** the store to pass to context get/set; undefined: the default store */
  store: string | undefined;
  /** true when the named store is not configured in settings.js and memory is used instead */
  fallback: boolean;
}

/**
 * The context store a node was told to keep its state in, checked against settings.js
 * `contextStorage`: a name that is not configured there falls back to the default (memory) store,
 * which the node must say on its status, since its state will not survive a restart.
 */
export function resolveStore(settings: { contextStorage?: unknown }, name: string | undefined): ResolvedStore {
  const wanted = (name ?? '').trim();
  if (wanted === '') return { store: undefined, fallback: false };
  const stores = settings.contextStorage;
  const configured = typeof stores === 'object' && stores !== null && Object.hasOwn(stores, wanted);
  return configured ? { store: wanted, fallback: false } : { store: undefined, fallback: true };
}
