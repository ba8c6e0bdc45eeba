/**
 * .dockerignore as Docker reads it (moby/patternmatcher, which BuildKit uses for the
 * build context): one pattern a line, `#` comments, a leading `!` re-includes; `*`
 * matches within one path segment, `?` one character, `**` any number of segments;
 * patterns are paths from the context's root (a leading `/` is dropped). A pattern
 * also matches everything under a directory it matches. The last matching pattern
 * decides, so an allowlist (`*`, then `!src`) works.
 */

interface Pattern {
  text: string;
  negated: boolean;
  regex: RegExp;
}

export interface DockerIgnore {
  patterns: readonly Pattern[];
  /** Whether the file or folder at this context-relative path (with `/`) stays out of the context. */
  excludes(path: string): boolean;
  /**
   * Whether a folder that is excluded may still hold a re-included path (a `!` pattern
   * under it): only then must a walk of the context look inside.
   */
  mayReinclude(folder: string): boolean;
}

export function parseDockerIgnore(text: string): DockerIgnore {
  const patterns: Pattern[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negated = line.startsWith('!');
    const cleaned = clean(negated ? line.slice(1).trim() : line);
    if (cleaned === '') continue;
    patterns.push({ text: line, negated, regex: compile(cleaned) });
  }
  return {
    patterns,
    excludes(path) {
      const target = clean(path);
      const parents = target.split('/').slice(0, -1);
      let excluded = false;
      for (const pattern of patterns) {
        let match = pattern.regex.test(target);
        // A pattern that matches a folder above the path matches the path too.
        for (let i = 1; !match && i <= parents.length; i++) match = pattern.regex.test(parents.slice(0, i).join('/'));
        if (match) excluded = !pattern.negated;
      }
      return excluded;
    },
    mayReinclude(folder) {
      const prefix = `${clean(folder)}/`;
      return patterns.some((pattern) => pattern.negated && (pattern.text.slice(1).trim().replace(/^\//, '').startsWith(prefix) || pattern.text.includes('*')));
    },
  };
}

/** filepath.Clean, roughly: no leading `/` or `./`, no `//`, no trailing `/`. */
function clean(path: string): string {
  return path
    .replace(/\\/g, '/')
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .join('/');
}

/** The pattern as a regular expression over the whole path, as patternmatcher builds it. */
function compile(pattern: string): RegExp {
  let out = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        // `**/` is `**`: the slash is eaten, and the `**` may stand for no folder at all.
        if (pattern[i + 1] === '/') i++;
        out += i + 1 >= pattern.length ? '.*' : '(.*/)?';
      } else {
        out += '[^/]*';
      }
    } else if (ch === '?') {
      out += '[^/]';
    } else if (ch === '\\' && i + 1 < pattern.length) {
      out += `\\${pattern[++i]}`;
    } else if (ch === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close === -1) out += '\\[';
      else {
        // Go's filepath.Match classes: `[a-z]`, `[^a-z]`, as in a regular expression.
        out += pattern.slice(i, close + 1);
        i = close;
      }
    } else {
      out += /[.+()|{}^$]/.test(ch) ? `\\${ch}` : ch;
    }
  }
  return new RegExp(`${out}$`);
}
