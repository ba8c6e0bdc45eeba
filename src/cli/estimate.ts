/** `riskscreen estimate <file>`: the cost of a batch before anything is spent, under each plan. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadOptions } from '../config/load.js';
import type { Options } from '../config/options.js';
import { estimateBatch, type Estimate, type LineStatusLookup } from '../engine/estimate.js';
import { deriveEngineKeys, type EngineKeys } from '../engine/keys.js';
import { redisStores } from '../engine/redis-store.js';
import { openSqliteStores, type SqliteStores } from '../engine/sqlite-store.js';
import type { ResultCache } from '../engine/store.js';
import { API_IDS, APIS } from '../juhe/catalogue.js';
import { createLogger } from '../log/logger.js';
import { CompareError, readEarlierLineStatuses, type EarlierLineStatusResult } from '../report/earlier-result.js';
import { joinHash } from '../report/masking.js';
import { loadRubric } from '../risk/index.js';
import { assertRedisReachable, connectRedis, type RedisConnection } from '../../workers/connection.js';
import { localStoreFile } from '../../workers/sessions.js';
import { EXIT } from './exit-codes.js';
import { INPUT_FLAGS, INPUT_FLAGS_HELP, inputOptionsFrom } from './input-flags.js';
import { UsageError, type CommandIo } from './io.js';

export const ESTIMATE_HELP = `Usage: riskscreen estimate <file> [--profile NAME|APIS] [--earlier FILE] [--rubric FILE]
                          [--json]

Read a list and say what screening it would cost, before anything is spent: rows,
valid rows, unique numbers, questions per API, and what each plan would bill. Nothing
is queued and no API is called.

Plans (run --plan, RISKSCREEN_PLAN): \`all\` asks every API at once; \`staged\` asks the
line status first and the other APIs only when its answer leaves the level open (an
answer that fires a hard rule of the rubric, such as a line not in service, fixes the
level at high). Both have the same upper bound (only answered calls are billed, so the
bill is at most this): at worst no line status decides anything. The expected bill
leaves out what is known to cost nothing: answers the result cache already holds (the
queue engine's shared cache, or the local store's in the data dir when it exists), and,
under \`staged\`, the other questions of numbers whose known line status decides their
level. A line status is known from the cache or from --earlier; other numbers count in
full.

Options:
  --profile NAME|APIS    which APIs (default standard)
  --earlier FILE         an earlier result of the same list (CSV, XLSX, JSONL or Parquet,
                         masked or not): the line statuses it holds count as known
  --rubric FILE          the rubric whose hard rules say which line statuses decide
                         (default: RISKSCREEN_RUBRIC, else the shipped one)
  --json                 print JSON
${INPUT_FLAGS_HELP}
  -h, --help             show this help

Exit codes: 0 estimated, 2 bad command line, 3 the list or the --earlier file cannot be
read, 4 configuration or rubric, 7 Redis unreachable.
`;

/** Where the cache that was asked lives. */
type CacheSource = { kind: 'redis' } | { kind: 'local'; file: string } | null;

export async function runEstimateCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...INPUT_FLAGS,
      profile: { type: 'string' },
      earlier: { type: 'string' },
      rubric: { type: 'string' },
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
  if (values.earlier === '') throw new UsageError('--earlier needs a file: an earlier result of the same list');
  const options = loadOptions({
    ...(values.config ? { configFile: values.config } : {}),
    overrides: { 'report.rubric': { value: values.rubric, flag: '--rubric' } },
  });
  const rubric = loadRubric(options.report.rubric);
  const logger = createLogger({ level: options.log.level });
  // Hashing needs the engine secret; without it there is no cache to ask.
  const secretKnown = Boolean(options.engine.secret ?? options.juhe.key);
  const keys = deriveEngineKeys(options.engine.secret ?? (secretKnown ? undefined : 'riskscreen-estimate-only'), options.juhe.key);
  // The earlier result first: a bad one fails before the list is read.
  const earlier = values.earlier ? await readEarlierLineStatuses(values.earlier, '--earlier') : null;
  if (earlier?.keyBy === 'mobile_hash' && !secretKnown) {
    throw new CompareError(earlier.file, 'its numbers are masked: set RISKSCREEN_SECRET (the one it was written with) to match them by mobile_hash', undefined, undefined, '--earlier');
  }
  const redis = options.engine.redisUrl && secretKnown ? connectRedis({ url: options.engine.redisUrl, tlsCaFile: options.engine.redisTlsCaFile }, logger, 'estimate') : null;
  let local: SqliteStores | null = null;
  try {
    if (redis) await assertRedisReachable(redis, options.engine.redisUrl!);
    const opened = openCache(options, redis, secretKnown);
    local = opened.local;
    const estimate = await estimateBatch(positionals[0]!, inputOptionsFrom(values), values.profile, keys, opened.cache, {
      rubric,
      lineStatus: earlier ? lineStatusLookup(earlier, keys) : null,
    });
    const report = {
      ...estimate,
      /** The plan `run` and `submit` use unless --plan says otherwise. */
      plan: options.engine.plan,
      cacheFrom: opened.source === null ? null : opened.source.kind === 'redis' ? 'redis' : opened.source.file,
      earlier: earlier ? { file: earlier.file, format: earlier.format, keyBy: earlier.keyBy, numbers: earlier.statuses.size } : null,
    };
    if (values.json) {
      io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return EXIT.ok;
    }
    io.stdout.write(`${estimateText(positionals[0]!, estimate, { options, source: opened.source, note: opened.note, earlier, secretKnown }).join('\n')}\n`);
    return EXIT.ok;
  } finally {
    local?.close();
    if (redis) await redis.quit().catch(() => redis.disconnect());
  }
}

