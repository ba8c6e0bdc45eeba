/**
 * An independent reader for the workbooks riskscreen writes: Debian's python3-openpyxl,
 * run by /usr/bin/python3 (`.ci/run` installs it when missing). It loads the whole
 * workbook (not read-only mode, so frozen panes, the filter and column widths are there)
 * and answers in JSON: per sheet, every cell's value and openpyxl's data_type, number
 * format, fill and font, the frozen pane, the filter's range and the column widths.
 *
 * openpyxl gives a text cell's characters as stored: it does not decode OOXML's
 * `_xHHHH_` escapes, which Excel and LibreOffice do on reading. `text` is the value
 * decoded by openpyxl's own `openpyxl.utils.escape.unescape` (what Excel shows);
 * `value` is the raw one.
 */
import { execFile } from 'node:child_process';

export const PYTHON = '/usr/bin/python3';

export interface OpenpyxlCell {
  ref: string;
  /** A string, a number, a boolean, null (no value), or a date as `{ datetime: ISO }`. */
  value: string | number | boolean | null | { datetime: string } | { other: string };
  /** A string value with its `_xHHHH_` escapes decoded; null for any other value. */
  text: string | null;
  /** openpyxl's data_type: 's' text, 'n' number (or empty), 'd' date, 'f' formula, 'b', 'e'. */
  type: string;
  format: string;
  /** The solid fill's ARGB colour, or null. */
  fill: string | null;
  bold: boolean;
  /** The font's ARGB colour, when one is set. */
  font: string | null;
}

export interface OpenpyxlSheet {
  name: string;
  /** Rows from row 1, each from column A, as openpyxl's iter_rows gives them. */
  rows: OpenpyxlCell[][];
  freezePanes: string | null;
  autoFilter: string | null;
  /** Width by column letter, for the columns that have one. */
  widths: Record<string, number>;
}

export interface OpenpyxlWorkbook {
  sheets: OpenpyxlSheet[];
}

const SCRIPT = String.raw`
import datetime, json, sys
try:
    import openpyxl
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.escape import unescape
except ImportError as error:
    sys.stderr.write("NO_OPENPYXL %s\n" % error)
    sys.exit(3)

def colour(c):
    return c.rgb if c is not None and isinstance(c.rgb, str) else None

def value_of(v):
    if isinstance(v, datetime.datetime):
        return {"datetime": v.isoformat()}
    if isinstance(v, (datetime.date, datetime.time, datetime.timedelta)):
        return {"other": str(v)}
    return v

wb = openpyxl.load_workbook(sys.argv[1])
sheets = []
for ws in wb.worksheets:
    rows = []
    for row in ws.iter_rows():
        cells = []
        for c in row:
            v = c.value
            cells.append({
                "ref": c.coordinate,
                "value": value_of(v),
                "text": unescape(v) if isinstance(v, str) else None,
                "type": c.data_type,
                "format": c.number_format,
                "fill": colour(c.fill.fgColor) if c.fill is not None and c.fill.fill_type == "solid" else None,
                "bold": bool(c.font is not None and c.font.b),
                "font": colour(c.font.color) if c.font is not None else None,
            })
        rows.append(cells)
    widths = {}
    for key, d in ws.column_dimensions.items():
        if d.width is None:
            continue
        low = d.min or openpyxl.utils.column_index_from_string(key)
        high = d.max or low
        for i in range(low, high + 1):
            widths[get_column_letter(i)] = d.width
    sheets.append({
        "name": ws.title,
        "rows": rows,
        "freezePanes": ws.freeze_panes,
        "autoFilter": ws.auto_filter.ref,
        "widths": widths,
    })
json.dump({"sheets": sheets}, sys.stdout)
`;

/** The workbook as openpyxl reads it; throws, saying what to install, when openpyxl is missing. */
export function readWithOpenpyxl(path: string): Promise<OpenpyxlWorkbook> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, ['-c', SCRIPT, path], { maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT' || stderr.includes('NO_OPENPYXL');
        reject(
          new Error(
            missing
              ? `the XLSX tests read workbooks with Debian's python3-openpyxl through ${PYTHON}, which cannot import it: apt-get install -y python3-openpyxl (.ci/run installs it when missing)`
              : `openpyxl could not read ${path}: ${stderr.trim() || error.message}`,
          ),
        );
        return;
      }
      resolve(JSON.parse(stdout) as OpenpyxlWorkbook);
    });
  });
}

/** A sheet's cell values as strings the way a CSV would hold them: text decoded, null (no value) as ''. */
export function sheetText(sheet: OpenpyxlSheet): string[][] {
  return sheet.rows.map((row) => row.map((cell) => (cell.value === null ? '' : cell.text ?? JSON.stringify(cell.value))));
}

export function sheetNamed(workbook: OpenpyxlWorkbook, name: string): OpenpyxlSheet {
  const sheet = workbook.sheets.find((s) => s.name === name);
  if (!sheet) throw new Error(`no sheet "${name}" (sheets: ${workbook.sheets.map((s) => s.name).join(', ')})`);
  return sheet;
}
