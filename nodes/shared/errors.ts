// The one route from a per-message failure to the user: a red status on the node and
// done(err), which the runtime hands to Catch nodes: a bad message never throws and never stops
// the node, and the user sees the failure where they look for it.
import type { Node } from 'node-red';
import { clearStatus, setStatus, type NodeStatusLike } from './status';

export function failInput(node: NodeStatusLike, done: (err?: Error) => void, statusText: string, error: Error | string): void {
  setStatus(node, 'error', statusText);
  done(typeof error === 'string' ? new Error(error) : error);
}

/**
 * A node whose configuration is unusable: says so once in the log, shows it on the status, and
 * fails every message with the reason rather than guess; the status is cleared on close.
 */
export function refuseConfiguration(node: Node, message: string, statusText: string): void {
  node.error(message);
  setStatus(node, 'error', statusText);
  node.on('input', (_msg, _send, done) => failInput(node, done, statusText, message));
  node.on('close', (_removed: boolean, done: () => void) => {
    clearStatus(node);
    done();
  });
}

/** For async input handlers: the runtime does not see rejected promises (Node.js L201-241). */
export function errorOf(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}
