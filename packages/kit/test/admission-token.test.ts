import { randomUUID } from 'node:crypto';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { signAdmissionToken, verifyAdmissionToken } from '../src/auth.ts';

describe('kit auth: waiting-room admission tokens', () => {
  const secret = `admission-${randomUUID()}`;
  const userId = randomUUID();
  const eventId = randomUUID();

  it('takes a token for its own user and event only, and none under another secret', async () => {
    const token = await signAdmissionToken(secret, userId, eventId, 600);
    const claims = await verifyAdmissionToken(secret, token, userId, eventId);
    expect(claims).toMatchObject({ userId, eventId });
    expect(claims.expiresAt.getTime()).toBeGreaterThan(Date.now() + 590_000);
    for (const [what, check] of [
      ['another user', () => verifyAdmissionToken(secret, token, randomUUID(), eventId)],
      ['another event', () => verifyAdmissionToken(secret, token, userId, randomUUID())],
      ['another secret', () => verifyAdmissionToken(`${secret}-other`, token, userId, eventId)],
      ['an altered token', () => verifyAdmissionToken(secret, `${token}x`, userId, eventId)],
    ] as const) {
      await expect(check(), what).rejects.toMatchObject({ status: 403, code: 'QUEUE_ADMISSION_INVALID' });
    }
    await expect(verifyAdmissionToken(secret, undefined, userId, eventId)).rejects.toMatchObject({
      status: 403,
      code: 'QUEUE_ADMISSION_REQUIRED',
    });
  });

  it('refuses a token past its lifetime', async () => {
    const token = await signAdmissionToken(secret, userId, eventId, -1);
    await expect(verifyAdmissionToken(secret, token, userId, eventId)).rejects.toMatchObject({
      code: 'QUEUE_ADMISSION_INVALID',
    });
  });

  it('imports the secret as a key once, not for every token it signs or checks', async () => {
    const fresh = `admission-${randomUUID()}`;
    const imports = vi.spyOn(crypto.subtle, 'importKey');
    onTestFinished(() => imports.mockRestore());
    for (let i = 0; i < 20; i++) {
      const token = await signAdmissionToken(fresh, userId, eventId, 600);
      await verifyAdmissionToken(fresh, token, userId, eventId);
    }
    expect(imports.mock.calls.length).toBeLessThanOrEqual(1);
  });
});
