/**
 * A Dockerfile read into stages and instructions, for the image check (no Docker runs
 * here). It knows the syntax this project's Dockerfile uses and says so plainly about
 * anything else: comments and parser directives, `\` line continuations, exec (JSON)
 * and shell forms, FROM ... AS, COPY with --from/--chown/--chmod/--link, ENV key=value
 * (and the old `ENV key value`), HEALTHCHECK options, and the other instructions kept
 * as their raw text. No variable substitution: the Dockerfile uses none, and a `$` in
 * a path or value is refused rather than guessed at.
 */

export class DockerfileError extends Error {
  readonly code = 'RISKSCREEN_DOCKERFILE';
  constructor(
    readonly line: number,
    problem: string,
  ) {
    super(`Dockerfile line ${line}: ${problem}`);
    this.name = 'DockerfileError';
  }
}

/** A command as Docker runs it: exec form (an argv, no shell) or shell form (`/bin/sh -c`). */
export type CommandForm = { form: 'exec'; argv: string[] } | { form: 'shell'; script: string };

interface Base {
  /** The first line of the instruction (1-based). */
  line: number;
}

export type Instruction =
  | (Base & { kind: 'FROM'; image: string; alias: string | null })
  | (Base & { kind: 'WORKDIR'; path: string })
  | (Base & { kind: 'COPY'; from: string | null; chown: string | null; chmod: string | null; sources: string[]; dest: string })
  | (Base & { kind: 'RUN'; command: CommandForm })
  | (Base & { kind: 'ENV'; vars: Array<[string, string]> })
  | (Base & { kind: 'USER'; user: string })
  | (Base & { kind: 'ENTRYPOINT'; command: CommandForm })
  | (Base & { kind: 'CMD'; command: CommandForm })
  | (Base & { kind: 'HEALTHCHECK'; options: Record<string, string>; command: CommandForm | null })
  | (Base & { kind: 'EXPOSE'; ports: string[] })
  | (Base & { kind: 'OTHER'; name: string; text: string });

export interface Stage {
  /** Its index, and its `AS` name if it has one (COPY --from names either). */
  index: number;
  name: string | null;
  image: string;
  line: number;
  instructions: Instruction[];
}

export interface Dockerfile {
  stages: Stage[];
  /** Parser directives (`# syntax=...`) from the top of the file. */
  directives: Record<string, string>;
}

/** Instructions a Dockerfile may hold that this reader keeps as raw text. */
const OTHER_INSTRUCTIONS = new Set(['ARG', 'LABEL', 'VOLUME', 'STOPSIGNAL', 'SHELL', 'ONBUILD', 'ADD', 'MAINTAINER']);

