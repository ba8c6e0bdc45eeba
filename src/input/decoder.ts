/**
 * The text stage of CSV/TXT reading: the file's bytes in, text out (as UTF-8 bytes, what
 * csv-parse reads), chunk by chunk in constant memory, checking on the way what the CSV
 * parser cannot:
 *
 * - every byte decodes in the encoding (INPUT_UNDECODABLE, with the line): a forced
 *   `--encoding` must not turn bad bytes into U+FFFD silently;
 * - no NUL byte anywhere (INPUT_BINARY): text files have none;
 * - no physical line over `maxLineBytes`, counted in UTF-8 bytes after decoding
 *   (INPUT_LINE_TOO_LONG). This is what keeps memory constant on a file with no line
 *   ends at all.
 *
 * UTF-8 input is validated on the bytes and handed on as they are, never turned into a
 * string here: the fast path for the common case. Other encodings go through iconv-lite
 * and are handed on re-encoded as UTF-8. Every chunk handed out ends on a whole character.
 */
import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import { InputFileError } from './errors.js';
import { completeUtf8Length, firstInvalidUtf8Offset, type EncodingSource } from './encoding.js';
import { formatBytes } from './options.js';

export interface DecoderOptions {
  /** The path as the user gave it, for messages. */
  file: string;
  encoding: string;
  source: EncodingSource;
  maxLineBytes: number;
}

interface IconvDecoder {
  write(bytes: Buffer): string;
  end(): string | undefined | null;
}

const LF = 0x0a;
const CR = 0x0d;

export class CheckedDecoder {
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
  private line = 1;
  private lineBytes = 0;
  private lastWasCr = false;

  constructor(options: DecoderOptions) {
    this.file = options.file;
    this.encoding = options.encoding;
    this.source = options.source;
    this.maxLineBytes = options.maxLineBytes;
    this.utf8 = /^utf-?8$/i.test(options.encoding);
    this.decoder = this.utf8 ? undefined : (iconv.getDecoder(options.encoding, { stripBOM: false }) as IconvDecoder);
    this.unitBytes = /^utf-?32/i.test(options.encoding) ? 4 : /^(utf-?16|ucs-?2)/i.test(options.encoding) ? 2 : 1;
  }

  /** The text of `chunk` (and of a character cut at the end of the last one), as UTF-8 bytes. */
  write(chunk: Buffer): Buffer {
    this.totalBytes += chunk.length;
    return this.utf8 ? this.passUtf8(chunk) : Buffer.from(this.decode(this.decoder!.write(chunk), false), 'utf8');
  }

  /** The last of the text, once the bytes are done, as UTF-8 bytes. */
  end(): Buffer {
    if (this.utf8) {
      if (this.utf8Carry && this.utf8Carry.length > 0) throw this.undecodable('the file ends in the middle of a character');
      return Buffer.alloc(0);
    }
    const text = this.decode(this.decoder!.end() ?? '', true);
    if (this.totalBytes % this.unitBytes !== 0) throw this.undecodable('the file ends in the middle of a character');
    return Buffer.from(text, 'utf8');
  }

  private passUtf8(chunk: Buffer): Buffer {
    const bytes = this.utf8Carry ? Buffer.concat([this.utf8Carry, chunk]) : chunk;
    const cut = completeUtf8Length(bytes);
    const body = cut === bytes.length ? bytes : bytes.subarray(0, cut);
    // Copied, so a cut character does not keep the whole chunk alive.
    this.utf8Carry = cut === bytes.length ? undefined : Buffer.from(bytes.subarray(cut));
    if (!isUtf8(body)) {
      this.trackBytes(body, firstInvalidUtf8Offset(body));
      throw this.undecodable();
    }
    this.trackBytes(body, body.length);
    return body;
  }

  private decode(decoded: string, last: boolean): string {
    let text = this.pendingHighSurrogate + decoded;
    this.pendingHighSurrogate = '';
    if (!last && text.length > 0 && isHighSurrogate(text.charCodeAt(text.length - 1))) {
      this.pendingHighSurrogate = text.slice(-1);
      text = text.slice(0, -1);
    }
    const bad = firstUndecodable(text);
    if (bad !== -1) {
      this.trackText(text, bad);
      throw this.undecodable();
    }
    this.trackText(text, text.length);
    return text;
  }

  /** Follows lines through UTF-8 `bytes[0, end)`: line number, line length, NUL bytes. */
  private trackBytes(bytes: Buffer, end: number): void {
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
        if (byte === 0) this.fail(line, 'nul');
        if (++lineBytes > max) this.fail(line, 'long');
      }
    }
    this.line = line;
    this.lineBytes = lineBytes;
    this.lastWasCr = lastWasCr;
  }

  /** The same as `trackBytes`, on decoded text, counting each character's UTF-8 length. */
  private trackText(text: string, end: number): void {
    const stop = Math.min(end, text.length);
    const max = this.maxLineBytes;
    let line = this.line;
    let lineBytes = this.lineBytes;
    let lastWasCr = this.lastWasCr;
    for (let i = 0; i < stop; i++) {
      const code = text.charCodeAt(i);
      if (code === LF) {
        if (!lastWasCr) line++;
        lineBytes = 0;
        lastWasCr = false;
      } else if (code === CR) {
        line++;
        lineBytes = 0;
        lastWasCr = true;
      } else {
        lastWasCr = false;
        if (code === 0) this.fail(line, 'nul');
        // A surrogate pair is 4 UTF-8 bytes: 2 for each half.
        lineBytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code >= 0xd800 && code <= 0xdfff ? 2 : 3;
        if (lineBytes > max) this.fail(line, 'long');
      }
    }
    this.line = line;
    this.lineBytes = lineBytes;
    this.lastWasCr = lastWasCr;
  }

  private fail(line: number, why: 'nul' | 'long'): never {
    this.line = line;
    if (why === 'nul') {
      throw new InputFileError('INPUT_BINARY', 'this is a binary file, not text: it holds a NUL byte', { file: this.file, line });
    }
    throw new InputFileError(
      'INPUT_LINE_TOO_LONG',
      `the line is longer than ${formatBytes(this.maxLineBytes)} (is the delimiter or the encoding wrong?)`,
      { file: this.file, line },
    );
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
