import { ACCESS_TOKEN } from '@tiketi/contracts';
import type { App } from '@tiketi/kit';
import type { KeyStore } from '../domain/signing-keys.ts';

export function jwksRoutes(app: App, keys: KeyStore) {
  app.get(
    ACCESS_TOKEN.jwksPath,
    { schema: { summary: 'Public keys that verify access tokens (JWKS)' } },
    async (_req, reply) => {
      // Short enough that a rotated-in key is seen soon; verifiers also refetch on an unknown kid.
      reply.header('cache-control', 'public, max-age=300');
      return keys.jwks();
    },
  );
}
