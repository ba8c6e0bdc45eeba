/**
 * A batch's files for download, whatever the format: where each is written, the name the
 * browser saves it as, its content type, and what the export is asked for (the format,
 * the CSV's encoding, a workbook's language, the batch's rubric). The export itself is
 * stood in for, so this holds whatever state the format writers are in.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { emptyCounters, type BatchView } from '../../../src/engine/batch.js';
import { exportResult, type ExportRequest } from '../../../src/report/export.js';
import { LEVELS_AND_UNSCORED, manifestPathOf } from '../../../src/report/manifest.js';
import { siblingPath } from '../../../src/report/result-format.js';
import { DEFAULT_RUBRIC, DEFAULT_RUBRIC_JSON, parseRubric, type Rubric } from '../../../src/risk/index.js';
import { batchFile, type FileKind } from '../../../src/web/batch-files.js';

vi.mock('../../../src/report/export.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../src/report/export.js')>()),
  exportResult: vi.fn(),
}));

const exported = vi.mocked(exportResult);
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riskscreen-batch-files-'));
  exported.mockReset();
  // Writes an empty file everywhere the real export would.
  exported.mockImplementation(async (request: ExportRequest) => {
    const format = request.output.format ?? 'csv';
    const paths = [request.out];
    if (request.output.split) paths.push(...LEVELS_AND_UNSCORED.map((level) => siblingPath(request.out, level, format)));
    if (request.output.compare) paths.push(siblingPath(request.out, 'changes', format));
    await mkdir(dirname(request.out), { recursive: true });
    for (const path of paths) await writeFile(path, '');
    return { manifest: {} as never, manifestPath: '', paths, warnings: [] };
  });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function doneBatch(id: string, rubric?: Rubric): Promise<BatchView> {
  const resultPath = join(dir, 'batches', id, 'result.csv');
  await mkdir(dirname(resultPath), { recursive: true });
  await writeFile(resultPath, 'mobile\n');
  await writeFile(manifestPathOf(resultPath), '{}');
  return {
    id,
    status: 'done',
    reason: null,
    input: {
      path: join(dir, 'input.csv'),
      name: 'list.csv',
      sha256: 'f'.repeat(64),
      bytes: 10,
      fingerprint: { bytes: 10, mtimeMs: 0, ino: 1, sha256: 'f'.repeat(64), rows: 1, layoutKey: 'k' },
    },
    options: { profile: 'standard', apis: ['status'], input: {}, maxCalls: null, rates: {}, ...(rubric ? { rubric } : {}) },
    times: { created: '2024-05-01T08:00:00.000Z' },
    resultPath,
    counts: emptyCounters(),
    errorsByCode: {},
    exhausted: {},
    progressAt: 0,
    holds: {},
    keyChecks: {},
  };
}

const joinKey = () => Buffer.alloc(32);
const ID = 'b20240501-080000-ab12';

describe('batchFile', () => {
  it.each<[FileKind, string, string]>([
    ['result', `${ID}.xlsx`, `${ID}.xlsx`],
    ['masked', `${ID}.xlsx`, `${ID}.masked.xlsx`],
    ['high', `${ID}.high.xlsx`, `${ID}.high.xlsx`],
    ['unscored', `${ID}.unscored.xlsx`, `${ID}.unscored.xlsx`],
  ])('xlsx %s: written as %s, saved as %s, sent as a workbook', async (kind, written, saved) => {
    const file = await batchFile(await doneBatch(ID), kind, { format: 'xlsx', encoding: 'gb18030', language: 'en', compareWith: null }, joinKey, dir);
    expect(basename(file.path)).toBe(written);
    expect(file.downloadName).toBe(saved);
    expect(file.contentType).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const request = exported.mock.calls[0]![0];
    expect(request.out).toBe(join(dirname(file.path), `${ID}.xlsx`));
    // The encoding is CSV's alone: a workbook's manifest does not claim GB18030.
    expect(request.output).toMatchObject({ format: 'xlsx', language: 'en', encoding: 'utf8-bom', mask: kind === 'masked', split: kind === 'high' || kind === 'unscored' });
    await file.cleanup();
  });

  it('changes: the sibling in the format asked for; JSON Lines and Parquet named and typed as such', async () => {
    const earlier = await doneBatch('b20240430-080000-cd34');
    const view = await doneBatch(ID);
    const changes = await batchFile(view, 'changes', { format: 'jsonl', encoding: 'utf8-bom', language: 'zh', compareWith: earlier }, joinKey, dir);
    expect(basename(changes.path)).toBe(`${ID}.changes.jsonl`);
    expect(changes.downloadName).toBe(`${ID}.changes.jsonl`);
    expect(changes.contentType).toBe('application/x-ndjson; charset=utf-8');
    expect(exported.mock.calls[0]![0].output.compare).toBe(earlier.resultPath);
    const parquet = await batchFile(view, 'result', { format: 'parquet', encoding: 'utf8-bom', language: 'zh', compareWith: null }, joinKey, dir);
    expect(parquet.downloadName).toBe(`${ID}.parquet`);
    expect(parquet.contentType).toBe('application/vnd.apache.parquet');
  });

  it('csv as before: the encoding in the name and the content type', async () => {
    const view = await doneBatch(ID);
    const gb = await batchFile(view, 'high', { format: 'csv', encoding: 'gb18030', language: 'zh', compareWith: null }, joinKey, dir);
    expect(basename(gb.path)).toBe(`${ID}.high.csv`);
    expect(gb.downloadName).toBe(`${ID}.high.gb18030.csv`);
    expect(gb.contentType).toBe('text/csv; charset=gb18030');
    expect(exported.mock.calls[0]![0].output).toMatchObject({ format: 'csv', encoding: 'gb18030' });
    const utf8 = await batchFile(view, 'result', { format: 'csv', encoding: 'utf8-bom', language: 'zh', compareWith: null }, joinKey, dir);
    expect(utf8.downloadName).toBe(`${ID}.csv`);
    expect(utf8.contentType).toBe('text/csv; charset=utf-8');
  });

  it("hands the batch's rubric to the export (a workbook's summary lists its rules), the default for a batch made before rubrics", async () => {
    const strict = parseRubric({ ...DEFAULT_RUBRIC_JSON, name: 'strict', levels: { medium: 5, high: 20 } }, 'strict.json');
    await batchFile(await doneBatch(ID, strict), 'result', { format: 'xlsx', encoding: 'utf8-bom', language: 'zh', compareWith: null }, joinKey, dir);
    expect(exported.mock.calls[0]![0].rubric).toEqual(strict);
    await batchFile(await doneBatch('b20240502-080000-ef56'), 'result', { format: 'xlsx', encoding: 'utf8-bom', language: 'zh', compareWith: null }, joinKey, dir);
    expect(exported.mock.calls[1]![0].rubric).toBe(DEFAULT_RUBRIC);
  });

  it('the manifest is the batch\'s own, whatever the format', async () => {
    const view = await doneBatch(ID);
    const file = await batchFile(view, 'manifest', { format: 'xlsx', encoding: 'utf8-bom', language: 'zh', compareWith: null }, joinKey, dir);
    expect(file.path).toBe(manifestPathOf(view.resultPath!));
    expect(file.downloadName).toBe(`${ID}.manifest.json`);
    expect(exported).not.toHaveBeenCalled();
  });
});
