/**
 * docker-compose.yml (and docker-compose.secrets.yml, .env.example) against the code:
 * the variables set are ones riskscreen reads, the commands and flags exist, ports and
 * healthchecks meet what the processes serve, workers can be scaled, the demo is kept
 * apart from the real deployment, volumes and secrets are declared. Docker Compose does
 * not run here; `npm run check:image` runs the services' commands from the image.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../src/cli/main.js';
import { DEFAULT_OPTIONS } from '../../../src/config/options.js';
import { EMULATOR_DEFAULTS } from '../../../src/emulator/index.js';
import { durationMs, loadComposeFile, type ComposeService } from '../../../scripts/image-check/compose-file.js';
import { imageConfig, parseDockerfile } from '../../../scripts/image-check/dockerfile.js';
import { knownEnvNames, OTHER_ENV, ROOT, sourceText } from './known-env.js';

const compose = loadComposeFile(join(ROOT, 'docker-compose.yml'));
const secretsOverlay = loadComposeFile(join(ROOT, 'docker-compose.secrets.yml'));
const image = imageConfig(parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')));
const services = Object.values(compose.services);
/** The services that run the riskscreen image. */
const ours = services.filter((service) => service.image === 'riskscreen:local');
const service = (name: string): ComposeService => compose.services[name] ?? expect.fail(`docker-compose.yml has no ${name} service`);
const arg = (svc: ComposeService, flag: string): string | undefined => {
  const at = svc.command?.indexOf(flag) ?? -1;
  return at === -1 ? undefined : svc.command![at + 1];
};
const urlPort = (url: string): string => new URL(url).port;
const healthUrl = (svc: ComposeService): string => {
  const test = svc.healthcheck?.test;
  const url = Array.isArray(test) ? test.find((word) => /^https?:\/\//.test(word)) : undefined;
  return url ?? expect.fail(`${svc.name}: no healthcheck URL`);
};

describe('docker-compose.yml against the code', () => {
  it('builds one image for every riskscreen service, run under init', () => {
    expect(ours.map((svc) => svc.name).sort()).toEqual(['demo', 'emulator', 'web', 'worker']);
    for (const svc of ours) {
      expect(svc.build, svc.name).toBe('.');
      expect(svc.init, svc.name).toBe(true);
      expect(svc.entrypoint, `${svc.name} keeps the image's ENTRYPOINT`).toBeUndefined();
    }
  });

  it('sets only environment variables riskscreen reads (each of the few outside the options is still in the code)', () => {
    const known = knownEnvNames();
    const source = sourceText();
    for (const name of OTHER_ENV) expect(source, `${name} is read somewhere`).toContain(name);
    for (const svc of [...ours, ...Object.values(secretsOverlay.services)]) {
      expect(Object.keys(svc.environment).filter((name) => !known.has(name)), svc.name).toEqual([]);
    }
  });

  it('runs real commands with flags they accept', async () => {
    for (const svc of ours) {
      const [name, ...args] = svc.command ?? expect.fail(`${svc.name} has no command`);
      const command = COMMANDS[name!] ?? expect.fail(`${svc.name}: "${name}" is not a riskscreen command`);
      const { help } = await command.load();
      for (const flag of args.filter((word) => word.startsWith('--'))) expect(help, `${svc.name}: ${name} ${flag}`).toContain(flag);
    }
  });

  it('keeps workers scalable: no container name, no host port', () => {
    const worker = service('worker');
    expect(worker.containerName).toBeUndefined();
    expect(worker.ports).toEqual([]);
    expect(worker.command).toEqual(['worker']);
  });

  it("serves the worker's metrics where the image's HEALTHCHECK and Prometheus look", () => {
    const worker = service('worker');
    expect(worker.healthcheck, 'the image HEALTHCHECK applies').toBeNull();
    expect(worker.environment.RISKSCREEN_METRICS_PORT).toBe(image.env.RISKSCREEN_METRICS_PORT);
    expect(readFileSync(join(ROOT, 'bin/healthcheck.js'), 'utf8')).toContain(`process.env.RISKSCREEN_METRICS_PORT || ${worker.environment.RISKSCREEN_METRICS_PORT}}/readyz`);
    // Prometheus, in another container, must reach it.
    expect(worker.environment.RISKSCREEN_METRICS_HOST).toBe('0.0.0.0');
    expect(worker.expose).toContain(worker.environment.RISKSCREEN_METRICS_PORT);
  });

  it("publishes the console on the host's loopback, on the port it listens on, and checks /readyz there", () => {
    const web = service('web');
    const port = web.environment.RISKSCREEN_WEB_PORT ?? String(DEFAULT_OPTIONS.web.port);
    expect(web.environment.RISKSCREEN_WEB_HOST, 'reachable from outside its container').toBe('0.0.0.0');
    expect(web.ports).toEqual([`127.0.0.1:${port}:${port}`]);
    expect(healthUrl(web)).toBe(`http://127.0.0.1:${port}/readyz`);
    expect(web.command).toContain('--no-worker');
  });

  it('probes health endpoints the processes serve', () => {
    const routes: Record<string, { file: string; has: (path: string) => string }> = {
      web: { file: 'src/web/server.ts', has: (path) => `app.get('${path}'` },
      sim: { file: 'src/emulator/server.ts', has: (path) => `'GET ${path}'` },
      worker: { file: 'src/metrics/ops-server.ts', has: (path) => `case '${path}'` },
    };
    const probes = [
      ...ours.filter((svc) => svc.healthcheck?.test).map((svc) => ({ command: svc.command![0]!, url: healthUrl(svc) })),
      { command: 'worker', url: `http://127.0.0.1:${image.env.RISKSCREEN_METRICS_PORT}/readyz` },
    ];
    for (const probe of probes) {
      const route = routes[probe.command] ?? expect.fail(`no route table for ${probe.command}`);
      expect(readFileSync(join(ROOT, route.file), 'utf8'), `${probe.command} serves ${probe.url}`).toContain(route.has(new URL(probe.url).pathname));
    }
  });

  it('gives a stopping worker and console longer than RISKSCREEN_SHUTDOWN_TIMEOUT_MS', () => {
    for (const name of ['worker', 'web']) {
      const svc = service(name);
      const timeout = Number(svc.environment.RISKSCREEN_SHUTDOWN_TIMEOUT_MS ?? DEFAULT_OPTIONS.engine.shutdownTimeoutMs);
      expect(durationMs(svc.stopGracePeriod ?? '10s'), name).toBeGreaterThan(timeout + 5_000);
    }
  });

  it('shares one named volume as the data dir of every riskscreen service, and gives the console its config dir', () => {
    const dataDir = image.env.RISKSCREEN_DATA_DIR!;
    const mounts = ours.map((svc) => svc.volumes.find((volume) => volume.split(':')[1] === dataDir) ?? expect.fail(`${svc.name} does not mount ${dataDir}`));
    expect(new Set(mounts.map((volume) => volume.split(':')[0])).size).toBe(1);
    for (const svc of ours) expect(svc.environment.RISKSCREEN_DATA_DIR ?? dataDir, svc.name).toBe(dataDir);
    const configDir = image.env.RISKSCREEN_CONFIG!.replace(/\/[^/]+$/, '');
    expect(service('web').volumes.some((volume) => volume.split(':')[1] === configDir)).toBe(true);
  });

  it('declares every named volume and finds every file it mounts from the checkout', () => {
    for (const svc of services) {
      for (const volume of svc.volumes) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('.') || source.startsWith('/')) expect(existsSync(join(ROOT, source)), `${svc.name} mounts ${source}`).toBe(true);
        else expect(compose.volumes, `${svc.name} uses volume ${source}`).toContain(source);
      }
    }
  });

  it('reads secrets from a .env that may be missing, never from the compose file itself', () => {
    for (const name of ['worker', 'web']) expect(service(name).envFiles, name).toEqual([{ path: '.env', required: false }]);
    for (const name of ['worker', 'web']) {
      for (const secret of ['JUHE_KEY', 'JUHE_OPENID', 'RISKSCREEN_SECRET', 'REDIS_URL_FILE']) expect(service(name).environment[secret], `${name} ${secret}`).toBeUndefined();
    }
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n')).toEqual(expect.arrayContaining(['.env', 'secrets/']));
  });

  it('waits for a healthy Redis, the one REDIS_URL names, with BullMQ\'s settings', () => {
    const redis = service('redis');
    expect(redis.command).toEqual(expect.arrayContaining(['--maxmemory-policy', 'noeviction', '--appendonly', 'yes']));
    for (const svc of ours.filter((s) => s.environment.REDIS_URL)) {
      expect(svc.environment.REDIS_URL, svc.name).toBe('redis://redis:6379');
      expect(svc.dependsOn.redis?.condition, svc.name).toBe('service_healthy');
    }
  });
});

