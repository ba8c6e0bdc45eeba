/**
 * What the format readers (CSV/TXT, XLSX) hand on: rows of text fields with the line
 * each starts on, nothing interpreted yet. Rows with nothing in them are not rows.
 */

export interface RawRow {
  /** The fields exactly as decoded (CSV quotes removed, a TXT line as it is, XLSX cells as text). */
  fields: string[];
  /** 1-based physical line where the row starts (CSV/TXT), or the sheet row number (XLSX). */
  line: number;
}

export interface RowStats {
  /** Lines (or sheet rows) whose fields are all empty or spaces: not rows, only counted. */
  blankLines: number;
}

/**
 * A row with no text in any field: an empty line, a line of spaces, the `,,,` Excel
 * writes for a formatted but empty row, an XLSX row with styles and no values. These
 * are layout, not data; a row with anything in any field is a row, even if its phone
 * cell is empty.
 */
export function isBlankRow(fields: readonly string[]): boolean {
  for (const field of fields) {
    if (field.length > 0 && field.trim() !== '') return false;
  }
  return true;
}
