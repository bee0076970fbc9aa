import { ConfigError, createLogger, env, loadConfig } from '@tiketi/kit';
import { z } from 'zod';
import { startMailSandbox } from './sandbox.ts';

let config: ReturnType<typeof read>;
function read() {
  return loadConfig({
    /** The inbox page and API. */
    PORT: env.port(4102),
    SMTP_PORT: env.port(2525),
    HOST: env.string('127.0.0.1'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  });
}
try {
  config = read();
} catch (error) {
  process.stderr.write(`[sandbox-mail] ${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(1);
}
const logger = createLogger('sandbox-mail', config.LOG_LEVEL);
const sandbox = await startMailSandbox({
  host: config.HOST,
  smtpPort: config.SMTP_PORT,
  httpPort: config.PORT,
  logger,
});
logger.info(
  { smtp: sandbox.smtpPort, http: sandbox.httpPort },
  `mail sandbox: SMTP on ${sandbox.smtpUrl}, inbox at http://localhost:${sandbox.httpPort}`,
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sandbox.close().then(() => process.exit(0));
  });
}
