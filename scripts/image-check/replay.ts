/**
 * Builds the image's filesystem without Docker: every stage of the Dockerfile in a
 * folder of its own (rootfs.ts), its instructions carried out in order.
 *
 * - COPY from the context goes through .dockerignore (build-context.ts); COPY --from
 *   copies from the named stage's folder. --chown is honoured.
 * - RUN in the final stage runs inside its root, as the USER of the moment (chroot).
 * - RUN in an earlier stage (the build) runs on this machine in the stage's WORKDIR: it
 *   needs the machine's npm configuration, cache and compiler, which stand in for the
 *   stage's `apt-get install` (skipped, once the tools it installs are found here). Such
 *   a step may not name an absolute path: it would touch this machine's.
 * - WORKDIR, ENV and USER set what the following steps and the image get.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, createWriteStream, lchownSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyFromContext, type BuildContext } from './build-context.js';
import { imageConfig, stageNamed, type CommandForm, type Dockerfile, type ImageConfig, type Instruction } from './dockerfile.js';
import { BASE_IMAGE_PATH, makeRootfs, resolveUser, spawnInRoot, type ImageUser } from './rootfs.js';

export interface ReplayOptions {
  dockerfile: Dockerfile;
  context: BuildContext;
  /** A fresh folder: each stage gets a folder in it, and the steps' output goes to replay.log there. */
  workDir: string;
  log: (line: string) => void;
  /**
   * Added to the build stages' environment as npm_config_prefer_offline: npm takes
   * packages from the cache CI's own `npm ci` just filled. The Dockerfile does not say
   * it (a real build starts with an empty cache).
   */
  preferOffline: boolean;
}

export interface ReplayedImage {
  config: ImageConfig;
  /** The final stage's folder: its / . */
  root: string;
  logFile: string;
}

export class ReplayError extends Error {
  readonly code = 'RISKSCREEN_IMAGE_REPLAY';
  constructor(
    readonly line: number,
    problem: string,
  ) {
    super(`Dockerfile line ${line}: ${problem}`);
    this.name = 'ReplayError';
  }
}

interface StageState {
  root: string;
  workdir: string;
  user: ImageUser;
  env: Record<string, string>;
}

