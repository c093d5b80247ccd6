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
