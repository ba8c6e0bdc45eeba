/**
 * The Dockerfile's reader and the image's cheap invariants. `npm run check:image` (a CI
 * step) replays the build itself; this keeps the rules it relies on honest on every run.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contextFiles, openBuildContext } from '../../../scripts/image-check/build-context.js';
import { DockerfileError, imageConfig, parseDockerfile } from '../../../scripts/image-check/dockerfile.js';
import { parseDockerIgnore } from '../../../scripts/image-check/dockerignore.js';
import { dockerfileProblems, dockerignoreProblems } from '../../../scripts/image-check/invariants.js';
import { knownEnvNames, ROOT } from './known-env.js';

const SAMPLE = `# syntax=docker/dockerfile:1
# a comment
FROM node:20-bookworm-slim AS build
RUN apt-get update \\
 # a comment inside a continuation
 && apt-get install -y make
WORKDIR /app
COPY --chown=node:node --chmod=644 a.json b.json ./
ENV A=1 B="two words" C='x y'
ENV LEGACY some value

FROM node:20-bookworm-slim
COPY --from=build --link /app/dist ./dist
USER node
EXPOSE 8080 9464
HEALTHCHECK --interval=15s --timeout=5s CMD ["node", "/app/bin/healthcheck.js"]
ENTRYPOINT ["node", "/app/bin/riskscreen.js"]
CMD ["worker"]
`;

describe('the Dockerfile reader', () => {
  it('reads stages, continuations, both command forms, ENV, COPY flags and HEALTHCHECK options', () => {
    const file = parseDockerfile(SAMPLE);
    expect(file.directives).toEqual({ syntax: 'docker/dockerfile:1' });
    expect(file.stages.map((stage) => [stage.name, stage.image])).toEqual([
      ['build', 'node:20-bookworm-slim'],
      [null, 'node:20-bookworm-slim'],
    ]);
    const [run, workdir, copy, env, legacy] = file.stages[0]!.instructions;
    expect(run).toMatchObject({ kind: 'RUN', line: 4, command: { form: 'shell', script: 'apt-get update && apt-get install -y make' } });
    expect(workdir).toMatchObject({ kind: 'WORKDIR', path: '/app' });
    expect(copy).toMatchObject({ kind: 'COPY', from: null, chown: 'node:node', chmod: '644', sources: ['a.json', 'b.json'], dest: './' });
    expect(env).toMatchObject({ kind: 'ENV', vars: [['A', '1'], ['B', 'two words'], ['C', 'x y']] });
    expect(legacy).toMatchObject({ kind: 'ENV', vars: [['LEGACY', 'some value']] });
    expect(file.stages[1]!.instructions[0]).toMatchObject({ kind: 'COPY', from: 'build', sources: ['/app/dist'], dest: './dist' });

    const config = imageConfig(file);
    expect(config).toMatchObject({ user: 'node', workdir: '/', exposed: ['8080', '9464'] });
    expect(config.entrypoint).toEqual({ form: 'exec', argv: ['node', '/app/bin/riskscreen.js'] });
    expect(config.cmd).toEqual({ form: 'exec', argv: ['worker'] });
    expect(config.healthcheck).toMatchObject({ options: { interval: '15s', timeout: '5s' }, command: { form: 'exec', argv: ['node', '/app/bin/healthcheck.js'] } });
  });

  it('resets an inherited CMD when ENTRYPOINT is set, as Docker does', () => {
    expect(imageConfig(parseDockerfile('FROM node:20-bookworm-slim\nENTRYPOINT ["node", "x.js"]\n')).cmd).toBeNull();
    expect(imageConfig(parseDockerfile('FROM node:20-bookworm-slim\n')).cmd).toEqual({ form: 'exec', argv: ['node'] });
  });

  it.each([
    ['FROM node:20\nCMD ["worker",]\n', /line 2: .*not a JSON array/],
    ['FROM node:20\nFETCH x\n', /line 2: unknown instruction FETCH/],
    ['RUN true\n', /line 1: RUN before the first FROM/],
    ['FROM node:20\nWORKDIR $HOME\n', /variables are not substituted/],
    ['FROM node:20\nRUN true \\\n', /ends with a line continuation/],
    ['# only a comment\n', /no FROM/],
  ])('refuses %j with the line and the problem', (text, problem) => {
    expect(() => parseDockerfile(text)).toThrow(DockerfileError);
    expect(() => parseDockerfile(text)).toThrow(problem);
  });
});

describe('the .dockerignore matcher (moby/patternmatcher rules)', () => {
  it('lets the last matching pattern decide, so an allowlist works', () => {
    const ignore = parseDockerIgnore('*\n!src\n!deploy/image\n**/.env\n');
    expect(ignore.excludes('node_modules/x/index.js')).toBe(true);
    expect(ignore.excludes('src/cli/main.ts')).toBe(false);
    expect(ignore.excludes('src/.env')).toBe(true);
    expect(ignore.excludes('.env')).toBe(true);
    expect(ignore.excludes('deploy/image/a.json')).toBe(false);
    expect(ignore.excludes('deploy/grafana/x.json')).toBe(true);
    expect(ignore.mayReinclude('deploy')).toBe(true);
    expect(ignore.mayReinclude('node_modules')).toBe(false);
  });

  it('matches * within a segment, ** across segments, a folder with everything in it, and a leading /', () => {
    const ignore = parseDockerIgnore('/out\ntest/*.ts\ndocs/**/*.png\n# comment\n\n');
    expect(ignore.excludes('out/demo-data/local.db')).toBe(true);
    expect(ignore.excludes('src/out.ts')).toBe(false);
    expect(ignore.excludes('test/a.ts')).toBe(true);
    expect(ignore.excludes('test/unit/a.ts')).toBe(false);
    expect(ignore.excludes('docs/screenshots/a.png')).toBe(true);
    expect(ignore.excludes('docs/a.png')).toBe(true);
    expect(ignore.excludes('docs/a.md')).toBe(false);
  });
});

