import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyRetention, earlierRun, listRuns, outboxNamesFor, outboxStem, runDateOf } from '../../../src/nightly/outbox.js';
import { manifestPathOf } from '../../../src/report/manifest.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riskscreen-outbox-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface RunSpec {
  schedule?: string;
  stem?: string;
  runDate: string;
  batchId: string;
  created: string;
  /** Written at `<stem>.<runDate><suffix>`; '' by default. */
  suffix?: string;
  levels?: string[];
  changes?: boolean;
}

/** A scheduled run's files and its manifest (only the fields the outbox reads, and a few more). */
async function writeRun(spec: RunSpec): Promise<string[]> {
  const { schedule = 'nightly', stem = 'list', runDate, batchId, created, suffix = '', levels = [], changes = false } = spec;
  const base = `${stem}.${runDate}${suffix}`;
  const file = (name: string) => ({ file: name, rows: 1, bytes: 10, sha256: 'x'.repeat(64) });
  const result = `${base}.result.csv`;
  const levelFiles = Object.fromEntries(levels.map((level) => [level, file(`${base}.${level}.csv`)]));
  const manifest = {
    kind: 'riskscreen.result',
    batch: { id: batchId, status: 'done' },
    result: file(result),
    files: { ...(levels.length ? { levels: levelFiles } : {}), ...(changes ? { changes: file(`${base}.changes.csv`) } : {}) },
    times: { created },
    schedule: { name: schedule, run_date: runDate, stem },
  };
  const names = [result, ...levels.map((level) => `${base}.${level}.csv`), ...(changes ? [`${base}.changes.csv`] : [])];
  for (const name of names) await writeFile(join(dir, name), 'mobile\r\n');
  const manifestPath = join(dir, `${base}.result.manifest.json`);
  await writeFile(manifestPath, JSON.stringify(manifest));
  return [...names.map((name) => join(dir, name)), manifestPath];
}

/**
 * Another format's export of a run, as writeOutbox writes it beside the run's CSV:
 * `<base>.result.<ext>` (+ levels, changes) and `<base>.result.<ext>.manifest.json`.
 * Returns its files, then its manifest.
 */
async function writeFormat(spec: RunSpec, format: 'xlsx' | 'jsonl' | 'parquet'): Promise<string[]> {
  const { schedule = 'nightly', stem = 'list', runDate, batchId, created, suffix = '', levels = [], changes = false } = spec;
  const base = `${stem}.${runDate}${suffix}`;
  const file = (name: string) => ({ file: name, rows: 1, bytes: 10, sha256: 'x'.repeat(64) });
  const names = [`${base}.result.${format}`, ...levels.map((level) => `${base}.${level}.${format}`), ...(changes ? [`${base}.changes.${format}`] : [])];
  const manifest = {
    kind: 'riskscreen.result',
    batch: { id: batchId, status: 'done' },
    result: { ...file(names[0]!), format },
    files: {
      ...(levels.length ? { levels: Object.fromEntries(levels.map((level) => [level, file(`${base}.${level}.${format}`)])) } : {}),
      ...(changes ? { changes: file(`${base}.changes.${format}`) } : {}),
    },
    times: { created },
    schedule: { name: schedule, run_date: runDate, stem },
  };
  for (const name of names) await writeFile(join(dir, name), 'x');
  const manifestPath = join(dir, `${base}.result.${format}.manifest.json`);
  await writeFile(manifestPath, JSON.stringify(manifest));
  return [...names.map((name) => join(dir, name)), manifestPath];
}

