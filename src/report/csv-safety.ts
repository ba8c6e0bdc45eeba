/**
 * Formula injection (CSV injection): a spreadsheet opening the result runs any cell
 * that starts with `=`, `+`, `-` or `@` as a formula (`=HYPERLINK(...)`, `=cmd|...`),
 * and Excel also strips a leading tab or carriage return before looking. The input list
 * comes from sign-up forms, so its cells are attacker-controlled. Every cell written
 * (original columns included) that starts with one of those six characters gets a
 * leading `'`, as OWASP recommends, so the spreadsheet shows text instead of running it.
 *
 * Exception: a cell that is just a signed number (`-5`, `+8613800138000`, `-0.25`) is
 * left as it is: a spreadsheet reads it as a number, which runs nothing, and a phone
 * column with `+86` numbers stays unchanged.
 *
 * Reversible: a cell that already starts with `'`s followed by one of those characters
 * (`'=1+1` in the input) gets one more `'` too, so removing one leading `'` from a
 * written cell always gives the input's cell back ({@link unneutralizeCell}). The
 * XLSX, JSON Lines and Parquet writers, which need no neutralizing, take the input's
 * cells back that way from the batch's result CSV.
 */
export const FORMULA_TRIGGERS: readonly string[] = ['=', '+', '-', '@', '\t', '\r'];

const PLAIN_SIGNED_NUMBER = /^[+-]\d+(?:\.\d+)?$/;

export function neutralizeCell(value: string): string {
  return startsLikeFormula(value) ? `'${value}` : value;
}

/** The cell as it was before {@link neutralizeCell}: one leading `'` set aside where it added one. */
export function unneutralizeCell(value: string): string {
  return value.charCodeAt(0) === QUOTE && startsLikeFormula(value) ? value.slice(1) : value;
}

/** A row's cells as they were before neutralizing; the same array when no cell starts with `'` (the rule, and cheap). */
export function unneutralizeRow(row: string[]): string[] {
  for (let i = 0; i < row.length; i++) if (row[i]!.charCodeAt(0) === QUOTE) return row.map(unneutralizeCell);
  return row;
}

const QUOTE = 0x27;

/** After any leading `'`s: one of the triggers, and not just a signed number. Every cell written goes through it. */
function startsLikeFormula(value: string): boolean {
  let at = 0;
  while (value.charCodeAt(at) === QUOTE) at++;
  if (!isTrigger(value.charCodeAt(at))) return false;
  return !PLAIN_SIGNED_NUMBER.test(at === 0 ? value : value.slice(at));
}

/** FORMULA_TRIGGERS by code: `=`, `+`, `-`, `@`, tab, CR. */
function isTrigger(code: number): boolean {
  return code === 0x3d || code === 0x2b || code === 0x2d || code === 0x40 || code === 0x09 || code === 0x0d;
}

/** True when a cell as written could be run as a formula (what the tests check every cell against). */
export function isFormulaRisk(value: string): boolean {
  return value.length > 0 && FORMULA_TRIGGERS.includes(value[0]!) && !PLAIN_SIGNED_NUMBER.test(value);
}
