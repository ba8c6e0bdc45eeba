/**
 * What the image must be, read off the Dockerfile and .dockerignore alone (cheap: the
 * unit tests check it on every run; `npm run check:image` then proves it by replaying).
 */
import type { DockerIgnore } from './dockerignore.js';
import { imageConfig, type Dockerfile } from './dockerfile.js';
import { resolveUser } from './rootfs.js';

/** Node 20 (package.json "engines"; better-sqlite3 12 is built for it), Debian slim. */
export const BASE_IMAGE = /^node:20(\.\d+)*-(bookworm|bullseye|trixie)-slim$/;

export function dockerfileProblems(dockerfile: Dockerfile): string[] {
  const problems: string[] = [];
  const { stages } = dockerfile;
  if (stages.length < 2) problems.push('not multi-stage: the compiler and the devDependencies would ship in the image');
  for (const stage of stages) {
    if (!BASE_IMAGE.test(stage.image)) problems.push(`stage ${stage.name ?? stage.index} is FROM ${stage.image}, not node:20-<debian>-slim`);
  }
  const config = imageConfig(dockerfile);
  let uid: number | null = null;
  try {
    uid = resolveUser(config.user).uid;
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (uid === 0) problems.push('the image runs as root: give the final stage a USER (node)');
  if (!config.entrypoint) problems.push('no ENTRYPOINT: `docker run IMAGE worker` would run "worker" as a program');
  else if (config.entrypoint.form !== 'exec') problems.push('ENTRYPOINT is in shell form: /bin/sh would get the signals, not node (and CMD would be ignored)');
  else if (!config.entrypoint.argv.some((arg) => /bin\/riskscreen\.js$/.test(arg))) problems.push('ENTRYPOINT does not run bin/riskscreen.js');
  if (config.cmd && config.cmd.form !== 'exec') problems.push('CMD is in shell form: with an exec ENTRYPOINT it would be passed as "/bin/sh -c ..."');
  if (!config.healthcheck?.command) problems.push('no HEALTHCHECK');
  else if (config.healthcheck.command.form !== 'exec') problems.push('HEALTHCHECK is in shell form: the slim image runs it through /bin/sh; use the exec form');
  if (!config.env.RISKSCREEN_DATA_DIR?.startsWith('/')) problems.push('ENV RISKSCREEN_DATA_DIR is not an absolute path: the data dir would follow the working directory');
  const build = stages.slice(0, -1);
  if (!build.some((stage) => stage.instructions.some((i) => i.kind === 'RUN' && i.command.form === 'shell' && /\bnpm (ci|install)\b/.test(i.command.script)))) {
    problems.push('no build stage installs with npm ci');
  }
  const final = stages.at(-1)!;
  for (const instruction of final.instructions) {
    if (instruction.kind === 'RUN' && instruction.command.form === 'shell' && /\bnpm (ci|install|run build)\b/.test(instruction.command.script)) {
      problems.push(`line ${instruction.line}: the runtime stage installs or builds; copy the build stage's output instead`);
    }
    if (instruction.kind === 'ENV') {
      for (const [name] of instruction.vars) {
        if (/KEY|SECRET|TOKEN|PASSWORD|OPENID/.test(name) && !/_FILE$/.test(name)) problems.push(`line ${instruction.line}: ENV ${name} would bake a secret into the image`);
      }
    }
  }
  return problems;
}

/** What must never reach the builder: local state, secrets, build output, the tests. */
export const MUST_NOT_SEND = [
  'node_modules',
  'node_modules/vitest/package.json',
  '.git',
  '.git/config',
  '.env',
  '.env.production',
  'src/.env',
  'secrets',
  'secrets/juhe_key',
  'riskscreen.config.json',
  'riskscreen-data',
  'riskscreen-data/local.db',
  'out',
  'out/demo-data/local.db',
  'dist',
  'test',
  'test/fixtures/tls/key.pem',
  'bench',
  'coverage',
  '.ci',
  'docs',
];

/** What the Dockerfile copies from the context, so it must be sent. */
export const MUST_SEND = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'src/cli/main.ts',
  'src/web/public/index.html',
  'workers/sessions.ts',
  'jobs/ingest.ts',
  'bin/riskscreen.js',
  'bin/healthcheck.js',
  'rubrics/default.json',
  'examples/sample-list.csv',
];

export function dockerignoreProblems(ignore: DockerIgnore): string[] {
  return [
    ...MUST_NOT_SEND.filter((path) => !ignore.excludes(path)).map((path) => `.dockerignore sends ${path} to the builder`),
    ...MUST_SEND.filter((path) => ignore.excludes(path)).map((path) => `.dockerignore leaves out ${path}, which the image needs`),
  ];
}