export function parseDockerfile(text: string): Dockerfile {
  const directives: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const { line, text: logical } of logicalLines(text, directives)) {
    const match = /^([A-Za-z]+)(?:\s+([\s\S]*))?$/.exec(logical);
    if (!match) throw new DockerfileError(line, `cannot read ${JSON.stringify(logical.slice(0, 40))}`);
    const name = match[1]!.toUpperCase();
    const rest = (match[2] ?? '').trim();
    const instruction = parseInstruction(name, rest, line);
    if (instruction.kind === 'FROM') {
      stages.push({ index: stages.length, name: instruction.alias, image: instruction.image, line, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new DockerfileError(line, `${name} before the first FROM`);
    stage.instructions.push(instruction);
  }
  if (stages.length === 0) throw new DockerfileError(1, 'no FROM: not a Dockerfile');
  return { stages, directives };
}

/** Lines joined across `\` continuations, without comments and blank lines. */
function logicalLines(text: string, directives: Record<string, string>): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  const lines = text.split(/\r?\n/);
  let directivesOpen = true;
  let current: { line: number; parts: string[] } | null = null;
  lines.forEach((raw, i) => {
    const trimmed = raw.trim();
    if (directivesOpen) {
      const directive = /^#\s*([a-z]+)\s*=\s*(\S+)\s*$/i.exec(trimmed);
      if (directive) {
        directives[directive[1]!.toLowerCase()] = directive[2]!;
        return;
      }
      directivesOpen = false;
    }
    // A comment line, even inside a continued instruction, is dropped (Docker does the same).
    if (trimmed.startsWith('#')) return;
    if (trimmed === '') {
      if (current === null) return;
      // An empty line inside a continuation is also skipped.
      return;
    }
    const continues = /\\\s*$/.test(raw);
    const part = continues ? raw.replace(/\\\s*$/, '') : raw;
    if (current === null) current = { line: i + 1, parts: [] };
    current.parts.push(part.trim());
    if (!continues) {
      out.push({ line: current.line, text: current.parts.join(' ') });
      current = null;
    }
  });
  if (current !== null) {
    const open: { line: number; parts: string[] } = current;
    throw new DockerfileError(open.line, 'the last instruction ends with a line continuation');
  }
  return out;
}

function parseInstruction(name: string, rest: string, line: number): Instruction {
  switch (name) {
    case 'FROM': {
      const words = rest.split(/\s+/).filter((word) => !word.startsWith('--platform='));
      if (words.length === 1) return { kind: 'FROM', line, image: words[0]!, alias: null };
      if (words.length === 3 && words[1]!.toUpperCase() === 'AS') return { kind: 'FROM', line, image: words[0]!, alias: words[2]! };
      throw new DockerfileError(line, `FROM takes an image and an optional "AS name" (got ${JSON.stringify(rest)})`);
    }
    case 'WORKDIR':
      noVariables(rest, line);
      return { kind: 'WORKDIR', line, path: rest };
    case 'COPY':
      return parseCopy(rest, line);
    case 'RUN':
      return { kind: 'RUN', line, command: commandForm(rest, line) };
    case 'ENV':
      return { kind: 'ENV', line, vars: parseEnv(rest, line) };
    case 'USER':
      if (rest === '' || /\s/.test(rest)) throw new DockerfileError(line, `USER takes one user[:group] (got ${JSON.stringify(rest)})`);
      return { kind: 'USER', line, user: rest };
    case 'ENTRYPOINT':
      return { kind: 'ENTRYPOINT', line, command: commandForm(rest, line) };
    case 'CMD':
      return { kind: 'CMD', line, command: commandForm(rest, line) };
    case 'HEALTHCHECK':
      return parseHealthcheck(rest, line);
    case 'EXPOSE':
      return { kind: 'EXPOSE', line, ports: rest.split(/\s+/).filter(Boolean) };
    default:
      if (OTHER_INSTRUCTIONS.has(name)) return { kind: 'OTHER', line, name, text: rest };
      throw new DockerfileError(line, `unknown instruction ${name}`);
  }
}

/** `["a", "b"]` is the exec form; anything else is a shell command. */
export function commandForm(text: string, line: number): CommandForm {
  if (text.startsWith('[')) {
    let argv: unknown;
    try {
      argv = JSON.parse(text);
    } catch {
      // Docker itself falls back to the shell form here, which is almost never what was meant.
      throw new DockerfileError(line, `${JSON.stringify(text)} looks like the exec form but is not a JSON array of strings`);
    }
    if (!Array.isArray(argv) || argv.length === 0 || !argv.every((arg) => typeof arg === 'string')) {
      throw new DockerfileError(line, 'the exec form must be a non-empty JSON array of strings');
    }
    return { form: 'exec', argv: argv as string[] };
  }
  if (text === '') throw new DockerfileError(line, 'an empty command');
  return { form: 'shell', script: text };
}

function parseCopy(rest: string, line: number): Instruction {
  const words = rest.startsWith('[') ? null : rest.split(/\s+/);
  if (!words) throw new DockerfileError(line, 'COPY in the JSON form is not read by this check; use COPY src... dest');
  let from: string | null = null;
  let chown: string | null = null;
  let chmod: string | null = null;
  while (words[0]?.startsWith('--')) {
    const flag = words.shift()!;
    const [key, value] = flag.slice(2).split('=', 2) as [string, string | undefined];
    if (key === 'link') continue;
    if (value === undefined || value === '') throw new DockerfileError(line, `COPY ${flag}: needs a value`);
    if (key === 'from') from = value;
    else if (key === 'chown') chown = value;
    else if (key === 'chmod') chmod = value;
    else throw new DockerfileError(line, `COPY ${flag}: not an option this check knows`);
  }
  if (words.length < 2) throw new DockerfileError(line, 'COPY needs at least one source and a destination');
  for (const word of words) noVariables(word, line);
  const dest = words.pop()!;
  return { kind: 'COPY', line, from, chown, chmod, sources: words, dest };
}

/** `ENV A=1 B="two words"`, or the old one-variable form `ENV A some value`. */
function parseEnv(rest: string, line: number): Array<[string, string]> {
  const vars: Array<[string, string]> = [];
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(rest)) {
    const legacy = /^([A-Za-z_][A-Za-z0-9_]*)\s+(.*)$/.exec(rest);
    if (!legacy) throw new DockerfileError(line, `ENV: cannot read ${JSON.stringify(rest)}`);
    return [[legacy[1]!, legacy[2]!]];
  }
  const pair = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)\s*/y;
  let at = 0;
  while (at < rest.length) {
    pair.lastIndex = at;
    const match = pair.exec(rest);
    if (!match) throw new DockerfileError(line, `ENV: cannot read ${JSON.stringify(rest.slice(at))}`);
    let value = match[2]!;
    if (value.startsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    else if (value.startsWith("'")) value = value.slice(1, -1);
    noVariables(value, line);
    vars.push([match[1]!, value]);
    at = pair.lastIndex;
  }
  return vars;
}

