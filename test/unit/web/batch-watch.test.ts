/**
 * BatchWatch: one read per interval per batch however many watch it, a send only when
 * the state changed, `end` when the batch has finished (or is gone), and the timer
 * stopped when the last watcher leaves.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchWatch, type WatchedState, type WatchListener } from '../../../src/web/batch-watch.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A batch whose state the test sets; counts the reads. */
function source() {
  const states = new Map<string, WatchedState | null>();
  const reads: string[] = [];
  return {
    states,
    reads,
    read: async (id: string) => {
      reads.push(id);
      await Promise.resolve();
      const state = states.get(id);
      if (state === undefined) throw new Error(`no state for ${id}`);
      return state;
    },
  };
}

function recorder() {
  const events: Array<[string, string]> = [];
  const listener: WatchListener = (event, data) => events.push([event, data]);
  return { events, listener };
}

const state = (n: number, finished = false): WatchedState => ({ json: JSON.stringify({ n }), finished });
const flush = () => vi.advanceTimersByTimeAsync(0);

describe('BatchWatch', () => {
  it('sends the current state at once, and reads once per interval however many watch', async () => {
    const src = source();
    src.states.set('b1', state(1));
    const watch = new BatchWatch(src.read, 1_000);
    const a = recorder();
    const b = recorder();
    const c = recorder();
    watch.subscribe('b1', a.listener);
    watch.subscribe('b1', b.listener); // before the first read has answered
    await flush();
    watch.subscribe('b1', c.listener); // after: gets the last state without a read
    expect(src.reads).toEqual(['b1']);
    for (const r of [a, b, c]) expect(r.events).toEqual([['batch', '{"n":1}']]);
    expect(watch.watched).toBe(1);

    await vi.advanceTimersByTimeAsync(5_000);
    expect(src.reads).toHaveLength(6); // 1 at once + 5 ticks, not 3 × 5
    watch.close();
  });

  it('sends only changes', async () => {
    const src = source();
    src.states.set('b1', state(1));
    const watch = new BatchWatch(src.read, 1_000);
    const a = recorder();
    watch.subscribe('b1', a.listener);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(a.events).toEqual([['batch', '{"n":1}']]);
    src.states.set('b1', state(2));
    await vi.advanceTimersByTimeAsync(1_000);
    src.states.set('b1', state(2));
    await vi.advanceTimersByTimeAsync(2_000);
    src.states.set('b1', state(3));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(a.events).toEqual([
      ['batch', '{"n":1}'],
      ['batch', '{"n":2}'],
      ['batch', '{"n":3}'],
    ]);
    watch.close();
  });

  it('sends the last state then end when the batch finishes, and stops reading', async () => {
    const src = source();
    src.states.set('b1', state(1));
    const watch = new BatchWatch(src.read, 1_000);
    const a = recorder();
    const b = recorder();
    watch.subscribe('b1', a.listener);
    watch.subscribe('b1', b.listener);
    await flush();
    src.states.set('b1', state(2, true));
    await vi.advanceTimersByTimeAsync(1_000);
    for (const r of [a, b]) {
      expect(r.events).toEqual([
        ['batch', '{"n":1}'],
        ['batch', '{"n":2}'],
        ['end', '{}'],
      ]);
    }
    expect(watch.watched).toBe(0);
    const reads = src.reads.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(src.reads).toHaveLength(reads);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sends the state then end at once for a batch already finished', async () => {
    const src = source();
    src.states.set('b1', state(7, true));
    const watch = new BatchWatch(src.read, 1_000);
    const a = recorder();
    watch.subscribe('b1', a.listener);
    await flush();
    expect(a.events).toEqual([
      ['batch', '{"n":7}'],
      ['end', '{}'],
    ]);
    expect(watch.watched).toBe(0);
  });

  it('sends end when the batch is gone', async () => {
    const src = source();
    src.states.set('b1', null);
    const watch = new BatchWatch(src.read, 1_000);
    const a = recorder();
    watch.subscribe('b1', a.listener);
    await flush();
    expect(a.events).toEqual([['end', '{}']]);
    expect(watch.watched).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops the timer when the last watcher leaves, not before', async () => {
    const src = source();
    src.states.set('b1', state(1));
    const watch = new BatchWatch(src.read, 1_000);
    const a = recorder();
    const b = recorder();
    const stopA = watch.subscribe('b1', a.listener);
    const stopB = watch.subscribe('b1', b.listener);
    await flush();
    stopA();
    expect(watch.watched).toBe(1);
    src.states.set('b1', state(2));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(a.events).toHaveLength(1); // left: gets nothing more
    expect(b.events).toHaveLength(2);
    stopB();
    expect(watch.watched).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    const reads = src.reads.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(src.reads).toHaveLength(reads);
    stopB(); // twice: no error
  });

  it('sends nothing from a read that answers after the last watcher left', async () => {
    let answer!: (s: WatchedState) => void;
    const watch = new BatchWatch(() => new Promise<WatchedState>((resolve) => (answer = resolve)), 1_000);
    const a = recorder();
    const stop = watch.subscribe('b1', a.listener);
    stop();
    answer(state(1));
    await flush();
    expect(a.events).toEqual([]);
    expect(watch.watched).toBe(0);
  });

  it('does not start a read while one is still out (a slow store)', async () => {
    const src = source();
    src.states.set('b1', state(1));
    let pending = 0;
    let maxPending = 0;
    const slowRead = async (id: string) => {
      pending++;
      maxPending = Math.max(maxPending, pending);
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      pending--;
      return src.read(id);
    };
    const watch = new BatchWatch(slowRead, 1_000);
    watch.subscribe('b1', recorder().listener);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(maxPending).toBe(1);
    watch.close();
  });

  it('watches batches separately', async () => {
    const src = source();
    src.states.set('b1', state(1));
    src.states.set('b2', state(2));
    const watch = new BatchWatch(src.read, 1_000);
    const a = recorder();
    const b = recorder();
    watch.subscribe('b1', a.listener);
    const stopB = watch.subscribe('b2', b.listener);
    await flush();
    expect(watch.watched).toBe(2);
    expect(a.events).toEqual([['batch', '{"n":1}']]);
    expect(b.events).toEqual([['batch', '{"n":2}']]);
    stopB();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(src.reads.filter((id) => id === 'b2')).toHaveLength(1);
    expect(src.reads.filter((id) => id === 'b1')).toHaveLength(4);
    watch.close();
    expect(watch.watched).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reports a failed read and keeps watching', async () => {
    const src = source();
    const errors: Array<[unknown, string]> = [];
    const watch = new BatchWatch(src.read, 1_000, (err, id) => errors.push([err, id]));
    const a = recorder();
    watch.subscribe('b1', a.listener); // no state yet: the read throws
    await flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]![1]).toBe('b1');
    expect(String(errors[0]![0])).toMatch(/no state for b1/);
    expect(a.events).toEqual([]);
    src.states.set('b1', state(1));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(a.events).toEqual([['batch', '{"n":1}']]);
    watch.close();
  });
});
