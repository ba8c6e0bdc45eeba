/**
 * The text stage of CSV/TXT reading: the file's bytes in, UTF-8 bytes out (what
 * csv-parse reads), chunk by chunk in constant memory, checking on the way what the
 * parser cannot:
 *
 * - every byte decodes in the encoding (INPUT_UNDECODABLE, with the line): a forced
 *   `--encoding` must not turn bad bytes into U+FFFD silently;
 * - no NUL byte anywhere (INPUT_BINARY): text files have none;
 * - no physical line over `maxLineBytes`, counted in UTF-8 bytes after decoding
 *   (INPUT_LINE_TOO_LONG). This is what keeps memory constant on a file with no line
 *   ends at all.
 *
 * UTF-8 input is validated and passed through without decoding, the fast path for the
 * common case. Other encodings go through iconv-lite.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import { InputFileError } from './errors.js';
import { completeUtf8Length, firstInvalidUtf8Offset, type EncodingSource } from './encoding.js';
import { formatBytes } from './options.js';

export interface DecodeStreamOptions {
  /** The path as the user gave it, for messages. */
  file: string;
  encoding: string;
  source: EncodingSource;
  maxLineBytes: number;
  /** The line the first byte is on (1 unless the caller skipped lines). */
  firstLine?: number;
}

interface IconvDecoder {
  write(bytes: Buffer): string;
  end(): string | undefined | null;
}

const LF = 0x0a;
const CR = 0x0d;

export class DecodeStream extends Transform {
  private readonly file: string;
  private readonly encoding: string;
  private readonly source: EncodingSource;
  private readonly maxLineBytes: number;
  private readonly utf8: boolean;
  private readonly decoder: IconvDecoder | undefined;
  /** Bytes a code unit is made of, to catch a file cut mid-unit (UTF-16/32 decoders drop them silently). */
  private readonly unitBytes: number;
  private totalBytes = 0;
  /** UTF-8 bytes of a character cut at the end of the last chunk. */
  private utf8Carry: Buffer | undefined;
  /** A high surrogate at the end of the last chunk, waiting for its pair. */
  private pendingHighSurrogate = '';

  /** 1-based line the next byte belongs to. */
  private line: number;
  private lineBytes = 0;
  private lastWasCr = false;

  constructor(options: DecodeStreamOptions) {
    super({ readableHighWaterMark: 256 * 1024 });
    this.file = options.file;
    this.encoding = options.encoding;
    this.source = options.source;
    this.maxLineBytes = options.maxLineBytes;
    this.line = options.firstLine ?? 1;
    this.utf8 = isUtf8Name(options.encoding);
    this.decoder = this.utf8 ? undefined : (iconv.getDecoder(options.encoding, { stripBOM: false }) as IconvDecoder);
    this.unitBytes = /^utf-?32/i.test(options.encoding) ? 4 : /^(utf-?16|ucs-?2)/i.test(options.encoding) ? 2 : 1;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.totalBytes += chunk.length;
      if (this.utf8) this.passUtf8(chunk);
      else this.decode(this.decoder!.write(chunk), false);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (this.utf8) {
        if (this.utf8Carry && this.utf8Carry.length > 0) throw this.undecodable('the file ends in the middle of a character');
      } else {
        this.decode(this.decoder!.end() ?? '', true);
        if (this.totalBytes % this.unitBytes !== 0) throw this.undecodable('the file ends in the middle of a character');
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private passUtf8(chunk: Buffer): void {
    const bytes = this.utf8Carry ? Buffer.concat([this.utf8Carry, chunk]) : chunk;
    const cut = completeUtf8Length(bytes);
    const body = cut === bytes.length ? bytes : bytes.subarray(0, cut);
    // Copied, so a cut character does not keep the whole chunk alive.
    this.utf8Carry = cut === bytes.length ? undefined : Buffer.from(bytes.subarray(cut));
    if (!isUtf8(body)) {
      this.track(body, firstInvalidUtf8Offset(body));
      throw this.undecodable();
    }
    this.track(body, body.length);
    if (body.length > 0) this.push(body);
  }

  private decode(decoded: string, last: boolean): void {
    let text = this.pendingHighSurrogate + decoded;
    this.pendingHighSurrogate = '';
    if (!last && text.length > 0 && isHighSurrogate(text.charCodeAt(text.length - 1))) {
      this.pendingHighSurrogate = text.slice(-1);
      text = text.slice(0, -1);
    }
    const bad = firstUndecodable(text);
    if (bad !== -1) {
      this.track(Buffer.from(text.slice(0, bad), 'utf8'), Infinity);
      throw this.undecodable();
    }
    if (text.length === 0) return;
    const bytes = Buffer.from(text, 'utf8');
    this.track(bytes, bytes.length);
    this.push(bytes);
  }

  /** Follows lines through `bytes[0, end)`: line number, line length, NUL bytes. */
  private track(bytes: Buffer, end: number): void {
    const stop = Math.min(end, bytes.length);
    const max = this.maxLineBytes;
    let line = this.line;
    let lineBytes = this.lineBytes;
    let lastWasCr = this.lastWasCr;
    for (let i = 0; i < stop; i++) {
      const byte = bytes[i]!;
      if (byte === LF) {
        if (!lastWasCr) line++;
        lineBytes = 0;
        lastWasCr = false;
      } else if (byte === CR) {
        line++;
        lineBytes = 0;
        lastWasCr = true;
      } else {
        lastWasCr = false;
        if (byte === 0) {
          this.line = line;
          throw new InputFileError('INPUT_BINARY', 'this is a binary file, not text: it holds a NUL byte', {
            file: this.file,
            line,
          });
        }
        if (++lineBytes > max) {
          this.line = line;
          throw new InputFileError(
            'INPUT_LINE_TOO_LONG',
            `the line is longer than ${formatBytes(max)} (is the delimiter or the encoding wrong?)`,
            { file: this.file, line },
          );
        }
      }
    }
    this.line = line;
    this.lineBytes = lineBytes;
    this.lastWasCr = lastWasCr;
  }

  private undecodable(detail?: string): InputFileError {
    let problem: string;
    if (detail) problem = `${detail} (${this.encoding})`;
    else if (this.source === 'option') problem = `bytes on this line cannot be decoded as ${this.encoding} (--encoding ${this.encoding})`;
    else if (this.utf8) {
      problem =
        'bytes on this line are not valid UTF-8, though the start of the file was: if the file is GBK, pass --encoding gb18030';
    } else problem = `bytes on this line cannot be decoded as ${this.encoding}`;
    return new InputFileError('INPUT_UNDECODABLE', problem, { file: this.file, line: this.line });
  }
}

function isUtf8Name(encoding: string): boolean {
  return /^utf-?8$/i.test(encoding);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/**
 * Where decoding failed: iconv-lite writes U+FFFD for bytes it cannot decode, and UTF-16
 * decoders let unpaired surrogates through. Either one is an undecodable spot (a real
 * U+FFFD in a GBK or UTF-16 file is itself the trace of an earlier failed conversion).
 */
function firstUndecodable(text: string): number {
  const replacement = text.indexOf('\ufffd');
  if ((text as unknown as { isWellFormed(): boolean }).isWellFormed()) return replacement;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (isHighSurrogate(code)) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return replacement === -1 ? i : Math.min(i, replacement);
    }
    if (code >= 0xdc00 && code <= 0xdfff) return replacement === -1 ? i : Math.min(i, replacement);
  }
  return replacement;
}
