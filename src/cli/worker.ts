/**
 * `riskscreen worker`: a long-running process that works on the queue engine's queues.
 * Any number of them, on any number of machines, share the work. SIGTERM or SIGINT:
 * stop taking jobs, let calls in flight finish (up to RISKSCREEN_SHUTDOWN_TIMEOUT_MS),
 * then exit.
 */
import { parseArgs } from 'node:util';
import { loadOptions } from '../config/load.js';
import { createLogger } from '../log/logger.js';
import { startBullmqRunner } from '../../workers/bullmq-runner.js';
import { ALL_QUEUES, queueNameOf } from '../../workers/queue-names.js';
import { openQueueSession } from '../../workers/sessions.js';
import { checkRedisForWorkers } from '../../workers/redis-policy.js';
import { startWorkerOps, type WorkerOps } from '../../workers/worker-ops.js';
import { EXIT } from './exit-codes.js';
import { UsageError, type CommandIo } from './io.js';

export const WORKER_HELP = `Usage: riskscreen worker [--queues Q,...] [--concurrency N] [--metrics-port N]

Work on the queue engine's queues (REDIS_URL) until SIGTERM or SIGINT, then stop taking
jobs, let calls in flight finish (RISKSCREEN_SHUTDOWN_TIMEOUT_MS, 30 s) and exit.

Options:
  --queues Q,...     which queues: ingest, report, API ids, nightly (schedules' ticks, batch ends)
                     or webhook (${ALL_QUEUES.join(', ')}); default all
  --concurrency N    calls in flight per API queue in this process (default RISKSCREEN_CONCURRENCY, 32)
  --metrics-port N   serve /metrics (Prometheus), /healthz and /readyz on this port (0: a free one,
                     printed; default RISKSCREEN_METRICS_PORT, unset: none) at RISKSCREEN_METRICS_HOST
                     (127.0.0.1); docs/metrics.md lists the metrics
  --config FILE      config file
  -h, --help         show this help

Exit codes: 0 stopped cleanly, 2 bad command line, 4 configuration, 7 Redis unreachable,
130 calls in flight had to be interrupted at shutdown (their jobs run again elsewhere).
`;

export async function runWorkerCommand(argv: string[], io: CommandIo, control: { stop?: AbortSignal } = {}): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      queues: { type: 'string' },
      concurrency: { type: 'string' },
      'metrics-port': { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout.write(WORKER_HELP);
    return EXIT.ok;
  }
  const queues = values.queues?.split(',').map((name) => {
    const queue = queueNameOf(name.trim());
    if (!queue) throw new UsageError(`--queues: unknown queue "${name}"; queues are ${ALL_QUEUES.join(', ')}`);
    return queue;
  });
  const options = loadOptions({
    ...(values.config ? { configFile: values.config } : {}),
    overrides: {
      'engine.concurrency': { value: values.concurrency, flag: '--concurrency' },
      'ops.metricsPort': { value: values['metrics-port'], flag: '--metrics-port' },
    },
  });
  const logger = createLogger({ level: options.log.level }).child({ role: 'worker' });
  const session = await openQueueSession(options, logger, { juhe: true });
  let ops: WorkerOps | null = null;
  try {
    // Before any job is taken: a Redis that evicts keys loses jobs without a trace.
    await checkRedisForWorkers(session.redis, session.redisUrl, logger);
    await session.queues.prepare(options.engine.rates);
    ops = await startWorkerOps(session, options, logger);
    if (ops.url) io.stderr.write(`riskscreen: worker metrics at ${ops.url}/metrics (and /healthz, /readyz)\n`);
    return await work(ops);
  } finally {
    // However the worker ends (stopped, or a start or a stop that failed): the listener
    // first, then the session. Left open, either would keep the process from exiting.
    try {
      await ops?.close();
    } finally {
      await session.close();
    }
  }

  async function work(ops: WorkerOps): Promise<number> {
    const workers = startBullmqRunner({
      context: { ...session.parts!.context, ...(ops.observer ? { observe: ops.observer } : {}) },
      queues: session.queues,
      connect: (name) => session.connect(name),
      only: queues ?? ALL_QUEUES,
      concurrency: options.engine.concurrency,
      logger,
      nightly: options.nightly,
    });
    try {
      await workers.ready;
      ops.life.started = true;
      logger.info({ queues: queues ?? ALL_QUEUES, concurrency: options.engine.concurrency }, 'worker started');
      await stopSignal();
    } catch (err) {
      // A start that failed: stop what did start (its connections would hold the process).
      ops.life.closing = true;
      await workers.close(options.engine.shutdownTimeoutMs).catch((error: unknown) => logger.warn({ err: error }, 'workers did not close'));
      throw err;
    }
    ops.life.closing = true;
    io.stderr.write('riskscreen: worker stopping: finishing calls in flight\n');
    // /readyz says "stopping" and /metrics answers until the calls have ended (the listener closes after).
    const { interrupted } = await workers.close(options.engine.shutdownTimeoutMs);
    logger.info({ interrupted }, 'worker stopped');
    return interrupted ? EXIT.interrupted : EXIT.ok;
  }

  /** Resolves at SIGTERM, SIGINT or the caller's stop. */
  async function stopSignal(): Promise<void> {
    let stop = () => {};
    // Listening before the line that says so: a SIGTERM sent as soon as it is read (the
    // process preempted between the two) would otherwise find no handler and kill it.
    const stopped = new Promise<void>((resolve) => {
      stop = () => resolve();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      control.stop?.addEventListener('abort', stop, { once: true });
    });
    io.stderr.write(`riskscreen: worker ${process.pid} on ${(queues ?? ALL_QUEUES).join(', ')}; SIGTERM or Ctrl-C to stop\n`);
    try {
      await stopped;
    } finally {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      control.stop?.removeEventListener('abort', stop);
    }
  }
}
