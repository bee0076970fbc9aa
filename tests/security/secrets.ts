import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { INTERNAL_TOKEN_HEADER } from '@tiketi/contracts';
import { attestToken, secretNames, signAdmissionToken, TOKEN_ATTESTATION_HEADER } from '@tiketi/kit';
import { createTestTokens } from '@tiketi/kit/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { repoRoot } from '../../scripts/lib/platform.ts';
import { configShape as admin } from '../../services/admin/src/config.ts';
import { configShape as analytics } from '../../services/analytics/src/config.ts';
import { configShape as event } from '../../services/event/src/config.ts';
import { configShape as gateway } from '../../services/gateway/src/config.ts';
import { configShape as media } from '../../services/media/src/config.ts';
import { configShape as notification } from '../../services/notification/src/config.ts';
import { configShape as payment } from '../../services/payment/src/config.ts';
import { configShape as queue } from '../../services/queue/src/config.ts';
import { configShape as reservation } from '../../services/reservation/src/config.ts';
import { configShape as user } from '../../services/user/src/config.ts';
import { type Account, call } from '../support/api.ts';
import { eventually, type IsolatedPlatform } from '../support/platform.ts';
import { type Proof, proof } from '../support/proof.ts';

/** What anyone who reads this repository knows: the local development defaults. */
const DEFAULT_INTERNAL_TOKEN = 'tiketi-local-internal-token';
const DEFAULT_QUEUE_TOKEN_SECRET = 'tiketi-local-queue-token-secret';
const DEFAULT_TOKEN_ATTESTATION_KEY = 'tiketi-local-token-attestation-key';

/** Every service with a secret of its own, and the variables its configuration declares as secrets. */
const SERVICES_WITH_SECRETS: Record<string, z.ZodRawShape> = {
  user,
  reservation,
  payment,
  queue,
  admin,
  notification,
  event,
  analytics,
  media,
};

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Starts a service as its own process, configured as a production deployment would be but pointing at
 * nothing (port 1), so that it can only refuse to start or fail to connect, and never touch shared data.
 * Answers its exit code and what it printed.
 */
async function startAsProduction(service: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [`${repoRoot}/services/${service}/src/main.ts`], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      TIKETI_ENV: 'production',
      PORT: String(await freePort()),
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres',
      REDIS_URL: 'redis://127.0.0.1:1',
      AMQP_URL: 'amqp://guest:guest@127.0.0.1:1',
      LOG_LEVEL: 'error',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, 90_000);
    // 'close', not 'exit': a process may exit before its pipes have handed over all it printed.
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  return { code, output };
}

