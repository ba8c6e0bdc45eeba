/**
 * Processes started from the replayed image as Docker starts a container's: the
 * ENTRYPOINT and the arguments, in the WORKDIR, as the USER, with the image's ENV and
 * nothing of this machine's environment; and what each printed.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { ReplayedImage } from './replay.js';
import { BASE_IMAGE_PATH, resolveUser, spawnInRoot } from './rootfs.js';

/** Ends a check with its reason. */
export function fail(message: string): never {
  throw new Error(message);
}

/** A process started from the image, with what it printed. */
export class Running {
  output = '';
  readonly exited: Promise<number | null>;
  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => {
      child.once('error', (err) => {
        this.output += `\n(could not start: ${err.message})`;
        resolve(null);
      });
      child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : null)));
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitFor(pattern: RegExp, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.output)) {
      if (!this.running) fail(`${this.name} exited (${this.child.exitCode ?? this.child.signalCode}) before printing ${pattern}: ${tail(this.output)}`);
      if (Date.now() > deadline) fail(`${this.name} did not print ${pattern} within ${timeoutMs / 1000} s: ${tail(this.output)}`);
      await sleep(100);
    }
  }

  async exitCode(timeoutMs: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const result = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (result === 'timeout') fail(`${this.name} did not exit within ${timeoutMs / 1000} s: ${tail(this.output)}`);
    return result;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

export function tail(text: string): string {
  const lines = text.trim().split('\n');
  return lines.length === 0 || text.trim() === '' ? '(no output)' : lines.slice(-8).join(' | ');
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts processes as the image does: ENTRYPOINT + arguments, in WORKDIR, as USER, with ENV. */
export class ImageRunner {
  readonly started: Running[] = [];
  constructor(readonly image: ReplayedImage) {}

  get user() {
    return resolveUser(this.image.config.user);
  }

  /** The environment a container of the image starts with, plus the service's. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return { PATH: BASE_IMAGE_PATH, HOME: this.user.home, ...this.image.config.env, ...extra };
  }

  /** `docker run IMAGE args...` (no args: the image's CMD). */
  start(name: string, args: string[] | null, extraEnv: Record<string, string> = {}): Running {
    const { entrypoint, cmd } = this.image.config;
    if (!entrypoint || entrypoint.form !== 'exec') fail('the image has no exec-form ENTRYPOINT');
    const argv = [...entrypoint.argv, ...(args ?? (cmd?.form === 'exec' ? cmd.argv : []))];
    return this.exec(name, argv, extraEnv);
  }

  /** Any argv in a container of the image (a healthcheck's command, `docker exec`). */
  exec(name: string, argv: string[], extraEnv: Record<string, string> = {}): Running {
    const child = spawnInRoot({ root: this.image.root, argv, cwd: this.image.config.workdir, user: this.user, env: this.env(extraEnv) });
    const running = new Running(name, child);
    this.started.push(running);
    return running;
  }

  /** A path of the image, on this machine. */
  path(imagePath: string): string {
    return join(this.image.root, imagePath);
  }
}
