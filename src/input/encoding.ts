/**
 * Which text encoding a CSV/TXT file is in, decided from its bytes, never its name:
 *
 * 1. A byte order mark says so: UTF-8 (EF BB BF), UTF-16 LE (FF FE, Excel's "Unicode
 *    text"), UTF-16 BE (FE FF), GB18030 (84 31 95 33).
 * 2. No BOM but NUL bytes in every other position: UTF-16 without a BOM.
 * 3. Any other NUL or many control bytes: not text (INPUT_BINARY).
 * 4. The sample (first MiB) is valid UTF-8: UTF-8, unless it also reads as GB18030 and
 *    reads much better so (see `compareUtf8WithGb`): short GBK text, a few names, can
 *    happen to be valid UTF-8 (郑伟 in GBK is D6 A3 CE B0, two UTF-8 characters).
 *    Pure ASCII is UTF-8.
 * 5. Otherwise GB18030, a superset of GBK and GB2312 (Excel on Chinese Windows); if even
 *    GB18030 cannot decode it, INPUT_UNDECODABLE names the line.
 *
 * `--encoding` skips the guess; a BOM of that same encoding is skipped, and a BOM of
 * another encoding is a contradiction the user must resolve (InputOptionError).
 */
import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import { InputFileError, InputOptionError } from './errors.js';

export type EncodingSource = 'bom' | 'detected' | 'option';

export interface EncodingChoice {
  /** An iconv-lite encoding name. */
  encoding: string;
  /** Bytes of byte order mark at the start of the file, skipped before decoding. */
  bomLength: number;
  source: EncodingSource;
  /**
   * Detected UTF-8 only: `gb18030` when the bytes also read as plausible GB18030 text and
   * the call was close (UTF-8 was kept; numbers read the same either way), else null.
   */
  alternative?: string | null;
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
  if (isUtf8(body)) {
    const verdict = hasHighBytes(body) ? compareUtf8WithGb(body, sample, complete) : 'utf-8';
    if (verdict === 'gb18030') return { encoding: 'gb18030', bomLength: 0, source: 'detected' };
    return { encoding: 'utf-8', bomLength: 0, source: 'detected', alternative: verdict === 'close' ? 'gb18030' : null };
  }

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

/**
 * The encoding the user forced; a BOM of that encoding is skipped, any other bytes are
 * data. A BOM of another encoding contradicts the option: InputOptionError.
 */
export function forcedEncoding(sample: Buffer, encoding: string): EncodingChoice {
  const bom = findBom(sample);
  const family = /^utf-?(16|32)$/.exec(encoding);
  if (family) {
    // "UTF-16"/"UTF-32" without a byte order: the BOM says which, little-endian without one (Windows).
    const bits = family[1]!;
    if (!bom) return { encoding: `utf-${bits}le`, bomLength: 0, source: 'option' };
    if (bom.encoding === `utf-${bits}le` || bom.encoding === `utf-${bits}be`) {
      return { encoding: bom.encoding, bomLength: bom.bytes.length, source: 'option' };
    }
  } else if (!bom || sameEncoding(bom.encoding, encoding)) {
    return { encoding, bomLength: bom ? bom.bytes.length : 0, source: 'option' };
  }
  throw new InputOptionError(
    'encoding',
    `the file starts with a ${BOM_NAMES[bom.encoding] ?? bom.encoding} byte order mark, so it is not ${encoding}: ` +
      `leave --encoding out, or pass --encoding ${bom.encoding}`,
  );
}

const BOM_NAMES: Record<string, string> = {
  'utf-8': 'UTF-8',
  'utf-16le': 'UTF-16 LE',
  'utf-16be': 'UTF-16 BE',
  'utf-32le': 'UTF-32 LE',
  'utf-32be': 'UTF-32 BE',
  gb18030: 'GB18030',
};

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

function hasHighBytes(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return true;
  return false;
}

/** A reading is plausible when at least this share of its non-ASCII characters is. */
const PLAUSIBLE = 0.9;
/** UTF-8 loses outright when at most this share of its non-ASCII characters is plausible. */
const IMPLAUSIBLE = 0.5;

/**
 * Valid UTF-8 with non-ASCII bytes: is it really GBK/GB18030? Both readings are scored by
 * the share of their non-ASCII characters that are plausible in a Chinese phone list:
 *
 * - GB18030 reading: the 3,755 common hanzi (GB2312 level 1) and GB2312's punctuation
 *   and full-width forms. Real names and addresses are almost all level-1 hanzi; UTF-8
 *   bytes read as GB18030 give rare hanzi and undecodable bytes.
 * - UTF-8 reading: any CJK ideograph or punctuation, full-width forms, general
 *   punctuation, the middle dot of transliterated names, emoji, and accented Latin
 *   letters next to an ASCII letter (José, Zoë). GBK read as UTF-8 gives Greek, Cyrillic,
 *   Hebrew, combining marks and control characters, none of them in a word.
 *
 * `gb18030` when the GB18030 reading is plausible (90%) and the UTF-8 one is not (50% or
 * less); `close` when both are more or less plausible (UTF-8 is kept: the digits read
 * the same either way, only names may not); `utf-8` otherwise.
 */
export function compareUtf8WithGb(utf8Bytes: Buffer, sample: Buffer, complete: boolean): 'utf-8' | 'gb18030' | 'close' {
  const gb = decodeSample(sample, 'gb18030', 0, complete);
  if (gb.indexOf('\ufffd') !== -1) return 'utf-8';
  const gbShare = plausibleShare(gb, isPlausibleGb);
  if (gbShare < PLAUSIBLE) return 'utf-8';
  const utf8Share = plausibleShare(utf8Bytes.toString('utf8'), isPlausibleUtf8);
  if (utf8Share <= IMPLAUSIBLE) return 'gb18030';
  return utf8Share < PLAUSIBLE ? 'close' : 'utf-8';
}

function plausibleShare(text: string, plausible: (text: string, index: number, code: number) => boolean): number {
  let total = 0;
  let good = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    total++;
    if (plausible(text, i, code)) good++;
    if (code >= 0xd800 && code <= 0xdbff) i++; // a pair is one character
  }
  return total === 0 ? 1 : good / total;
}

