/**
 * Masking for logs and error messages: a full phone number never appears in either.
 * `13800001234` -> `138****1234`. Anything that is not 11 digits is masked all the
 * same (first 3 and last 4 kept only when there is something left in between).
 */
export function maskMobile(value: string | undefined | null): string {
  if (value === undefined || value === null) return '';
  const text = String(value);
  if (text.length >= 8) return `${text.slice(0, 3)}****${text.slice(-4)}`;
  if (text.length === 0) return '';
  return '*'.repeat(text.length);
}