describe('runDateOf', () => {
  it('is the day in the schedule’s zone, across the date line', () => {
    expect(runDateOf('2026-12-05T18:30:00Z', 'Asia/Shanghai')).toBe('20261206');
    expect(runDateOf('2026-12-05T18:30:00Z', 'UTC')).toBe('20261205');
    expect(runDateOf('2026-12-05T15:59:59Z', 'Asia/Shanghai')).toBe('20261205');
    expect(runDateOf('2026-12-05T16:00:00Z', 'Asia/Shanghai')).toBe('20261206');
    expect(runDateOf('2026-12-06T02:00:00+08:00', 'America/Los_Angeles')).toBe('20261205');
    expect(runDateOf('2026-12-31T23:30:00Z', 'Pacific/Kiritimati')).toBe('20270101');
  });
});

describe('outboxNamesFor', () => {
  it('names a run <stem>.<runDate>, with the manifest where manifestPathOf puts it', async () => {
    const names = await outboxNamesFor(dir, 'list', '20261206', 'b1');
    expect(names.result).toBe(join(dir, 'list.20261206.result.csv'));
    expect(names.manifest).toBe(join(dir, 'list.20261206.result.manifest.json'));
    expect(names.manifest).toBe(manifestPathOf(names.result));
    expect(names.changes).toBe(join(dir, 'list.20261206.changes.csv'));
    expect(names.sibling('high')).toBe(join(dir, 'list.20261206.high.csv'));
  });

  it('names each format’s files with its extension, the manifest where manifestPathOf puts it', async () => {
    const names = await outboxNamesFor(dir, 'list', '20261206', 'b1');
    expect(names.base).toBe('list.20261206');
    const xlsx = names.inFormat('xlsx');
    expect(xlsx.result).toBe(join(dir, 'list.20261206.result.xlsx'));
    expect(xlsx.manifest).toBe(join(dir, 'list.20261206.result.xlsx.manifest.json'));
    expect(xlsx.manifest).toBe(manifestPathOf(xlsx.result));
    expect(xlsx.changes).toBe(join(dir, 'list.20261206.changes.xlsx'));
    expect(xlsx.sibling('high')).toBe(join(dir, 'list.20261206.high.xlsx'));
    expect(names.inFormat('jsonl').sibling('changes')).toBe(join(dir, 'list.20261206.changes.jsonl'));
    expect(names.inFormat('parquet').result).toBe(join(dir, 'list.20261206.result.parquet'));
    const csv = names.inFormat('csv');
    expect([csv.result, csv.manifest, csv.changes, csv.sibling('low')]).toEqual([names.result, names.manifest, names.changes, names.sibling('low')]);
  });

  it('only the run’s own manifest takes a name: another format’s manifest alone (a write cut short before the CSV) does not', async () => {
    await writeFormat({ runDate: '20261206', batchId: 'b1', created: '2026-12-05T18:00:00Z' }, 'xlsx');
    expect(basename((await outboxNamesFor(dir, 'list', '20261206', 'b2')).result)).toBe('list.20261206.result.csv');
    // b1 again gets the lowest free name, which is the one its workbook went to: it overwrites its own files.
    expect(basename((await outboxNamesFor(dir, 'list', '20261206', 'b1')).result)).toBe('list.20261206.result.csv');
    await writeRun({ runDate: '20261206', batchId: 'b1', created: '2026-12-05T18:00:00Z' });
    expect(basename((await outboxNamesFor(dir, 'list', '20261206', 'b2')).result)).toBe('list.20261206-2.result.csv');
    expect(basename((await outboxNamesFor(dir, 'list', '20261206', 'b1')).result)).toBe('list.20261206.result.csv');
  });

  it('works before the outbox exists', async () => {
    const names = await outboxNamesFor(join(dir, 'not-yet'), 'list', '20261206', 'b1');
    expect(names.result).toBe(join(dir, 'not-yet', 'list.20261206.result.csv'));
  });

  it('a second run the same day gets -2, a third -3; each batch again gets its own name', async () => {
    await writeRun({ runDate: '20261206', batchId: 'b1', created: '2026-12-05T18:00:00Z' });
    const second = await outboxNamesFor(dir, 'list', '20261206', 'b2');
    expect(basename(second.result)).toBe('list.20261206-2.result.csv');
    await writeRun({ runDate: '20261206', batchId: 'b2', created: '2026-12-05T19:00:00Z', suffix: '-2' });
    expect(basename((await outboxNamesFor(dir, 'list', '20261206', 'b3')).result)).toBe('list.20261206-3.result.csv');
    expect(basename((await outboxNamesFor(dir, 'list', '20261206', 'b1')).result)).toBe('list.20261206.result.csv');
    expect(basename((await outboxNamesFor(dir, 'list', '20261206', 'b2')).result)).toBe('list.20261206-2.result.csv');
    // Another day, another stem: their own names.
    expect(basename((await outboxNamesFor(dir, 'list', '20261207', 'b3')).result)).toBe('list.20261207.result.csv');
    expect(basename((await outboxNamesFor(dir, 'other', '20261206', 'b3')).result)).toBe('other.20261206.result.csv');
  });

  it('a batch keeps its later name even when a lower one is free again', async () => {
    await writeRun({ runDate: '20261206', batchId: 'b2', created: '2026-12-05T19:00:00Z', suffix: '-2' });
    expect(basename((await outboxNamesFor(dir, 'list', '20261206', 'b2')).result)).toBe('list.20261206-2.result.csv');
    expect(basename((await outboxNamesFor(dir, 'list', '20261206', 'b3')).result)).toBe('list.20261206.result.csv');
  });

  it('only manifests decide: a result CSV without manifest may be overwritten; an unreadable manifest holds its name', async () => {
    await writeFile(join(dir, 'list.20261206.result.csv'), 'half');
    expect(basename((await outboxNamesFor(dir, 'list', '20261206', 'b1')).result)).toBe('list.20261206.result.csv');
    await writeFile(join(dir, 'list.20261206.result.manifest.json'), '{ not json');
    expect(basename((await outboxNamesFor(dir, 'list', '20261206', 'b1')).result)).toBe('list.20261206-2.result.csv');
  });

  it('a stem that looks like a day with a suffix is not confused with it', async () => {
    await writeRun({ stem: 'list', runDate: '20261206', batchId: 'b1', created: '2026-12-05T18:00:00Z', suffix: '-x' });
    expect(basename((await outboxNamesFor(dir, 'list', '20261206', 'b2')).result)).toBe('list.20261206.result.csv');
  });
});

