import { randomBytes } from 'node:crypto';
import { createTcpProxy } from '@tiketi/kit/testing';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { TEST_PORT_SHIFT } from '../../scripts/lib/isolated-platform.ts';
import { type Account, client } from './api.ts';
import { type IsolatedPlatform, startPlatformUnderTest } from './platform.ts';

type Proxy = Awaited<ReturnType<typeof createTcpProxy>>;

/**
 * Secrets the platform under test runs with: unique, so a log line holding one is found, and strong
 * enough for production, which is what the platform under test is configured as.
 */
export const SECRETS = {
  INTERNAL_TOKEN: `internal-${randomBytes(16).toString('hex')}`,
  OPS_TOKEN: `ops-${randomBytes(16).toString('hex')}`,
  QUEUE_TOKEN_SECRET: `queue-${randomBytes(16).toString('hex')}`,
  TICKET_SIGNING_SECRET: `ticket-${randomBytes(16).toString('hex')}`,
  TOSS_SECRET_KEY: `test_sk_proof${randomBytes(10).toString('hex')}`,
  GOOGLE_CLIENT_SECRET: `google-${randomBytes(12).toString('hex')}`,
  CHALLENGE_HMAC_KEY: `challenge-${randomBytes(16).toString('hex')}`,
  TOKEN_ATTESTATION_KEY: `attestation-${randomBytes(16).toString('hex')}`,
};

export type Proof = {
  p: IsolatedPlatform;
  api: ReturnType<typeof client>;
  admin: Account;
  /** Every service reaches RabbitMQ and Redis through these, so the tests can cut them. */
  amqpProxy: Proxy;
  redisProxy: Proxy;
  /** The user service's signing key: the tests can mint validly signed tokens with any claims. */
  signingKey: CryptoKey;
  signingJwk: JWK;
};

let current: Proof | undefined;
let proxies: Proxy[] = [];

/** The platform every suite of this folder runs against; only valid inside hooks and tests. */
export function proof(): Proof {
  if (!current) throw new Error('the platform under test is not running');
  return current;
}

/**
 * One copy of the whole platform for the fault, fuzz and security suites, one after the other: three copies
 * at once would take most of PostgreSQL's connections and the CI machine's two cores.
 */
export async function openProof(): Promise<void> {
  const amqpProxy = await createTcpProxy('127.0.0.1', 5672);
  const redisProxy = await createTcpProxy('127.0.0.1', 6379);
  proxies = [amqpProxy, redisProxy];
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const signingJwk: JWK = {
    ...(await exportJWK(pair.privateKey)),
    kid: 'proof-key',
    alg: 'EdDSA',
    use: 'sig',
  };
  const p = await startPlatformUnderTest('proof', {
    portOffset: 20_000 + TEST_PORT_SHIFT,
    env: {
      TIKETI_ENV: 'production',
      ...SECRETS,
      // Not among SECRETS: SEED_DEMO prints the seeded admin's sign-in on purpose (user service main.ts).
      ADMIN_PASSWORD: `admin-${randomBytes(16).toString('hex')}`,
      JWT_PRIVATE_JWK: JSON.stringify(signingJwk),
      AMQP_URL: `amqp://guest:guest@127.0.0.1:${amqpProxy.port}`,
      REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
      // Request logs too: the log scan must see what a production log would hold.
      LOG_LEVEL: 'info',
      REQUEST_LOG_LEVEL: 'info',
      RECONCILE_INTERVAL_MS: '1000',
      RECONCILE_AFTER_MS: '2000',
      // The suites send thousands of requests from one address; the limits have a test of their own.
      RATE_LIMIT_GENERAL: '1000000',
      RATE_LIMIT_AUTH: '1000000',
      RATE_LIMIT_PASSWORD: '1000000',
      RATE_LIMIT_QUEUE_JOIN: '1000000',
      RATE_LIMIT_CHALLENGE: '1000000',
      // Every sign-up and join solves a challenge: the lowest difficulty keeps that cheap.
      CHALLENGE_MAX_NUMBER: '1000',
      LOGIN_RATE_LIMIT_PER_IP: '1000000',
      // Short enough for the slow-client attack to see the cut; far above what any honest request takes.
      REQUEST_TIMEOUT_MS: '5000',
      HEADERS_TIMEOUT_MS: '3000',
    },
  });
  const api = client(p);
  const admin = await api.signUpAdmin();
  current = {
    p,
    api,
    admin,
    amqpProxy,
    redisProxy,
    signingKey: pair.privateKey,
    signingJwk,
  };
}

export async function closeProof(): Promise<void> {
  await current?.p.cleanup();
  for (const proxy of proxies) await proxy.close();
  current = undefined;
}
