/**
 * Files that appear whole or not at all: written to a temporary file in the target
 * directory (same filesystem, so the rename is atomic), flushed to disk, then renamed.
 * A process killed half-way leaves at most the temporary file, never a partial result.
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicFile {
  write(chunk: string | Buffer): Promise<void>;
  /** Flush, fsync and rename into place: finish() then publish(). */
  commit(): Promise<void>;
  /** Flush and fsync the temporary file; it is not in place until publish(). */
  finish(): Promise<void>;
  /** Rename the finished file into place: the one step left, so several files can land close together. */
  publish(): Promise<void>;
  /** Remove the temporary file. */
  abort(): Promise<void>;
}

/** `mode`: the file's permissions from its first byte (a file holding secrets is never readable by others, even for a moment). */
export async function openAtomicFile(target: string, mode?: number): Promise<AtomicFile> {
  await mkdir(dirname(target), { recursive: true });
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${Date.now()}.tmp`);
  const stream: WriteStream = createWriteStream(temp, { flags: 'wx', ...(mode !== undefined ? { mode } : {}) });
  await once(stream, 'open');
  // Without a listener a stream error (a write still in flight when abort destroys the
  // stream, a full disk) is an uncaught exception that kills the process; keep it and
  // reject the next write or commit with it instead.
  let failed: Error | null = null;
  stream.on('error', (err) => {
    failed ??= err;
  });
  let done = false;
  const finish = async () => {
    if (failed) throw failed;
    stream.end();
    await once(stream, 'finish');
    const handle = await open(temp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  };
  const publish = async () => {
    await rename(temp, target);
    done = true;
  };
  return {
    async write(chunk) {
      if (failed) throw failed;
      if (!stream.write(chunk)) await once(stream, 'drain');
    },
    async commit() {
      await finish();
      await publish();
    },
    finish,
    publish,
    async abort() {
      if (done) return;
      stream.destroy();
      await rm(temp, { force: true });
    },
  };
}
