/**
 * Who may use the console: `web.users` and `web.tokens` of the config file, read again
 * when the file changes, so `riskscreen user add` (or removing a line) takes effect
 * without a restart; sessions of a removed or re-roled account end at their next request.
 */
import { statSync } from 'node:fs';
import type { Logger } from 'pino';
import type { WebOptions, WebRole, WebToken, WebUser } from '../config/options.js';

export type Permission = 'view' | 'operate' | 'admin';

/** What each role may do: viewers see batches and counts, operators work them, admins also see the queues. */
export const ROLE_PERMISSIONS: Readonly<Record<WebRole, readonly Permission[]>> = {
  viewer: ['view'],
  operator: ['view', 'operate'],
  admin: ['view', 'operate', 'admin'],
};

export function may(role: WebRole, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}

export class AccountBook {
  private users: WebUser[];
  private tokens: WebToken[];
  private seenMtime: number | null;

  /**
   * @param file the config file the accounts come from (null: fixed, as in tests)
   * @param reload reads the accounts again (the whole configuration, checked)
   */
  constructor(
    initial: Pick<WebOptions, 'users' | 'tokens'>,
    private readonly file: string | null,
    private readonly reload: () => Pick<WebOptions, 'users' | 'tokens'>,
    private readonly logger: Logger,
  ) {
    this.users = initial.users;
    this.tokens = initial.tokens;
    this.seenMtime = this.mtime();
  }

  private mtime(): number | null {
    if (!this.file) return null;
    try {
      return statSync(this.file).mtimeMs;
    } catch {
      return null;
    }
  }

  private fresh(): void {
    if (!this.file) return;
    const mtime = this.mtime();
    if (mtime === this.seenMtime) return;
    this.seenMtime = mtime;
    try {
      ({ users: this.users, tokens: this.tokens } = this.reload());
      this.logger.info({ users: this.users.length, tokens: this.tokens.length }, 'console accounts read again from the config file');
    } catch (err) {
      // A half-edited file must not lock everyone out: the accounts read last stay.
      this.logger.error({ err }, 'the config file changed but cannot be read; the accounts read before stay in force');
    }
  }

  user(name: string): WebUser | undefined {
    this.fresh();
    return this.users.find((user) => user.name === name);
  }

  tokenByDigest(sha256: string): WebToken | undefined {
    this.fresh();
    return this.tokens.find((token) => token.sha256 === sha256);
  }
}
