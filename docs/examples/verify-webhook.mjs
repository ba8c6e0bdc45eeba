// A receiver for riskscreen webhooks, to copy: it needs Node 20 and nothing else.
// It checks the signature on the raw body, drops repeated deliveries and answers 204.
//
//   RISKSCREEN_WEBHOOK_SECRET=... PORT=8080 node verify-webhook.mjs
//
// See docs/webhooks.md for what is sent and when.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

/** True when `header` (X-Riskscreen-Signature) signs `rawBody` (a Buffer or string) with `secret`, within the tolerance. */
export function verifyRiskscreenSignature(header, rawBody, secret, { toleranceSeconds = 300, now = Date.now() / 1000 } = {}) {
  if (typeof header !== 'string') return false;
  let timestamp;
  const signatures = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && /^\d+$/.test(value ?? '')) timestamp = Number(value);
    if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value ?? '')) signatures.push(Buffer.from(value, 'hex'));
  }
  if (timestamp === undefined || Math.abs(now - timestamp) > toleranceSeconds) return false;
  // HMAC-SHA256 over "<t>.<raw body>", compared in constant time with each v1 entry (more than one while a secret is rotated).
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
  return signatures.some((signature) => signature.length === expected.length && timingSafeEqual(signature, expected));
}

function serve(secret, port) {
  const seen = new Set(); // delivery ids already handled; keep them in your database in production
  const server = createServer((req, res) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= 1024 * 1024) chunks.push(chunk);
    });
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks); // the exact bytes: parse JSON only after verifying
      if (req.method !== 'POST') return res.writeHead(405).end();
      if (size > 1024 * 1024) return res.writeHead(413).end();
      if (!verifyRiskscreenSignature(req.headers['x-riskscreen-signature'], rawBody, secret)) {
        console.log('bad signature: refused');
        return res.writeHead(401).end();
      }
      const delivery = req.headers['x-riskscreen-delivery'];
      if (seen.has(delivery)) {
        console.log(`delivery ${delivery} again: already handled`);
        return res.writeHead(204).end();
      }
      let payload;
      try {
        payload = JSON.parse(rawBody.toString('utf8'));
      } catch {
        return res.writeHead(400).end();
      }
      seen.add(delivery);
      const about = payload.batch ? `batch ${payload.batch.id}` : payload.rejected ? `file ${payload.rejected.file}` : (payload.schedule ?? '');
      console.log(`${req.headers['x-riskscreen-event']} ${about} (delivery ${delivery})`);
      // Answer quickly (within 10 s); do slow work after answering.
      res.writeHead(204).end();
    });
  });
  server.listen(port, () => console.log(`listening on ${server.address().port}`));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const secret = process.env.RISKSCREEN_WEBHOOK_SECRET;
  if (!secret) {
    console.error('set RISKSCREEN_WEBHOOK_SECRET to the secret given to riskscreen');
    process.exit(2);
  }
  serve(secret, Number(process.env.PORT ?? 8080));
}
