/**
 * The numbers the emulator "knows" besides the fixture numbers, so that their sha256
 * and md5 forms are answered as the numbers: the `knownNumbers` option (an array of
 * 11-digit numbers, or a file path: `--numbers FILE`, one number a line) and
 * `POST /__sim/numbers` (a JSON array or the same one-a-line text). Blank lines and
 * surrounding spaces are ignored; anything else that is not an allocated 11-digit
 * mobile number is refused, naming its line (or array index) with the number masked.
 */
import { readFile } from 'node:fs/promises';
import { maskMobile } from '../phone/mask.js';
import { lookupPrefix } from '../phone/prefixes.js';
import { EmulatorFileError, EmulatorOptionError } from './options.js';

/** Why a list of numbers was refused; `where` is `line N` or `index N`. */
export class KnownNumbersError extends Error {
  constructor(readonly where: string, message: string) {
    super(`${where}: ${message}`);
    this.name = 'KnownNumbersError';
  }
}

export function isAllocatedMobile(value: string): boolean {
  return /^1\d{10}$/.test(value) && lookupPrefix(value) !== undefined;
}

/** Numbers from one-a-line text. */
export function parseNumberLines(text: string): string[] {
  const out: string[] = [];
  let line = 0;
  for (const raw of text.split('\n')) {
    line++;
    const value = raw.trim();
    if (value === '') continue;
    if (!isAllocatedMobile(value)) throw new KnownNumbersError(`line ${line}`, `${JSON.stringify(maskMobile(value))} is not an allocated 11-digit mobile number`);
    out.push(value);
  }
  return out;
}

/** Numbers from a parsed JSON array of strings (or whole numbers). */
export function parseNumberArray(values: readonly unknown[]): string[] {
  return values.map((value, index) => {
    const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
    if (typeof text !== 'string' || !isAllocatedMobile(text)) {
      const shown = typeof text === 'string' ? JSON.stringify(maskMobile(text)) : JSON.stringify(value) ?? String(value);
      throw new KnownNumbersError(`index ${index}`, `${shown} is not an allocated 11-digit mobile number`);
    }
    return text;
  });
}

/** A `POST /__sim/numbers` body: a JSON array when it starts with `[`, else one number a line. */
export function parseNumbersBody(text: string): string[] {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('[')) return parseNumberLines(text);
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch (err) {
    throw new KnownNumbersError('body', `is not JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(json)) throw new KnownNumbersError('body', 'must be a JSON array of numbers');
  return parseNumberArray(json);
}

/**
 * The `knownNumbers` option, checked: the numbers of an array, or read from a file
 * (`--numbers`), as doubles (8 bytes a number: a file of a million numbers is never
 * held as a million strings).
 */
export async function loadKnownNumbers(option: string | readonly string[] | undefined): Promise<Float64Array> {
  if (option === undefined) return new Float64Array(0);
  if (typeof option !== 'string') {
    try {
      return Float64Array.from(parseNumberArray(option), Number);
    } catch (err) {
      if (err instanceof KnownNumbersError) throw new EmulatorOptionError('--numbers', `knownNumbers ${err.message}`);
      throw err;
    }
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(option);
  } catch (err) {
    throw new EmulatorFileError('--numbers', `cannot read ${option} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return parseNumberBytes(bytes);
  } catch (err) {
    if (err instanceof KnownNumbersError) throw new EmulatorFileError('--numbers', `${option} ${err.message}`);
    throw err;
  }
}

const NEWLINE = 0x0a;
const DIGIT_0 = 0x30;

/** One number a line, from the bytes of a file (UTF-8 or ASCII; a BOM, CR and blanks around a number are fine). */
export function parseNumberBytes(bytes: Buffer): Float64Array {
  let out = new Float64Array(Math.max(16, Math.ceil(bytes.length / 12)));
  let count = 0;
  let line = 0;
  for (let start = 0; start < bytes.length; ) {
    let end = bytes.indexOf(NEWLINE, start);
    if (end === -1) end = bytes.length;
    line++;
    let value = 0;
    let digits = 0;
    let clean = true;
    let i = start;
    while (i < end && isBlank(bytes, i)) i += bytes[i] === 0xef ? 3 : 1;
    for (; i < end && bytes[i]! >= DIGIT_0 && bytes[i]! <= DIGIT_0 + 9; i++, digits++) value = value * 10 + (bytes[i]! - DIGIT_0);
    while (i < end && isBlank(bytes, i)) i += bytes[i] === 0xef ? 3 : 1;
    if (i < end) clean = false;
    if (digits > 0 || !clean) {
      const text = bytes.toString('utf8', start, end).trim();
      if (!clean || digits !== 11 || !isAllocatedMobile(text)) {
        throw new KnownNumbersError(`line ${line}`, `${JSON.stringify(maskMobile(text))} is not an allocated 11-digit mobile number`);
      }
      if (count === out.length) {
        const grown = new Float64Array(out.length * 2);
        grown.set(out);
        out = grown;
      }
      out[count++] = value;
    }
    start = end + 1;
  }
  return out.slice(0, count);
}

/** Space, tab, CR, or a UTF-8 byte-order mark. */
function isBlank(bytes: Buffer, i: number): boolean {
  const byte = bytes[i];
  return byte === 0x20 || byte === 0x09 || byte === 0x0d || (byte === 0xef && bytes[i + 1] === 0xbb && bytes[i + 2] === 0xbf);
}