export async function replayDockerfile(options: ReplayOptions): Promise<ReplayedImage> {
  const { dockerfile } = options;
  const logFile = join(options.workDir, 'replay.log');
  const roots: string[] = [];
  for (const stage of dockerfile.stages) {
    const final = stage.index === dockerfile.stages.length - 1;
    const root = join(options.workDir, `stage-${stage.index}-${stage.name ?? 'unnamed'}`);
    makeRootfs(root);
    roots.push(root);
    options.log(`stage ${stage.index} (${stage.name ?? 'unnamed'}) FROM ${stage.image}: in ${root}`);
    const state: StageState = { root, workdir: '/', user: resolveUser('root'), env: { PATH: BASE_IMAGE_PATH } };
    for (const instruction of stage.instructions) {
      const started = Date.now();
      const what = await replayInstruction(instruction, state, { ...options, final, roots, logFile });
      if (what) options.log(`  line ${instruction.line} ${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    }
  }
  return { config: imageConfig(dockerfile), root: roots.at(-1)!, logFile };
}

interface StepContext extends ReplayOptions {
  final: boolean;
  roots: string[];
  logFile: string;
}

async function replayInstruction(instruction: Instruction, state: StageState, step: StepContext): Promise<string | null> {
  switch (instruction.kind) {
    case 'WORKDIR': {
      state.workdir = instruction.path.startsWith('/') ? instruction.path : join(state.workdir, instruction.path);
      mkdirSync(join(state.root, state.workdir), { recursive: true });
      return `WORKDIR ${state.workdir}`;
    }
    case 'ENV':
      for (const [name, value] of instruction.vars) state.env[name] = value;
      return null;
    case 'USER':
      state.user = resolveUser(instruction.user);
      return null;
    case 'COPY':
      return copy(instruction, state, step);
    case 'RUN':
      return run(instruction, state, step);
    case 'OTHER':
      if (instruction.name === 'LABEL') return null;
      throw new ReplayError(instruction.line, `${instruction.name} is not replayed by this check (scripts/image-check/replay.ts): teach it, or do without`);
    default:
      // ENTRYPOINT, CMD, HEALTHCHECK, EXPOSE: settings of the image, read by imageConfig.
      return null;
  }
}

function copy(instruction: Extract<Instruction, { kind: 'COPY' }>, state: StageState, step: StepContext): string {
  // Relative to WORKDIR; `./` and `.` are WORKDIR itself (and `.config` stays `.config`).
  const relative = instruction.dest === '.' ? '' : instruction.dest.replace(/^\.\//, '');
  const dest = instruction.dest.startsWith('/') ? instruction.dest : `${state.workdir.replace(/\/$/, '')}/${relative}`;
  const destHost = join(state.root, dest);
  const owner = instruction.chown ? resolveUser(instruction.chown) : resolveUser('root');
  if (instruction.from === null) {
    try {
      const files = copyFromContext(step.context, instruction.sources, dest, destHost, { uid: owner.uid, gid: owner.gid, chmod: instruction.chmod });
      return `COPY ${instruction.sources.join(' ')} -> ${dest} (${files} files)`;
    } catch (err) {
      throw new ReplayError(instruction.line, (err as Error).message);
    }
  }
  const from = stageNamed(step.dockerfile, instruction.from);
  // (the stage being replayed is the last folder made)
  if (!from || from.index >= step.roots.length - 1) {
    throw new ReplayError(instruction.line, `COPY --from=${instruction.from}: no earlier stage of that name`);
  }
  for (const source of instruction.sources) {
    const sourceHost = join(step.roots[from.index]!, source.startsWith('/') ? source : `/${source}`);
    try {
      lstatSync(sourceHost);
    } catch {
      throw new ReplayError(instruction.line, `COPY --from=${instruction.from} ${source}: the stage has no such file (did its build step run?)`);
    }
    const target = instruction.sources.length > 1 || dest.endsWith('/') ? join(destHost, source.split('/').filter(Boolean).at(-1)!) : destHost;
    cpSync(sourceHost, target, { recursive: true, verbatimSymlinks: true, errorOnExist: false, force: true });
    if (instruction.chown) chownTree(target, owner);
  }
  return `COPY --from=${instruction.from} ${instruction.sources.join(' ')} -> ${dest}`;
}

function chownTree(path: string, owner: ImageUser): void {
  lchownSync(path, owner.uid, owner.gid);
  if (lstatSync(path).isDirectory()) for (const name of readdirSync(path)) chownTree(join(path, name), owner);
}

async function run(instruction: Extract<Instruction, { kind: 'RUN' }>, state: StageState, step: StepContext): Promise<string> {
  const argv = commandArgv(instruction.command);
  const text = instruction.command.form === 'shell' ? instruction.command.script : instruction.command.argv.join(' ');
  if (/\bapt-get\b/.test(text)) {
    // The tools the step installs must be here to stand in for it.
    const packages = /apt-get\s+install\s+(.*?)(?:&&|;|$)/.exec(text)?.[1]?.split(/\s+/).filter((word) => word && !word.startsWith('-')) ?? [];
    const missing = packages.filter((name) => spawnSync('sh', ['-c', `command -v ${name}`]).status !== 0);
    if (missing.length > 0) throw new ReplayError(instruction.line, `RUN apt-get: ${missing.join(', ')} not found on this machine to stand in for it`);
    return `RUN apt-get ... skipped: this machine has ${packages.join(', ')} (the check does not install packages)`;
  }
  const log = createWriteStream(step.logFile, { flags: 'a' });
  log.write(`\n===== line ${instruction.line}: RUN ${text}\n`);
  let child;
  if (step.final) {
    child = spawnInRoot({ root: state.root, argv, cwd: state.workdir, user: state.user, env: { ...state.env, HOME: state.user.home }, stdio: ['ignore', 'pipe', 'pipe'] });
  } else {
    if (/(^|[\s=;&|])\/[A-Za-z]/.test(text)) {
      throw new ReplayError(instruction.line, 'a build-stage RUN step names an absolute path; the check runs it on this machine, where that path is the machine\'s own');
    }
    const env = { ...process.env, ...state.env, PATH: process.env.PATH ?? state.env.PATH!, ...(step.preferOffline ? { npm_config_prefer_offline: 'true' } : {}) };
    // A group of its own, so an interrupted check can stop npm and the compiler under it.
    child = spawn(argv[0]!, argv.slice(1), { cwd: join(state.root, state.workdir), env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  }
  const pid = child.pid;
  if (pid !== undefined) runningSteps.add(pid);
  child.once('close', () => pid !== undefined && runningSteps.delete(pid));
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve(status));
  });
  await new Promise<void>((resolve) => log.end(resolve));
  if (code !== 0) {
    // The folder may be removed after the failure: the end of the output goes into the message.
    const output = readFileSync(step.logFile, 'utf8').trimEnd().split('\n').slice(-30).join('\n');
    throw new ReplayError(instruction.line, `RUN ${text} exited with ${code}; the end of its output:\n${output}`);
  }
  return `RUN ${text.length > 70 ? `${text.slice(0, 67)}...` : text}${step.final ? ` (inside the root, as uid ${state.user.uid})` : ` (on this machine${step.preferOffline ? ', npm --prefer-offline' : ''})`}`;
}

/** Process ids of the RUN steps under way (each leads its process group when run on this machine). */
const runningSteps = new Set<number>();

/** Kills the RUN steps under way, with everything they started (an interrupted check). */
export function killRunningSteps(): void {
  for (const pid of runningSteps) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Not a group leader (a step run inside the root): the process alone.
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  }
}

/** What Docker executes for a RUN, CMD or HEALTHCHECK: the argv, or the script under /bin/sh -c. */
export function commandArgv(command: CommandForm): string[] {
  return command.form === 'exec' ? command.argv : ['/bin/sh', '-c', command.script];
}
