/**
 * Creating a batch: the whole list is read once as a pre-flight (a bad file fails here,
 * naming file, line and problem, before any job is queued or any call made), then
 * copied into the data directory, where every worker reads the same bytes.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { scanPhoneList, type InputFingerprint, type InputOptions, type PhoneListScan } from '../input/index.js';
import type { ApiId } from '../juhe/catalogue.js';
import { openAtomicFile } from '../shared/atomic-file.js';
import { DEFAULT_RUBRIC, type Rubric } from '../risk/index.js';
import { DEFAULT_PLAN, newBatchId, type BatchMeta, type Plan } from './batch.js';
import { resolveProfile } from './profiles.js';
import type { BatchStore } from './store.js';

export interface SubmitRequest {
  file: string;
  input: InputOptions;
  profile?: string;
  maxCalls?: number | null;
  rates?: Partial<Record<ApiId, number>>;
  /** How the report scores rows; the default rubric when unset. Stored with the batch, so every worker scores alike. */
  rubric?: Rubric;
  /** How questions are asked (staged: line status first); DEFAULT_PLAN when unset. */
  plan?: Plan;
  /** The original file name, when `file` is an upload's temporary path. */
  name?: string;
  /** Who queued it from the console (kept with the batch, shown in the batch list). */
  submittedBy?: string;
  /**
   * The batch id, chosen beforehand by a caller that must make the same batch again
   * after a crash (a schedule's tick records it before creating the batch); new if unset.
   */
  id?: string;
}

export interface Submitted {
  meta: BatchMeta;
  scan: PhoneListScan;
}

export async function submitBatch(store: BatchStore, dataDir: string, request: SubmitRequest): Promise<Submitted> {
  const profile = resolveProfile(request.profile);
  const scan = await scanPhoneList(request.file, request.input, { keepInvalid: 10 });
  const id = request.id ?? newBatchId();
  const dir = join(dataDir, 'batches', id);
  await mkdir(dir, { recursive: true });
  const stored = join(dir, `input${extname(request.name ?? request.file).toLowerCase() || '.csv'}`);
  const { sha256, bytes } = await copyWithDigest(request.file, stored);
  if (sha256 !== scan.fingerprint.sha256) {
    await rm(dir, { recursive: true, force: true });
    throw new InputChangedError(request.file);
  }
  // The copy has the scanned bytes, so the scan's fingerprint holds for it but for the
  // copy's own size, time and inode.
  const copied = await stat(stored);
  const fingerprint: InputFingerprint = { ...scan.fingerprint, bytes: copied.size, mtimeMs: copied.mtimeMs, ino: copied.ino };
  const meta: BatchMeta = {
    id,
    status: 'queued',
    reason: null,
    input: { path: stored, name: request.name ?? basename(request.file), sha256, bytes, fingerprint },
    options: {
      profile: profile.name,
      apis: [...profile.apis],
      input: request.input,
      maxCalls: request.maxCalls ?? null,
      rates: request.rates ?? {},
      rubric: request.rubric ?? DEFAULT_RUBRIC,
      plan: request.plan ?? DEFAULT_PLAN,
    },
    times: { created: new Date().toISOString() },
    resultPath: null,
    ...(request.submittedBy ? { submittedBy: request.submittedBy } : {}),
  };
  await store.create(meta);
  return { meta, scan };
}

/** The list changed between the pre-flight read and the copy. */
export class InputChangedError extends Error {
  readonly code = 'RISKSCREEN_INPUT_CHANGED';
  readonly kind = 'input';
  constructor(file: string) {
    super(`${file} changed while it was being read; nothing was queued, submit it again`);
    this.name = 'InputChangedError';
  }
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
