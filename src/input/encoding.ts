/**
 * Which text encoding a CSV/TXT file is in, decided from its bytes, never its name:
 *
 * 1. A byte order mark says so: UTF-8 (EF BB BF), UTF-16 LE (FF FE, Excel's "Unicode
 *    text"), UTF-16 BE (FE FF), GB18030 (84 31 95 33).
 * 2. No BOM but NUL bytes in every other position: UTF-16 without a BOM.
 * 3. Any other NUL or many control bytes: not text (INPUT_BINARY).
 * 4. The sample (first MiB) is valid UTF-8: UTF-8. Pure ASCII is valid UTF-8.
 * 5. Otherwise GB18030, a superset of GBK and GB2312 (Excel on Chinese Windows); if even
 *    GB18030 cannot decode it, INPUT_UNDECODABLE names the line.
 *
 * `--encoding` skips the guess; a BOM of that same encoding is still skipped.
 */
import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import { InputFileError } from './errors.js';

export type EncodingSource = 'bom' | 'detected' | 'option';

export interface EncodingChoice {
  /** An iconv-lite encoding name. */
  encoding: string;
  /** Bytes of byte order mark at the start of the file, skipped before decoding. */
  bomLength: number;
  source: EncodingSource;
}

const BOMS: readonly { bytes: readonly number[]; encoding: string }[] = [
  { bytes: [0xef, 0xbb, 0xbf], encoding: 'utf-8' },
  // UTF-32 LE's BOM begins with UTF-16 LE's, so it is tried first.
  { bytes: [0xff, 0xfe, 0x00, 0x00], encoding: 'utf-32le' },
  { bytes: [0x00, 0x00, 0xfe, 0xff], encoding: 'utf-32be' },
  { bytes: [0xff, 0xfe], encoding: 'utf-16le' },
  { bytes: [0xfe, 0xff], encoding: 'utf-16be' },
  { bytes: [0x84, 0x31, 0x95, 0x33], encoding: 'gb18030' },
];

/** How much of the sample the NUL-pattern test for BOM-less UTF-16 looks at. */
const UTF16_PROBE_BYTES = 64 * 1024;
/** Control bytes (other than tab, line ends, form feed, escape) tolerated in text, as a share of the sample. */
const MAX_CONTROL_SHARE = 0.01;

/**
 * Detects the encoding from `sample`, the first bytes of the file (`complete` when the
 * sample is the whole file). Throws INPUT_BINARY or INPUT_UNDECODABLE.
 */
export function detectEncoding(sample: Buffer, complete: boolean, file: string): EncodingChoice {
  const bom = findBom(sample);
  if (bom) return { encoding: bom.encoding, bomLength: bom.bytes.length, source: 'bom' };

  const utf16 = utf16ByNulPattern(sample);
  if (utf16) return { encoding: utf16, bomLength: 0, source: 'detected' };
  assertNotBinary(sample, file);

  const body = complete ? sample : sample.subarray(0, completeUtf8Length(sample));
  if (isUtf8(body)) return { encoding: 'utf-8', bomLength: 0, source: 'detected' };

  const text = decodeSample(sample, 'gb18030', 0, complete);
  const bad = text.indexOf('\ufffd');
  if (bad !== -1) {
    throw new InputFileError(
      'INPUT_UNDECODABLE',
      'the bytes are neither UTF-8 nor GB18030/GBK text: pass --encoding with the file\'s encoding',
      { file, line: lineOfOffset(text, bad) },
    );
  }
  return { encoding: 'gb18030', bomLength: 0, source: 'detected' };
}

/** The encoding the user forced; a BOM of that encoding is skipped, any other bytes are data. */
export function forcedEncoding(sample: Buffer, encoding: string): EncodingChoice {
  if (encoding === 'utf-16') {
    // "UTF-16" without a byte order: the BOM says which, little-endian without one (Windows).
    const bom = findBom(sample);
    if (bom?.encoding === 'utf-16be') return { encoding: 'utf-16be', bomLength: 2, source: 'option' };
    return { encoding: 'utf-16le', bomLength: bom?.encoding === 'utf-16le' ? 2 : 0, source: 'option' };
  }
  const bom = BOMS.find((candidate) => sameEncoding(candidate.encoding, encoding) && startsWith(sample, candidate.bytes));
  return { encoding, bomLength: bom ? bom.bytes.length : 0, source: 'option' };
}

/**
 * Decodes the sample for sniffing delimiters. When the sample is cut short, a character
 * cut in half at the end is left out instead of turned into U+FFFD.
 */
