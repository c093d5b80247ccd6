// One request in flight per Modbus connection: a serial line (RTU) carries one transaction at a
// time, and many TCP gateways serve one master request at a time too. Requests queue in arrival
// order; different connections have their own queue and so run concurrently. Pure: no timers, no
// I/O (the task brings its own time-out).

export interface QueueCounters {
  /** tasks that ran */
  requests: number;
  /** tasks that ran and failed */
  errors: number;
  /** tasks waiting now (not counting the one in flight) */
  waiting: number;
  /** the longest the queue has been, for the status and the bench */
  maxWaiting: number;
}

interface Waiting {
  task: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

export class SerialQueue {
  private readonly waiting: Waiting[] = [];
  private running = false;
  private closedWith: Error | undefined;
  private counts = { requests: 0, errors: 0, maxWaiting: 0 };

  /** Runs `task` when every task queued before it has settled; settles as the task does. */
  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ task, resolve: resolve as (value: unknown) => void, reject });
      this.counts.maxWaiting = Math.max(this.counts.maxWaiting, this.waiting.length);
      this.next();
    });
  }

  /** Rejects every waiting task with `reason` and refuses new ones (the one in flight settles by itself). */
  close(reason: Error): void {
    this.closedWith = reason;
    for (const item of this.waiting.splice(0)) item.reject(reason);
  }

  get counters(): QueueCounters {
    return { ...this.counts, waiting: this.waiting.length };
  }

  /** true while a task runs */
  get busy(): boolean {
    return this.running;
  }

  private next(): void {
    if (this.running) return;
    const item = this.waiting.shift();
    if (!item) return;
    this.running = true;
    this.counts.requests += 1;
    let started: Promise<unknown>;
    try {
      started = item.task();
    } catch (thrown) {
      started = Promise.reject(thrown);
    }
    started.then(item.resolve, (reason: unknown) => {
      this.counts.errors += 1;
      item.reject(reason);
    }).finally(() => {
      this.running = false;
      this.next();
    });
  }
}