describe('listRuns and earlierRun', () => {
  beforeEach(async () => {
    await writeRun({ runDate: '20261206', batchId: 'b2', created: '2026-12-05T18:00:00Z', levels: ['high', 'low'], changes: true });
    await writeRun({ runDate: '20261205', batchId: 'b1', created: '2026-12-04T18:00:00Z' });
    await writeRun({ runDate: '20261206', batchId: 'b3', created: '2026-12-05T20:00:00Z', suffix: '-2' });
    await writeRun({ schedule: 'weekly', runDate: '20261206', batchId: 'w1', created: '2026-12-05T19:00:00Z', stem: 'list', suffix: '-3' });
    await writeRun({ stem: 'other', runDate: '20261206', batchId: 'o1', created: '2026-12-05T19:00:00Z' });
    await writeFile(join(dir, 'broken.20261206.result.manifest.json'), '{ not json');
    await writeFile(join(dir, 'plain.result.manifest.json'), JSON.stringify({ batch: { id: 'p1' }, result: { file: 'plain.result.csv' }, times: { created: '2026-12-05T00:00:00Z' } }));
  });

  it('lists one schedule’s runs of one list, oldest first, skipping what is not one', async () => {
    const runs = await listRuns(dir, 'nightly', 'list');
    expect(runs.map((run) => [run.batchId, run.runDate, run.created])).toEqual([
      ['b1', '20261205', '2026-12-04T18:00:00Z'],
      ['b2', '20261206', '2026-12-05T18:00:00Z'],
      ['b3', '20261206', '2026-12-05T20:00:00Z'],
    ]);
    expect(runs[1]).toEqual({
      batchId: 'b2',
      created: '2026-12-05T18:00:00Z',
      runDate: '20261206',
      manifestPath: join(dir, 'list.20261206.result.manifest.json'),
      resultPath: join(dir, 'list.20261206.result.csv'),
      files: [
        join(dir, 'list.20261206.result.csv'),
        join(dir, 'list.20261206.high.csv'),
        join(dir, 'list.20261206.low.csv'),
        join(dir, 'list.20261206.changes.csv'),
        join(dir, 'list.20261206.result.manifest.json'),
      ],
      formats: [],
    });
    expect((await listRuns(dir, 'weekly', 'list')).map((run) => run.batchId)).toEqual(['w1']);
    expect((await listRuns(dir, 'nightly', 'other')).map((run) => run.batchId)).toEqual(['o1']);
    expect(await listRuns(dir, 'nightly', 'nothing')).toEqual([]);
    expect(await listRuns(join(dir, 'missing'), 'nightly', 'list')).toEqual([]);
  });

  it('lists a run’s other formats found beside it (each manifest’s files, then the manifest); they are not runs of their own', async () => {
    const b2 = { runDate: '20261206', batchId: 'b2', created: '2026-12-05T18:00:00Z', levels: ['high', 'low'], changes: true };
    const parquet = await writeFormat(b2, 'parquet');
    const xlsx = await writeFormat(b2, 'xlsx');
    await writeFile(join(dir, 'list.20261206.result.jsonl.manifest.json'), '{ not json');
    const runs = await listRuns(dir, 'nightly', 'list');
    expect(runs.map((run) => run.batchId)).toEqual(['b1', 'b2', 'b3']);
    expect(runs[1]!.formats).toEqual([
      { format: 'xlsx', manifestPath: xlsx.at(-1), files: xlsx },
      { format: 'jsonl', manifestPath: join(dir, 'list.20261206.result.jsonl.manifest.json'), files: [join(dir, 'list.20261206.result.jsonl.manifest.json')] },
      { format: 'parquet', manifestPath: parquet.at(-1), files: parquet },
    ]);
    expect(xlsx.map((path) => basename(path))).toEqual([
      'list.20261206.result.xlsx',
      'list.20261206.high.xlsx',
      'list.20261206.low.xlsx',
      'list.20261206.changes.xlsx',
      'list.20261206.result.xlsx.manifest.json',
    ]);
    expect(runs[0]!.formats).toEqual([]);
    expect(runs[1]!.resultPath).toBe(join(dir, 'list.20261206.result.csv'));
    expect((await earlierRun(dir, 'nightly', 'list', 'b3'))?.resultPath).toBe(join(dir, 'list.20261206.result.csv'));
  });

  it('orders runs created at the same time by batch id', async () => {
    await writeRun({ runDate: '20261206', batchId: 'b0', created: '2026-12-05T20:00:00Z', suffix: '-4' });
    expect((await listRuns(dir, 'nightly', 'list')).map((run) => run.batchId)).toEqual(['b1', 'b2', 'b0', 'b3']);
  });

  it('never lists a file outside the outbox', async () => {
    const manifest = {
      batch: { id: 'evil' },
      result: { file: 'evil.result.csv' },
      files: { changes: { file: '../outside.csv' }, levels: { high: { file: '/etc/passwd' } } },
      times: { created: '2026-12-01T00:00:00Z' },
      schedule: { name: 'nightly', run_date: '20261201', stem: 'list' },
    };
    await writeFile(join(dir, 'evil.result.manifest.json'), JSON.stringify(manifest));
    const evil = (await listRuns(dir, 'nightly', 'list')).find((run) => run.batchId === 'evil')!;
    expect(evil.files).toEqual([join(dir, 'evil.result.csv'), join(dir, 'evil.result.manifest.json')]);
  });

  it('earlierRun: the newest run before the batch’s own, or the newest when it has none yet', async () => {
    expect((await earlierRun(dir, 'nightly', 'list', 'b3'))?.batchId).toBe('b2');
    expect((await earlierRun(dir, 'nightly', 'list', 'b2'))?.batchId).toBe('b1');
    expect(await earlierRun(dir, 'nightly', 'list', 'b1')).toBeNull();
    expect((await earlierRun(dir, 'nightly', 'list', 'b4'))?.batchId).toBe('b3');
    expect((await earlierRun(dir, 'weekly', 'list', 'w2'))?.batchId).toBe('w1');
    expect(await earlierRun(dir, 'nightly', 'nothing', 'b4')).toBeNull();
  });
});

