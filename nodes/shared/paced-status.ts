// Status pacing for nodes on the hot path (see PacedStatus).
import { failInput } from './errors';
import { setStatus, type NodeStatusLike, type StatusKind } from './status';

/**
 * Status for nodes that see many messages a second: shown at most once per interval (the first
 * change at once, the latest one when the interval is over), with its text, an i18n lookup that
 * can cost more than the node's own work, built only when it is shown.
 */
export class PacedStatus {
  private pending: (() => void) | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private shownAt = -Infinity;

  constructor(
    private readonly node: NodeStatusLike,
    private readonly intervalMs = 250,
  ) {}

  show(kind: StatusKind, text: () => string): void {
    const render = () => setStatus(this.node, kind, text());
    const wait = this.shownAt + this.intervalMs - Date.now();
    if (wait <= 0 && this.timer === undefined) {
      this.shownAt = Date.now();
      render();
      return;
    }
    this.pending = render;
    this.timer ??= setTimeout(() => this.flush(), Math.max(0, wait));
  }

  /** A failed message: red status at once (nothing pending overwrites it), then done(err). */
  fail(done: (err?: Error) => void, statusText: string, error: Error | string): void {
    this.cancel();
    this.shownAt = Date.now();
    failInput(this.node, done, statusText, error);
  }

  /** On close: nothing pending may set a status afterwards. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  private flush(): void {
    this.timer = undefined;
    const render = this.pending;
    this.pending = undefined;
    this.shownAt = Date.now();
    render?.();
  }
}
