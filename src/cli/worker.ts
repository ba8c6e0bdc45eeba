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
import { connectRedis } from '../../workers/connection.js';
import { ALL_QUEUES, queueNameOf } from '../../workers/queue-names.js';
import { openQueueSession } from '../../workers/sessions.js';
import { EXIT } from './exit-codes.js';
import { UsageError, type CommandIo } from './io.js';

export const WORKER_HELP = `Usage: riskscreen worker [--queues Q,...] [--concurrency N]

Work on the queue engine's queues (REDIS_URL) until SIGTERM or SIGINT, then stop taking
jobs, let calls in flight finish (RISKSCREEN_SHUTDOWN_TIMEOUT_MS, 30 s) and exit.

Options:
  --queues Q,...     which queues: ingest, report, API ids, nightly (schedules' ticks, batch ends)
                     or webhook (${ALL_QUEUES.join(', ')}); default all
  --concurrency N    calls in flight per API queue in this process (default RISKSCREEN_CONCURRENCY, 32)
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
    overrides: { 'engine.concurrency': { value: values.concurrency, flag: '--concurrency' } },
  });
  const logger = createLogger({ level: options.log.level }).child({ role: 'worker' });
  const session = await openQueueSession(options, logger, { juhe: true });
  await session.queues.prepare(options.engine.rates);
  const url = session.redisUrl;
  const workers = startBullmqRunner({
    context: session.parts!.context,
    queues: session.queues,
    connect: (name) => connectRedis(url, logger, name),
    only: queues ?? ALL_QUEUES,
    concurrency: options.engine.concurrency,
    logger,
    nightly: options.nightly,
  });
  await workers.ready;
  logger.info({ queues: queues ?? ALL_QUEUES, concurrency: options.engine.concurrency }, 'worker started');
  // Listening before the line that says so: a SIGTERM sent as soon as it is read (the
  // process preempted between the two) would otherwise find no handler and kill it.
  const stopped = new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    control.stop?.addEventListener('abort', stop, { once: true });
  });
  io.stderr.write(`riskscreen: worker ${process.pid} on ${(queues ?? ALL_QUEUES).join(', ')}; SIGTERM or Ctrl-C to stop\n`);
  await stopped;
  io.stderr.write('riskscreen: worker stopping: finishing calls in flight\n');
  const { interrupted } = await workers.close(options.engine.shutdownTimeoutMs);
  await session.close();
  logger.info({ interrupted }, 'worker stopped');
  return interrupted ? EXIT.interrupted : EXIT.ok;
}
