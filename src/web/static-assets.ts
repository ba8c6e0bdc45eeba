/**
 * The page's files, served by riskscreen itself (no CDN, no build step): `index.html`
 * at `/`, and the files of `src/web/public/` at `/assets/<name>`. Only names of one
 * plain shape are served, read from a list made at start, so no request can name a
 * path of its own.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.html': 'text/html; charset=utf-8',
};

export const ASSET_NAME = /^[a-z0-9-]+\.(js|css|svg|ico)$/;

export interface Asset {
  body: Buffer;
  type: string;
}

/** src/web/public/ from the source (tsx) or from dist/src/web/ (built). */
export function publicDir(): string {
  for (const up of ['./public/', '../../../src/web/public/']) {
    const dir = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  throw new Error('the console page (src/web/public/index.html) is missing from this install');
}

export function loadAssets(dir = publicDir()): { index: Asset; assets: Map<string, Asset> } {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    if (ASSET_NAME.test(name)) assets.set(name, { body: readFileSync(join(dir, name)), type: TYPES[extname(name)]! });
  }
  return { index: { body: readFileSync(join(dir, 'index.html')), type: TYPES['.html']! }, assets };
}
