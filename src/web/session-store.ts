/**
 * Console sessions, kept on the server so a logout (or a removed account) ends them at
 * once: in Redis with the queue engine (they survive a restart of the web process and
 * are shared by several), in memory with the local engine. The cookie holds a random
 * id; the store holds only its sha256, so a copy of the store cannot be replayed.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { RedisConnection } from '../shared/redis-url.js';
import type { WebRole } from '../config/options.js';

export interface ConsoleSession {
  user: string;
  role: WebRole;
  /** Sent back in `X-CSRF-Token` with every state-changing request. */
  csrf: string;
  created: number;
  expires: number;
  /** A fingerprint of the password hash it was made with: a new password ends the session. */
  credential?: string;
}

export interface SessionStore {
  /** A new session; answers the cookie's value. */
  create(user: string, role: WebRole, ttlMs: number, credential?: string): Promise<{ id: string; session: ConsoleSession }>;
  get(id: string): Promise<ConsoleSession | null>;
  destroy(id: string): Promise<void>;
  close(): Promise<void>;
}

function digest(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

function newSession(user: string, role: WebRole, ttlMs: number, credential?: string): { id: string; session: ConsoleSession } {
  const now = Date.now();
  return {
    id: randomBytes(32).toString('base64url'),
    session: { user, role, csrf: randomBytes(24).toString('base64url'), created: now, expires: now + ttlMs, ...(credential ? { credential } : {}) },
  };
}

/** The fingerprint of a password hash a session keeps (never the hash itself). */
export function credentialOf(hash: string): string {
  return createHash('sha256').update(hash).digest('hex').slice(0, 16);
}

export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, ConsoleSession>();
  private readonly sweep = setInterval(() => {
    const now = Date.now();
    for (const [key, session] of this.sessions) if (session.expires <= now) this.sessions.delete(key);
  }, 60_000).unref();

  async create(user: string, role: WebRole, ttlMs: number, credential?: string) {
    const made = newSession(user, role, ttlMs, credential);
    this.sessions.set(digest(made.id), made.session);
    return made;
  }

  async get(id: string): Promise<ConsoleSession | null> {
    const session = this.sessions.get(digest(id));
    return session && session.expires > Date.now() ? session : null;
  }

  async destroy(id: string): Promise<void> {
    this.sessions.delete(digest(id));
  }

  async close(): Promise<void> {
    clearInterval(this.sweep);
  }
}

export class RedisSessionStore implements SessionStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {}

  private key(id: string): string {
    return `${this.prefix}:web:session:${digest(id)}`;
  }

  async create(user: string, role: WebRole, ttlMs: number, credential?: string) {
    const made = newSession(user, role, ttlMs, credential);
    await this.redis.set(this.key(made.id), JSON.stringify(made.session), 'PX', ttlMs);
    return made;
  }

  async get(id: string): Promise<ConsoleSession | null> {
    const text = await this.redis.get(this.key(id));
    if (!text) return null;
    const session = JSON.parse(text) as ConsoleSession;
    return session.expires > Date.now() ? session : null;
  }

  async destroy(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }

  async close(): Promise<void> {}
}
