/**
 * Reading the entries of a zip archive (an .xlsx workbook) through its central
 * directory, by position, from the read's one file descriptor.
 *
 * Why not stream the archive front to back: the parts of a workbook are in no fixed
 * order (exceljs itself writes xl/workbook.xml last), and exceljs's streaming reader,
 * which must see xl/workbook.xml before it can name a sheet, parks sheets in temp files
 * and intermittently loses entries doing so (exceljs issue #3064: "Cannot read
 * properties of undefined (reading 'sheets')"). The central directory lists every entry
 * with its place: the reader takes the parts in the order it needs them, and only the
 * sheet it wants.
 *
 * Stored and deflated entries, as every spreadsheet program writes them. Zip64 archives
 * (for files over 4 GiB, far beyond the input size limit) and encrypted entries are
 * refused.
 */
import { Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';

export interface RandomAccess {
  /** Total bytes. */
  readonly size: number;
  /** Up to `length` bytes at `position` (fewer at the end). */
  readAt(position: number, length: number): Promise<Buffer>;
}

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

/** Thrown for bytes that are not a (supported) zip archive; the caller words it for the user. */
export class ZipFormatError extends Error {
  override readonly name = 'ZipFormatError';
}

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_FILE_HEADER = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;
/** The end record is 22 bytes, plus a comment of up to 65,535. */
const END_SEARCH_BYTES = 22 + 0xffff;
const ENTRY_CHUNK_BYTES = 256 * 1024;

export class ZipDirectory {
  private readonly byName = new Map<string, ZipEntry>();

  private constructor(
    private readonly source: RandomAccess,
    readonly entries: readonly ZipEntry[],
  ) {
    for (const entry of entries) this.byName.set(entry.name, entry);
  }

  static async read(source: RandomAccess): Promise<ZipDirectory> {
    const tailLength = Math.min(source.size, END_SEARCH_BYTES);
    const tail = await source.readAt(source.size - tailLength, tailLength);
    let end = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === END_OF_CENTRAL_DIRECTORY) {
        end = i;
        break;
      }
    }
    if (end === -1) throw new ZipFormatError('the zip directory at the end of the file is missing (a truncated file?)');
    const count = tail.readUInt16LE(end + 10);
    const directorySize = tail.readUInt32LE(end + 12);
    const directoryOffset = tail.readUInt32LE(end + 16);
    if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
      throw new ZipFormatError('a zip64 archive, which riskscreen does not read');
    }
    if (directoryOffset + directorySize > source.size) throw new ZipFormatError('the zip directory points past the end of the file');
    const directory = await source.readAt(directoryOffset, directorySize);
    const entries: ZipEntry[] = [];
    let at = 0;
    for (let n = 0; n < count; n++) {
      if (at + 46 > directory.length || directory.readUInt32LE(at) !== CENTRAL_FILE_HEADER) {
        throw new ZipFormatError('the zip directory is damaged');
      }
      const nameLength = directory.readUInt16LE(at + 28);
      const extraLength = directory.readUInt16LE(at + 30);
      const commentLength = directory.readUInt16LE(at + 32);
      entries.push({
        flags: directory.readUInt16LE(at + 8),
        method: directory.readUInt16LE(at + 10),
        compressedSize: directory.readUInt32LE(at + 20),
        size: directory.readUInt32LE(at + 24),
        localHeaderOffset: directory.readUInt32LE(at + 42),
        name: directory.toString('utf8', at + 46, at + 46 + nameLength),
      });
      at += 46 + nameLength + extraLength + commentLength;
    }
    return new ZipDirectory(source, entries);
  }

  entry(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  /** The entry's uncompressed bytes, as a stream read from the archive chunk by chunk. */
  async open(entry: ZipEntry): Promise<Readable> {
    if (entry.flags & 0x1) throw new ZipFormatError(`${entry.name} is encrypted`);
    if (entry.method !== 0 && entry.method !== 8) throw new ZipFormatError(`${entry.name} uses compression method ${entry.method}`);
    const header = await this.source.readAt(entry.localHeaderOffset, 30);
    if (header.length < 30 || header.readUInt32LE(0) !== LOCAL_FILE_HEADER) {
      throw new ZipFormatError(`the zip entry ${entry.name} is damaged`);
    }
    const start = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
    const stop = start + entry.compressedSize;
    if (stop > this.source.size) throw new ZipFormatError(`the zip entry ${entry.name} runs past the end of the file`);
    const source = this.source;
    const compressed = Readable.from(
      (async function* chunks() {
        for (let position = start; position < stop; position += ENTRY_CHUNK_BYTES) {
          const chunk = await source.readAt(position, Math.min(ENTRY_CHUNK_BYTES, stop - position));
          if (chunk.length === 0) throw new ZipFormatError(`the zip entry ${entry.name} is cut short`);
          yield chunk;
        }
      })(),
      { objectMode: false },
    );
    if (entry.method === 0) return compressed;
    const inflate = createInflateRaw();
    compressed.on('error', (error) => inflate.destroy(error));
    return compressed.pipe(inflate);
  }
}