function isPlausibleGb(_text: string, _index: number, code: number): boolean {
  return commonChinese()[code] === 1;
}

function isPlausibleUtf8(text: string, index: number, code: number): boolean {
  if (commonChinese()[code] === 1) return true;
  if (code >= 0x3400 && code <= 0x9fff) return true; // CJK ideographs, rare ones too
  if (code >= 0xf900 && code <= 0xfaff) return true; // CJK compatibility ideographs
  if (code >= 0x3000 && code <= 0x303f) return true; // CJK punctuation
  if (code >= 0xff00 && code <= 0xffef) return true; // full-width forms
  if (code >= 0x2000 && code <= 0x206f) return true; // general punctuation
  if (code >= 0x20a0 && code <= 0x20cf) return true; // currency signs
  if (code === 0x00b7 || code === 0x00a0) return true; // middle dot, no-break space
  if (code >= 0xd83c && code <= 0xd83e) return true; // emoji (high surrogates of U+1F000-1FBFF)
  if (code >= 0x00c0 && code <= 0x024f && code !== 0x00d7 && code !== 0x00f7) {
    return isAsciiLetter(text.charCodeAt(index - 1)) || isAsciiLetter(text.charCodeAt(index + 1));
  }
  return false;
}

function isAsciiLetter(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

let commonChineseTable: Uint8Array | undefined;

/** 1 for the characters of GB2312's symbol rows (A1-A3) and level-1 hanzi (B0-D7), by UTF-16 code. */
function commonChinese(): Uint8Array {
  if (commonChineseTable) return commonChineseTable;
  const table = new Uint8Array(0x10000);
  const bytes: number[] = [];
  for (let lead = 0xa1; lead <= 0xd7; lead++) {
    if (lead > 0xa3 && lead < 0xb0) continue;
    for (let trail = 0xa1; trail <= 0xfe; trail++) bytes.push(lead, trail);
  }
  const text = iconv.decode(Buffer.from(bytes), 'gbk');
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80 && code !== 0xfffd) table[code] = 1;
  }
  commonChineseTable = table;
  return table;
}
