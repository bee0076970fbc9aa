import httpProxy from '@fastify/http-proxy';
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';

/**
 * The browser talks to one origin: this server serves the built app and passes the API, the media and
 * the waiting room's websocket on to the gateway, so no CORS is needed and cookies/CSP stay simple.
 */
export const PROXIED_PREFIXES = [
  { prefix: '/api', websocket: false },
  { prefix: '/media', websocket: false },
  { prefix: '/queue', websocket: true },
] as const;

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // Chart and seat-map libraries set style attributes.
  "style-src 'self' 'unsafe-inline'",
  // QR codes are data: URLs; posters come through /media on this origin.
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export async function createWebServer(options: { distDir: string; gatewayUrl: string; logger?: boolean }) {
  const app = Fastify({ logger: options.logger ?? false, trustProxy: false });

  app.addHook('onSend', async (req, reply, payload) => {
    if (PROXIED_PREFIXES.some(({ prefix }) => req.url === prefix || req.url.startsWith(`${prefix}/`))) {
      return payload;
    }
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'strict-origin-when-cross-origin');
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('text/html')) {
      reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
      reply.header('x-frame-options', 'DENY');
      reply.header('cache-control', 'no-cache');
    }
    return payload;
  });

  for (const { prefix, websocket } of PROXIED_PREFIXES) {
    await app.register(httpProxy, {
      upstream: options.gatewayUrl,
      prefix,
      rewritePrefix: prefix,
      websocket,
      disableRequestLogging: true,
    });
  }

  await app.register(fastifyStatic, {
    root: options.distDir,
    wildcard: false,
    index: false,
    // Caching is decided here: hashed assets forever, the app shell never (see onSend).
    cacheControl: false,
    setHeaders: (res, path) => {
      // Vite names assets by content hash: they never change under the same name.
      if (path.includes('/assets/')) res.setHeader('cache-control', 'public, max-age=31536000, immutable');
    },
  });

  // Every other GET is a route of the single-page app.
  app.setNotFoundHandler((req, reply) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return reply.code(404).type('text/plain').send('Not found');
    }
    if (/\.[a-z0-9]+$/i.test(req.url.split('?')[0] ?? '')) {
      return reply.code(404).type('text/plain').send('Not found');
    }
    return reply.type('text/html; charset=utf-8').sendFile('index.html');
  });
  return app;
}
