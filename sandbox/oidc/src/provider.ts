import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Events, type MutableRedirectUri, type MutableToken, OAuth2Server } from 'oauth2-mock-server';

export type SandboxIdentity = { email: string; name: string; emailVerified: boolean };

export type OidcSandboxOptions = {
  port: number;
  host?: string;
  /** The issuer URL clients are configured with; defaults to http://127.0.0.1:<port>. */
  issuerUrl?: string;
  /** Who signs in when the authorization request names nobody (`login_hint`). */
  defaultUser?: { email: string; name: string };
};

export type OidcSandbox = { issuerUrl: string; stop: () => Promise<void> };

/** A stable subject per email, as a real provider keeps one per account. */
export function sandboxSubject(email: string): string {
  return `sandbox-${createHash('sha256').update(email).digest('hex').slice(0, 24)}`;
}

function nameFromEmail(email: string): string {
  const local = email.split('@')[0] ?? email;
  return local
    .split(/[._+-]+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join(' ');
}

/**
 * Who signs in: the standard `login_hint` (an email) picks the person, so tests and the demo can be anyone;
 * `sandbox_name` and `sandbox_email_verified=false` shape the ID token further.
 */
function identityOf(req: IncomingMessage, fallback: { email: string; name: string }): SandboxIdentity {
  const query = new URL(req.url ?? '/', 'http://sandbox').searchParams;
  const hint = query.get('login_hint')?.trim().toLowerCase();
  const email = hint || fallback.email;
  const name = query.get('sandbox_name') ?? (hint ? nameFromEmail(hint) : fallback.name);
  return { email, name, emailVerified: query.get('sandbox_email_verified') !== 'false' };
}

/**
 * A local OpenID Connect provider standing in for Google (oauth2-mock-server): discovery, JWKS,
 * authorization-code flow with PKCE and nonce, ID tokens carrying `email`, `email_verified` and `name`.
 * `/authorize` signs the person in at once, without a password page.
 */
export async function startOidcSandbox(options: OidcSandboxOptions): Promise<OidcSandbox> {
  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  const fallback = options.defaultUser ?? { email: 'google.fan@tiketi.local', name: 'Google Fan' };
  const byCode = new Map<string, SandboxIdentity>();

  server.service.on(Events.BeforeAuthorizeRedirect, (redirect: MutableRedirectUri, req: IncomingMessage) => {
    const code = redirect.url.searchParams.get('code');
    if (code) byCode.set(code, identityOf(req, fallback));
  });
  server.service.on(Events.BeforeTokenSigning, (token: MutableToken, req: { body?: { code?: unknown } }) => {
    const code = typeof req.body?.code === 'string' ? req.body.code : undefined;
    const identity = code ? byCode.get(code) : undefined;
    if (!identity) return;
    Object.assign(token.payload, {
      sub: sandboxSubject(identity.email),
      email: identity.email,
      email_verified: identity.emailVerified,
      name: identity.name,
    });
  });
  server.service.on(Events.BeforeResponse, (_response: unknown, req: { body?: { code?: unknown } }) => {
    // A code is good for one exchange, as at a real provider.
    if (typeof req.body?.code === 'string') byCode.delete(req.body.code);
  });

  await server.start(options.port, options.host ?? '127.0.0.1');
  const issuerUrl = options.issuerUrl ?? `http://127.0.0.1:${server.address().port}`;
  server.issuer.url = issuerUrl;
  return { issuerUrl, stop: () => server.stop() };
}
