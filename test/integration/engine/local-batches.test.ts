/**
 * Commands on the local engine's batches (REDIS_URL unset): what `riskscreen run` kept
 * in the data dir is there for status, result, cancel and gc, with no call made.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { openSqliteStores } from '../../../src/engine/sqlite-store.js';
import { submitBatch } from '../../../src/engine/submit.js';
import { runCli } from '../../support/capture-io.js';
import { FAST, useCliEmulator } from '../../support/cli-emulator.js';
import { writeNumberList } from './harness.js';

const env = useCliEmulator({ seed: 'local-batches' });

function dataDir(): string {
  return process.env.RISKSCREEN_DATA_DIR!;
}

/** A batch submitted to the local store and never run (as a run killed before it started work). */
async function unrunBatch(file: string): Promise<string> {
  const stores = openSqliteStores({ file: join(dataDir(), 'local.db') });
  try {
    const { meta } = await submitBatch(stores.batches, dataDir(), { file, input: {}, profile: 'status' });
    return meta.id;
  } finally {
    stores.close();
  }
}

describe('local batches, kept in the data dir', () => {
  it('status, inspect and result of a finished run: no Redis, no call, the same file again', async () => {
    const list = writeNumberList(env.dir, 'list.csv', 30);
    const out = join(env.dir, 'result.csv');
    const ran = await runCli(['run', list.path, '--out', out, '--profile', 'status', ...FAST, '--json']);
    expect(ran.code, ran.err).toBe(EXIT.ok);
    const id = (JSON.parse(ran.out) as { id: string }).id;
    const calls = env.emulator.ledger.stats().calls;

    const status = await runCli(['status', id]);
    expect(status.code, status.err).toBe(EXIT.ok);
    expect(status.out).toMatch(new RegExp(`batch ${id}: done`));
    expect(status.out).toMatch(/rows\s+30/);

    const inspect = await runCli(['inspect', id]);
    expect(inspect.code, inspect.err).toBe(EXIT.ok);
    expect(inspect.out).toContain(join(dataDir(), 'batches', id));
    expect(inspect.out).toMatch(/rows\s+30\b/);

    const again = join(env.dir, 'again.csv');
    const result = await runCli(['result', id, '--out', again]);
    expect(result.code, result.err).toBe(EXIT.ok);
    expect(readFileSync(again)).toEqual(readFileSync(out));
    expect(env.emulator.ledger.stats().calls).toBe(calls);
  });

  it('a batch no run is working on: status says how to resume it; cancel marks it cancelled and says it gets no result file', async () => {
    const list = writeNumberList(env.dir, 'list.csv', 10);
    const id = await unrunBatch(list.path);
    const status = await runCli(['status', id]);
    expect(status.code, status.err).toBe(EXIT.ok);
    expect(status.out).toMatch(/waiting\s+no riskscreen run is working on it .*run the same list with the same options again \(riskscreen run; --plan included\) to resume it/);

    const cancel = await runCli(['cancel', id]);
    expect(cancel.code, cancel.err).toBe(EXIT.ok);
    expect(cancel.out).toContain(`batch ${id} cancelled; no riskscreen run was working on it, so nothing more is asked and it has no result file`);
    expect((await runCli(['status', id])).out).toMatch(new RegExp(`batch ${id}: cancelled`));
    expect(env.emulator.ledger.stats().calls).toBe(0);
  });

  it('a rerun of a list whose batch never ran resumes that batch instead of making another', async () => {
    const list = writeNumberList(env.dir, 'list.csv', 12);
    const id = await unrunBatch(list.path);
    const ran = await runCli(['run', list.path, '--out', join(env.dir, 'result.csv'), '--profile', 'status', ...FAST, '--json']);
    expect(ran.code, ran.err).toBe(EXIT.ok);
    expect(ran.err).toContain(`resuming ${id}: 0 questions already answered; the list is read again`);
    expect((JSON.parse(ran.out) as { id: string }).id).toBe(id);
    // Other questions (another profile) are another batch.
    const other = await runCli(['run', list.path, '--out', join(env.dir, 'other.csv'), '--profile', 'basic', ...FAST, '--json']);
    expect(other.code, other.err).toBe(EXIT.ok);
    expect((JSON.parse(other.out) as { id: string }).id).not.toBe(id);
  });

  it('an unknown batch names the local store it looked in; a data dir where no run ran says so, and makes nothing', async () => {
    const none = await runCli(['status', 'b20260101-000000-zzzz']);
    expect(none.code).toBe(EXIT.usage);
    expect(none.err).toMatch(/no local batches: there is no local store at .*local\.db \(the data dir is RISKSCREEN_DATA_DIR/);
    expect(existsSync(join(dataDir(), 'local.db'))).toBe(false);
    expect((await runCli(['gc'])).out).toMatch(/^nothing to remove: there is no local store at /);

    await unrunBatch(writeNumberList(env.dir, 'list.csv', 3).path);
    const status = await runCli(['status', 'b20260101-000000-zzzz']);
    expect(status.code).toBe(EXIT.usage);
    expect(status.err).toMatch(/no batch b20260101-000000-zzzz in the local store .*local\.db \(REDIS_URL is not set/);
  });

  it('gc removes old batches and their files, keeps unended ones unless --unfinished, and says how much it freed', async () => {
    const list = writeNumberList(env.dir, 'list.csv', 20);
    const ran = await runCli(['run', list.path, '--out', join(env.dir, 'result.csv'), '--profile', 'status', ...FAST, '--json']);
    const done = (JSON.parse(ran.out) as { id: string }).id;
    const unended = await unrunBatch(writeNumberList(env.dir, 'other.csv', 5, { seed: 99 }).path);
    expect(existsSync(join(dataDir(), 'batches', done))).toBe(true);

    const young = await runCli(['gc']);
    expect(young.code, young.err).toBe(EXIT.ok);
    expect(young.out).toMatch(/^removed 0 batches older than 30 days/);

    const dry = await runCli(['gc', '--older-than', '0', '--dry-run']);
    expect(dry.out).toMatch(/^would remove 1 batch older than 0 days \(\d+ kB of files\), kept 1 not ended/);
    expect(existsSync(join(dataDir(), 'batches', done))).toBe(true);

    const gc = await runCli(['gc', '--older-than', '0']);
    expect(gc.code, gc.err).toBe(EXIT.ok);
    expect(gc.out).toMatch(/^removed 1 batch older than 0 days \(\d+ kB of files\), kept 1 not ended .*; 0 expired answers; the store went from .* to .*; freed .* in all/);
    expect(existsSync(join(dataDir(), 'batches', done))).toBe(false);
    expect((await runCli(['status', done])).code).toBe(EXIT.usage);
    expect((await runCli(['status', unended])).code).toBe(EXIT.ok);

    const all = await runCli(['gc', '--older-than', '0', '--unfinished']);
    expect(all.out).toMatch(/^removed 1 batch/);
    expect((await runCli(['status', unended])).code).toBe(EXIT.usage);

    expect((await runCli(['gc', '--older-than', 'soon'])).err).toMatch(/--older-than: a whole number of days/);
  });
});
