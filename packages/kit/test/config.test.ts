import { describe, expect, it } from 'vitest';
import {
  baseConfigShape,
  ConfigError,
  env,
  internalTokenShape,
  loadConfig,
  secretNames,
} from '../src/config.ts';

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

describe('config: secrets outside local development', () => {
  const shape = { ...baseConfigShape, ...internalTokenShape, SIGNING_KEY: env.secret('local-signing-key') };
  const strong = { INTERNAL_TOKEN: 'a'.repeat(32), SIGNING_KEY: 'b'.repeat(40) };

  it('refuses every default secret when TIKETI_ENV is unset, naming each variable', () => {
    const load = () => loadConfig(shape, {});
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      /INTERNAL_TOKEN: the local development default works only with TIKETI_ENV=development/,
    );
    expect(load).toThrow(/SIGNING_KEY: the local development default/);
  });

  it('refuses a short secret in production and never prints it', () => {
    const short = 'short-but-real-secret';
    try {
      loadConfig(shape, { ...strong, TIKETI_ENV: 'production', SIGNING_KEY: short });
      expect.unreachable();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toMatch(/SIGNING_KEY: too short .* at least 32 characters \(got 21\)/);
      expect(message).not.toMatch(/INTERNAL_TOKEN/);
      expect(message).not.toContain(short);
    }
  });

  it('accepts strong secrets in production and the defaults in development only', () => {
    expect(loadConfig(shape, { ...strong, TIKETI_ENV: 'production' }).INTERNAL_TOKEN).toBe(
      strong.INTERNAL_TOKEN,
    );
    expect(loadConfig(shape, { TIKETI_ENV: 'development' }).SIGNING_KEY).toBe('local-signing-key');
    expect(() => loadConfig(shape, { ...strong, TIKETI_ENV: 'staging' })).toThrow(/TIKETI_ENV/);
  });

  it('lists every variable declared as a secret', () => {
    expect(secretNames(shape)).toEqual(['INTERNAL_TOKEN', 'SIGNING_KEY']);
  });
});
