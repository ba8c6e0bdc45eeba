/**
 * The layout tells the architecture, and this test keeps it telling the truth: imports
 * go one way, from the command line down to the bottom layer, and no file imports
 * itself back through others. Read with TypeScript's own import scanner, so type-only
 * imports count too (they are dependencies of the design, if not of the running code).
 *
 *   cli -> web -> runners (workers/) -> jobs/ -> nightly -> metrics -> engine/report/risk -> juhe/input -> phone -> shared
 *
 * config composes every layer's options and is read only by the command line, the
 * console (web/) and the runners; log sits just above phone (it masks numbers); the emulator stands beside the
 * API layer and is used only by the command line, the tests and the benchmarks.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Each module's layer, lowest first. A module may import from a lower layer only (and
 * from itself); two modules on one layer (juhe and input, say) never import each other.
 */
const LAYERS: Record<string, number> = {
  'src/shared': 0,
  'src/phone': 1,
  'src/log': 2,
  'src/juhe': 3,
  'src/input': 3,
  'src/emulator': 4,
  'src/risk': 4,
  'src/engine': 5,
  'src/report': 6,
  'src/metrics': 7,
  'src/nightly': 8,
  'src/config': 9,
  jobs: 10,
  workers: 11,
  'src/web': 12,
  'src/cli': 13,
};

function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts')) files.push(relative(ROOT, path));
    }
  };
  for (const top of ['src', 'jobs', 'workers']) walk(join(ROOT, top));
  return files.sort();
}

/** Relative imports of a file, as repository paths of .ts files. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
  return info.importedFiles
    .map((imported) => imported.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => relative(ROOT, resolve(ROOT, dirname(file), name)).replace(/\.js$/, '.ts'));
}

function moduleOf(file: string): string {
  const [top, second] = file.split('/');
  return top === 'src' ? `src/${second}` : top!;
}

const files = sourceFiles();
const graph = new Map(files.map((file) => [file, importsOf(file)]));

describe('the architecture', () => {
  it('puts every source file in a known layer', () => {
    const unplaced = [...new Set(files.map(moduleOf))].filter((module) => LAYERS[module] === undefined);
    expect(unplaced).toEqual([]);
  });

  it('imports only downwards: cli -> runners -> jobs -> engine/report/risk -> juhe/input -> phone -> shared', () => {
    const upwards: string[] = [];
    for (const [file, imports] of graph) {
      const from = moduleOf(file);
      for (const target of imports) {
        const to = moduleOf(target);
        if (to !== from && !(LAYERS[to]! < LAYERS[from]!)) upwards.push(`${file} -> ${target}`);
      }
    }
    expect(upwards).toEqual([]);
  });

  it('has config read only by the command line, the console and the runners, and the emulator used only by the command line', () => {
    const readers: Record<string, readonly string[]> = { 'src/config': ['src/cli', 'src/web', 'workers'], 'src/emulator': ['src/cli'] };
    const offenders = [...graph].flatMap(([file, imports]) =>
      imports
        .filter((target) => {
          const allowed = readers[moduleOf(target)];
          return allowed !== undefined && moduleOf(target) !== moduleOf(file) && !allowed.includes(moduleOf(file));
        })
        .map((target) => `${file} -> ${target}`),
    );
    expect(offenders).toEqual([]);
  });

  it('has nothing under src/ importing jobs/ (only the runners run jobs)', () => {
    const offenders = [...graph].flatMap(([file, imports]) => (file.startsWith('src/') ? imports.filter((target) => target.startsWith('jobs/')) : []).map((target) => `${file} -> ${target}`));
    expect(offenders).toEqual([]);
  });

  it('has no import circles between files', () => {
    // Tarjan's strongly connected components: any component of two or more files is a circle.
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const circles: string[][] = [];
    let next = 0;
    const visit = (file: string) => {
      index.set(file, next);
      low.set(file, next++);
      stack.push(file);
      onStack.add(file);
      for (const target of graph.get(file) ?? []) {
        if (!graph.has(target)) continue;
        if (!index.has(target)) {
          visit(target);
          low.set(file, Math.min(low.get(file)!, low.get(target)!));
        } else if (onStack.has(target)) low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
      if (low.get(file) === index.get(file)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== file);
        if (component.length > 1) circles.push(component.sort());
      }
    };
    for (const file of files) if (!index.has(file)) visit(file);
    expect(circles).toEqual([]);
  });

  it('resolves every relative import to a file that exists', () => {
    const missing = [...graph].flatMap(([file, imports]) => imports.filter((target) => !graph.has(target)).map((target) => `${file} -> ${target}`));
    expect(missing).toEqual([]);
  });

  it('maps an error to an exit code in one place: no layer below the command line knows exit codes', () => {
    const offenders = files.filter((file) => !file.startsWith('src/cli/') && /\bexitCode\b|exit-codes\.js/.test(readFileSync(join(ROOT, file), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
