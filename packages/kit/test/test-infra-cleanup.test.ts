import amqplib from 'amqplib';
import { describe, expect, it } from 'vitest';
import { openTestInfra, testConfig } from '../src/testing/index.ts';

describe('test infrastructure cleanup', () => {
  it('removes the exchange and every queue a consuming bus declared, retries and dead letters too', async () => {
    const config = testConfig('kit-cleanup');
    const infra = await openTestInfra({ service: 'kit', bus: true }, config);
    await infra.bus.waitForConnect();
    await infra.bus.subscribe({
      name: 'watcher',
      events: ['user.registered'],
      handler: async () => undefined,
    });
    const queue = `${config.AMQP_EXCHANGE}.kit.watcher`;
    await infra.cleanup();

    const amqp = await amqplib.connect(config.AMQP_URL);
    try {
      // A passive check of something gone closes the channel with 404: one channel per check.
      const exists = async (check: (ch: amqplib.Channel) => Promise<unknown>) => {
        const ch = await amqp.createChannel();
        ch.on('error', () => undefined);
        return check(ch).then(
          () => ch.close().then(() => true),
          () => false,
        );
      };
      expect(await exists((ch) => ch.checkExchange(config.AMQP_EXCHANGE))).toBe(false);
      for (const name of [queue, `${queue}.dlq`, `${queue}.retry.1`, `${queue}.retry.4`]) {
        expect(await exists((ch) => ch.checkQueue(name)), name).toBe(false);
      }
    } finally {
      await amqp.close();
    }
  });
});
