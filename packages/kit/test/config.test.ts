import { describe, expect, it } from 'vitest';
import { baseConfigShape, ConfigError, env, loadConfig } from '../src/config.ts';

describe('config', () => {
  it('uses local defaults when nothing is set', () => {
    const config = loadConfig({ ...baseConfigShape, PORT: env.port(4002) }, {});
    expect(config.PORT).toBe(4002);
    expect(config.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/postgres');
    expect(config.AMQP_EXCHANGE).toBe('tiketi.events');
  });

  it('refuses a wrong value with a message naming the variable and the value', () => {
    const load = () => loadConfig({ ...baseConfigShape, PORT: env.port(4002) }, { PORT: 'eighty' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/PORT: .*\(got "eighty"\)/);
  });

  it('names every faulty variable at once', () => {
    try {
      loadConfig(baseConfigShape, { REDIS_URL: 'not a url', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/REDIS_URL/);
      expect((error as Error).message).toMatch(/LOG_LEVEL/);
    }
  });

  it('reads booleans strictly', () => {
    const shape = { FLAG: env.bool(false) };
    expect(loadConfig(shape, { FLAG: 'true' }).FLAG).toBe(true);
    expect(loadConfig(shape, {}).FLAG).toBe(false);
    expect(() => loadConfig(shape, { FLAG: 'maybe' })).toThrow(/FLAG/);
  });
});
