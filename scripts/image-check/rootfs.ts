/**
 * A stage's filesystem for the image check, standing in for the base image: a folder
 * with the base image's users (node:20-bookworm-slim has root and node, uid 1000), its
 * writable /tmp and node's home, and the host's /usr (read-only) in place of the base
 * image's Debian and Node. Commands run in it through a private mount namespace and
 * `chroot`, as the user a USER line names, so the image's own paths (/app, /data,
 * /config) are real paths and a file the runtime user cannot read fails as it would in
 * a container. The mounts live only in that namespace: the host never sees them, so
 * removing the folder afterwards cannot reach through to /usr or /dev.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ImageUser {
  uid: number;
  gid: number;
  home: string;
}

/** The users of the official node:20 Debian images (`getent passwd` in node:20-bookworm-slim). */
export const BASE_IMAGE_USERS: Readonly<Record<string, ImageUser>> = {
  root: { uid: 0, gid: 0, home: '/root' },
  node: { uid: 1000, gid: 1000, home: '/home/node' },
};

/** The PATH of the official node images. */
export const BASE_IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A USER value (`node`, `node:node`, `1000:1000`) as numbers. */
export function resolveUser(spec: string): ImageUser {
  const [user, group] = spec.split(':') as [string, string | undefined];
  const known = BASE_IMAGE_USERS[user];
  const uid = known?.uid ?? (/^\d+$/.test(user) ? Number(user) : undefined);
  if (uid === undefined) throw new Error(`USER ${spec}: no such user in the base image (it has ${Object.keys(BASE_IMAGE_USERS).join(', ')})`);
  const gid = group === undefined ? (known?.gid ?? uid) : (BASE_IMAGE_USERS[group]?.gid ?? (/^\d+$/.test(group) ? Number(group) : undefined));
  if (gid === undefined) throw new Error(`USER ${spec}: no such group in the base image`);
  return { uid, gid, home: known?.home ?? '/' };
}

/** Lays out the base image's skeleton in `root`. */
export function makeRootfs(root: string): void {
  mkdirSync(root, { recursive: true });
  // mkdtemp makes 0700 folders; the runtime user must be able to walk from /.
  chmodSync(root, 0o755);
  for (const dir of ['usr', 'proc', 'dev', 'etc', 'root']) mkdirSync(join(root, dir), { recursive: true });
  mkdirSync(join(root, 'tmp'), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
  chmodSync(join(root, 'root'), 0o700);
  // Debian's merged /usr: /bin, /lib and the like are links into /usr; a host without it gets folders (bound below).
  for (const dir of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const host = `/${dir}`;
    if (!existsSync(host)) continue;
    if (lstatSync(host).isSymbolicLink()) symlinkSync(readlinkSync(host), join(root, dir));
    else mkdirSync(join(root, dir), { recursive: true });
  }
  const users = Object.entries(BASE_IMAGE_USERS);
  writeFileSync(join(root, 'etc/passwd'), users.map(([name, u]) => `${name}:x:${u.uid}:${u.gid}::${u.home}:/bin/sh\n`).join(''));
  writeFileSync(join(root, 'etc/group'), users.map(([name, u]) => `${name}:x:${u.gid}:\n`).join(''));
  writeFileSync(join(root, 'etc/hosts'), '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n');
  for (const [, user] of users) {
    if (user.uid === 0) continue;
    mkdirSync(join(root, user.home), { recursive: true });
    chownSync(join(root, user.home), user.uid, user.gid);
  }
}

// Runs in the new mount namespace: bind the host's system folders read-only, give the
// root its own /proc and the host's /dev, then chroot as the user, cd and exec.
const ENTER = `set -e
root=$1; uid=$2; gid=$3; cwd=$4; shift 4
for dir in usr bin sbin lib lib32 lib64 libx32; do
  if [ -d "/$dir" ] && [ ! -L "/$dir" ] && [ -d "$root/$dir" ] && [ ! -L "$root/$dir" ]; then
    mount --bind "/$dir" "$root/$dir"
    mount -o remount,bind,ro "$root/$dir"
  fi
done
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
exec chroot --userspec="$uid:$gid" "$root" /bin/sh -c 'cd "$0" && exec "$@"' "$cwd" "$@"
`;

export interface InRoot {
  root: string;
  argv: string[];
  /** The folder inside the root (an image path such as /app). */
  cwd: string;
  user: ImageUser;
  /** The whole environment: nothing of the host's leaks in. */
  env: Record<string, string>;
  stdio?: StdioOptions;
}

/** Starts `argv` in the root; the process Docker would signal is the one returned (every step execs). */
export function spawnInRoot(run: InRoot): ChildProcess {
  return spawn(
    'unshare',
    ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', ENTER, 'enter-root', run.root, String(run.user.uid), String(run.user.gid), run.cwd, ...run.argv],
    { env: run.env, stdio: run.stdio ?? ['ignore', 'pipe', 'pipe'] },
  );
}

/** Whether any mount point lies under `dir` in this process's namespace (then it must not be removed). */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
}
