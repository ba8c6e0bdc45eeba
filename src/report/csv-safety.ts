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
 * Idempotent: a neutralized cell starts with `'` and is never changed again, so a
 * result file can be read and written again (export, compare) without piling quotes.
 */
export const FORMULA_TRIGGERS: readonly string[] = ['=', '+', '-', '@', '\t', '\r'];

const PLAIN_SIGNED_NUMBER = /^[+-]\d+(?:\.\d+)?$/;

export function neutralizeCell(value: string): string {
  if (value.length === 0 || !FORMULA_TRIGGERS.includes(value[0]!)) return value;
  if (PLAIN_SIGNED_NUMBER.test(value)) return value;
  return `'${value}`;
}

/** The cell as it was before {@link neutralizeCell}: one leading `'` set aside where it added one. */
export function unneutralizeCell(value: string): string {
  return value.length > 1 && value[0] === "'" && FORMULA_TRIGGERS.includes(value[1]!) && !PLAIN_SIGNED_NUMBER.test(value.slice(1)) ? value.slice(1) : value;
}

/** True when a cell as written could be run as a formula (what the tests check every cell against). */
export function isFormulaRisk(value: string): boolean {
  return value.length > 0 && FORMULA_TRIGGERS.includes(value[0]!) && !PLAIN_SIGNED_NUMBER.test(value);
}
