import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { sha256Hex } from '../../../src/juhe/ciphers.js';
import { runSimCommand, SIM_USAGE } from '../../../src/cli/sim.js';

const dir = mkdtempSync(join(tmpdir(), 'riskscreen-sim-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture(): { io: { stdout: PassThrough; stderr: PassThrough }; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { io: { stdout, stderr }, out: () => out, err: () => err };
}

async function waitFor(read: () => string, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = read().match(pattern);
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`no ${pattern} in output:\n${read()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('riskscreen sim', () => {
  it('prints its help', async () => {
    const { io, out } = capture();
    expect(await runSimCommand(['--help'], io)).toBe(EXIT.ok);
    expect(out()).toBe(SIM_USAGE);
    for (const flag of ['--port', '--latency-ms', '--error-rate', '--qps', '--quota', '--seed', '--fixtures', '--numbers', '--same-number-window-ms', '--rsa-private-key', '--rsa-public-key-out']) {
      expect(SIM_USAGE).toContain(flag);
    }
  });

  it.each([
    [['--bogus'], EXIT.usage, /Unknown option '--bogus'/],
    [['--qps', 'many'], EXIT.usage, /--qps: "many" is not a whole number/],
    [['--latency-ms', '9-3'], EXIT.usage, /--latency-ms: the range 9-3 runs backwards/],
    [['--error-rate', '12345=0.1'], EXIT.usage, /--error-rate: 12345 is not an error code/],
    [['--log-level', 'loud'], EXIT.usage, /--log-level/],
    [['--qps', '1000001'], EXIT.usage, /--qps: 1000001 is over the ceiling of 1000000/],
    [['--port', '0', '--fixtures', '/nonexistent/fixtures.json'], EXIT.config, /--fixtures: .*cannot be read \(ENOENT\)/],
    [['--port', '0', '--numbers', '/nonexistent/numbers.txt'], EXIT.config, /--numbers: cannot read \/nonexistent\/numbers\.txt \(ENOENT\)/],
    [['--port', '0', '--rsa-private-key', '/nonexistent/key.pem'], EXIT.config, /--rsa-private-key: cannot read \/nonexistent\/key\.pem \(ENOENT\)/],
    [['--port', '0', '--rsa-public-key-out', '/nonexistent/dir/public.pem'], EXIT.config, /--rsa-public-key-out: cannot write/],
    [['--port', '0', '--host', 'nohost.invalid'], EXIT.config, /^riskscreen sim: --host: cannot listen on "nohost\.invalid" \((ENOTFOUND|EAI_AGAIN)/],
    [['--port', '0', '--host', '192.0.2.1'], EXIT.config, /^riskscreen sim: --host: cannot listen on "192\.0\.2\.1" \(EADDRNOTAVAIL/],
    [['--port', '0', '--host', 'fe80::1'], EXIT.config, /^riskscreen sim: --host: cannot listen on "fe80::1" \((EINVAL|EADDRNOTAVAIL)/],
  ])('refuses %j with exit code %i', async (argv, code, message) => {
    const { io, err } = capture();
    expect(await runSimCommand(argv, io)).toBe(code);
    expect(err()).toMatch(message);
  });

  it('runs until stopped, prints where it listens and what it accepts, and serves', async () => {
    const { io, out } = capture();
    const stop = new AbortController();
    const fixtures = join(dir, 'pins.json');
    writeFileSync(fixtures, JSON.stringify({ '13800138000': { status: { state: '1' } } }));
    const running = runSimCommand(['--port', '0', '--seed', 'cli', '--fixtures', fixtures, '--key', 'k', '--openid', 'o'], io, { stop: stop.signal });
    const [, url] = await waitFor(out, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    expect(out()).toContain('EMULATOR (not the real service)');
    expect(out()).toContain('key:            k');
    expect(out()).toContain('openid:         o');
    const [, keyFile] = await waitFor(out, /export JUHE_RSA_PUBLIC_KEY_FILE=(\S+)/);
    expect(existsSync(keyFile!)).toBe(true);
    expect(out()).toContain(`export JUHE_BASE_URL=${url}`);

    const response = await fetch(`${url}/mobile_status/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'key=k&mobile=13800138000',
    });
    expect(response.headers.get('x-riskscreen-emulator')).toBe('1');
    expect(((await response.json()) as { result: { state: string } }).result.state).toBe('1');

    stop.abort();
    expect(await running).toBe(EXIT.ok);
    expect(out()).toMatch(/stopped \(stopped\) after 1 calls, 1 billed, 0 \(endpoint, number\) pairs and 0 \(API, number\) questions billed more than once/);
    expect(existsSync(keyFile!)).toBe(false);
  });

  it('refuses a bad --numbers file or RSA key file with exit 4, naming the file and line', async () => {
    const numbers = join(dir, 'bad-numbers.txt');
    writeFileSync(numbers, '13800138000\n1380013800\n');
    const first = capture();
    expect(await runSimCommand(['--port', '0', '--numbers', numbers], first.io)).toBe(EXIT.config);
    expect(first.err()).toMatch(/^riskscreen sim: --numbers: .*bad-numbers\.txt line 2: "138\*\*\*\*3800" is not an allocated 11-digit mobile number\n$/);
    const key = join(dir, 'garbage.pem');
    writeFileSync(key, 'not a key');
    const second = capture();
    expect(await runSimCommand(['--port', '0', '--rsa-private-key', key], second.io)).toBe(EXIT.config);
    expect(second.err()).toMatch(/^riskscreen sim: --rsa-private-key: .*garbage\.pem is not a PEM private key/);
  });

  it('names --port when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const { io, err } = capture();
      expect(await runSimCommand(['--port', String(port)], io)).toBe(EXIT.config);
      expect(err()).toBe(`riskscreen sim: --port: cannot listen on port ${port} (EADDRINUSE: already in use)\n`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('knows the numbers of --numbers FILE: their hashes are answered as the numbers', async () => {
    const { io, out } = capture();
    const stop = new AbortController();
    const numbers = join(dir, 'numbers.txt');
    writeFileSync(numbers, '18912345678\n13800138000\n');
    const running = runSimCommand(['--port', '0', '--numbers', numbers], io, { stop: stop.signal });
    const [, url] = await waitFor(out, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    expect(out()).toContain('known numbers 2;');
    const response = await fetch(`${url}/mobile_online_sha256_cmcc/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `key=riskscreen-demo-key&mobile=${sha256Hex('18912345678')}`,
    });
    // Known to be China Telecom, so the China Mobile tenure API has no record of it.
    expect(((await response.json()) as { error_code: number }).error_code).toBe(224801);
    stop.abort();
    expect(await running).toBe(EXIT.ok);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('exits cleanly on %s as its own process', async (signal) => {
    const main = fileURLToPath(new URL('./sim-main.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', main, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const [, url] = await waitFor(() => out, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
      expect(out).toContain('key:            riskscreen-demo-key');
      expect(out).toContain('openid:         riskscreen-demo-openid');
      const [, keyFile] = await waitFor(() => out, /export JUHE_RSA_PUBLIC_KEY_FILE=(\S+)/);
      const stats = await fetch(`${url}/__sim/stats`);
      expect(((await stats.json()) as { calls: number }).calls).toBe(0);
      child.kill(signal);
      expect(await exited).toBe(EXIT.ok);
      expect(out).toMatch(new RegExp(`stopped \\(${signal}\\) after 0 calls`));
      expect(existsSync(keyFile!)).toBe(false);
      expect(err).toBe('');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
