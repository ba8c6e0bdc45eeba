/**
 * Where a workbook's parts are in its zip, from the relationships of xl/workbook.xml:
 * shared by the list reader (xlsx.ts) and the reader of riskscreen's own result
 * workbooks (src/report/result-xlsx-read.ts).
 */
import type { Relationship } from './exceljs-parts.js';

const RELATIONSHIP = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/';

/** `worksheets/sheet1.xml` (relative to xl/) or `/xl/worksheets/sheet1.xml` -> `xl/worksheets/sheet1.xml`. */
export function partPath(target: string): string {
  if (target.startsWith('/')) return target.slice(1);
  const parts: string[] = ['xl'];
  for (const part of target.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '.' && part !== '') parts.push(part);
  }
  return parts.join('/');
}

/** The part a relationship of this type (`sharedStrings`, `styles`) points to. */
export function partOfType(relationships: readonly Relationship[], type: string): string | undefined {
  const relationship = relationships.find((candidate) => candidate.Type === `${RELATIONSHIP}${type}`);
  return relationship ? partPath(relationship.Target) : undefined;
}
