/**
 * `npm run check:image`: the Dockerfile and docker-compose.yml checked where Docker
 * cannot run. The Dockerfile's own steps are read and replayed in a fresh temporary
 * folder (scripts/image-check/replay.ts): the build context through .dockerignore, npm
 * in the build stage, the runtime stage's files copied from it, its RUN inside its own
 * root. Then the image is used as Docker would use it: the ENTRYPOINT started with the
 * image's ENV, WORKDIR and USER inside that root (a private mount namespace and chroot,
 * rootfs.ts), as the compose services docker-compose.yml defines (the emulator, the
 * demo run of the sample list, the console, a worker, against a private redis-server),
 * and the HEALTHCHECK commands run against them.
 *
 * What it cannot prove: that the base image is what this machine stands in for it (the
 * host's Node and /usr instead of node:20-bookworm-slim's), that apt-get works in the
 * build stage (skipped: the tools are here), and Docker's networking, volumes and
 * Compose's own parsing (the compose lint test covers what the code expects of it).
 *
 * Needs root (mount namespace, chroot, chown) and redis-server, as CI has. `--keep`
 * leaves the folder for a look.
 */
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseCsv } from 'csv-parse/sync';
import { freePort, spawnRedisServer, type RedisServerProcess } from '../test/support/redis-server.js';
import { contextFiles, openBuildContext } from './image-check/build-context.js';
import { durationMs, loadComposeFile } from './image-check/compose-file.js';
import { parseDockerfile } from './image-check/dockerfile.js';
import { dockerfileProblems, dockerignoreProblems } from './image-check/invariants.js';
import { commandArgv, killRunningSteps, replayDockerfile, type ReplayedImage } from './image-check/replay.js';
import { fail, ImageRunner, tail, type Running } from './image-check/image-runner.js';
import { healthcheckArgv, healthy, localEnv, serviceCommand, type Addresses } from './image-check/compose-local.js';
import { mountsUnder } from './image-check/rootfs.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const keep = process.argv.includes('--keep');
const say = (line: string): void => void process.stdout.write(`${line}\n`);

interface Outcome {
  name: string;
  ok: boolean;
}
const outcomes: Outcome[] = [];

/** One check: its name, pass or fail with the reason; a failure does not stop the others. */
async function check(name: string, run: () => Promise<string | void> | string | void): Promise<boolean> {
  const started = Date.now();
  try {
    const detail = await run();
    outcomes.push({ name, ok: true });
    say(`  ok    ${name}${detail ? `: ${detail}` : ''} (${seconds(started)})`);
    return true;
  } catch (err) {
    outcomes.push({ name, ok: false });
    say(`  FAIL  ${name}: ${(err as Error).message}`);
    return false;
  }
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = lstatSync(path);
    if (stat.isDirectory()) yield* walk(path);
    yield path;
  }
}