describe('applyRetention', () => {
  it('keeps the newest runs and removes the older ones’ manifests and files, nothing else', async () => {
    const r1 = await writeRun({ runDate: '20261204', batchId: 'b1', created: '2026-12-03T18:00:00Z', levels: ['high'] });
    const r2 = await writeRun({ runDate: '20261205', batchId: 'b2', created: '2026-12-04T18:00:00Z', changes: true });
    await writeRun({ runDate: '20261206', batchId: 'b3', created: '2026-12-05T18:00:00Z', changes: true });
    await writeRun({ runDate: '20261207', batchId: 'b4', created: '2026-12-06T18:00:00Z', changes: true });
    await writeRun({ schedule: 'weekly', runDate: '20261201', batchId: 'w1', created: '2026-11-30T18:00:00Z', suffix: '-9' });
    await writeRun({ stem: 'other', runDate: '20261201', batchId: 'o1', created: '2026-11-30T18:00:00Z' });
    await writeFile(join(dir, 'list.20261203.result.csv'), 'no manifest: not a run');
    const before = (await readdir(dir)).sort();

    const removed = await applyRetention(dir, 'nightly', 'list', 2);
    // Oldest run first, each run's manifest before its files.
    const manifestLast = (files: string[]) => [files.at(-1)!, ...files.slice(0, -1)];
    expect(removed).toEqual([...manifestLast(r1), ...manifestLast(r2)]);
    const gone = new Set(removed.map((path) => basename(path)));
    expect((await readdir(dir)).sort()).toEqual(before.filter((name) => !gone.has(name)));
    expect((await listRuns(dir, 'nightly', 'list')).map((run) => run.batchId)).toEqual(['b3', 'b4']);
    expect((await listRuns(dir, 'weekly', 'list')).map((run) => run.batchId)).toEqual(['w1']);
    expect((await listRuns(dir, 'nightly', 'other')).map((run) => run.batchId)).toEqual(['o1']);

    // Again: nothing more to remove.
    expect(await applyRetention(dir, 'nightly', 'list', 2)).toEqual([]);
  });

  it('removes the manifest before the files: a file that cannot be removed leaves no manifest behind', async () => {
    await writeRun({ runDate: '20261204', batchId: 'b1', created: '2026-12-03T18:00:00Z', changes: true });
    await writeRun({ runDate: '20261205', batchId: 'b2', created: '2026-12-04T18:00:00Z' });
    // A folder where the changes file should be: rm (not recursive) refuses it.
    await rm(join(dir, 'list.20261204.changes.csv'));
    await mkdir(join(dir, 'list.20261204.changes.csv'));
    await writeFile(join(dir, 'list.20261204.changes.csv', 'inside'), 'x');

    await expect(applyRetention(dir, 'nightly', 'list', 1)).rejects.toThrow();
    const names = await readdir(dir);
    expect(names).not.toContain('list.20261204.result.manifest.json');
    expect(names).toContain('list.20261204.changes.csv');
    expect((await listRuns(dir, 'nightly', 'list')).map((run) => run.batchId)).toEqual(['b2']);
  });

  it('leaves a file that a staying run also lists', async () => {
    const r1 = await writeRun({ runDate: '20261204', batchId: 'b1', created: '2026-12-03T18:00:00Z' });
    await writeRun({ runDate: '20261205', batchId: 'b2', created: '2026-12-04T18:00:00Z' });
    // A hand-made manifest of another schedule that lists b1's result.
    await writeFile(
      join(dir, 'shared.result.manifest.json'),
      JSON.stringify({
        batch: { id: 'x1' },
        result: { file: 'list.20261204.result.csv' },
        files: {},
        times: { created: '2026-12-01T00:00:00Z' },
        schedule: { name: 'weekly', run_date: '20261201', stem: 'shared' },
      }),
    );
    const removed = await applyRetention(dir, 'nightly', 'list', 1);
    expect(removed).toEqual([r1.at(-1)]);
    expect(await readdir(dir)).toContain('list.20261204.result.csv');
  });

  it('removes a dropped run’s other formats first (each manifest, then its files), then the run’s manifest, then its CSVs', async () => {
    const b1 = { runDate: '20261204', batchId: 'b1', created: '2026-12-03T18:00:00Z', levels: ['high'] };
    const r1 = await writeRun(b1);
    const x1 = await writeFormat(b1, 'xlsx');
    const j1 = await writeFormat(b1, 'jsonl');
    const b2 = { runDate: '20261205', batchId: 'b2', created: '2026-12-04T18:00:00Z', changes: true };
    await writeRun(b2);
    const x2 = await writeFormat(b2, 'xlsx');
    await writeFile(join(dir, 'list.20261204.result.parquet.manifest.json'), '{ not json');
    const before = (await readdir(dir)).sort();

    const removed = await applyRetention(dir, 'nightly', 'list', 1);
    const manifestFirst = (files: string[]) => [files.at(-1)!, ...files.slice(0, -1)];
    expect(removed).toEqual([...manifestFirst(x1), ...manifestFirst(j1), join(dir, 'list.20261204.result.parquet.manifest.json'), ...manifestFirst(r1)]);
    const gone = new Set(removed.map((path) => basename(path)));
    expect((await readdir(dir)).sort()).toEqual(before.filter((name) => !gone.has(name)));
    // The run kept keeps every format.
    for (const path of x2) expect(await readdir(dir)).toContain(basename(path));
    expect((await listRuns(dir, 'nightly', 'list')).map((run) => [run.batchId, run.formats.map((f) => f.format)])).toEqual([['b2', ['xlsx']]]);
    expect(await applyRetention(dir, 'nightly', 'list', 1)).toEqual([]);
  });

  it('a removal cut short in another format leaves the run (its manifest and CSVs) to the next retention, and no manifest without its files', async () => {
    const b1 = { runDate: '20261204', batchId: 'b1', created: '2026-12-03T18:00:00Z', changes: true };
    const r1 = await writeRun(b1);
    await writeFormat(b1, 'xlsx');
    await writeRun({ runDate: '20261205', batchId: 'b2', created: '2026-12-04T18:00:00Z' });
    // A folder where the workbook's changes file should be: rm (not recursive) refuses it.
    await rm(join(dir, 'list.20261204.changes.xlsx'));
    await mkdir(join(dir, 'list.20261204.changes.xlsx'));

    await expect(applyRetention(dir, 'nightly', 'list', 1)).rejects.toThrow();
    const names = await readdir(dir);
    expect(names).not.toContain('list.20261204.result.xlsx.manifest.json');
    for (const path of r1) expect(names).toContain(basename(path));
    expect((await listRuns(dir, 'nightly', 'list')).map((run) => [run.batchId, run.formats.length])).toEqual([['b1', 0], ['b2', 0]]);

    // Cleared, the next retention finishes the run.
    await rm(join(dir, 'list.20261204.changes.xlsx'), { recursive: true });
    expect(await applyRetention(dir, 'nightly', 'list', 1)).toEqual([r1.at(-1), ...r1.slice(0, -1)]);
    expect((await readdir(dir)).filter((name) => name.startsWith('list.20261204'))).toEqual([]);
  });

  it('a removal cut short before later files of another format: the next retention finds them by name, though their manifest is gone', async () => {
    const b1 = { runDate: '20261204', batchId: 'b1', created: '2026-12-03T18:00:00Z', levels: ['high', 'low'], changes: true };
    await writeRun(b1);
    const workbook = await writeFormat(b1, 'xlsx');
    await writeRun({ runDate: '20261205', batchId: 'b2', created: '2026-12-04T18:00:00Z' });
    // The first level file cannot be removed: the files listed after it stay too.
    await rm(join(dir, 'list.20261204.high.xlsx'));
    await mkdir(join(dir, 'list.20261204.high.xlsx'));
    await expect(applyRetention(dir, 'nightly', 'list', 1)).rejects.toThrow();
    expect(await readdir(dir)).toEqual(expect.arrayContaining(['list.20261204.low.xlsx', 'list.20261204.changes.xlsx']));
    expect(await readdir(dir)).not.toContain('list.20261204.result.xlsx.manifest.json');

    await rm(join(dir, 'list.20261204.high.xlsx'), { recursive: true });
    const removed = await applyRetention(dir, 'nightly', 'list', 1);
    expect(removed).toEqual(expect.arrayContaining(workbook.filter((path) => /(low|changes)\.xlsx$/.test(path))));
    expect((await readdir(dir)).filter((name) => name.startsWith('list.20261204'))).toEqual([]);
  });

  it('leaves another format’s file that a staying run lists, and removes a file the run’s own manifest lists only after that manifest', async () => {
    const b1 = { runDate: '20261204', batchId: 'b1', created: '2026-12-03T18:00:00Z' };
    const r1 = await writeRun(b1);
    await writeRun({ runDate: '20261205', batchId: 'b2', created: '2026-12-04T18:00:00Z' });
    // A hand-made xlsx manifest of b1 that also lists b1's CSV, and a staying run's manifest that lists b1's workbook.
    await writeFile(join(dir, 'list.20261204.result.xlsx'), 'x');
    await writeFile(
      join(dir, 'list.20261204.result.xlsx.manifest.json'),
      JSON.stringify({ batch: { id: 'b1' }, result: { file: 'list.20261204.result.xlsx', format: 'xlsx' }, files: { changes: { file: 'list.20261204.result.csv' } } }),
    );
    await writeFile(
      join(dir, 'shared.result.manifest.json'),
      JSON.stringify({ batch: { id: 'x1' }, result: { file: 'list.20261204.result.xlsx' }, files: {}, times: { created: '2026-12-01T00:00:00Z' }, schedule: { name: 'weekly', run_date: '20261201', stem: 'shared' } }),
    );
    const removed = await applyRetention(dir, 'nightly', 'list', 1);
    expect(removed).toEqual([join(dir, 'list.20261204.result.xlsx.manifest.json'), r1.at(-1), r1[0]]);
    expect(await readdir(dir)).toContain('list.20261204.result.xlsx');
  });

  it('refuses to keep fewer than one run', async () => {
    await expect(applyRetention(dir, 'nightly', 'list', 0)).rejects.toThrow(RangeError);
    await expect(applyRetention(dir, 'nightly', 'list', 1.5)).rejects.toThrow(RangeError);
  });
});

describe('outboxStem', () => {
  it('is the inbox file stem, with any mobile number in it masked by x (never a full number in an outbox name)', () => {
    expect(outboxStem('applicants.csv')).toBe('applicants');
    expect(outboxStem('客户13800138000.csv')).toBe('客户138xxxx8000');
    expect(outboxStem('list.final.xlsx')).toBe('list.final');
    expect(outboxStem('2026-12-06 loans.csv')).toBe('2026-12-06 loans');
  });
});