describe("riskscreen's Dockerfile and .dockerignore", () => {
  const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const context = openBuildContext(ROOT);

  it('holds the rules: multi-stage, node:20 slim, not root, exec ENTRYPOINT, HEALTHCHECK, no baked secret', () => {
    expect(dockerfileProblems(dockerfile)).toEqual([]);
  });

  it('would be caught breaking them', () => {
    const bad = parseDockerfile('FROM node:22\nENV JUHE_KEY=abc\nENTRYPOINT node bin/riskscreen.js\n');
    expect(dockerfileProblems(bad)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/not multi-stage/),
        expect.stringMatching(/FROM node:22/),
        expect.stringMatching(/runs as root/),
        expect.stringMatching(/shell form/),
        expect.stringMatching(/no HEALTHCHECK/),
        expect.stringMatching(/ENV JUHE_KEY would bake a secret/),
      ]),
    );
  });

  it('keeps local state, secrets and tests out of the build context, and sends what the image needs', () => {
    expect(dockerignoreProblems(context.ignore)).toEqual([]);
  });

  it('finds every file it copies from the context in the context', () => {
    for (const stage of dockerfile.stages) {
      for (const instruction of stage.instructions) {
        if (instruction.kind !== 'COPY' || instruction.from !== null) continue;
        for (const source of instruction.sources) {
          expect(contextFiles(context, source).length, `COPY ${source} (line ${instruction.line})`).toBeGreaterThan(0);
        }
      }
    }
  });

  it("copies the console's page where the compiled code looks for it", () => {
    // static-assets.ts looks from dist/src/web/ three folders up, then src/web/public/.
    expect(readFileSync(join(ROOT, 'src/web/static-assets.ts'), 'utf8')).toContain("'../../../src/web/public/'");
    const runtime = dockerfile.stages.at(-1)!;
    expect(runtime.instructions).toContainEqual(expect.objectContaining({ kind: 'COPY', from: null, sources: ['src/web/public'], dest: './src/web/public' }));
    expect(runtime.instructions).toContainEqual(expect.objectContaining({ kind: 'COPY', from: 'build', sources: ['/app/dist'], dest: './dist' }));
    expect(imageConfig(dockerfile).workdir).toBe('/app');
  });

  it('sets only environment variables riskscreen reads', () => {
    const known = knownEnvNames();
    expect(Object.keys(imageConfig(dockerfile).env).filter((name) => !known.has(name))).toEqual([]);
  });

  it("points the HEALTHCHECK's default at the port the image's worker serves /readyz on", () => {
    const config = imageConfig(dockerfile);
    const healthcheck = readFileSync(join(ROOT, 'bin/healthcheck.js'), 'utf8');
    expect(healthcheck).toContain(`http://127.0.0.1:\${process.env.RISKSCREEN_METRICS_PORT || ${config.env.RISKSCREEN_METRICS_PORT}}/readyz`);
    expect(config.exposed).toEqual(expect.arrayContaining([config.env.RISKSCREEN_METRICS_PORT, '8080']));
    expect(config.healthcheck?.command).toEqual({ form: 'exec', argv: ['node', '/app/bin/healthcheck.js'] });
  });

  it('the healthcheck follows RISKSCREEN_METRICS_PORT: 2xx from /readyz is healthy (exit 0), 503 is not (exit 1)', async () => {
    let ready = true;
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(ready ? 200 : 503).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const check = () =>
      new Promise<number | null>((resolve) => {
        const env: NodeJS.ProcessEnv = { ...process.env, RISKSCREEN_METRICS_PORT: String(port) };
        delete env.RISKSCREEN_HEALTH_URL;
        execFile(process.execPath, [join(ROOT, 'bin/healthcheck.js')], { env }, (error) => resolve(error ? (error.code as number) : 0));
      });
    try {
      expect(await check()).toBe(0);
      ready = false;
      expect(await check()).toBe(1);
      expect(paths).toEqual(['/readyz', '/readyz']);
    } finally {
      server.close();
    }
  });
});
