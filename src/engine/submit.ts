/**
 * Creating a batch: the whole list is read once as a pre-flight (a bad file fails here,
 * naming file, line and problem, before any job is queued or any call made), then
 * copied into the data directory, where every worker reads the same bytes.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { scanPhoneList, type InputOptions, type PhoneListScan } from '../input/index.js';
import type { ApiId } from '../juhe/catalogue.js';
import { openAtomicFile } from '../report/atomic-file.js';
import { newBatchId, type BatchMeta } from './batch.js';
import { resolveProfile } from './profiles.js';
import type { BatchStore } from './store.js';

export interface SubmitRequest {
  file: string;
  input: InputOptions;
  profile?: string;
  maxCalls?: number | null;
  rates?: Partial<Record<ApiId, number>>;
  /** The original file name, when `file` is an upload's temporary path. */
  name?: string;
}

export interface Submitted {
  meta: BatchMeta;
  scan: PhoneListScan;
}

export async function submitBatch(store: BatchStore, dataDir: string, request: SubmitRequest): Promise<Submitted> {
  const profile = resolveProfile(request.profile);
  const scan = await scanPhoneList(request.file, request.input, { keepInvalid: 10 });
  const id = newBatchId();
  const dir = join(dataDir, 'batches', id);
  await mkdir(dir, { recursive: true });
  const stored = join(dir, `input${extname(request.name ?? request.file).toLowerCase() || '.csv'}`);
  const { sha256, bytes } = await copyWithDigest(request.file, stored);
  const info = await stat(request.file);
  if (info.mtimeMs !== scan.layout.mtimeMs) {
    throw new Error(`${request.file} changed while it was being read; submit it again`);
  }
  const meta: BatchMeta = {
    id,
    status: 'queued',
    reason: null,
    input: { path: stored, name: request.name ?? basename(request.file), sha256, bytes },
    options: {
      profile: profile.name,
      apis: [...profile.apis],
      input: request.input,
      maxCalls: request.maxCalls ?? null,
      rates: request.rates ?? {},
    },
    times: { created: new Date().toISOString() },
    resultPath: null,
  };
  await store.create(meta);
  return { meta, scan };
}

async function copyWithDigest(source: string, target: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const file = await openAtomicFile(target);
  try {
    for await (const chunk of createReadStream(source)) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
      await file.write(chunk as Buffer);
    }
    await file.commit();
  } catch (err) {
    await file.abort();
    throw err;
  }
  return { sha256: hash.digest('hex'), bytes };
}