/**
 * The cache to ask: the queue engine's in Redis; on the local engine, the local store's
 * when the data dir has one (none is made just to estimate). A local store that cannot
 * be opened leaves the cache out, with a note saying why.
 */
function openCache(options: Options, redis: RedisConnection | null, secretKnown: boolean): { cache: ResultCache | null; source: CacheSource; local: SqliteStores | null; note: string | null } {
  if (redis) return { cache: redisStores(redis, options.engine.prefix).cache, source: { kind: 'redis' }, local: null, note: null };
  if (options.engine.redisUrl || !secretKnown) return { cache: null, source: null, local: null, note: null };
  const file = localStoreFile(resolve(options.engine.dataDir));
  if (!existsSync(file)) return { cache: null, source: null, local: null, note: `no local store at ${file} yet: no answers to reuse` };
  try {
    const local = openSqliteStores({ file });
    return { cache: local.cache, source: { kind: 'local', file }, local, note: null };
  } catch (err) {
    return { cache: null, source: null, local: null, note: `the local store ${file} could not be opened (${(err as Error).message}): cache not consulted` };
  }
}

/** The line status the earlier result gives a number: by number, or by its keyed hash for a masked file. */
function lineStatusLookup(earlier: EarlierLineStatusResult, keys: EngineKeys): LineStatusLookup {
  const statuses = earlier.statuses;
  return earlier.keyBy === 'mobile_hash' ? (mobile) => statuses.get(joinHash(keys.joinKey, mobile)) : (mobile) => statuses.get(mobile);
}

function estimateText(
  file: string,
  estimate: Estimate,
  context: { options: Options; source: CacheSource; note: string | null; earlier: EarlierLineStatusResult | null; secretKnown: boolean },
): string[] {
  const { options, source, earlier } = context;
  const c = estimate.counts;
  const s = estimate.staging;
  const int = (v: number) => v.toLocaleString('en-US');
  const n = (v: number) => int(v).padStart(10);
  const cached = estimate.cached;
  const knowing = cached !== null || earlier !== null;
  const lines = [
    `${file} (profile ${estimate.profile})`,
    `  rows            ${n(c.rows)}`,
    `  valid           ${n(c.valid)}   invalid ${int(c.invalid)}`,
    `  unique numbers  ${n(c.unique)}   duplicates ${int(c.duplicates)}`,
    '',
    '  api            questions' + (cached ? '   in cache' : '') + (knowing ? ' staged skips' : ''),
  ];
  for (const api of API_IDS) {
    if (estimate.questions[api] === 0 && !cached) continue;
    lines.push(
      `  ${api.padEnd(13)}${n(estimate.questions[api])}${cached ? ` ${n(cached[api])}` : ''}${knowing ? `   ${n(s.saved[api])}` : ''}   ${APIS[api].titleEn}`,
    );
  }
  const { all, staged } = estimate.plans;
  const cacheSaves = cached ? Object.values(cached).reduce((a, b) => a + b, 0) : 0;
  const width = Math.max(int(all.upperBound).length, int(all.expected).length, int(staged.expected).length);
  const w = (v: number) => int(v).padStart(width);
  lines.push(
    '',
    '  billable calls        at most     expected',
    `  plan all            ${w(all.upperBound).padStart(9)}    ${w(all.expected).padStart(9)}${cached ? `   (the cache already answers ${int(cacheSaves)})` : ''}`,
    `  plan staged         ${w(staged.upperBound).padStart(9)}    ${w(staged.expected).padStart(9)}${s.savedTotal > 0 ? `   (${int(s.savedTotal)} fewer: questions a known line status leaves unasked)` : ''}`,
    '  "at most" is the same for both plans: under staged, at worst no line status decides anything.',
  );
  if (s.decidingValues.length === 0) {
    lines.push(`  The rubric ${s.rubric} has no hard rule that fixes the level on line status: staged asks everything, as all does.`);
  } else {
    const from = [cached ? `${int(s.knownFromCache)} in the cache` : null, earlier ? `${int(s.knownFromEarlier)} from ${earlier.name}` : null].filter(Boolean).join(', ');
    lines.push(
      `  Staged asks the line status first; ${s.decidingValues.join(' or ')} fixes the level at high (rubric ${s.rubric}),`,
      '  so such a number is not asked anything else.',
    );
    if (knowing) {
      lines.push(
        `  Line status known for ${int(s.known)} of ${int(s.numbers)} numbers${from ? ` (${from})` : ''}; ${int(s.deciding)} of them decide the level.`,
        '  Numbers whose line status is not known count in full.',
      );
    } else {
      lines.push('  No line status is known (no cache, no --earlier FILE): the expected bill is the upper bound for both plans.');
    }
  }
  if (!cached) {
    lines.push(
      context.note
        ? `  (${context.note})`
        : options.engine.redisUrl
          ? '  (cache not consulted: set JUHE_KEY or RISKSCREEN_SECRET to match cached answers)'
          : context.secretKnown
            ? '  (cache not consulted)'
            : '  (cache not consulted: set JUHE_KEY or RISKSCREEN_SECRET to match the answers in the local store)',
    );
  } else if (source?.kind === 'local') {
    lines.push(`  (cache: the local store ${source.file})`);
  }
  lines.push(`  run uses plan ${options.engine.plan} (--plan staged|all, or RISKSCREEN_PLAN, to choose).`);
  return lines;
}
