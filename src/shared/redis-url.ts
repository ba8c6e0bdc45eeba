/**
 * The forms REDIS_URL takes, read in one place (the config check and the connection
 * both use it):
 *
 *   redis://[user:password@]host[:port][/db]       one Redis server
 *   rediss://...                                   the same over TLS
 *   redis+cluster://[user:password@]h1:p1,h2:p2    a Redis Cluster, by any of its nodes
 *   rediss+cluster://...                           a Redis Cluster over TLS
 *
 * A cluster is named by a few of its nodes (the client learns the rest from them), so
 * its URL holds a list of hosts, which WHATWG URL parsing refuses: hence this reader.
 */
import type { Cluster, Redis } from 'ioredis';

/** A connection to one server or to a cluster: the commands riskscreen uses are the same on both. */
export type RedisConnection = Redis | Cluster;

export interface RedisNode {
  host: string;
  port: number;
}

export interface RedisTarget {
  cluster: boolean;
  tls: boolean;
  /** One node for a single server; the seed nodes for a cluster. */
  nodes: RedisNode[];
  username?: string;
  password?: string;
  /** Database number (a single server only: a cluster has only database 0). */
  db?: number;
}

const SCHEMES: Record<string, { cluster: boolean; tls: boolean }> = {
  'redis:': { cluster: false, tls: false },
  'rediss:': { cluster: false, tls: true },
  'redis+cluster:': { cluster: true, tls: false },
  'rediss+cluster:': { cluster: true, tls: true },
};

export const REDIS_URL_FORMS = 'redis://host:6379, rediss://host:6380 (TLS), redis+cluster://host1:7000,host2:7001 or rediss+cluster://… (a Redis Cluster)';

/** Why a REDIS_URL cannot be read, in words that can follow the option's name. */
export class RedisUrlError extends Error {
  readonly code = 'RISKSCREEN_BAD_REDIS_URL';
  constructor(message: string) {
    super(message);
    this.name = 'RedisUrlError';
  }
}

export function parseRedisUrl(text: string): RedisTarget {
  // The user part ends at the last "@": a password may hold "@", "/", "?" or ":" unescaped.
  const match = /^([a-z+]+:)\/\/(?:(.*)@)?([^/?#@]*)(\/[^?#]*)?(\?[^#]*)?$/i.exec(text.trim());
  if (!match) throw new RedisUrlError(`is not a Redis URL (expected ${REDIS_URL_FORMS})`);
  const [, protocol, auth, hostList, path, query] = match as unknown as [string, string, string | undefined, string, string | undefined, string | undefined];
  const scheme = SCHEMES[protocol.toLowerCase()];
  if (!scheme) throw new RedisUrlError(`must start with redis://, rediss://, redis+cluster:// or rediss+cluster:// (got ${protocol}//)`);
  if (query) throw new RedisUrlError('takes no ?query: TLS is chosen by the scheme (rediss://), a CA file by REDIS_TLS_CA_FILE');
  const hosts = hostList.split(',').map((host) => host.trim());
  if (hosts.length === 0 || hosts.some((host) => host === '')) throw new RedisUrlError('names no host (expected e.g. redis://127.0.0.1:6379)');
  if (!scheme.cluster && hosts.length > 1) throw new RedisUrlError(`names ${hosts.length} hosts; a list of nodes needs redis+cluster:// (or rediss+cluster://)`);
  const nodes = hosts.map(parseNode);
  const target: RedisTarget = { ...scheme, nodes };
  if (auth !== undefined && auth !== '') {
    const colon = auth.indexOf(':');
    const user = decode(colon < 0 ? '' : auth.slice(0, colon));
    const password = decode(colon < 0 ? auth : auth.slice(colon + 1));
    if (user) target.username = user;
    if (password) target.password = password;
  }
  const dbText = (path ?? '').replace(/^\//, '');
  if (dbText !== '') {
    if (!/^\d+$/.test(dbText)) throw new RedisUrlError(`has the path /${dbText}; the only path a Redis URL takes is a database number such as /0`);
    if (scheme.cluster) throw new RedisUrlError('names a database; a Redis Cluster has only database 0, so leave the path out');
    target.db = Number(dbText);
  }
  return target;
}

function parseNode(host: string): RedisNode {
  // [::1]:6379, host:6379, host
  const match = /^(\[[^\]]+\]|[^:[\]%\s]+)(?::(\d+))?$/.exec(host);
  if (!match) throw new RedisUrlError(`has a host "${host}" that is not host or host:port`);
  const port = match[2] === undefined ? 6379 : Number(match[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RedisUrlError(`has the port ${match[2]} for ${match[1]}, outside 1..65535`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new RedisUrlError('has a user or password with a broken %-escape');
  }
}

/** The URL with its password hidden, for messages and logs. */
export function safeRedisUrl(url: string): string {
  return url.replace(/\/\/.*@/, '//***@');
}
