/**
 * Serves the web app on PORT (default 3000): builds it first when the bundle is missing or stale, then
 * serves it and proxies /api, /media and /queue to GATEWAY_URL (default http://127.0.0.1:3001).
 */
import { fileURLToPath } from 'node:url';
import { ensureBundle } from './bundle.ts';
import { createWebServer } from './web-server.ts';

const webRoot = fileURLToPath(new URL('..', import.meta.url));
const distDir = fileURLToPath(new URL('../dist', import.meta.url));
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '0.0.0.0';
const gatewayUrl = process.env.GATEWAY_URL ?? 'http://127.0.0.1:3001';
if (!Number.isInteger(port) || port <= 0 || port > 65_535) {
  process.stderr.write(`PORT must be a port number, got "${process.env.PORT}"\n`);
  process.exit(1);
}
const log = (text: string) => process.stdout.write(`${text}\n`);

await ensureBundle(webRoot, distDir, log);
const app = await createWebServer({ distDir, gatewayUrl });
await app.listen({ port, host });
log(`web app on http://localhost:${port} (API through ${gatewayUrl})`);

let closing = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
