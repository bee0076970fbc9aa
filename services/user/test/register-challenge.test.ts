import { CHALLENGE_HEADER } from '@tiketi/contracts';
import { challengeHeader } from '@tiketi/kit/testing';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestUserService, type TestUserService } from '../src/testing.ts';

describe('user service: registering needs a solved bot-defence challenge', () => {
  let service: TestUserService;
  beforeAll(async () => {
    service = await startTestUserService('user-challenge');
  });
  afterAll(() => service.close());

  let counter = 0;
  const register = (headers: Record<string, string>) =>
    service.app.inject({
      method: 'POST',
      url: '/api/auth/register',
      headers,
      payload: {
        email: `bot${++counter}-${Date.now()}@example.com`,
        password: 'correct-horse-1',
        name: 'Bot',
      },
    });

  it('refuses a registration without a solution as CHALLENGE_REQUIRED and creates no account', async () => {
    const res = await register({});
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 403, code: 'CHALLENGE_REQUIRED' });
    const users = await service.db.selectFrom('users').select('id').where('name', '=', 'Bot').execute();
    expect(users).toEqual([]);
  });

  it('takes a register solution once, and refuses a join solution, a foreign key and garbage', async () => {
    const solution = await challengeHeader({}, 'register');
    expect((await register(solution)).statusCode).toBe(201);
    expect((await register(solution)).json()).toMatchObject({ code: 'CHALLENGE_FAILED' });
    for (const header of [
      await challengeHeader({}, 'join', uuidv7()),
      await challengeHeader({ hmacKey: 'someone-elses-key' }, 'register'),
      { [CHALLENGE_HEADER]: 'bm90IGpzb24=' },
    ]) {
      const res = await register(header);
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('CHALLENGE_FAILED');
    }
  });

  it('checks the body before the challenge, so a typo does not spend a solution', async () => {
    const solution = await challengeHeader({}, 'register');
    const typo = await service.app.inject({
      method: 'POST',
      url: '/api/auth/register',
      headers: solution,
      payload: { email: 'not-an-email', password: 'correct-horse-1', name: 'Bot' },
    });
    expect(typo.statusCode).toBe(400);
    // The password rules beyond the schema's are checked before the challenge too.
    for (const password of ['          ', 'same-as-mail@example.com']) {
      const refused = await service.app.inject({
        method: 'POST',
        url: '/api/auth/register',
        headers: solution,
        payload: { email: 'same-as-mail@example.com', password, name: 'Bot' },
      });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().errors[0].field).toBe('body.password');
    }
    expect((await register(solution)).statusCode).toBe(201);
  });
});
