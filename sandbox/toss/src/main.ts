import { ConfigError, createLogger, env, loadConfig } from '@tiketi/kit';
import { z } from 'zod';
import { startTossSandbox } from './sandbox.ts';

let config: ReturnType<typeof read>;
function read() {
  return loadConfig({
    PORT: env.port(4101),
    HOST: env.string('127.0.0.1'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Where browsers reach the checkout page. */
    TOSS_SANDBOX_PUBLIC_URL: env.optionalString(),
    /** Receiver of PAYMENT_STATUS_CHANGED: the payment service through the gateway. */
    TOSS_WEBHOOK_URL: env.url('http://127.0.0.1:3001/api/payments/toss/webhook'),
    TOSS_CONFIRM_WINDOW_SECONDS: env.int(600),
  });
}
try {
  config = read();
} catch (error) {
  process.stderr.write(`[sandbox-toss] ${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(1);
}
const logger = createLogger('sandbox-toss', config.LOG_LEVEL);
const sandbox = await startTossSandbox({
  port: config.PORT,
  host: config.HOST,
  publicUrl: config.TOSS_SANDBOX_PUBLIC_URL ?? `http://localhost:${config.PORT}`,
  webhookUrl: config.TOSS_WEBHOOK_URL,
  confirmWindowMs: config.TOSS_CONFIRM_WINDOW_SECONDS * 1000,
  logger,
});
logger.info({ port: sandbox.port }, `Toss sandbox listening: API ${sandbox.url}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sandbox.close().then(() => process.exit(0));
  });
}
