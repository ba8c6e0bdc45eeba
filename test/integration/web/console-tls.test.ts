/**
 * The console serving HTTPS itself (web.tlsCert, web.tlsKey): its session cookie is
 * Secure and it asks browsers to keep to HTTPS (HSTS). A test certificate for 127.0.0.1.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import { PASSWORD, startTestConsole } from '../../support/console.js';

const CERT = new URL('../../fixtures/tls/cert.pem', import.meta.url).pathname;
const KEY = new URL('../../fixtures/tls/key.pem', import.meta.url).pathname;

describe('the console over TLS', () => {
  it('serves HTTPS with a Secure cookie and HSTS', async () => {
    const running = await startTestConsole({ web: { tlsCert: CERT, tlsKey: KEY } });
    const agent = new Agent({ connect: { ca: readFileSync(CERT) } });
    try {
      await running.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = running.app.server.address() as { port: number };
      const response = await request(`https://127.0.0.1:${port}/api/login`, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'otto', password: PASSWORD }),
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      expect(response.statusCode).toBe(200);
      await response.body.json();
      expect(String(response.headers['set-cookie'])).toMatch(/; Secure/);
      expect(String(response.headers['strict-transport-security'])).toMatch(/max-age=\d+/);
    } finally {
      await agent.close();
      await running.close();
    }
  });
});
