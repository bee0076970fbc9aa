import { type ServiceName, servicePorts } from '@tiketi/contracts';
import { z } from 'zod';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Which kind of deployment this is. Only `development` (set by `npm start`, the tests and the bench)
 * accepts the public local defaults of secrets; anything else, unset included, is production, so a
 * deployment that forgets to say what it is gets the strict checks rather than working secrets everyone
 * can read in this repository.
 */
export const TIKETI_ENVIRONMENTS = ['development', 'production'] as const;

type SecretRule = { fallback: string; minLength: number };

/** The variables declared with `env.secret`, with the rule each one is held to outside development. */
const secretRules = z.registry<SecretRule>();

/** Long enough that guessing is hopeless: 32 characters of a random token carry well over 128 bits. */
const SECRET_MIN_LENGTH = 32;

/** Environment values are strings; these coerce them with a message that names the variable. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback),
  int: (fallback: number) => z.coerce.number().int().nonnegative().default(fallback),
  url: (fallback: string) => z.url().default(fallback),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  string: (fallback: string) => z.string().min(1).default(fallback),
  /** Where another service answers; defaults to its local port. */
  serviceUrl: (name: ServiceName) => z.url().default(`http://127.0.0.1:${servicePorts[name]}`),
  /**
   * A secret (token, signing key, provider credential, password). The fallback is public, so it works
   * only with TIKETI_ENV=development; elsewhere `loadConfig` refuses it, and any value shorter than
   * `minLength`, naming the variable and never printing the value.
   */
  secret: (fallback: string, options: { minLength?: number } = {}) =>
    z
      .string()
      .min(1)
      .default(fallback)
      .register(secretRules, { fallback, minLength: options.minLength ?? SECRET_MIN_LENGTH }),
  /** Comma-separated addresses, CIDRs or proxy-addr's `loopback`, `linklocal`, `uniquelocal`. */
  addressList: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((list) =>
        list
          .split(',')
          .map((entry) => entry.trim())
          .filter(Boolean),
      )
      .pipe(
        z.array(
          z.union([
            z.enum(['loopback', 'linklocal', 'uniquelocal']),
            z.ipv4(),
            z.ipv6(),
            z.cidrv4(),
            z.cidrv6(),
          ]),
        ),
      ),
  optionalString: () =>
    z
      .string()
      .optional()
      .transform((v) => (v === '' ? undefined : v)),
};

