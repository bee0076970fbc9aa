import httpProxy from '@fastify/http-proxy';
import type { ServiceName } from '@tiketi/contracts';
import { createServer, HttpProblem, type Logger, type ReadinessCheck } from '@tiketi/kit';
import { routeTable } from './route-table.ts';

export type GatewayDeps = {
  logger: Logger;
  upstreams: Partial<Record<ServiceName, string>>;
  readiness?: Record<string, ReadinessCheck>;
  upstreamTimeoutMs?: number;
};

/** The one public API: routes each path prefix to the service that owns it. */
export async function buildApp(deps: GatewayDeps) {
  const { app } = await createServer({
    name: 'gateway',
    logger: deps.logger,
    readiness: deps.readiness ?? {},
  });
  for (const route of routeTable) {
    const upstream = deps.upstreams[route.service];
    if (!upstream) continue;
    await app.register(httpProxy, {
      upstream,
      prefix: route.prefix,
      rewritePrefix: route.prefix,
      websocket: route.websocket ?? false,
      disableRequestLogging: true,
      http: { requestOptions: { timeout: deps.upstreamTimeoutMs ?? 10_000 } },
      replyOptions: {
        rewriteRequestHeaders: (req, headers) => ({ ...headers, 'x-request-id': req.id }),
        onError: (reply, { error }) => {
          const status = (error as { statusCode?: number }).statusCode === 504 ? 504 : 503;
          const problem = new HttpProblem(
            status,
            'UPSTREAM_UNAVAILABLE',
            `The ${route.service} service is not answering; please try again.`,
          );
          reply.log.warn({ err: (error as Error).message, service: route.service }, 'upstream failed');
          void reply.code(status).type('application/problem+json').send(problem.toProblem(reply.request.url));
        },
      },
    });
  }
  return app;
}
