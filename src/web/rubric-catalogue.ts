/**
 * The rubrics an operator may pick on the page: the shipped default and the files of
 * `web.rubrics`, each read and checked once at start (a bad file stops the console
 * with the rubric's own error, naming file and key), offered by id.
 */
import { basename, extname } from 'node:path';
import { DEFAULT_RUBRIC, loadRubric, type Rubric } from '../risk/index.js';

export interface RubricChoice {
  id: string;
  name: string;
  rubric: Rubric;
}

export function rubricCatalogue(files: readonly string[]): RubricChoice[] {
  const choices: RubricChoice[] = [{ id: 'default', name: DEFAULT_RUBRIC.name, rubric: DEFAULT_RUBRIC }];
  for (const file of files) {
    const rubric = loadRubric(file);
    let id = basename(file, extname(file)).toLowerCase().replace(/[^a-z0-9_-]+/g, '-') || 'rubric';
    while (choices.some((choice) => choice.id === id)) id = `${id}-2`;
    choices.push({ id, name: rubric.name, rubric });
  }
  return choices;
}