async function main(): Promise<number> {
  const started = Date.now();
  if (process.getuid?.() !== 0) {
    say('riskscreen image check: needs root (a mount namespace, chroot and chown stand in for the container); CI runs as root');
    return 2;
  }
  const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const compose = loadComposeFile(join(ROOT, 'docker-compose.yml'));
  const context = openBuildContext(ROOT);
  const workDir = mkdtempSync(join(tmpdir(), 'riskscreen-image-'));
  let redis: RedisServerProcess | null = null;
  let runner: ImageRunner | null = null;
  say(`== image check: the Dockerfile replayed without Docker, in ${workDir}`);
  // Ctrl-C (or CI's end) must not leave the image's processes running or the folder behind.
  const interrupted = (signal: NodeJS.Signals): void => {
    say(`riskscreen image check: ${signal}: stopping`);
    killRunningSteps();
    for (const running of runner?.started ?? []) running.child.kill('SIGKILL');
    void redis?.stop('SIGKILL');
    if (mountsUnder(workDir).length === 0 && !keep) rmSync(workDir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    await check('Dockerfile and .dockerignore rules', () => {
      const problems = [...dockerfileProblems(dockerfile), ...dockerignoreProblems(context.ignore)];
      if (problems.length > 0) fail(problems.join('; '));
      return `${dockerfile.stages.length} stages, build context of ${contextFiles(context).length} files`;
    });

    let image: ReplayedImage | null = null;
    await check('replay of the build', async () => {
      image = await replayDockerfile({ dockerfile, context, workDir, log: say, preferOffline: true });
    });
    if (!image) return summary(started);
    const replayed: ReplayedImage = image;
    const img = new ImageRunner(replayed);
    runner = img;
    const user = img.user;

    say('== the image as built');
    await check('no devDependency in the runtime node_modules', () => {
      const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
      // A devDependency that a runtime package needs too (ajv, under fastify) is not dev-only: the lock says which are.
      const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
      const devOnly = Object.keys(pkg.devDependencies ?? {}).filter((name) => lock.packages[`node_modules/${name}`]?.dev === true);
      const present = devOnly.filter((name) => existsSync(img.path(`/app/node_modules/${name}/package.json`)));
      if (present.length > 0) fail(`found ${present.join(', ')}`);
      if (!existsSync(img.path('/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node'))) fail('better-sqlite3 has no native build');
      return `none of the ${devOnly.length} dev-only of ${Object.keys(pkg.devDependencies ?? {}).length} devDependencies; better-sqlite3 built`;
    });
    await check('no secret or local state in the image', () => {
      const found: string[] = [];
      for (const top of ['/app', '/config', '/data', user.home]) {
        for (const path of walk(img.path(top))) {
          const rel = path.slice(replayed.root.length);
          const base = rel.split('/').at(-1)!;
          const ours = !rel.includes('/node_modules/');
          if (/^\.env($|\.)/.test(base) || base === '.npmrc' || base === 'secrets' || (ours && /\.(pem|key)$/.test(base)) || base === 'local.db' || rel.startsWith('/app/test/')) found.push(rel);
        }
      }
      const config = JSON.parse(readFileSync(img.path(replayed.config.env.RISKSCREEN_CONFIG ?? '/config/riskscreen.config.json'), 'utf8')) as { web?: { users?: unknown[]; tokens?: unknown[] } };
      if ((config.web?.users?.length ?? 0) + (config.web?.tokens?.length ?? 0) > 0) found.push('accounts in the config file');
      if (found.length > 0) fail(found.slice(0, 10).join(', '));
      return `/app holds ${readdirSync(img.path('/app')).sort().join(', ')}`;
    });
    await check(`every file under /app readable by the runtime user (uid ${user.uid})`, () => {
      const closed: string[] = [];
      let files = 0;
      for (const path of walk(img.path('/app'))) {
        const stat = lstatSync(path);
        if (stat.isSymbolicLink()) continue;
        files++;
        const mine = stat.uid === user.uid;
        const need = stat.isDirectory() ? 0o5 : 0o4;
        const bits = mine ? (stat.mode >> 6) & 0o7 : (stat.mode & 0o7);
        if ((bits & need) !== need) closed.push(path.slice(replayed.root.length));
      }
      if (closed.length > 0) fail(`${closed.length} not readable, e.g. ${closed.slice(0, 5).join(', ')}`);
      return `${files} files and folders`;
    });
    await check('the data dir and the config dir belong to the runtime user', () => {
      for (const dir of [replayed.config.env.RISKSCREEN_DATA_DIR ?? '/data', '/config']) {
        const stat = statSync(img.path(dir));
        if (stat.uid !== user.uid) fail(`${dir} is owned by uid ${stat.uid}`);
      }
      return `${replayed.config.env.RISKSCREEN_DATA_DIR}, /config`;
    });

    say(`== the image in use (ENTRYPOINT ${JSON.stringify(replayed.config.entrypoint)}, WORKDIR ${replayed.config.workdir}, USER ${replayed.config.user})`);
    await check('docker run IMAGE --help', async () => {
      const run = img.start('--help', ['--help']);
      const code = await run.exitCode(30_000);
      if (code !== 0 || !/Usage: riskscreen <command>/.test(run.output)) fail(`exit ${code}: ${tail(run.output)}`);
    });
    await check('docker run IMAGE (the default command) --help', async () => {
      const cmd = replayed.config.cmd?.form === 'exec' ? replayed.config.cmd.argv : [];
      const run = img.start('CMD --help', [...cmd, '--help']);
      const code = await run.exitCode(30_000);
      if (code !== 0 || !new RegExp(`Usage: riskscreen ${cmd[0]}`).test(run.output)) fail(`exit ${code}: ${tail(run.output)}`);
      return `CMD ${JSON.stringify(cmd)}`;
    });
    await check("better-sqlite3's native part loads (the local engine's store)", async () => {
      // The compose services below use the queue engine, which never opens SQLite. (`node -e` resolves from the working directory, /app.)
      const script = "const D = require('better-sqlite3'); console.log(new D(':memory:').prepare('select sqlite_version() v').get().v)";
      const run = img.exec('better-sqlite3', ['node', '-e', script]);
      const code = await run.exitCode(30_000);
      if (code !== 0) fail(`exit ${code}: ${tail(run.output)}`);
      return `SQLite ${run.output.trim()}`;
    });
    await check('docker run IMAGE --version', async () => {
      const run = img.start('--version', ['--version']);
      const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
      const code = await run.exitCode(30_000);
      if (code !== 0 || run.output.trim() !== version) fail(`exit ${code}, printed ${JSON.stringify(run.output.trim())}, package.json says ${version}`);
      return version;
    });

    say('== docker-compose.yml services, run from the image (service names -> 127.0.0.1, private redis-server)');
    redis = await spawnRedisServer(await freePort(), workDir, ['--appendonly', 'no', '--maxmemory-policy', 'noeviction']);
    const redisPort = new URL(redis.url).port;
    const emulatorService = compose.services.emulator ?? fail('docker-compose.yml has no emulator service');
    const simPort = String(await freePort());
    const addresses: Addresses = { 'redis:6379': `127.0.0.1:${redisPort}`, 'emulator:8000': `127.0.0.1:${simPort}` };

    let emulator: Running | null = null;
    await check('emulator service starts (demo profile)', async () => {
      const command = serviceCommand(emulatorService).map((arg, i, all) => (all[i - 1] === '--port' ? simPort : all[i - 1] === '--host' ? '127.0.0.1' : arg));
      emulator = img.start('emulator', command, localEnv(emulatorService, addresses, {}));
      await emulator.waitFor(/listening on/, 30_000);
      const probe = healthcheckArgv(emulatorService.healthcheck?.test).map((arg) => arg.replace('127.0.0.1:8000', `127.0.0.1:${simPort}`));
      await healthy(img, 'emulator', probe, {}, 10_000);
      return `${command.join(' ')}; its healthcheck passes`;
    });

    await check('demo service screens examples/sample-list.csv (demo profile)', async () => {
      if (!emulator) fail('the emulator did not start');
      const demo = compose.services.demo ?? fail('docker-compose.yml has no demo service');
      const command = serviceCommand(demo);
      const out = command[command.indexOf('--out') + 1] ?? fail('the demo command has no --out');
      const run = img.start('demo', command, localEnv(demo, addresses, {}));
      const code = await run.exitCode(300_000);
      if (code !== 0) fail(`exit ${code}: ${tail(run.output)}`);
      const rows = (file: string): number => (parseCsv(readFileSync(file), { bom: true, relax_column_count: true }) as unknown[]).length - 1;
      const expected = rows(join(ROOT, 'examples/sample-list.csv'));
      const written = rows(img.path(out));
      if (written !== expected) fail(`${out} has ${written} data rows, the list ${expected}`);
      const manifest = img.path(out.replace(/\.csv$/, '.manifest.json'));
      if (!existsSync(manifest)) fail(`no manifest beside ${out}`);
      if (statSync(img.path(out)).uid !== user.uid) fail(`${out} is not owned by the runtime user`);
      return `${written.toLocaleString('en-US')} rows in ${out}, manifest written`;
    });

    await check('web service starts and its healthcheck passes', async () => {
      const web = compose.services.web ?? fail('docker-compose.yml has no web service');
      const webPort = String(await freePort());
      const env = localEnv(web, addresses, { RISKSCREEN_WEB_PORT: webPort });
      const server = img.start('web', serviceCommand(web), env);
      await server.waitFor(/the console is at/, 30_000);
      const probe = healthcheckArgv(web.healthcheck?.test).map((arg) => arg.replace(`127.0.0.1:${web.environment.RISKSCREEN_WEB_PORT ?? '8080'}`, `127.0.0.1:${webPort}`));
      const tries = await healthy(img, 'web', probe, env, durationMs(web.healthcheck?.start_period ?? '20s'));
      const closedPort = String(await freePort());
      const closed = img.exec('healthcheck of a closed port', probe.map((arg) => arg.replace(`:${webPort}`, `:${closedPort}`)), env);
      const closedCode = await closed.exitCode(10_000);
      if (closedCode !== 1) fail(`the healthcheck against a closed port exited ${closedCode}, not 1`);
      await server.stop();
      return `${probe.slice(-1)[0]} after ${tries} tries; a closed port gives exit 1`;
    });

    await check('worker service: the image HEALTHCHECK passes, SIGTERM stops it cleanly', async () => {
      const worker = compose.services.worker ?? fail('docker-compose.yml has no worker service');
      const healthcheck = replayed.config.healthcheck?.command ?? fail('the image has no HEALTHCHECK');
      if (worker.healthcheck?.test) fail('the worker service overrides the image HEALTHCHECK; the check expects the image one');
      // A port other than the image's 9464, and no RISKSCREEN_HEALTH_URL: the image's check must follow RISKSCREEN_METRICS_PORT.
      const metricsPort = String(await freePort());
      const extra: Record<string, string> = { RISKSCREEN_METRICS_PORT: metricsPort, JUHE_KEY: 'riskscreen-image-check' };
      const env = localEnv(worker, addresses, extra);
      const running = img.start('worker', serviceCommand(worker), env);
      await running.waitFor(/worker \d+ on/, 30_000);
      const start = healthcheckOption(replayed, 'start-period', '20s');
      const tries = await healthy(img, 'worker', commandArgv(healthcheck), env, durationMs(start));
      const grace = durationMs(worker.stopGracePeriod ?? '10s');
      const stopping = Date.now();
      running.child.kill('SIGTERM');
      const code = await running.exitCode(grace);
      if (code !== 0) fail(`exit ${code} on SIGTERM: ${tail(running.output)}`);
      return `ready after ${tries} tries on RISKSCREEN_METRICS_PORT=${metricsPort} (the image's check follows it); stopped with 0 in ${seconds(stopping)} (stop_grace_period ${worker.stopGracePeriod})`;
    });
  } finally {
    for (const running of runner?.started ?? []) await running.stop();
    await redis?.stop('SIGTERM');
    const mounted = mountsUnder(workDir);
    if (mounted.length > 0) say(`riskscreen image check: ${workDir} is left in place: mounts under it (${mounted.join(', ')})`);
    else if (keep) say(`== kept ${workDir} (--keep)`);
    else rmSync(workDir, { recursive: true, force: true });
  }
  return summary(started);
}

function healthcheckOption(image: ReplayedImage, name: string, fallback: string): string {
  return image.config.healthcheck?.options[name] ?? fallback;
}

function summary(started: number): number {
  const failed = outcomes.filter((outcome) => !outcome.ok);
  say(`== image check took ${seconds(started)}`);
  if (failed.length > 0) say(`failed: ${failed.map((outcome) => outcome.name).join('; ')}`);
  say(`image-check: ${outcomes.length - failed.length} passed, ${failed.length} failed`);
  return failed.length > 0 ? 1 : 0;
}

process.exitCode = await main().catch((err: unknown) => {
  say(`riskscreen image check: ${(err as Error).stack ?? String(err)}`);
  return 1;
});
