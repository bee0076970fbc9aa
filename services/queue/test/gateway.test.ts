import type { AddressInfo } from 'node:net';
import { buildApp as buildGateway } from '@tiketi/gateway/app';
import { type App, createRedis } from '@tiketi/kit';
import { createTestTokens, type TestTokens, testLogger } from '@tiketi/kit/testing';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closeAll,
  eventually,
  type Instance,
  joinQueue,
  publish,
  publishedEvent,
  queueTestConfig,
  startInstance,
  Watcher,
} from './support.ts';

describe('the waiting room through the gateway', () => {
  const config = queueTestConfig('queue-gateway');
  let tokens: TestTokens;
  let queue: Instance;
  let gateway: App;
  let base: string;
  const redis = createRedis(config.REDIS_URL, config.REDIS_PREFIX);
  beforeAll(async () => {
    tokens = await createTestTokens();
    queue = await startInstance(config, tokens.jwks);
    gateway = await buildGateway({
      logger: testLogger(),
      jwks: tokens.jwks,
      upstreams: { queue: queue.url },
    });
    await gateway.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
  });
  const watchers: Watcher[] = [];

  afterAll(async () => {
    for (const w of watchers) w.close();
    await gateway.close();
    redis.disconnect();
    await closeAll([queue]);
  });

  it('joins over HTTP and follows the line to admission over the websocket', async () => {
    const sale = publishedEvent({ maxActiveShoppers: 1 });
    await publish(queue.bus, 'event.published', sale);
    await eventually(() => redis.hget(`queue:{${sale.eventId}}:settings`, 'enabled'), 'the sale to be known');
    const fans = await Promise.all(
      [uuidv7(), uuidv7()].map(async (id) => ({ id, token: await tokens.sign({ id }) })),
    );
    for (const fan of fans) {
      const joined = await joinQueue(base, fan.token, sale.eventId);
      expect(joined.status).toBe(201);
      watchers.push(new Watcher(base, fan, sale.eventId));
    }
    const [first, second] = watchers as [Watcher, Watcher];
    await Promise.all(watchers.map((w) => w.connected()));
    await eventually(() => first.isAdmitted || undefined, 'the first fan to be admitted');
    expect(second.isAdmitted).toBe(false);
    expect(second.positions.at(-1)).toBe(1);
  });

  it('refuses a websocket without a valid access token', async () => {
    const refused = new Watcher(base, { id: uuidv7(), token: 'not-a-token' }, uuidv7());
    watchers.push(refused);
    await eventually(() => refused.errors[0], 'the handshake to be refused');
    expect(refused.errors[0]).toBe('UNAUTHORIZED');
  });
});