describe('the demo profile', () => {
  const emulator = service('emulator');
  const demo = service('demo');

  it('holds only the emulator and the demo run, and nothing outside it depends on them', () => {
    expect(services.filter((svc) => svc.profiles.includes('demo')).map((svc) => svc.name).sort()).toEqual(['demo', 'emulator']);
    for (const svc of services.filter((s) => s.profiles.length === 0)) {
      expect(Object.keys(svc.dependsOn).filter((dep) => compose.services[dep]?.profiles.length), svc.name).toEqual([]);
    }
    expect(services.filter((svc) => svc.profiles.includes('monitoring')).map((svc) => svc.name).sort()).toEqual(['grafana', 'prometheus']);
  });

  it('points the demo at the emulator with the credentials the emulator accepts', () => {
    const port = arg(emulator, '--port') ?? String(EMULATOR_DEFAULTS.port);
    expect(arg(emulator, '--host')).toBe('0.0.0.0');
    expect(demo.environment.JUHE_BASE_URL).toBe(`http://emulator:${port}`);
    expect(urlPort(healthUrl(emulator))).toBe(port);
    expect(demo.environment.JUHE_KEY).toBe(arg(emulator, '--key') ?? EMULATOR_DEFAULTS.key);
    expect(demo.environment.JUHE_OPENID).toBe(arg(emulator, '--openid') ?? EMULATOR_DEFAULTS.openid);
    // The emulator writes its public key into the shared data volume; the demo reads it from there.
    expect(demo.environment.JUHE_RSA_PUBLIC_KEY_FILE).toBe(arg(emulator, '--rsa-public-key-out'));
    expect(demo.environment.JUHE_RSA_PUBLIC_KEY_FILE!.startsWith(`${image.env.RISKSCREEN_DATA_DIR}/`)).toBe(true);
    expect(demo.dependsOn.emulator?.condition).toBe('service_healthy');
  });

  it('keeps the demo apart from the real deployment: its own key prefix, no .env, no restart', () => {
    expect(demo.environment.RISKSCREEN_PREFIX).toBeDefined();
    expect(demo.environment.RISKSCREEN_PREFIX).not.toBe(DEFAULT_OPTIONS.engine.prefix);
    expect(demo.envFiles).toEqual([]);
    expect(emulator.envFiles).toEqual([]);
    expect(demo.restart).toBe('no');
    expect(demo.command?.slice(0, 2)).toEqual(['run', 'examples/sample-list.csv']);
    expect(existsSync(join(ROOT, 'examples/sample-list.csv'))).toBe(true);
  });
});