/** What every service reads; each service extends it with its own variables. */
export const baseConfigShape = {
  TIKETI_ENV: z.enum(TIKETI_ENVIRONMENTS).default('production'),
  HOST: env.string('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * The level of each service's one line per request: the gateway logs every request line at `info`
   * already, so behind it the services' own lines are `debug` (set `info` to see them).
   */
  REQUEST_LOG_LEVEL: z.enum(['info', 'debug']).default('debug'),
  /** The PostgreSQL server; each service picks its own database on it with DATABASE_NAME. */
  DATABASE_URL: env.url('postgres://postgres@127.0.0.1:5432/postgres'),
  /**
   * Connections per instance. A seat hold keeps one for three round trips; on a small machine more than
   * about ten per service only adds waiting for CPU inside PostgreSQL. Keep instances × pool size (plus the
   * relay's and the migrator's one each) under the server's max_connections.
   */
  DATABASE_POOL_SIZE: env.int(10),
  /** Appended to every database name: lets a second copy of the platform (tests, bench) run beside the first. */
  DATABASE_SUFFIX: z
    .string()
    .regex(/^[a-z0-9_]*$/)
    .default(''),
  REDIS_URL: env.url('redis://127.0.0.1:6379'),
  REDIS_PREFIX: z.string().default('tiketi:'),
  AMQP_URL: env.url('amqp://guest:guest@127.0.0.1:5672'),
  AMQP_EXCHANGE: env.string('tiketi.events'),
  /** Where the user service publishes its signing keys. */
  JWKS_URL: env.url('http://127.0.0.1:4001/.well-known/jwks.json'),
  BODY_LIMIT_BYTES: env.int(1_048_576),
  /** A request's headers and body must have arrived within this (408 otherwise). */
  REQUEST_TIMEOUT_MS: env.int(30_000),
  /** A request's headers must have arrived within this (408 otherwise). */
  HEADERS_TIMEOUT_MS: env.int(10_000),
  /**
   * Peers whose X-Forwarded-For is believed, comma-separated addresses or CIDRs (or `loopback`): the
   * gateway's addresses in front of a service, the load balancer's in front of the gateway. Empty: nobody.
   */
  TRUSTED_PROXIES: env.addressList('loopback'),
  /**
   * 0: /healthz, /readyz, /metrics and /docs/json on PORT, the last two only with OPS_TOKEN.
   * A port: all four only there, for probes and the metrics scraper inside the cluster.
   */
  OPS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  SHUTDOWN_GRACE_MS: env.int(10_000),
};

/**
 * The shared secret on service-to-service calls to `/internal/*` routes (never routed by the gateway).
 * Only the services that make or answer such calls read it, so the gateway and the services that face
 * uploads and anonymous traffic alone never hold it.
 */
export const internalTokenShape = {
  INTERNAL_TOKEN: env.secret('tiketi-local-internal-token'),
};

/**
 * The bearer token the metrics scraper (and whoever reads the OpenAPI document) sends for `/metrics` and
 * `/docs/json` on a service's PORT. Every service behind the gateway holds it, including those that hold no
 * INTERNAL_TOKEN, and it opens nothing else: the scraper never holds the token that calls `/internal/*`.
 * The gateway has none: its public port serves none of these, its OPS_PORT does.
 */
export const opsTokenShape = {
  OPS_TOKEN: env.secret('tiketi-local-ops-token'),
};

/** What every service behind the gateway reads before its own variables: the base and the operations token. */
export const serviceConfigShape = { ...baseConfigShape, ...opsTokenShape };

/**
 * The gateway's attestation of the access tokens it checked (`TOKEN_ATTESTATION_HEADER`). The gateway and
 * the services of a drop's hot path (the waiting room, the reservation service) hold it, and nothing else:
 * a holder can vouch for any token.
 */
export const tokenAttestationShape = {
  TOKEN_ATTESTATION_KEY: env.secret('tiketi-local-token-attestation-key'),
};

/** Signs waiting-room admission tokens (queue service) and verifies them (reservation service). */
export const queueTokenShape = {
  QUEUE_TOKEN_SECRET: env.secret('tiketi-local-queue-token-secret'),
};

/** The names of the variables of a shape declared with `env.secret`. */
export function secretNames(shape: z.ZodRawShape): string[] {
  return Object.keys(shape).filter((name) => secretRules.has(shape[name] as z.ZodType));
}

/**
 * Outside development a secret must be set to something of its own: the public fallback, or a value too
 * short to resist guessing, is refused. Values are never shown, only their length.
 */
function secretProblems(
  shape: z.ZodRawShape,
  config: Record<string, unknown>,
  source: Record<string, string | undefined>,
): string[] {
  if (source.TIKETI_ENV === 'development') return [];
  const lines: string[] = [];
  for (const name of secretNames(shape)) {
    const rule = secretRules.get(shape[name] as z.ZodType);
    const value = config[name];
    if (!rule || typeof value !== 'string') continue;
    if (value === rule.fallback) {
      lines.push(
        `  ${name}: the local development default works only with TIKETI_ENV=development; set a secret of at least ${rule.minLength} characters`,
      );
    } else if (value.length < rule.minLength) {
      lines.push(
        `  ${name}: too short for a secret outside development; use at least ${rule.minLength} characters (got ${value.length})`,
      );
    }
  }
  return lines;
}

/**
 * Reads the environment once against a schema. A missing or wrong variable stops here, naming every
 * variable at fault, instead of surfacing later as a confusing runtime error.
 */
export function loadConfig<S extends z.ZodRawShape>(
  shape: S,
  source: Record<string, string | undefined> = process.env,
): z.output<z.ZodObject<S>> {
  const secrets = new Set(secretNames(shape));
  const parsed = z.object(shape).safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      const value = source[String(issue.path[0])];
      const shown =
        value === undefined
          ? 'not set'
          : secrets.has(String(issue.path[0]))
            ? `${value.length} characters`
            : `got ${JSON.stringify(value)}`;
      return `  ${name}: ${issue.message} (${shown})`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const refused = secretProblems(shape, parsed.data, source);
  if (refused.length) {
    throw new ConfigError(`Secrets refused outside development (TIKETI_ENV):\n${refused.join('\n')}`);
  }
  return parsed.data;
}

export type BaseConfig = z.output<z.ZodObject<typeof baseConfigShape>>;
