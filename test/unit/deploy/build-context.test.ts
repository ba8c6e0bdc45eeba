/** COPY from the build context as the image check replays it: through .dockerignore, with Docker's rules. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContextError, contextFiles, copyFromContext, openBuildContext } from '../../../scripts/image-check/build-context.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'riskscreen-context-'));
  const files: Record<string, string> = {
    '.dockerignore': '*\n!src\n!package.json\n**/.env\n',
    'package.json': '{}',
    'src/a.ts': 'a',
    'src/sub/b.ts': 'b',
    'src/.env': 'JUHE_KEY=x',
    'examples/list.csv': 'mobile\n',
    '.env': 'JUHE_KEY=x',
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const owner = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, chmod: null };

describe('the build context', () => {
  it('holds only what .dockerignore lets through', () => {
    expect(contextFiles(openBuildContext(dir))).toEqual(['package.json', 'src/a.ts', 'src/sub/b.ts']);
  });

  it("copies a folder's contents into the destination and a file into a destination ending in /", () => {
    const context = openBuildContext(dir);
    const out = join(dir, 'out');
    expect(copyFromContext(context, ['src'], './src', join(out, 'src'), owner)).toBe(2);
    expect(readFileSync(join(out, 'src/sub/b.ts'), 'utf8')).toBe('b');
    expect(() => statSync(join(out, 'src/.env'))).toThrow();
    expect(copyFromContext(context, ['package.json'], './', join(out, 'app'), owner)).toBe(1);
    expect(readFileSync(join(out, 'app/package.json'), 'utf8')).toBe('{}');
    copyFromContext(context, ['package.json'], '/config/p.json', join(out, 'config/p.json'), { ...owner, chmod: '600' });
    expect(statSync(join(out, 'config/p.json')).mode & 0o777).toBe(0o600);
  });

  it('fails a COPY of something .dockerignore leaves out, as Docker does', () => {
    const context = openBuildContext(dir);
    expect(() => copyFromContext(context, ['examples'], './examples', join(dir, 'out'), owner)).toThrow(ContextError);
    expect(() => copyFromContext(context, ['.env'], './', join(dir, 'out'), owner)).toThrow(/\.dockerignore leaves it out/);
    expect(() => copyFromContext(context, ['nothing-here'], './', join(dir, 'out'), owner)).toThrow(/not in the checkout/);
    expect(() => copyFromContext(context, ['../x'], './', join(dir, 'out'), owner)).toThrow(/outside the build context/);
  });
});
