/**
 * `riskscreen gc`: what the local engine keeps, removed past its age: batches (their
 * record and answers in the local store, their folder in the data dir: the stored list
 * and the result files) and answers whose time in the cache is over. Says how much it
 * freed. A batch a live `riskscreen run` works on is never removed.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadOptions } from '../config/load.js';
import { NoLocalStoreError, openLocalStoreSession } from '../../workers/sessions.js';
import { EXIT } from './exit-codes.js';
import { UsageError, type CommandIo } from './io.js';
import { bytesWords } from './space-check.js';
import { FINAL_STATUSES } from '../engine/batch.js';

export const GC_HELP = `Usage: riskscreen gc [--older-than DAYS] [--unfinished] [--dry-run]

Remove what the local engine keeps in the data dir (RISKSCREEN_DATA_DIR, default
riskscreen-data/) past its age, and say how much was freed:
  - batches created more than DAYS ago (default 30): their record and answers in the
    local store, and their folder (the stored list, the result files). Export a result
    you still need first (riskscreen result <batch> --out FILE). A batch that a live
    riskscreen run works on is kept; so is one not ended, unless --unfinished.
  - answers whose time in the cache is over (RISKSCREEN_CACHE_TTL per API).
The store file is then compacted (not while a riskscreen run has it open: the space
is reused by new answers instead). The queue engine's batches (Redis) are not touched.

Options:
  --older-than DAYS  age of the batches to remove, in whole days (default 30; 0: all)
  --unfinished       also remove batches that never ended (a run killed and not rerun)
  --dry-run          say what would be removed, remove nothing
  --config FILE      config file
  -h, --help         show this help

Exit codes: 0 done, 2 bad command line, 8 the store could not be written.
`;

const DAY_MS = 86_400_000;

export async function runGcCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'older-than': { type: 'string', default: '30' },
      unfinished: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout.write(GC_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`gc takes no arguments (got ${positionals.join(' ')}); see riskscreen gc --help`);
  if (!/^\d+$/.test(values['older-than'])) throw new UsageError(`--older-than: a whole number of days (got ${JSON.stringify(values['older-than'])})`);
  const days = Number(values['older-than']);
  const options = loadOptions(values.config ? { configFile: values.config } : {});
  let session: ReturnType<typeof openLocalStoreSession>;
  try {
    session = openLocalStoreSession(options);
  } catch (err) {
    if (!(err instanceof NoLocalStoreError)) throw err;
    io.stdout.write(`nothing to remove: there is no local store at ${err.file}\n`);
    return EXIT.ok;
  }
  try {
    const { batches, cache } = session.stores;
    const cutoff = Date.now() - days * DAY_MS;
    let removed = 0;
    let kept = 0;
    let folderBytes = 0;
    for (const batch of await batches.list()) {
      const old = Date.parse(batch.times.created) <= cutoff;
      const ended = FINAL_STATUSES.has(batch.status) || batch.resultPath !== null;
      if (!old) continue;
      // Claimed before it is removed (a live run's claim is not taken): no run can start on it meanwhile.
      const free = values['dry-run'] ? !(await batches.claimant(batch.id)) : (await batches.claim(batch.id)).claimed;
      if ((!ended && !values.unfinished) || !free) {
        if (free && !values['dry-run']) await batches.release(batch.id);
        kept++;
        continue;
      }
      const folder = join(session.dataDir, 'batches', batch.id);
      folderBytes += await sizeOf(folder);
      if (!values['dry-run']) {
        await batches.remove(batch.id);
        await rm(folder, { recursive: true, force: true });
      }
      removed++;
    }
    const before = await session.stores.fileBytes();
    const answers = values['dry-run'] ? 0 : await cache.purgeExpired();
    const compacted = values['dry-run'] ? { bytes: before, compacted: true } : await session.stores.compact();
    const after = compacted.bytes;
    const verb = values['dry-run'] ? 'would remove' : 'removed';
    io.stdout.write(
      `${verb} ${removed.toLocaleString('en-US')} batch${removed === 1 ? '' : 'es'} older than ${days} day${days === 1 ? '' : 's'} (${bytesWords(folderBytes)} of files)` +
        `${kept ? `, kept ${kept} not ended or still running (--unfinished removes those not running)` : ''}` +
        `${values['dry-run'] ? '' : `; ${answers.toLocaleString('en-US')} expired answers; the store went from ${bytesWords(before)} to ${bytesWords(after)}`}` +
        `${compacted.compacted ? '' : ' (not compacted: a riskscreen run has the store open; its space is reused by new answers)'}` +
        `; freed ${bytesWords(folderBytes + Math.max(0, before - after))} in all\n`,
    );
    return EXIT.ok;
  } finally {
    await session.close();
  }
}

async function sizeOf(path: string): Promise<number> {
  const info = await stat(path).catch(() => null);
  if (!info) return 0;
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const entry of await readdir(path)) total += await sizeOf(join(path, entry));
  return total;
}
