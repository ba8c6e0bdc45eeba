/**
 * Uploaded lists, before they become batches: each streamed to its own folder of the
 * data dir (`uploads/<id>/`), hashed on the way, never held whole in memory, with a
 * small record of who sent it. An id is 96 random bits checked by shape before it
 * touches a path, so no request can name a path outside the data dir. Submitting a
 * batch copies the list into the batch's own folder; an upload is then removed, and one
 * never started is removed after a day.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { notFound, WebError } from './web-error.js';

export const UPLOAD_EXTENSIONS = ['.csv', '.txt', '.xlsx'] as const;

export interface Upload {
  id: string;
  /** The file name as sent, cleaned (see {@link cleanFileName}). */
  name: string;
  bytes: number;
  sha256: string;
  /** Who uploaded it (only they, or an admin, may use it). */
  user: string;
  created: string;
  /** The stored file. */
  path: string;
}

const ID = /^u[0-9a-f]{24}$/;
/** An upload being made into a batch (see {@link UploadStore.claim}), or one left so by a crash. */
const FOLDER = /^u[0-9a-f]{24}(\.starting)?$/;

/**
 * A file name fit to show and keep: the last path part (browsers on Windows send
 * `C:\fakepath\x.csv`), without control or bidi characters, at most 120 characters.
 */
export function cleanFileName(raw: string | undefined): string {
  const last = (raw ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = last.normalize('NFC').replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069"<>|?*:]/g, '').trim();
  if (clean === '' || clean === '.' || clean === '..') return 'upload.csv';
  // Cut by characters, not UTF-16 units: half an emoji is not a name.
  const chars = Array.from(clean);
  if (chars.length <= 120) return clean;
  const ext = Array.from(extname(clean)).slice(0, 10);
  return `${chars.slice(0, 120 - ext.length).join('')}${ext.join('')}`;
}

export class UploadStore {
  readonly dir: string;

  constructor(
    dataDir: string,
    private readonly maxBytes: number,
  ) {
    this.dir = join(dataDir, 'uploads');
  }

  /**
   * Streams one file part to disk. Over the size limit the multipart plugin fails the
   * stream (FST_REQ_FILE_TOO_LARGE), or, set not to throw, cuts it and flags `truncated`:
   * either way the upload answers 413 in plain words and nothing of it is kept.
   */
  async save(part: { filename: string; file: Readable & { truncated?: boolean } }, user: string): Promise<Upload> {
    const name = cleanFileName(part.filename);
    const ext = extname(name).toLowerCase();
    if (!(UPLOAD_EXTENSIONS as readonly string[]).includes(ext)) {
      part.file.resume(); // read to the end, or the request never finishes
      throw new WebError('RISKSCREEN_UNSUPPORTED_MEDIA', `${name}: riskscreen reads .csv, .txt and .xlsx files (an .xls from an old Excel: save it as .xlsx or CSV first)`, { file: name });
    }
    const id = `u${randomBytes(12).toString('hex')}`;
    const folder = join(this.dir, id);
    await mkdir(folder, { recursive: true });
    const path = join(folder, `list${ext}`);
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      await pipeline(
        part.file,
        new Transform({
          transform(chunk: Buffer, _encoding, done) {
            hash.update(chunk);
            bytes += chunk.length;
            done(null, chunk);
          },
        }),
        createWriteStream(path, { flags: 'wx' }),
      );
      if (part.file.truncated) throw new Error('truncated at the upload limit');
    } catch (err) {
      await rm(folder, { recursive: true, force: true });
      if (part.file.truncated || (err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
        throw new WebError(
          'RISKSCREEN_UPLOAD_TOO_LARGE',
          `${name} is larger than the upload limit of ${(this.maxBytes / 1024 / 1024).toFixed(0)} MB (web.maxUploadBytes); nothing was kept. Split the list, or raise the limit.`,
          { file: name, limitBytes: this.maxBytes },
        );
      }
      throw err;
    }
    const upload: Upload = { id, name, bytes, sha256: hash.digest('hex'), user, created: new Date().toISOString(), path };
    await writeFile(join(folder, 'upload.json'), JSON.stringify({ ...upload, path: undefined }));
    return upload;
  }

  /** The upload, if it exists and `user` may use it (its uploader, or an admin). */
  async get(id: string, user: { name: string; admin: boolean }): Promise<Upload> {
    if (!ID.test(id)) throw notFound(`upload ${id}`);
    const folder = join(this.dir, id);
    let record: Omit<Upload, 'path'>;
    try {
      record = JSON.parse(await readFile(join(folder, 'upload.json'), 'utf8')) as Omit<Upload, 'path'>;
    } catch {
      throw notFound(`upload ${id}`);
    }
    if (record.user !== user.name && !user.admin) throw notFound(`upload ${id}`);
    return { ...record, path: join(folder, `list${extname(record.name).toLowerCase()}`) };
  }

  async remove(id: string): Promise<void> {
    if (!ID.test(id)) return;
    await rm(join(this.dir, id), { recursive: true, force: true });
  }

  /**
   * Takes an upload to make a batch of it: its folder is renamed aside (one atomic step),
   * so a second start of the same upload finds nothing (409) instead of paying twice.
   * Answers the upload in its new place, and what to do once the start is over.
   */
  async claim(id: string, user: { name: string; admin: boolean }): Promise<{ upload: Upload; done(): Promise<void>; giveBack(): Promise<void> }> {
    const upload = await this.get(id, user);
    const folder = join(this.dir, id);
    const aside = `${folder}.starting`;
    try {
      await rename(folder, aside);
    } catch {
      throw new WebError('RISKSCREEN_UPLOAD_TAKEN', `upload ${id} is being started already (or was just started): it becomes one batch only`, { uploadId: id });
    }
    return {
      upload: { ...upload, path: join(aside, basename(upload.path)) },
      done: () => rm(aside, { recursive: true, force: true }),
      giveBack: () => rename(aside, folder).catch(() => undefined),
    };
  }

  /** Removes uploads older than `maxAgeMs` that never became a batch; answers how many. */
  async sweep(maxAgeMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return 0;
    }
    for (const name of names) {
      if (!FOLDER.test(name)) continue;
      const info = await stat(join(this.dir, name)).catch(() => null);
      if (info && now - info.mtimeMs > maxAgeMs) {
        await rm(join(this.dir, name), { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }
}
