/**
 * A docker-compose.yml service run on this machine from the replayed image: its
 * command and environment with the compose network's names (`redis:6379`) moved to
 * 127.0.0.1 ports, nothing listening beyond loopback, and its healthcheck's command.
 */
import type { ComposeService } from './compose-file.js';
import { fail, sleep, tail, type ImageRunner } from './image-runner.js';

/** Compose's view of a service, moved onto this machine: service names become 127.0.0.1 and the service's port a free one. */
export interface Addresses {
  /** `name:port` in compose -> `127.0.0.1:port` here. */
  [composeAddress: string]: string;
}

export function localEnv(service: ComposeService, addresses: Addresses, overrides: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(service.environment)) {
    let local = value;
    for (const [from, to] of Object.entries(addresses)) local = local.split(`//${from}`).join(`//${to}`);
    // Listen on this machine's loopback only, never on all its interfaces.
    env[name] = local === '0.0.0.0' ? '127.0.0.1' : local;
  }
  return { ...env, ...overrides };
}

export function serviceCommand(service: ComposeService): string[] {
  if (!service.command) fail(`service ${service.name} has no command (the image's CMD would run)`);
  return service.command;
}

/** A compose healthcheck's test as an argv: ["CMD", ...] runs directly, ["CMD-SHELL", s] through sh. */
export function healthcheckArgv(test: string[] | string | undefined): string[] {
  if (test === undefined) fail('no healthcheck test');
  if (typeof test === 'string') return ['/bin/sh', '-c', test];
  if (test[0] === 'CMD') return test.slice(1);
  if (test[0] === 'CMD-SHELL') return ['/bin/sh', '-c', test.slice(1).join(' ')];
  return fail(`healthcheck test ${JSON.stringify(test)} is neither CMD nor CMD-SHELL`);
}

/** Runs a healthcheck command until it passes (Docker's start period), or fails. */
export async function healthy(runner: ImageRunner, name: string, argv: string[], env: Record<string, string>, withinMs: number): Promise<number> {
  const deadline = Date.now() + withinMs;
  let attempts = 0;
  for (;;) {
    attempts++;
    const probe = runner.exec(`${name} healthcheck`, argv, env);
    const code = await probe.exitCode(10_000);
    if (code === 0) return attempts;
    if (Date.now() > deadline) fail(`${argv.join(' ')} exited ${code} after ${attempts} tries: ${tail(probe.output)}`);
    await sleep(1_000);
  }
}
