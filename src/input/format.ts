/**
 * Which reader a file needs, decided from its first bytes, never its name: an .xlsx
 * renamed .csv is still a workbook, and a CSV named .xls is still text.
 */
import { InputFileError } from './errors.js';

export type InputFormat = 'text' | 'xlsx';

const ZIP_LOCAL_FILE = [0x50, 0x4b, 0x03, 0x04];
const ZIP_EMPTY_ARCHIVE = [0x50, 0x4b, 0x05, 0x06];
/** The OLE2 compound file: .xls, .doc, and also an .xlsx saved with a password. */
const OLE2 = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const PDF = [0x25, 0x50, 0x44, 0x46, 0x2d];

export function detectFormat(sample: Buffer, file: string): InputFormat {
  if (startsWith(sample, ZIP_LOCAL_FILE) || startsWith(sample, ZIP_EMPTY_ARCHIVE)) return 'xlsx';
  if (startsWith(sample, OLE2)) {
    throw new InputFileError(
      'INPUT_BINARY',
      'this is an old Excel .xls workbook (or a password-protected one): save it as .xlsx or as CSV UTF-8',
      { file },
    );
  }
  if (startsWith(sample, PDF)) {
    throw new InputFileError('INPUT_BINARY', 'this is a PDF document, not a list: export the list as CSV or .xlsx', {
      file,
    });
  }
  return 'text';
}

function startsWith(sample: Buffer, bytes: readonly number[]): boolean {
  return sample.length >= bytes.length && bytes.every((byte, i) => sample[i] === byte);
}
