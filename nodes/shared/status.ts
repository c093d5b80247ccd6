// One status vocabulary for all our nodes, so that the same state looks the same (colour, shape,
// wording) on every node in the editor. Depends only on `status`, so it is testable without a
// runtime.

export type StatusKind = 'ok' | 'tracking' | 'busy' | 'error' | 'stopped';

export interface NodeStatusLike {
  status(status: { fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey'; shape?: 'ring' | 'dot'; text?: string }): void;
}

const LOOK = {
  ok: { fill: 'green', shape: 'dot' },
  tracking: { fill: 'blue', shape: 'dot' },
  busy: { fill: 'yellow', shape: 'ring' },
  error: { fill: 'red', shape: 'ring' },
  stopped: { fill: 'grey', shape: 'ring' },
} as const;

/** Status text stays short in the editor; longer text is cut with an ellipsis. */
export const MAX_STATUS_TEXT = 32;

export function setStatus(node: NodeStatusLike, kind: StatusKind, text: string): void {
  const shown = text.length > MAX_STATUS_TEXT ? `${text.slice(0, MAX_STATUS_TEXT - 1)}…` : text;
  node.status({ ...LOOK[kind], text: shown });
}

export function clearStatus(node: NodeStatusLike): void {
  node.status({});
}
