/** `riskscreen estimate <file>`: the cost of a batch before anything is spent. */
import { parseArgs } from 'node:util';
import { loadOptions } from '../config/load.js';
import { estimateBatch } from '../engine/estimate.js';
import { deriveEngineKeys } from '../engine/keys.js';
import { redisStores } from '../engine/redis-store.js';
import { API_IDS, APIS } from '../juhe/catalogue.js';
import { createLogger } from '../log/logger.js';
import { assertRedisReachable, connectRedis } from '../../workers/connection.js';
import { EXIT } from './exit-codes.js';
import { INPUT_FLAGS, INPUT_FLAGS_HELP, inputOptionsFrom } from './input-flags.js';
import { UsageError, type CommandIo } from './io.js';

export const ESTIMATE_HELP = `Usage: riskscreen estimate <file> [--profile NAME|APIS] [--json]

Read a list and say what screening it would cost, before anything is spent: rows,
valid rows, unique numbers, questions per API, the billable upper bound (only answered
calls are billed, so the bill is at most this), and, on the queue engine, how many
answers the shared cache already holds. Nothing is queued and no API is called.

Options:
  --profile NAME|APIS    which APIs (default standard)
  --json                 print JSON
${INPUT_FLAGS_HELP}
  -h, --help             show this help

Exit codes: 0 estimated, 2 bad command line, 3 the list cannot be read, 4 configuration,
7 Redis unreachable.
`;

export async function runEstimateCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...INPUT_FLAGS,
      profile: { type: 'string' },
      config: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout.write(ESTIMATE_HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError('estimate needs exactly one <file> (see riskscreen estimate --help)');
  const options = loadOptions(values.config ? { configFile: values.config } : {});
  const logger = createLogger({ level: options.log.level });
  // Hashing needs the engine secret; without it (and without Redis) there is no cache to ask.
  const secretKnown = Boolean(options.engine.secret ?? options.juhe.key);
  const keys = deriveEngineKeys(options.engine.secret ?? (secretKnown ? undefined : 'riskscreen-estimate-only'), options.juhe.key);
  const redis = options.engine.redisUrl && secretKnown ? connectRedis({ url: options.engine.redisUrl, tlsCaFile: options.engine.redisTlsCaFile }, logger, 'estimate') : null;
  try {
    if (redis) await assertRedisReachable(redis, options.engine.redisUrl!);
    const cache = redis ? redisStores(redis, options.engine.prefix).cache : null;
    const estimate = await estimateBatch(positionals[0]!, inputOptionsFrom(values), values.profile, keys, cache);
    if (values.json) {
      io.stdout.write(`${JSON.stringify(estimate, null, 2)}\n`);
      return EXIT.ok;
    }
    const c = estimate.counts;
    const n = (v: number) => v.toLocaleString('en-US').padStart(10);
    const lines = [
      `${positionals[0]} (profile ${estimate.profile})`,
      `  rows            ${n(c.rows)}`,
      `  valid           ${n(c.valid)}   invalid ${c.invalid.toLocaleString('en-US')}`,
      `  unique numbers  ${n(c.unique)}   duplicates ${c.duplicates.toLocaleString('en-US')}`,
      '',
      '  api            questions' + (estimate.cached ? '   in cache' : ''),
    ];
    for (const api of API_IDS) {
      if (estimate.questions[api] === 0 && !estimate.cached) continue;
      lines.push(`  ${api.padEnd(13)}${n(estimate.questions[api])}${estimate.cached ? ` ${n(estimate.cached[api])}` : ''}   ${APIS[api].titleEn}`);
    }
    const saved = estimate.cached ? Object.values(estimate.cached).reduce((a, b) => a + b, 0) : 0;
    lines.push('', `  billable calls at most ${estimate.billableUpperBound.toLocaleString('en-US')}${estimate.cached ? `; the cache would save ${saved.toLocaleString('en-US')}` : ''}`);
    if (!estimate.cached) {
      lines.push(options.engine.redisUrl ? '  (cache not consulted: set JUHE_KEY or RISKSCREEN_SECRET to match cached answers)' : '  (local engine: no cache between runs; with REDIS_URL the shared cache is consulted)');
    }
    io.stdout.write(`${lines.join('\n')}\n`);
    return EXIT.ok;
  } finally {
    if (redis) await redis.quit().catch(() => redis.disconnect());
  }
}
