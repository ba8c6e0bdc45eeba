/**
 * `riskscreen worker` closes its ops listener and then its Redis session however it
 * ends: stopped, or a start that throws, a first heartbeat that fails, or a stop whose
 * workers fail to close. Left open, either would keep the process from exiting. The
 * session, the ops listener and the BullMQ runner are stand-ins here.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { captureIo } from '../../support/capture-io.js';

const world = vi.hoisted(() => ({
  events: [] as string[],
  runner: 'ok' as 'ok' | 'throws' | 'ready-rejects' | 'close-rejects',
}));

vi.mock('../../../src/config/load.js', () => ({
  loadOptions: () => ({
    log: { level: 'silent' },
    engine: { rates: {}, concurrency: 1, shutdownTimeoutMs: 100, prefix: '{riskscreen}' },
    nightly: {},
    ops: {},
  }),
}));

vi.mock('../../../workers/sessions.js', () => ({
  openQueueSession: async () => ({
    redis: {},
    redisUrl: 'redis://127.0.0.1:6379',
    queues: { prepare: async () => undefined },
    parts: { context: {} },
    connect: () => ({}),
    close: async () => {
      world.events.push('session closed');
    },
  }),
}));

vi.mock('../../../workers/redis-policy.js', () => ({ checkRedisForWorkers: async () => undefined }));

vi.mock('../../../workers/worker-ops.js', () => ({
  startWorkerOps: async () => ({
    observer: undefined,
    life: { started: false, closing: false },
    url: null,
    close: async () => {
      world.events.push('ops closed');
    },
  }),
}));

vi.mock('../../../workers/bullmq-runner.js', () => ({
  startBullmqRunner: () => {
    if (world.runner === 'throws') throw new Error('no worker could be made');
    return {
      workers: [],
      ready: world.runner === 'ready-rejects' ? Promise.reject(new Error('the first heartbeat failed')) : Promise.resolve(),
      close: async () => {
        world.events.push('workers closed');
        if (world.runner === 'close-rejects') throw new Error('a worker would not close');
        return { interrupted: false };
      },
    };
  },
}));

const { runWorkerCommand } = await import('../../../src/cli/worker.js');

afterEach(() => {
  world.events.length = 0;
  world.runner = 'ok';
});

/** Runs the command, stopped shortly after it starts. */
async function run(): Promise<number> {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), 20);
  try {
    return await runWorkerCommand([], captureIo(), { stop: stop.signal });
  } finally {
    clearTimeout(timer);
  }
}

describe('riskscreen worker closes the listener, then the session, however it ends', () => {
  it('stopped: the workers, then the listener, then the session; no signal handler is left behind', async () => {
    const listeners = process.listenerCount('SIGTERM');
    expect(await run()).toBe(0);
    expect(world.events).toEqual(['workers closed', 'ops closed', 'session closed']);
    expect(process.listenerCount('SIGTERM')).toBe(listeners);
  });

  it('the runner cannot be started', async () => {
    world.runner = 'throws';
    await expect(run()).rejects.toThrow('no worker could be made');
    expect(world.events).toEqual(['ops closed', 'session closed']);
  });

  it('the workers never become ready: what did start is stopped too', async () => {
    world.runner = 'ready-rejects';
    await expect(run()).rejects.toThrow('the first heartbeat failed');
    expect(world.events).toEqual(['workers closed', 'ops closed', 'session closed']);
  });

  it('the workers fail to close', async () => {
    world.runner = 'close-rejects';
    await expect(run()).rejects.toThrow('a worker would not close');
    expect(world.events).toEqual(['workers closed', 'ops closed', 'session closed']);
  });
});