/** Issue 17 points 3 and 13: default secrets, and access tokens that outlive their session. */
export function secretsSuite() {
  describe('sec-secrets: no default secret works outside development', () => {
    let p: IsolatedPlatform;
    let api: Proof['api'];
    let alice: Account;

    beforeAll(async () => {
      ({ p, api } = proof());
      alice = await api.signUp('alice-secrets');
    });

    it('sec-secrets-start: a production service with a default or short secret exits, naming each variable', async () => {
      // A few at a time: each start loads a whole service on a machine that also runs the platform. The
      // gateway's one secret is its word for the tokens it checked.
      const services = Object.entries({ ...SERVICES_WITH_SECRETS, gateway });
      while (services.length) {
        await Promise.all(
          services.splice(0, 3).map(async ([service, shape]) => {
            const names = secretNames(shape);
            expect(names.length, `${service} declares no secret`).toBeGreaterThan(0);
            const run = await startAsProduction(service, {});
            expect(run.code, `${service} with the default secrets:\n${run.output}`).toBe(1);
            for (const name of names) {
              expect(run.output, `${service} did not name ${name}`).toMatch(
                new RegExp(`${name}: the local development default works only with TIKETI_ENV=development`),
              );
            }
          }),
        );
      }
      const shortValue = 'Short-Secret-0123';
      const names = secretNames(reservation);
      const short = await startAsProduction(
        'reservation',
        Object.fromEntries(names.map((name) => [name, shortValue])),
      );
      expect(short.code, `reservation with short secrets:\n${short.output}`).toBe(1);
      for (const name of names) expect(short.output).toMatch(new RegExp(`${name}: too short`));
      expect(short.output).not.toContain(shortValue);

      // The same services, given secrets of their own, are the platform every suite here runs against.
      expect(p.env.TIKETI_ENV).toBe('production');
      for (const service of Object.keys(SERVICES_WITH_SECRETS)) {
        expect((await call(p.url(service), 'GET', '/healthz')).status, service).toBe(200);
      }
    }, 300_000);

    it('sec-internal-token: the default internal token confirms nothing and reads no email; the default queue secret admits nobody', async () => {
      const { eventId, seatIds } = await api.onSaleEvent(proof().admin, 2);
      const held = await api.hold(alice, eventId, [seatIds[0] as string]);
      expect(held.status, held.text).toBe(201);
      const reservationId = held.body.reservationId as string;
      const forged = { [INTERNAL_TOKEN_HEADER]: DEFAULT_INTERNAL_TOKEN };

      const confirm = await call(
        p.url('reservation'),
        'POST',
        `/internal/reservations/${reservationId}/confirm`,
        {
          headers: forged,
          body: { paymentId: randomUUID() },
        },
      );
      expect(confirm.status, confirm.text).toBe(403);
      const mine = await api.gw('GET', `/api/reservations/${reservationId}`, { token: alice.token });
      expect(mine.body.status).toBe('PENDING');
      const tickets = await api.gw('GET', '/api/tickets', { token: alice.token });
      expect(tickets.body.items).toEqual([]);

      const email = await call(p.url('user'), 'GET', `/internal/users/${alice.id}`, { headers: forged });
      expect(email.status).toBe(403);
      expect(email.text).not.toContain(alice.email);

      const queued = await api.onSaleEvent(proof().admin, 1, {
        waitingRoom: { enabled: true, admissionRatePerMinute: 60, maxActiveShoppers: 10 },
      });
      const admission = await signAdmissionToken(DEFAULT_QUEUE_TOKEN_SECRET, alice.id, queued.eventId, 300);
      const jumped = await api.gw('POST', '/api/reservations', {
        token: alice.token,
        headers: { 'x-queue-token': admission },
        body: { eventId: queued.eventId, seatIds: queued.seatIds },
      });
      expect(jumped.status, jumped.text).toBe(403);
      expect(jumped.body.code).toBe('QUEUE_ADMISSION_INVALID');
    });

    it("sec-attestation: the gateway's word under the default key, or under none, vouches for no token", async () => {
      // A token of a key the platform never issued, naming Alice: a service that took a word for it
      // without the deployment's own key would let anyone act as anyone.
      const stranger = await createTestTokens();
      const forged = await stranger.sign({ id: alice.id });
      for (const word of [attestToken(DEFAULT_TOKEN_ATTESTATION_KEY, forged), 'vouched']) {
        for (const [service, path] of [
          ['reservation', '/api/reservations'],
          ['queue', `/api/queue/${randomUUID()}/status`],
        ] as const) {
          const res = await call(p.url(service), 'GET', path, {
            token: forged,
            headers: { [TOKEN_ATTESTATION_HEADER]: word },
          });
          expect(res.status, `${service}: ${res.text}`).toBe(401);
        }
        // Through the gateway, the word sent along is dropped and the token checked.
        const through = await api.gw('GET', '/api/reservations', {
          token: forged,
          headers: { [TOKEN_ATTESTATION_HEADER]: word },
        });
        expect(through.status, through.text).toBe(401);
      }
    });
  });

  describe('sec-session-end: an ended session’s access tokens stop within seconds, everywhere', () => {
    let p: IsolatedPlatform;
    let api: Proof['api'];

    beforeAll(() => {
      ({ p, api } = proof());
    });

    /** A route of each service that needs a signed-in caller (an admin's token passes them all). */
    const guarded: [string, string, string][] = [
      ['user', 'GET', '/api/users/me'],
      ['event', 'POST', '/api/artists'],
      ['reservation', 'GET', '/api/tickets'],
      ['payment', 'GET', '/api/payments'],
      ['queue', 'GET', `/api/queue/${randomUUID()}/status`],
      ['analytics', 'GET', '/api/analytics/dashboard'],
      ['admin', 'GET', '/api/admin/users'],
      ['media', 'POST', '/api/media'],
      ['notification', 'GET', '/api/notifications'],
    ];
    const throughGateway = (token: string) => api.gw('GET', '/api/users/me', { token });
    const direct = (token: string, [service, method, path]: [string, string, string]) =>
      call(p.url(service), method, path, { token, body: method === 'POST' ? {} : undefined });

    /**
     * Refused at the gateway and straight at every service, once their short memory of live sessions
     * (two seconds) has passed.
     */
    async function refusedEverywhere(token: string) {
      await eventually(async () => {
        const statuses = [(await throughGateway(token)).status];
        for (const route of guarded) statuses.push((await direct(token, route)).status);
        expect(
          statuses.every((s) => s === 401),
          `statuses: ${statuses.join(' ')}`,
        ).toBe(true);
      }, 10_000);
    }

    it('sec-session-end-logout: after logout the old access token is refused at the gateway and every service', async () => {
      const admin = await api.signUpAdmin();
      expect((await throughGateway(admin.token)).status).toBe(200);
      for (const route of guarded) {
        const before = await direct(admin.token, route);
        expect(before.status, `${route.join(' ')} before logout: ${before.text}`).not.toBe(401);
      }
      const out = await api.gw('POST', '/api/auth/logout', { body: { refreshToken: admin.refreshToken } });
      expect(out.status).toBe(204);
      await refusedEverywhere(admin.token);
    });

    it('sec-session-end-reuse: a refresh family revoked for reuse takes every access token it issued', async () => {
      const dave = await api.signUp('dave');
      const rotated = await api.gw('POST', '/api/auth/refresh', {
        body: { refreshToken: dave.refreshToken },
      });
      expect(rotated.status, rotated.text).toBe(200);
      api.issued.push(rotated.body.accessToken, rotated.body.refreshToken);
      expect((await throughGateway(rotated.body.accessToken)).status).toBe(200);

      const replay = await api.gw('POST', '/api/auth/refresh', { body: { refreshToken: dave.refreshToken } });
      expect(replay.body.code).toBe('REFRESH_TOKEN_REUSED');
      for (const token of [dave.token, rotated.body.accessToken]) {
        await eventually(async () => {
          expect((await throughGateway(token)).status).toBe(401);
          expect((await direct(token, ['reservation', 'GET', '/api/tickets'])).status).toBe(401);
          expect((await direct(token, ['payment', 'GET', '/api/payments'])).status).toBe(401);
        }, 5_000);
      }
    });
  });
}
