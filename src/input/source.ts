/**
 * The bytes of one read of an input file, from one file descriptor.
 *
 * A read opens the file once, fstats that descriptor, reads the sample (the first MiB:
 * format, encoding, delimiter) and then streams the rest from the same descriptor. The
 * sample is handed on as the first chunk, so the bytes the layout was decided on are the
 * bytes that are parsed, and a file replaced or rewritten between "sniff" and "stream"
 * cannot be half one version and half another.
 *
 * Every byte is hashed (SHA-256) as it is handed on, the BOM included: at the end of the
 * read `finish()` gives the digest of exactly the bytes that were read, and checks the
 * file still has the size and time it had when opened. A workbook is read by position
 * (`readAt`, its zip directory first); `finish()` then hashes the whole file in order.
 */
import { constants as fsConstants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createHash, type Hash } from 'node:crypto';
import { InputFileError } from './errors.js';
import { formatBytes } from './options.js';

/** Bytes read per chunk after the sample. */
export const READ_CHUNK_BYTES = 256 * 1024;

export interface SourceStats {
  bytes: number;
  mtimeMs: number;
  ino: number;
}

export interface SourceDigest {
  /** Bytes read, from the first to the last. */
  bytes: number;
  sha256: string;
}

export class InputSource {
  /** Every byte handed on so far has been hashed; this is where the next read starts. */
  private position = 0;
  private sampleServed = false;
  private eof = false;
  private closed = false;
  private readonly hash: Hash = createHash('sha256');
  /** Reads run one after another, never two at once on the descriptor. */
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly handle: FileHandle,
    readonly file: string,
    readonly stats: SourceStats,
    readonly sample: Buffer,
    private skip: number,
  ) {}

  /**
   * Opens `path` (the one open of this read), checks it is a regular file within
   * `maxFileBytes`, and reads up to `sampleBytes` from its start. Throws INPUT_NOT_FOUND,
   * INPUT_UNREADABLE, INPUT_TOO_LARGE, INPUT_EMPTY.
   */
  static async open(path: string, file: string, options: { maxFileBytes: number; sampleBytes: number }): Promise<InputSource> {
    let handle: FileHandle;
    try {
      // Non-blocking, so a FIFO is refused below instead of waiting for a writer.
      handle = await open(path, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
    } catch (error) {
      throw fileSystemError(error, file);
    }
    try {
      const stats = await handle.stat().catch((error: unknown) => {
        throw fileSystemError(error, file);
      });
      if (!stats.isFile()) {
        throw new InputFileError(
          'INPUT_UNREADABLE',
          stats.isDirectory() ? 'this is a directory, not a file' : 'this is not a regular file',
          { file },
        );
      }
      if (stats.size > options.maxFileBytes) {
        throw new InputFileError(
          'INPUT_TOO_LARGE',
          `the file is ${formatBytes(stats.size)}, over the limit of ${formatBytes(options.maxFileBytes)}: split it, or raise the limit`,
          { file },
        );
      }
      if (stats.size === 0) throw new InputFileError('INPUT_EMPTY', 'the file is empty (0 bytes)', { file });
      const sample = await readAt(handle, file, 0, Math.min(options.sampleBytes, stats.size));
      return new InputSource(handle, file, { bytes: stats.size, mtimeMs: stats.mtimeMs, ino: stats.ino }, sample, 0);
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }

  /** Leaves out the first `bytes` of the file from what `next()` hands on (a BOM); they are still hashed. */
  skipStart(bytes: number): void {
    if (this.sampleServed) throw new Error('skipStart() after reading began');
    this.skip = bytes;
  }

  /** The next chunk of the file (the sample first), or null at the end. */
  next(): Promise<Buffer | null> {
    const result = this.tail.then(() => this.readOne());
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Size in bytes when opened. */
  get size(): number {
    return this.stats.bytes;
  }

  /**
   * Up to `length` bytes at `position`, for readers that need the file by position (the
   * zip directory of a workbook). Not hashed: `finish()` hashes the whole file in order.
   */
  readAt(position: number, length: number): Promise<Buffer> {
    const wanted = Math.max(0, Math.min(length, this.stats.bytes - position));
    // Within the sample (all of a small workbook): no second read of the same bytes.
    if (position + wanted <= this.sample.length) return Promise.resolve(this.sample.subarray(position, position + wanted));
    if (this.closed) return Promise.reject(new Error('the input file is closed'));
    return readAt(this.handle, this.file, position, wanted);
  }

  /**
   * Reads (and hashes) whatever the reader did not, to the end of the file, and returns
   * the digest of the whole file as read. Throws INPUT_CHANGED if the file's size or
   * time is not what it was when opened: it changed while it was being read.
   */
  async finish(): Promise<SourceDigest> {
    while ((await this.next()) !== null);
    const now = await this.handle.stat();
    if (this.position !== this.stats.bytes || now.size !== this.stats.bytes || now.mtimeMs !== this.stats.mtimeMs) {
      throw new InputFileError(
        'INPUT_CHANGED',
        `the file changed while it was being read (it was ${this.stats.bytes} bytes, ${this.position} were read and it is now ${now.size}): read it again once it is complete`,
        { file: this.file },
      );
    }
    return { bytes: this.position, sha256: this.hash.digest('hex') };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    await this.handle.close().catch(() => undefined);
  }

  private async readOne(): Promise<Buffer | null> {
    if (this.closed || this.eof) return null;
    if (!this.sampleServed) {
      this.sampleServed = true;
      this.hash.update(this.sample);
      this.position = this.sample.length;
      if (this.sample.length > this.skip) return this.sample.subarray(this.skip);
    }
    const chunk = await readAt(this.handle, this.file, this.position, READ_CHUNK_BYTES);
    if (chunk.length === 0) {
      this.eof = true;
      return null;
    }
    this.hash.update(chunk);
    this.position += chunk.length;
    return chunk;
  }
}

async function readAt(handle: FileHandle, file: string, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  try {
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
  } catch (error) {
    throw fileSystemError(error, file);
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

export function fileSystemError(error: unknown, file: string): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new InputFileError('INPUT_NOT_FOUND', 'no such file', { file, cause: error });
  if (code === 'EACCES' || code === 'EPERM' || code === 'EISDIR') {
    return new InputFileError('INPUT_UNREADABLE', `cannot read the file (${code})`, { file, cause: error });
  }
  return error;
}
