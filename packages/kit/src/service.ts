import closeWithGrace from 'close-with-grace';
import type { z } from 'zod';
import { ConfigError, loadConfig } from './config.ts';
import type { Infra } from './infra.ts';
import { createLogger, type Logger } from './logger.ts';
import { type App, opsListenerOf, type ServiceDeps, serverSettings } from './server.ts';

export type Running = {
  app: App;
  /**
   * The connections `openInfra` opened: their background work (the outbox relay) starts before the
   * service's own, and they close after it has stopped, so nothing stops under work still running.
   */
  infra?: Pick<Infra<{ service: string }, unknown>, 'start' | 'close'>;
  /** Background work started once the app listens (consumers, timers). */
  start?: () => Promise<void>;
  /** Stops background work and closes what `infra` does not; runs after HTTP has drained. */
  stop?: () => Promise<void>;
};

/**
 * What every main hands its `buildApp` for the server: the settings from its config, with the registry its
 * infra counts in, its logger and the checks of what infra opened for `/readyz`.
 */
export function serviceDeps(
  config: Parameters<typeof serverSettings>[0],
  infra: Pick<Infra<{ service: string }, unknown>, 'metrics' | 'readiness'>,
  logger: Logger,
): Required<ServiceDeps> {
  return { server: serverSettings(config, infra.metrics), logger, readiness: infra.readiness };
}

type ServiceShape = z.ZodRawShape & {
  PORT: z.ZodType<number, unknown>;
  HOST: z.ZodType<string, unknown>;
  LOG_LEVEL: z.ZodType<string, unknown>;
  SHUTDOWN_GRACE_MS: z.ZodType<number, unknown>;
};

/**
 * The process entry of every service: read config (a bad variable prints its name and exits 1), build,
 * listen, start background work; on SIGINT/SIGTERM drain HTTP first, then stop consumers, close pools.
 */
export async function runService<S extends ServiceShape>(
  name: string,
  shape: S,
  build: (config: z.output<z.ZodObject<S>>, logger: Logger) => Promise<Running>,
): Promise<void> {
  let config: z.output<z.ZodObject<S>>;
  try {
    config = loadConfig(shape);
  } catch (error) {
    process.stderr.write(`[${name}] ${error instanceof ConfigError ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const settings = config as unknown as {
    PORT: number;
    HOST: string;
    LOG_LEVEL: string;
    SHUTDOWN_GRACE_MS: number;
  };
  const logger = createLogger(name, settings.LOG_LEVEL);
  process.env.OTEL_SERVICE_NAME ??= name;
  let running: Running;
  try {
    running = await build(config, logger);
  } catch (error) {
    logger.fatal({ err: error }, `${name} could not start: ${(error as Error).message}`);
    process.exit(1);
  }
  const stop = async () => {
    await running.stop?.();
    await running.infra?.close();
  };
  // `--migrate-only` (a Kubernetes Job before a rollout): building opened the database, which migrated it.
  if (process.argv.includes('--migrate-only')) {
    await stop();
    logger.info('migrations are up to date');
    process.exit(0);
  }
  closeWithGrace({ delay: settings.SHUTDOWN_GRACE_MS }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'shutting down after an error');
    else logger.info({ signal }, 'shutting down');
    await running.app.close();
    await ops?.app.close();
    await stop();
  });
  const ops = opsListenerOf(running.app);
  await running.app.listen({ port: settings.PORT, host: settings.HOST });
  await ops?.app.listen({ port: ops.port, host: settings.HOST });
  await running.infra?.start();
  await running.start?.();
  logger.info({ port: settings.PORT }, `${name} listening`);
}
