import { servicesBehindGateway } from '@tiketi/contracts';
import { internalHeaders } from '@tiketi/kit';
import { challengeHeader, postChunked, slowClient } from '@tiketi/kit/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Account, call } from '../support/api.ts';
import type { IsolatedPlatform } from '../support/platform.ts';
import { type Proof, proof, SECRETS } from '../support/proof.ts';

/** More slow clients than the gateway keeps connections to one service (128). */
const CROWD = 140;

/**
 * The edge of the platform against a hostile client: slow bodies, oversized chunked bodies, the
 * operations endpoints, and services reached without the gateway (docs/reliability.md, invariant 14).
 */
export function edgeSuite() {
  describe('edge: slow clients, unrouted paths and services reached directly', () => {
    let p: IsolatedPlatform;
    let api: Proof['api'];
    let carol: Account;

    beforeAll(async () => {
      ({ p, api } = proof());
      carol = await api.signUp('carol');
    });

    it('edge-slowloris: answers a signed-in request at once while slow bodies outnumber the upstream connections, and cuts the slow clients off', async () => {
      const crowd = Array.from({ length: CROWD }, () =>
        slowClient(`${p.gateway}/api/payments/toss/webhook`, { intervalMs: 1000 }),
      );
      try {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const res = await call(p.gateway, 'GET', '/api/payments', { token: carol.token });
        expect(res.status).toBe(200);
        // Answered while every slow client still held its connection: it did not wait for them to be cut off.
        expect(crowd.filter((client) => !client.open)).toHaveLength(0);
        // Each slow client, whose body would take minutes, is answered 408 (or closed) by the request timeout.
        const ends = await Promise.all(crowd.map((client) => client.ended));
        for (const end of ends) expect([408, undefined]).toContain(end.status);
        expect(ends.filter((end) => end.status === 408).length).toBeGreaterThan(CROWD / 2);
      } finally {
        for (const client of crowd) client.close();
      }
    });

    it('edge-chunked-413: answers an oversized body sent without a Content-Length with 413 problem+json', async () => {
      const chunk = `"${'x'.repeat(64 * 1024)}"`;
      const answer = await postChunked(
        `${p.gateway}/api/payments/toss/request`,
        { authorization: `Bearer ${carol.token}` },
        Array.from({ length: 20 }, () => chunk),
      );
      expect(answer.status).toBe(413);
      expect(answer.type).toMatch(/application\/problem\+json/);
      expect(JSON.parse(answer.body)).toMatchObject({ status: 413, code: 'BODY_TOO_LARGE' });
    });

    it('edge-unrouted: the gateway answers 404 to /metrics, /docs*, /healthz, /readyz and /internal/*, which live on its operations port', async () => {
      for (const path of [
        '/metrics',
        '/docs/json',
        '/docs',
        '/docs/static/index.html',
        '/healthz',
        '/readyz',
      ]) {
        for (const token of [undefined, carol.token]) {
          const res = await call(p.gateway, 'GET', path, { token });
          expect(res.status, path).toBe(404);
        }
      }
      const internal = await call(p.gateway, 'GET', '/internal/users/00000000-0000-7000-8000-000000000000', {
        headers: internalHeaders(SECRETS.INTERNAL_TOKEN),
      });
      expect(internal.status).toBe(404);
      const ops = p.opsUrl('gateway');
      expect(ops).not.toBe(p.gateway);
      expect((await call(ops, 'GET', '/readyz')).status).toBe(200);
      expect((await call(ops, 'GET', '/metrics')).text).toContain('# TYPE http_requests_total counter');
    });

    it('edge-direct: a service reached without the gateway shows metrics and docs only to the operations token', async () => {
      // Every service the gateway stands in front of asks the operations token for metrics and docs.
      for (const service of servicesBehindGateway) {
        for (const path of ['/metrics', '/docs/json']) {
          expect((await call(p.url(service), 'GET', path)).status, `${service} ${path}`).toBe(404);
          // The internal token opens /internal/* only: the scraper never holds it, and it opens no metrics.
          const internal = await call(p.url(service), 'GET', path, {
            headers: internalHeaders(SECRETS.INTERNAL_TOKEN),
          });
          expect(internal.status, `${service} ${path}`).toBe(404);
          const held = await call(p.url(service), 'GET', path, {
            headers: { authorization: `Bearer ${SECRETS.OPS_TOKEN}` },
          });
          expect(held.status, `${service} ${path}`).toBe(200);
        }
        // Probes stay open: they tell nothing worth hiding and the kubelet sends no token.
        expect((await call(p.url(service), 'GET', '/healthz')).status).toBe(200);
      }
    });

    it('edge-direct-login: the user service limits password guesses per account itself, whatever address a direct caller claims', async () => {
      const victim = await api.signUp('dave');
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        const res = await call(p.url('user'), 'POST', '/api/auth/login', {
          body: { email: victim.email, password: `guess-${i}` },
          headers: { 'x-forwarded-for': `198.51.100.${i + 1}` },
        });
        statuses.push(res.status);
      }
      expect(statuses.slice(0, 5).every((status) => status === 401)).toBe(true);
      // Past the account's limit every sign-in needs a solved challenge: each guess costs the guesser one,
      // and the owner is not locked out.
      expect(statuses.slice(5).every((status) => status === 403)).toBe(true);
      const right = await call(p.url('user'), 'POST', '/api/auth/login', {
        body: { email: victim.email, password: victim.password },
      });
      expect(right.status).toBe(403);
      expect(right.body).toMatchObject({ code: 'CHALLENGE_REQUIRED' });
      const solved = await call(p.url('user'), 'POST', '/api/auth/login', {
        body: { email: victim.email, password: victim.password },
        headers: await challengeHeader(p.gateway, 'login'),
      });
      expect(solved.status).toBe(200);
    });
  });
}
