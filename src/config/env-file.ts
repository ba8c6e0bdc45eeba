/**
 * An option's environment variable, or its `<NAME>_FILE` form: the value read from a
 * file. Docker and Kubernetes mount secrets as files (compose's `secrets:` at
 * /run/secrets/<name>), which keeps a key out of the environment, where `docker
 * inspect`, /proc/<pid>/environ and crash reports show it. Every option that has an
 * environment variable has the form, so a Redis URL holding a password can come from a
 * file as well as JUHE_KEY does.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../shared/config-error.js';

export const FILE_SUFFIX = '_FILE';

/**
 * The `_FILE` form of an option's variable, or undefined for a variable that already
 * names a file (JUHE_RSA_PUBLIC_KEY_FILE): a file holding the name of a file helps nobody.
 */
export function fileFormOf(name: string): string | undefined {
  return name.endsWith(FILE_SUFFIX) ? undefined : `${name}${FILE_SUFFIX}`;
}

/**
 * The value of `name` from the environment, with the variable it came from (the name to
 * blame in a later validation error); undefined when neither form is set. An empty
 * variable counts as unset, as it always has for the plain form.
 */
export function envValue(env: NodeJS.ProcessEnv, name: string): { value: string; source: string } | undefined {
  const direct = env[name];
  const fileName = fileFormOf(name);
  const file = fileName === undefined ? undefined : env[fileName];
  const hasDirect = direct !== undefined && direct !== '';
  if (fileName === undefined || file === undefined || file === '') return hasDirect ? { value: direct, source: name } : undefined;
  // Two sources for one secret: whichever won, the other would be silently ignored, and
  // an operator rotating the key in one place would keep calling with the old one.
  if (hasDirect) throw new ConfigError(`${name} and ${fileName}`, `both are set; set one (${fileName} names a file holding the value)`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(fileName, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  // `echo KEY > file` and most editors end the file with a newline that is no part of the value.
  const value = text.replace(/[\r\n]+$/, '');
  if (value === '') throw new ConfigError(fileName, `${file} is empty`);
  return { value, source: fileName };
}
