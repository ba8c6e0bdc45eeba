/** A result file as written: what its manifest entry says of it. */
export interface WrittenFile {
  /** Absolute path. */
  path: string;
  /** The file name, as the manifest lists it (files sit beside the manifest). */
  name: string;
  /** Data rows (the header excluded). */
  rows: number;
  bytes: number;
  sha256: string;
  /** XLSX: the results sheets and their data rows (more than one past Excel's 1,048,575 rows a sheet). */
  sheets?: { name: string; rows: number }[];
}
