import { baseConfigShape, env } from '@tiketi/kit';

export const configShape = {
  ...baseConfigShape,
  PORT: env.port(4002),
  DATABASE_NAME: env.string('events_db'),
  SEED_DEMO: env.bool(false),
};
