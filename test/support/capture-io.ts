import { PassThrough } from 'node:stream';
import type { CommandIo } from '../../src/cli/io.js';

/** Streams a command writes to, read back as text. */
export function captureIo(): CommandIo & { out(): string; err(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  stdout.on('data', (c: Buffer) => chunks.out.push(c));
  stderr.on('data', (c: Buffer) => chunks.err.push(c));
  return {
    stdout,
    stderr,
    out: () => Buffer.concat(chunks.out).toString('utf8'),
    err: () => Buffer.concat(chunks.err).toString('utf8'),
  };
}

/** `riskscreen <args>` in this process (environment as set), with what it printed. */
export async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { main } = await import('../../src/cli/main.js');
  const io = captureIo();
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}
