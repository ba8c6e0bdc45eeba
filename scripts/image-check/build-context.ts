/**
 * The build context as `docker build .` sends it: the checkout's files less what
 * .dockerignore leaves out, and COPY from it with Docker's rules (a folder's contents go
 * into the destination; a file goes to the destination, or into it when it ends with
 * `/`; a source the context lacks is an error, as Docker's "not found").
 */
import { chmodSync, chownSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import { parseDockerIgnore, type DockerIgnore } from './dockerignore.js';

export interface BuildContext {
  dir: string;
  ignore: DockerIgnore;
}

export class ContextError extends Error {
  readonly code = 'RISKSCREEN_BUILD_CONTEXT';
  constructor(message: string) {
    super(message);
    this.name = 'ContextError';
  }
}

export function openBuildContext(dir: string): BuildContext {
  const file = join(dir, '.dockerignore');
  return { dir, ignore: parseDockerIgnore(existsSync(file) ? readFileSync(file, 'utf8') : '') };
}

/** Every file of the context under `from` (context-relative, `/`-separated), as the builder would receive them. */
export function contextFiles(context: BuildContext, from = ''): string[] {
  const files: string[] = [];
  const walk = (rel: string): void => {
    const path = join(context.dir, rel);
    const stat = lstatSync(path);
    const excluded = rel !== '' && context.ignore.excludes(rel);
    if (stat.isDirectory()) {
      if (excluded && !context.ignore.mayReinclude(rel)) return;
      for (const name of readdirSync(path).sort()) walk(rel === '' ? name : `${rel}/${name}`);
    } else if (!excluded) {
      files.push(rel);
    }
  };
  walk(from);
  return files;
}

export interface CopyOwner {
  uid: number;
  gid: number;
  /** --chmod, as an octal string. */
  chmod: string | null;
}

/**
 * COPY <sources> <dest> from the context into a stage's folder: `destHost` is where the
 * image path `dest` lies on this machine. Answers how many files were copied.
 */
export function copyFromContext(context: BuildContext, sources: string[], dest: string, destHost: string, owner: CopyOwner): number {
  const intoFolder = dest.endsWith('/') || sources.length > 1;
  let copied = 0;
  for (const source of sources) {
    if (/[*?[]/.test(source)) throw new ContextError(`COPY ${source}: wildcards are not replayed by this check; name the files`);
    // normalize drops a leading ./ (but not the dot of .env).
    const normalized = posix.normalize(source).replace(/\/$/, '');
    const rel = normalized === '.' ? '' : normalized;
    if (rel.startsWith('..') || posix.isAbsolute(rel)) throw new ContextError(`COPY ${source}: outside the build context`);
    const path = join(context.dir, rel);
    if (!existsSync(path)) throw new ContextError(`COPY ${source}: not in the checkout`);
    if (lstatSync(path).isDirectory()) {
      const files = contextFiles(context, rel);
      if (files.length === 0 && context.ignore.excludes(rel)) throw new ContextError(`COPY ${source}: not in the build context: .dockerignore leaves it out`);
      makeFolders(destHost);
      for (const file of files) {
        const target = join(destHost, file.slice(rel.length + 1));
        makeFolders(dirname(target));
        copyOne(join(context.dir, file), target, owner);
        copied++;
      }
    } else {
      if (context.ignore.excludes(rel)) throw new ContextError(`COPY ${source}: not in the build context: .dockerignore leaves it out`);
      const target = intoFolder ? join(destHost, basename(rel)) : destHost;
      makeFolders(dirname(target));
      copyOne(path, target, owner);
      copied++;
    }
  }
  return copied;
}

/**
 * Folders COPY makes on the way are root's here, whatever --chown says (BuildKit's rule
 * for them has changed between releases): the Dockerfile chowns what the runtime user
 * must write, so either way holds.
 */
function makeFolders(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

function copyOne(from: string, to: string, owner: CopyOwner): void {
  const stat = lstatSync(from);
  if (stat.isSymbolicLink()) {
    symlinkSync(readlinkSync(from), to);
    chownSync(to, owner.uid, owner.gid);
    return;
  }
  copyFileSync(from, to);
  // Docker keeps the context file's mode unless --chmod says otherwise.
  chmodSync(to, owner.chmod ? parseInt(owner.chmod, 8) : stat.mode & 0o7777);
  chownSync(to, owner.uid, owner.gid);
}