export function decodeSample(sample: Buffer, encoding: string, bomLength: number, complete: boolean): string {
  const decoder = iconv.getDecoder(encoding, { stripBOM: false });
  const text = decoder.write(sample.subarray(bomLength));
  return complete ? text + (decoder.end() ?? '') : text;
}

/** NULs in a binary file, and too many control bytes, mean it is not a text file. */
export function assertNotBinary(sample: Buffer, file: string): void {
  const nul = sample.indexOf(0);
  if (nul !== -1) {
    throw new InputFileError('INPUT_BINARY', 'this is a binary file, not text: it holds NUL bytes', {
      file,
      line: lineOfByteOffset(sample, nul),
    });
  }
  let controls = 0;
  for (let i = 0; i < sample.length; i++) {
    const byte = sample[i]!;
    // Tab, LF, VT, FF, CR and ESC turn up in real exports; the rest do not.
    if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0b && byte !== 0x0c && byte !== 0x0d && byte !== 0x1b) {
      controls++;
    }
  }
  if (controls > 0 && controls > sample.length * MAX_CONTROL_SHARE) {
    throw new InputFileError('INPUT_BINARY', 'this is a binary file, not text: it is full of control bytes', { file });
  }
}

/**
 * The length of `bytes` without a UTF-8 sequence cut off at the end, so a sample that
 * stops mid-character still validates.
 */
export function completeUtf8Length(bytes: Uint8Array): number {
  const length = bytes.length;
  for (let back = 1; back <= 4 && back <= length; back++) {
    const byte = bytes[length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: keep looking for the lead
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? length - back : length;
  }
  return length;
}

/** The offset of the first byte that breaks UTF-8, or -1. Slow; called only after `isUtf8` said no. */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const byte = bytes[i]!;
    let needed: number;
    let min: number;
    if (byte < 0x80) {
      i++;
      continue;
    } else if (byte >= 0xc2 && byte <= 0xdf) {
      needed = 1;
      min = 0x80;
    } else if (byte >= 0xe0 && byte <= 0xef) {
      needed = 2;
      min = 0x800;
    } else if (byte >= 0xf0 && byte <= 0xf4) {
      needed = 3;
      min = 0x10000;
    } else {
      return i;
    }
    let code = byte & (0x3f >> needed);
    for (let k = 1; k <= needed; k++) {
      const next = bytes[i + k];
      if (next === undefined || (next & 0xc0) !== 0x80) return i;
      code = (code << 6) | (next & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += needed + 1;
  }
  return -1;
}

function findBom(sample: Buffer): { bytes: readonly number[]; encoding: string } | undefined {
  return BOMS.find((bom) => startsWith(sample, bom.bytes));
}

function startsWith(sample: Buffer, bytes: readonly number[]): boolean {
  if (sample.length < bytes.length) return false;
  return bytes.every((byte, i) => sample[i] === byte);
}

function sameEncoding(a: string, b: string): boolean {
  const canonical = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');
  return canonical(a) === canonical(b);
}

/**
 * UTF-16 without a BOM: mostly-ASCII text has a NUL in every high byte, so NULs sit at
 * odd offsets (little-endian) or even ones (big-endian) and almost never at the other.
 */
function utf16ByNulPattern(sample: Buffer): 'utf-16le' | 'utf-16be' | undefined {
  const length = Math.min(sample.length, UTF16_PROBE_BYTES) & ~1;
  if (length < 4) return undefined;
  let evenNuls = 0;
  let oddNuls = 0;
  for (let i = 0; i < length; i += 2) {
    if (sample[i] === 0) evenNuls++;
    if (sample[i + 1] === 0) oddNuls++;
  }
  const pairs = length / 2;
  if (oddNuls >= pairs * 0.3 && evenNuls <= pairs * 0.02) return 'utf-16le';
  if (evenNuls >= pairs * 0.3 && oddNuls <= pairs * 0.02) return 'utf-16be';
  return undefined;
}

/** 1-based line of a character offset in decoded text (CRLF, LF and CR each end one line). */
export function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x0a) line++;
    else if (code === 0x0d && text.charCodeAt(i + 1) !== 0x0a) line++;
  }
  return line;
}

/** 1-based line of a byte offset in ASCII-compatible bytes. */
function lineOfByteOffset(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte === 0x0a) line++;
    else if (byte === 0x0d && bytes[i + 1] !== 0x0a) line++;
  }
  return line;
}