function parseHealthcheck(rest: string, line: number): Instruction {
  if (/^NONE$/i.test(rest)) return { kind: 'HEALTHCHECK', line, options: {}, command: null };
  const options: Record<string, string> = {};
  let text = rest;
  for (;;) {
    const option = /^--([a-z-]+)=(\S+)\s+/.exec(text);
    if (!option) break;
    options[option[1]!] = option[2]!;
    text = text.slice(option[0].length);
  }
  const cmd = /^CMD\s+([\s\S]+)$/i.exec(text);
  if (!cmd) throw new DockerfileError(line, 'HEALTHCHECK needs CMD followed by the command (or NONE)');
  return { kind: 'HEALTHCHECK', line, options, command: commandForm(cmd[1]!.trim(), line) };
}

function noVariables(text: string, line: number): void {
  if (/\$/.test(text)) throw new DockerfileError(line, `${JSON.stringify(text)}: variables are not substituted by this check; write the value`);
}

/** The stage a `COPY --from` names: by `AS` name or by index. */
export function stageNamed(dockerfile: Dockerfile, ref: string): Stage | undefined {
  return dockerfile.stages.find((stage) => stage.name === ref) ?? (/^\d+$/.test(ref) ? dockerfile.stages[Number(ref)] : undefined);
}

/** What the image built from the last stage is: its settings, as `docker inspect` would show them. */
export interface ImageConfig {
  stage: Stage;
  workdir: string;
  user: string;
  env: Record<string, string>;
  entrypoint: CommandForm | null;
  cmd: CommandForm | null;
  healthcheck: Extract<Instruction, { kind: 'HEALTHCHECK' }> | null;
  exposed: string[];
}

/**
 * The final stage's settings. A stage starts from its base image's: for the official
 * node images that is WORKDIR /, USER root, no ENTRYPOINT of consequence (theirs is a
 * script that execs its arguments) and CMD ["node"].
 */
export function imageConfig(dockerfile: Dockerfile): ImageConfig {
  const stage = dockerfile.stages.at(-1)!;
  const config: ImageConfig = { stage, workdir: '/', user: 'root', env: {}, entrypoint: null, cmd: { form: 'exec', argv: ['node'] }, healthcheck: null, exposed: [] };
  for (const instruction of stage.instructions) {
    switch (instruction.kind) {
      case 'WORKDIR':
        config.workdir = instruction.path.startsWith('/') ? instruction.path : `${config.workdir.replace(/\/$/, '')}/${instruction.path}`;
        break;
      case 'USER':
        config.user = instruction.user;
        break;
      case 'ENV':
        for (const [name, value] of instruction.vars) config.env[name] = value;
        break;
      case 'ENTRYPOINT':
        config.entrypoint = instruction.command;
        // Docker: setting ENTRYPOINT resets a CMD inherited from the base image.
        config.cmd = null;
        break;
      case 'CMD':
        config.cmd = instruction.command;
        break;
      case 'HEALTHCHECK':
        config.healthcheck = instruction;
        break;
      case 'EXPOSE':
        config.exposed.push(...instruction.ports);
        break;
      default:
        break;
    }
  }
  return config;
}
