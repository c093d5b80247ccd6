// The one route from a per-message failure to the user: a red status on the node and
// done(err), which the runtime hands to Catch nodes: a bad message never throws and never stops
// the node, and the user sees the failure where they look for it.
import { setStatus, type NodeStatusLike } from './status';

export function failInput(node: NodeStatusLike, done: (err?: Error) => void, statusText: string, error: Error | string): void {
  setStatus(node, 'error', statusText);
  done(typeof error === 'string' ? new Error(error) : error);
}

/** For async input handlers: the runtime does not see rejected promises (Node.js L201-241). */
export function errorOf(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}