describe('the monitoring profile', () => {
  it("mounts the Prometheus config where its rule_files and compose's command expect it", () => {
    const prometheus = service('prometheus');
    expect(prometheus.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    const mounted = prometheus.volumes.map((volume) => volume.split(':')[1]);
    expect(mounted).toEqual(expect.arrayContaining(['/etc/prometheus/prometheus.yml', '/etc/prometheus/alerts.yml']));
    const config = readFileSync(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8');
    expect(config).toMatch(/rule_files:\s*\n\s*- alerts\.yml/);
    // The scrape targets are the compose services on the ports they serve.
    expect(config).toContain(`port: ${service('worker').environment.RISKSCREEN_METRICS_PORT}`);
    expect(config).toContain(`web:${service('web').environment.RISKSCREEN_WEB_PORT}`);
  });

  it('provisions the dashboard file Grafana is given, and Prometheus as the default data source', () => {
    const grafana = service('grafana');
    const dashboardMount = grafana.volumes.find((volume) => volume.startsWith('./deploy/grafana/riskscreen.json:'))!;
    const folder = dashboardMount.split(':')[1]!.replace(/\/[^/]+$/, '');
    expect(readFileSync(join(ROOT, 'deploy/grafana/provisioning/dashboards/riskscreen.yml'), 'utf8')).toContain(`path: ${folder}`);
    const datasource = readFileSync(join(ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8');
    expect(datasource).toContain('url: http://prometheus:9090');
    expect(datasource).toContain('isDefault: true');
  });
});

describe('secrets as files (docker-compose.secrets.yml) and .env.example', () => {
  it('mounts each secret a service names, and points NAME_FILE at it', () => {
    for (const svc of Object.values(secretsOverlay.services)) {
      expect(compose.services[svc.name], `${svc.name} is a service of docker-compose.yml`).toBeDefined();
      for (const secret of svc.secrets) expect(secretsOverlay.secrets[secret], `${svc.name}: secret ${secret}`).toBeDefined();
      for (const [name, value] of Object.entries(svc.environment)) {
        expect(name, `${svc.name}: only NAME_FILE variables`).toMatch(/_FILE$/);
        const secret = value.replace(/^\/run\/secrets\//, '');
        expect(svc.secrets, `${svc.name}: ${name}=${value}`).toContain(secret);
      }
    }
  });

  it('keeps the secret files in the git-ignored secrets/ folder, each one named in the how-to at the top', () => {
    const text = readFileSync(join(ROOT, 'docker-compose.secrets.yml'), 'utf8');
    for (const [name, secret] of Object.entries(secretsOverlay.secrets)) {
      expect(secret.file, name).toBe(`./secrets/${name}`);
      expect(text, `how to make secrets/${name}`).toContain(`secrets/${name}`);
    }
  });

  it('lists in .env.example only variables riskscreen reads (or the compose file interpolates), with no value filled in', () => {
    const text = readFileSync(join(ROOT, '.env.example'), 'utf8');
    const composeText = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    const known = knownEnvNames();
    const entries = [...text.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((match) => ({ name: match[1]!, value: match[2]!, active: !match[0].startsWith('#') }));
    expect(entries.length).toBeGreaterThan(3);
    for (const entry of entries) {
      expect(known.has(entry.name) || composeText.includes(`\${${entry.name}`), entry.name).toBe(true);
      if (entry.active) expect(entry.value, `${entry.name} is left empty`).toBe('');
    }
    expect(entries.filter((entry) => entry.active).map((entry) => entry.name)).toEqual(expect.arrayContaining(['JUHE_KEY', 'RISKSCREEN_SECRET']));
  });
});
