/** Reading a rubric file: the default when no file is named. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DEFAULT_RUBRIC } from './default-rubric.js';
import { parseRubric, rubricToJson, RubricError, type Rubric } from './rubric.js';

export function loadRubric(file: string | undefined): Rubric {
  if (!file) return DEFAULT_RUBRIC;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RubricError(file, '', `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new RubricError(file, '', `is not valid JSON (${(err as Error).message})`);
  }
  return parseRubric(json, file);
}

/** A short fingerprint of what a rubric scores (comments excluded), for the manifest. */
export function rubricDigest(rubric: Rubric): string {
  return createHash('sha256').update(JSON.stringify(rubricToJson(rubric))).digest('hex').slice(0, 16);
}
