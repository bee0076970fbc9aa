import { challengeHeader } from '@tiketi/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestUserService, type TestUserService } from '../src/testing.ts';

describe('user service metrics', () => {
  let service: TestUserService;
  beforeAll(async () => {
    service = await startTestUserService('user-metrics', { bus: true });
  });
  afterAll(() => service.close());

  const pending = async () => {
    const res = await service.app.inject({ url: '/metrics' });
    const match = /^tiketi_outbox_pending\{[^}]*service="user"[^}]*\} (\d+)$/m.exec(res.body);
    return match ? Number(match[1]) : undefined;
  };

  it('exports the outbox backlog: a registration counts until the relay has published it', async () => {
    expect(await pending()).toBe(0);
    for (const n of [1, 2]) {
      const res = await service.app.inject({
        method: 'POST',
        url: '/api/auth/register',
        headers: await challengeHeader({}, 'register'),
        payload: { email: `metrics${n}-${Date.now()}@example.com`, password: 'correct-horse-1', name: 'Fan' },
      });
      expect(res.statusCode).toBe(201);
    }
    // Each registration announces the account and asks for its verification mail.
    expect(await pending()).toBe(4);

    expect(await service.relay?.runOnce()).toBe(4);
    expect(await pending()).toBe(0);
  });
});
