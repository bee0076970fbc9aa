import { existsSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { platformEnv } from './platform.ts';

describe('npm start’s database address', () => {
  it('keeps a DATABASE_URL that is given', () => {
    const url = 'postgres://someone@db.example:5432/postgres';
    expect(platformEnv({ DATABASE_URL: url }).DATABASE_URL).toBe(url);
  });

  it('reaches the local PostgreSQL through its Unix socket when it has one, and the address works', async () => {
    const url = platformEnv({}).DATABASE_URL;
    if (!existsSync('/var/run/postgresql/.s.PGSQL.5432')) {
      // No local socket: the services fall back to their TCP default.
      expect(url).toBeUndefined();
      return;
    }
    expect(url).toBe('postgres://postgres@localhost/postgres?host=/var/run/postgresql');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ local: boolean }>('select inet_server_addr() is null as local');
      expect(rows[0]?.local).toBe(true);
    } finally {
      await client.end();
    }
  });
});
