/**
 * A finished batch's files for download, made on demand from the batch's kept result
 * (no call is made): the whole result, masked, one level, or the changes against an
 * earlier batch, as an Excel workbook, a CSV in UTF-8 with BOM (what Excel opens) or
 * GB18030, JSON Lines or Parquet. Each download is written to its own folder under the
 * data dir's `exports/`, sent, then removed.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BatchView } from '../engine/batch.js';
import { exportResult } from '../report/export.js';
import { manifestPathOf } from '../report/manifest.js';
import type { OutputEncoding } from '../report/output-encoding.js';
import { FORMAT_EXTENSIONS, siblingPath, type ResultFormat } from '../report/result-format.js';
import type { ResultLanguage } from '../report/result-language.js';
import { DEFAULT_RUBRIC } from '../risk/index.js';
import { notFound, WebError } from './web-error.js';

export const FILE_KINDS = ['result', 'masked', 'high', 'medium', 'low', 'unscored', 'changes', 'manifest'] as const;
export type FileKind = (typeof FILE_KINDS)[number];
const LEVEL_KINDS: readonly FileKind[] = ['high', 'medium', 'low', 'unscored'];

export const DOWNLOAD_ENCODINGS = ['utf8-bom', 'gb18030'] as const satisfies readonly OutputEncoding[];

/** What each format is sent as. */
const CONTENT_TYPES: Record<Exclude<ResultFormat, 'csv'>, string> = {
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  jsonl: 'application/x-ndjson; charset=utf-8',
  parquet: 'application/vnd.apache.parquet',
};

export interface BatchFile {
  path: string;
  /** The name the browser saves it as. */
  downloadName: string;
  contentType: string;
  /** Removes what was made for this download. */
  cleanup(): Promise<void>;
}

export function isFileKind(kind: string): kind is FileKind {
  return (FILE_KINDS as readonly string[]).includes(kind);
}

export async function batchFile(
  view: BatchView,
  kind: FileKind,
  /** `encoding` matters to CSV only; `language` to a workbook only (its sheet names and summary). */
  request: { format: ResultFormat; encoding: OutputEncoding; language: ResultLanguage; compareWith: BatchView | null },
  joinKey: () => Buffer,
  dataDir: string,
): Promise<BatchFile> {
  if (!view.resultPath || !existsSync(manifestPathOf(view.resultPath))) {
    throw new WebError('RISKSCREEN_NO_RESULT_YET', `batch ${view.id} has no result yet (${view.status}); its files can be downloaded once it is done`, { status: view.status });
  }
  if (kind === 'manifest') {
    return { path: manifestPathOf(view.resultPath), downloadName: `${view.id}.manifest.json`, contentType: 'application/json; charset=utf-8', cleanup: async () => {} };
  }
  if (kind === 'changes' && !request.compareWith) {
    throw new WebError('RISKSCREEN_BAD_REQUEST', 'the changes file needs an earlier batch to compare with: add compare=<batch id>', { field: 'compare' });
  }
  const earlier = request.compareWith;
  if (earlier && (!earlier.resultPath || !existsSync(manifestPathOf(earlier.resultPath)))) {
    throw new WebError('RISKSCREEN_NO_RESULT_YET', `batch ${earlier.id}, to compare with, has no result yet`, { field: 'compare' });
  }
  if (earlier && earlier.id === view.id) throw new WebError('RISKSCREEN_BAD_REQUEST', 'a batch cannot be compared with itself', { field: 'compare' });
  const folder = join(dataDir, 'exports', randomBytes(8).toString('hex'));
  const { format } = request;
  const extension = FORMAT_EXTENSIONS[format][0]!;
  const encoding = format === 'csv' ? request.encoding : 'utf8-bom';
  const out = join(folder, `${view.id}${extension}`);
  const cleanup = () => rm(folder, { recursive: true, force: true });
  try {
    await exportResult({
      source: view.resultPath,
      out,
      output: {
        encoding,
        mask: kind === 'masked',
        split: LEVEL_KINDS.includes(kind),
        compare: earlier?.resultPath ?? null,
        format,
        language: request.language,
      },
      joinKey,
      rubric: view.options.rubric ?? DEFAULT_RUBRIC,
    });
  } catch (err) {
    await cleanup();
    throw err;
  }
  const path = kind === 'result' || kind === 'masked' ? out : siblingPath(out, kind, format);
  if (!existsSync(path)) {
    await cleanup();
    throw notFound(`the ${kind} file of batch ${view.id}`);
  }
  const suffix = kind === 'result' ? '' : `.${kind}`;
  if (format !== 'csv') return { path, downloadName: `${view.id}${suffix}${extension}`, contentType: CONTENT_TYPES[format], cleanup };
  const tag = encoding === 'gb18030' ? '.gb18030' : '';
  return { path, downloadName: `${view.id}${suffix}${tag}.csv`, contentType: `text/csv; charset=${encoding === 'gb18030' ? 'gb18030' : 'utf-8'}`, cleanup };
}

/** Removes download folders older than `maxAgeMs` (a crash between writing and sending); answers how many. */
export async function sweepExports(dataDir: string, maxAgeMs: number, now = Date.now()): Promise<number> {
  const root = join(dataDir, 'exports');
  const names = await readdir(root).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    if (!/^[0-9a-f]{16}$/.test(name)) continue;
    const info = await stat(join(root, name)).catch(() => null);
    if (info && now - info.mtimeMs > maxAgeMs) {
      await rm(join(root, name), { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}
