/**
 * Live progress for the batch page, shared: however many people watch a batch, its
 * record is read once a second, and each change goes to every watcher as a
 * server-sent event. When the batch has finished (its result written, or failed), the
 * last state is sent, then `end`, and the watch stops.
 */
export interface WatchedState {
  json: string;
  finished: boolean;
}

export type WatchListener = (event: 'batch' | 'end', data: string) => void;

interface Watch {
  listeners: Set<WatchListener>;
  timer: NodeJS.Timeout;
  last: string | null;
  busy: boolean;
}

export class BatchWatch {
  private readonly watches = new Map<string, Watch>();

  /**
   * @param read the batch's state now; null when it is gone
   * @param intervalMs how often a watched batch is read
   */
  constructor(
    private readonly read: (id: string) => Promise<WatchedState | null>,
    private readonly intervalMs = 1_000,
    private readonly onError: (err: unknown, id: string) => void = () => {},
  ) {}

  /** Starts sending to `listener` (the current state at once); answers the function that stops it. */
  subscribe(id: string, listener: WatchListener): () => void {
    let watch = this.watches.get(id);
    if (!watch) {
      watch = { listeners: new Set(), timer: setInterval(() => void this.tick(id), this.intervalMs), last: null, busy: false };
      this.watches.set(id, watch);
    }
    watch.listeners.add(listener);
    if (watch.last !== null) listener('batch', watch.last);
    else void this.tick(id);
    return () => this.unsubscribe(id, listener);
  }

  get watched(): number {
    return this.watches.size;
  }

  private unsubscribe(id: string, listener: WatchListener): void {
    const watch = this.watches.get(id);
    if (!watch) return;
    watch.listeners.delete(listener);
    if (watch.listeners.size === 0) this.stop(id);
  }

  private stop(id: string): void {
    const watch = this.watches.get(id);
    if (!watch) return;
    clearInterval(watch.timer);
    this.watches.delete(id);
  }

  private async tick(id: string): Promise<void> {
    const watch = this.watches.get(id);
    if (!watch || watch.busy) return;
    watch.busy = true;
    try {
      const state = await this.read(id);
      if (this.watches.get(id) !== watch) return;
      if (!state) {
        for (const listener of watch.listeners) listener('end', '{}');
        this.stop(id);
        return;
      }
      if (state.json !== watch.last) {
        watch.last = state.json;
        for (const listener of watch.listeners) listener('batch', state.json);
      }
      if (state.finished) {
        for (const listener of watch.listeners) listener('end', '{}');
        this.stop(id);
      }
    } catch (err) {
      this.onError(err, id);
    } finally {
      watch.busy = false;
    }
  }

  close(): void {
    for (const id of [...this.watches.keys()]) this.stop(id);
  }
}
