import type { AdminUpstream } from '@tiketi/contracts';
import { type AuthOptions, createAuth, createServiceServer, type ServiceDeps } from '@tiketi/kit';
import { createUpstreams } from './clients/upstreams.ts';
import { exportsService } from './domain/exports.service.ts';
import { operationsService } from './domain/operations.service.ts';
import { overviewService } from './domain/overview.service.ts';
import { adminRoutes } from './routes/admin.routes.ts';

export type AdminDeps = ServiceDeps & {
  /** The user service's key set or its JWKS URL (tests pass keys directly). */
  jwks: AuthOptions['jwks'];
  /** Sent on calls to other services' `/internal/*` routes. */
  internalToken: string;
  /** Sessions ended before their tokens expire (the service's Redis); main.ts always passes it. */
  revocations?: AuthOptions['revocations'];
  /** Where each upstream answers. */
  upstreams: Record<AdminUpstream, string>;
  timeoutMs?: number;
  retries?: number;
  refundTimeoutMs?: number;
  now?: () => Date;
};

/** Builds the admin service from its settings; it owns no store and opens nothing itself. */
export async function buildApp(deps: AdminDeps) {
  const { app, metrics } = await createServiceServer('admin', deps);
  const auth = createAuth({
    jwks: deps.jwks,
    internalToken: deps.internalToken,
    revocations: deps.revocations,
  });
  const upstreams = createUpstreams({
    urls: deps.upstreams,
    internalToken: deps.internalToken,
    timeoutMs: deps.timeoutMs ?? 2000,
    retries: deps.retries ?? 1,
    refundTimeoutMs: deps.refundTimeoutMs ?? 15_000,
  });
  adminRoutes(app, auth, {
    overview: overviewService({ upstreams, logger: deps.logger, ...(deps.now ? { now: deps.now } : {}) }),
    operations: operationsService({ upstreams, logger: deps.logger }),
    exports: exportsService({ upstreams, metrics }),
  });
  return app;
}
