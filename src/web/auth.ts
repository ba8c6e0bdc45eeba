/**
 * Who is asking, and may they: a bearer token (systems) or a session cookie (people),
 * resolved for every API request; the CSRF check on every state-changing request made
 * with the cookie; and the login, logout and session routes. A session names its user,
 * whose role is read from the accounts at each request, so a removed account or a
 * changed role takes effect at once.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebRole } from '../config/options.js';
import { AccountBook, may, type Permission } from './accounts.js';
import type { Audit } from './audit.js';
import type { LoginThrottle } from './login-throttle.js';
import { decoyHash, sameSecret, tokenDigest, verifyPassword } from './passwords.js';
import { credentialOf, type SessionStore } from './session-store.js';
import { WebError } from './web-error.js';

export const SESSION_COOKIE = 'rs_session';
export const CSRF_HEADER = 'x-csrf-token';

export interface Principal {
  kind: 'user' | 'token';
  name: string;
  role: WebRole;
  /** Cookie sessions only: the session's id and CSRF token. */
  session?: { id: string; csrf: string };
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface AuthSettings {
  accounts: AccountBook;
  sessions: SessionStore;
  throttle: LoginThrottle;
  audit: Audit;
  sessionHours: number;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Who sent the request; null when nobody known did. */
export async function resolvePrincipal(request: FastifyRequest, settings: AuthSettings): Promise<Principal | null> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const token = match ? settings.accounts.tokenByDigest(tokenDigest(match[1]!)) : undefined;
    return token ? { kind: 'token', name: token.name, role: token.role } : null;
  }
  const id = request.cookies[SESSION_COOKIE];
  if (!id) return null;
  const session = await settings.sessions.get(id);
  if (!session) return null;
  // The account as it is now: removed, re-roled, or given a new password since the login.
  const user = settings.accounts.user(session.user);
  if (!user || (session.credential !== undefined && session.credential !== credentialOf(user.hash))) return null;
  return { kind: 'user', name: session.user, role: user.role, session: { id, csrf: session.csrf } };
}

/**
 * The console's API needs a principal, and a state-changing request with the cookie
 * needs the session's CSRF token (a bearer token is never sent by a browser on its own)
 * and, when the browser names one, an Origin of this host.
 */
export async function authenticate(request: FastifyRequest, settings: AuthSettings): Promise<Principal> {
  const principal = await resolvePrincipal(request, settings);
  request.principal = principal;
  if (!principal) throw new WebError('RISKSCREEN_AUTH_REQUIRED', 'log in first (or send a valid API token): no session, or it has ended');
  if (principal.session && !SAFE_METHODS.has(request.method)) checkCsrf(request, principal.session.csrf);
  return principal;
}

function checkCsrf(request: FastifyRequest, expected: string): void {
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let host: string | null = null;
    try {
      host = new URL(origin).host;
    } catch {
      host = null;
    }
    if (host !== request.host) throw new WebError('RISKSCREEN_CSRF', 'this request came from another site; it was refused');
  }
  const sent = request.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || !sameSecret(sent, expected)) {
    throw new WebError('RISKSCREEN_CSRF', `the request lacks the session's CSRF token (header X-CSRF-Token); reload the page and try again`);
  }
}

export function requirePermission(principal: Principal, permission: Permission): void {
  if (may(principal.role, permission)) return;
  const needs = permission === 'admin' ? 'admin' : 'operator or admin';
  throw new WebError('RISKSCREEN_FORBIDDEN', `a ${principal.role} may not do this (it needs the role ${needs})`, { role: principal.role, needs: permission === 'admin' ? ['admin'] : ['operator', 'admin'] });
}

/** The client's address as the audit log and the login throttle see it. */
export function addressOf(request: FastifyRequest): string {
  return request.ip;
}

function setSessionCookie(request: FastifyRequest, reply: FastifyReply, id: string, maxAgeSeconds: number): void {
  reply.setCookie(SESSION_COOKIE, id, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    // Over TLS, or behind a proxy that says so (X-Forwarded-Proto, with web.trustProxy).
    secure: request.protocol === 'https',
    maxAge: maxAgeSeconds,
  });
}

export function registerAuthRoutes(app: FastifyInstance, settings: AuthSettings, sessionInfo: (principal: Principal) => Promise<Record<string, unknown>>): void {
  app.post('/api/login', async (request, reply) => {
    const body = request.body as { name?: unknown; password?: unknown } | undefined;
    // No account name is longer (src/config/validate.ts): a longer one is cut, so it cannot swell the throttle's keys.
    const name = typeof body?.name === 'string' ? body.name.trim().slice(0, 64) : '';
    const password = typeof body?.password === 'string' ? body.password : '';
    if (!name || !password) throw new WebError('RISKSCREEN_BAD_REQUEST', 'give a name and a password', { field: !name ? 'name' : 'password' });
    const address = addressOf(request);
    // Counted before the password is checked: guesses sent in parallel are all counted.
    const wait = await settings.throttle.attempt(name, address);
    if (wait > 0) {
      settings.audit.record({ event: 'login_failed', user: name, why: 'throttled' }, address);
      const seconds = Math.ceil(wait / 1000);
      throw new WebError('RISKSCREEN_LOGIN_THROTTLED', `too many failed logins; try again in ${Math.ceil(seconds / 60)} min`, { retryAfterSeconds: seconds }, { 'retry-after': String(seconds) });
    }
    const user = settings.accounts.user(name);
    // An unknown name costs as much time as a wrong password: names cannot be probed.
    const ok = await verifyPassword(password, user?.hash ?? (await decoyHash()));
    if (!user || !ok) {
      settings.audit.record({ event: 'login_failed', user: name, why: 'unknown_or_wrong_password' }, address);
      throw new WebError('RISKSCREEN_LOGIN_FAILED', 'the name or the password is wrong');
    }
    await settings.throttle.recordSuccess(name, address);
    // A session this browser had before (another user's, say) ends with the new login.
    const previous = request.cookies[SESSION_COOKIE];
    if (previous) await settings.sessions.destroy(previous);
    const ttlMs = settings.sessionHours * 3_600_000;
    const { id, session } = await settings.sessions.create(user.name, user.role, ttlMs, credentialOf(user.hash));
    setSessionCookie(request, reply, id, ttlMs / 1000);
    settings.audit.record({ event: 'login', user: user.name }, address);
    return { user: { name: user.name, role: user.role }, csrfToken: session.csrf };
  });

  app.post('/api/logout', async (request, reply) => {
    const principal = await authenticate(request, settings);
    if (principal.session) {
      await settings.sessions.destroy(principal.session.id);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
    }
    settings.audit.record({ event: 'logout', user: principal.name }, addressOf(request));
    return reply.code(204).send();
  });

  app.get('/api/session', async (request) => {
    const principal = await authenticate(request, settings);
    return {
      user: { name: principal.name, role: principal.role, kind: principal.kind },
      csrfToken: principal.session?.csrf ?? null,
      ...(await sessionInfo(principal)),
    };
  });
}
