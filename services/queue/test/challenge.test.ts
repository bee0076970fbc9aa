import { type AltchaChallenge, CHALLENGE_HEADER, encodeAltchaPayload } from '@tiketi/contracts';
import { createRedis, issueChallenge, solveAltcha } from '@tiketi/kit';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it, onTestFinished } from 'vitest';
import { challengeDifficulty } from '../src/domain/bot-defence.ts';
import { eventually, publishedEvent, queueSuite } from './support.ts';

describe('bot defence on the waiting room, through the gateway', () => {
  const { config, gateway, user, announce, redis } = queueSuite(
    'queue-challenge',
    { CHALLENGE_MAX_NUMBER: 2_000, CHALLENGE_SPIKE_JOINS_PER_SECOND: 1, CHALLENGE_SPIKE_MAX_FACTOR: 4 },
    { gateway: true },
  );

  async function sale(options: Parameters<typeof publishedEvent>[0] = {}, maxNumber?: number) {
    const event = publishedEvent(options);
    if (maxNumber) event.waitingRoom.challengeMaxNumber = maxNumber;
    return (await announce(event)).eventId;
  }
  const fan = async () => (await user()).token;
  const challenge = async (query: string) => {
    const res = await fetch(`${gateway.url}/api/challenge?${query}`);
    return {
      status: res.status,
      headers: res.headers,
      body: (await res.json()) as AltchaChallenge & { code?: string },
    };
  };
  const join = async (eventId: string, token: string, altcha?: string) => {
    const res = await fetch(`${gateway.url}/api/queue/${eventId}/join`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        ...(altcha === undefined ? {} : { [CHALLENGE_HEADER]: altcha }),
      },
    });
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      body: (await res.json()) as { code?: string },
    };
  };
  const solved = async (eventId: string) =>
    solveAltcha((await challenge(`purpose=join&eventId=${eventId}`)).body);

  it('answers a signed ALTCHA challenge to anyone, never cached, and refuses a malformed ask', async () => {
    const eventId = uuidv7();
    const res = await challenge(`purpose=join&eventId=${eventId}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(res.body).sort()).toEqual([
      'algorithm',
      'challenge',
      'maxnumber',
      'salt',
      'signature',
    ]);
    expect(res.body).toMatchObject({ algorithm: 'SHA-256', maxnumber: 2_000 });
    expect((await challenge('purpose=register')).status).toBe(200);
    expect((await challenge('purpose=login')).body).toMatchObject({ maxnumber: 2_000 });
    for (const bad of [
      'purpose=join',
      `purpose=register&eventId=${eventId}`,
      `purpose=login&eventId=${eventId}`,
      'purpose=buy',
      'purpose=join&eventId=x',
    ]) {
      const refused = await challenge(bad);
      expect(refused.status, bad).toBe(400);
      expect(refused.body.code).toBe('VALIDATION_FAILED');
    }
  });

  it('refuses a join without a solution as CHALLENGE_REQUIRED, and takes a correct solution once', async () => {
    const eventId = await sale();
    const token = await fan();
    const missing = await join(eventId, token);
    expect(missing.status).toBe(403);
    expect(missing.type).toMatch(/application\/problem\+json/);
    expect(missing.body.code).toBe('CHALLENGE_REQUIRED');

    const altcha = await solved(eventId);
    expect((await join(eventId, token, altcha)).status).toBe(201);
    const reused = await join(eventId, token, altcha);
    expect(reused.status).toBe(403);
    expect(reused.body).toMatchObject({
      code: 'CHALLENGE_FAILED',
      detail: expect.stringMatching(/used already/),
    });
    // Another fan replaying the same solution gets nothing either.
    expect((await join(eventId, await fan(), altcha)).body.code).toBe('CHALLENGE_FAILED');
  });

  it('refuses garbage, a wrong number, a forged or expired challenge and one for another purpose or event', async () => {
    const eventId = await sale();
    const other = await sale();
    const token = await fan();
    const fresh = (await challenge(`purpose=join&eventId=${eventId}`)).body;
    const right = JSON.parse(atob(await solveAltcha(fresh))) as { number: number };
    const forged = issueChallenge(
      { hmacKey: 'not-the-key', ttlSeconds: 60 },
      { purpose: 'join', eventId },
      1_000,
    );
    const expired = issueChallenge(
      { hmacKey: config.CHALLENGE_HMAC_KEY, ttlSeconds: -1 },
      { purpose: 'join', eventId },
      1_000,
    );
    const cases: Record<string, string> = {
      'not base64 JSON': '%%%',
      'JSON but not a payload': btoa(JSON.stringify({ hello: 'world' })),
      'another algorithm': btoa(JSON.stringify({ ...fresh, algorithm: 'SHA-1', number: right.number })),
      'a wrong number': encodeAltchaPayload(fresh, right.number + 1),
      'a tampered salt': encodeAltchaPayload(
        { ...fresh, salt: fresh.salt.replace('purpose=join', 'purpose=join&x=1') },
        right.number,
      ),
      'signed with another key': await solveAltcha(forged),
      expired: await solveAltcha(expired),
      'a register challenge': await solveAltcha((await challenge('purpose=register')).body),
      'a sign-in challenge': await solveAltcha((await challenge('purpose=login')).body),
      'another event': await solved(other),
    };
    for (const [what, altcha] of Object.entries(cases)) {
      const refused = await join(eventId, token, altcha);
      expect(refused.status, what).toBe(403);
      expect(refused.body.code, what).toBe('CHALLENGE_FAILED');
    }
    // None of those spent the real solution.
    expect((await join(eventId, token, encodeAltchaPayload(fresh, right.number))).status).toBe(201);
  });

  it("uses the operator's difficulty for the event and raises it while joins spike", async () => {
    const eventId = await sale({}, 3_000);
    await eventually(async () => {
      const { maxnumber } = (await challenge(`purpose=join&eventId=${eventId}`)).body;
      return maxnumber === 3_000 || undefined;
    }, "the event's difficulty to be known");
    // 10 joins at once, solved beforehand: 2 per second over the 5-second window, against a threshold of 1.
    // The rule reads the last seconds of the clock: a machine that stalls longer than the window between
    // the joins and the ask sees them age out, so the burst is tried again (three times at most).
    const burst = async () => {
      const solutions = await Promise.all(Array.from({ length: 10 }, () => solved(eventId)));
      const fans = await Promise.all(solutions.map(() => fan()));
      const joined = await Promise.all(
        solutions.map((altcha, i) => join(eventId, fans[i] as string, altcha)),
      );
      expect(joined.map((j) => j.status)).toEqual(solutions.map(() => 201));
      return (await challenge(`purpose=join&eventId=${eventId}`)).body.maxnumber;
    };
    let raised = await burst();
    for (let tries = 1; raised === 3_000 && tries < 3; tries++) raised = await burst();
    expect(raised).toBeGreaterThan(3_000);
    expect(raised).toBeLessThanOrEqual(4 * 3_000);
    // A quiet event next to it keeps the platform's default.
    expect((await challenge(`purpose=join&eventId=${await sale()}`)).body.maxnumber).toBe(2_000);
  });

  it('counts joins for the spike rule a few times a second in Redis, not once per join', async () => {
    const eventId = await sale();
    // Issued here with the service's key: forty through the gateway would meet its per-address limit.
    const issue = () =>
      issueChallenge(
        { hmacKey: config.CHALLENGE_HMAC_KEY, ttlSeconds: 60 },
        { purpose: 'join', eventId },
        1_000,
      );
    const solutions = await Promise.all(Array.from({ length: 40 }, () => solveAltcha(issue())));
    const fans = await Promise.all(solutions.map(() => fan()));
    const counter = `challenge:{${eventId}}:joins:`;
    // Redis tells each write to the counters as a keyspace event (here: only string commands).
    const [, notifying = ''] = (await redis.config('GET', 'notify-keyspace-events')) as string[];
    await redis.config('SET', 'notify-keyspace-events', 'K$');
    onTestFinished(async () => {
      await redis.config('SET', 'notify-keyspace-events', notifying);
    });
    const listener = createRedis(config.REDIS_URL, '');
    onTestFinished(() => listener.disconnect());
    const writes: string[] = [];
    listener.on('pmessage', (_pattern: string, _channel: string, command: string) => writes.push(command));
    await listener.psubscribe(`__keyspace@*__:${config.REDIS_PREFIX}${counter}*`);
    const started = Date.now();
    const joined = await Promise.all(solutions.map((altcha, i) => join(eventId, fans[i] as string, altcha)));
    const tookMs = Date.now() - started;
    expect(joined.map((j) => j.status)).toEqual(solutions.map(() => 201));
    // Every join is counted, in the seconds it happened in.
    await eventually(async () => {
      const now = Math.floor(Date.now() / 1000);
      const seconds = Array.from({ length: 10 }, (_, i) => `${counter}${now - i}`);
      const counts = await redis.mget(...seconds);
      return counts.reduce((sum, n) => sum + Number(n ?? 0), 0) === 40 || undefined;
    }, 'the 40 joins to be counted in Redis');
    // Redis tells its writes on the listener's own connection, which may lag the reads above.
    const increments = () => writes.filter((command) => command.startsWith('incr')).length;
    await eventually(() => increments() > 0 || undefined, 'Redis to tell the counters’ writes');
    await new Promise((resolve) => setTimeout(resolve, 300));
    // A write per quarter second and per second it spans at most, where one per join would be 40.
    expect(increments()).toBeLessThanOrEqual(2 * (Math.ceil(tookMs / 250) + 1));
    expect(increments()).toBeLessThan(40);
  });

  it('scales difficulty with the join rate above the threshold, within the bounds', () => {
    const rule = { defaultMaxNumber: 50_000, spikeJoinsPerSecond: 100, maxFactor: 10 };
    expect(challengeDifficulty(50_000, 0, rule)).toBe(50_000);
    expect(challengeDifficulty(50_000, 100, rule)).toBe(50_000);
    expect(challengeDifficulty(50_000, 300, rule)).toBe(150_000);
    expect(challengeDifficulty(50_000, 1_000_000, rule)).toBe(500_000);
    expect(challengeDifficulty(5_000_000, 1_000_000, rule)).toBe(10_000_000);
    expect(challengeDifficulty(50_000, 1_000_000, { ...rule, spikeJoinsPerSecond: 0 })).toBe(50_000);
  });
});
