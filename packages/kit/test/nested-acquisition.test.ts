import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDb,
  databaseUrl,
  dropDatabase,
  ensureDatabase,
  type Kysely,
  NestedAcquisitionError,
  onOutboxCommit,
  outsideHeldConnections,
  sql,
  wakeRelayAfterCommit,
} from '../src/db.ts';
import { nestedAcquisitionReport } from '../src/infra.ts';
import { createMetrics } from '../src/metrics.ts';
import { capturingLogger, testConfig } from '../src/testing/index.ts';

const one = (db: Kysely<unknown>) => sql<{ n: number }>`select 1 as n`.execute(db).then((r) => r.rows[0]?.n);

/**
 * Code holding one of a pool's connections that asks the same pool for another waits on a pool the
 * others doing the same also hold: with as many of them at once as the pool has connections, none ever
 * gets its second one. Under test, such an acquisition throws at once, whether or not the pool is busy.
 */
describe('a second connection asked of the pool by code holding one', () => {
  const config = testConfig('kit-nested');
  const url = databaseUrl(config.DATABASE_URL, config.DATABASE_NAME);
  let db: Kysely<unknown>;
  let other: Kysely<unknown>;

  beforeAll(async () => {
    await ensureDatabase(config.DATABASE_URL, config.DATABASE_NAME);
    db = createDb({ url, poolSize: 2 });
    other = createDb({ url, poolSize: 2 });
  });
  afterAll(async () => {
    await db.destroy();
    await other.destroy();
    await dropDatabase(config.DATABASE_URL, config.DATABASE_NAME);
  });

  it('is refused inside connection().execute', async () => {
    await expect(db.connection().execute(() => one(db))).rejects.toThrow(NestedAcquisitionError);
  });

  it('is refused inside transaction().execute, however deep in the callback', async () => {
    const repository = { find: () => one(db) };
    const service = async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return repository.find();
    };
    await expect(db.transaction().execute(async (trx) => [await one(trx), await service()])).rejects.toThrow(
      /second connection while this async context already holds one/,
    );
  });

  it('is refused for a query started alongside the held connection’s own', async () => {
    await expect(db.transaction().execute((trx) => Promise.all([one(trx), one(db)]))).rejects.toBeInstanceOf(
      NestedAcquisitionError,
    );
  });

  it('lets a transaction and a held connection run their own queries, and sequential use take turns', async () => {
    expect(await db.transaction().execute(async (trx) => [await one(trx), await one(trx)])).toEqual([1, 1]);
    expect(
      await db.connection().execute(async (conn) => {
        const inside = await conn.transaction().execute((trx) => one(trx));
        return [await one(conn), inside];
      }),
    ).toEqual([1, 1]);
    // More queries at once than the pool has connections, none holding one: they wait their turn.
    expect(await Promise.all(Array.from({ length: 6 }, () => one(db)))).toEqual([1, 1, 1, 1, 1, 1]);
    expect(await db.transaction().execute(async () => 'done')).toBe('done');
    expect(await one(db)).toBe(1);
  });

  it('lets code holding one pool’s connection use another pool', async () => {
    expect(await db.transaction().execute(async (trx) => [await one(trx), await one(other)])).toEqual([1, 1]);
  });

  it('lets work started under a held connection run on its own once the holder is done', async () => {
    let later: Promise<number | undefined> | undefined;
    await db.transaction().execute(async (trx) => {
      later = new Promise((resolve) => setTimeout(resolve, 50)).then(() => one(db));
      return one(trx);
    });
    expect(await later).toBe(1);
  });

  it('lets work set apart with outsideHeldConnections take its own connection meanwhile', async () => {
    const result = await db.transaction().execute(async (trx) => {
      const apart = outsideHeldConnections(() => one(db));
      return [await one(trx), await apart];
    });
    expect(result).toEqual([1, 1]);
  });

  it('runs what an outbox commit wakes outside the transaction that committed', async () => {
    const woken: Promise<number | undefined>[] = [];
    // As the outbox relay does with no coalescing: a pass (its own transaction) at once on the signal.
    const stop = onOutboxCommit(db, () => woken.push(db.transaction().execute((trx) => one(trx))));
    try {
      await db.transaction().execute(async (trx) => {
        await one(trx);
        await wakeRelayAfterCommit(trx);
      });
      expect(woken).toHaveLength(1);
      expect(await Promise.all(woken)).toEqual([1]);
    } finally {
      stop();
    }
  });

  it('in production goes on and is reported, once per acquisition', async () => {
    const reported: NestedAcquisitionError[] = [];
    const lenient = createDb({
      url,
      poolSize: 2,
      nestedAcquisition: 'report',
      onNestedAcquisition: (error) => reported.push(error),
    });
    try {
      expect(
        await lenient.connection().execute(async (conn) => [await one(conn), await one(lenient)]),
      ).toEqual([1, 1]);
      expect(await one(lenient)).toBe(1);
      expect(reported).toHaveLength(1);
      expect(reported[0]).toBeInstanceOf(NestedAcquisitionError);
    } finally {
      await lenient.destroy();
    }
    await expect(one(lenient)).rejects.toThrow('driver has already been destroyed');
  });

  it('is counted in a service, and logged once per place it comes from', async () => {
    const { logger, lines } = capturingLogger('kit');
    const metrics = createMetrics('kit');
    const service = createDb({
      url,
      poolSize: 2,
      nestedAcquisition: 'report',
      onNestedAcquisition: nestedAcquisitionReport(logger, metrics),
    });
    try {
      for (let i = 0; i < 3; i++) await service.transaction().execute(() => one(service));
    } finally {
      await service.destroy();
    }
    const counted = await metrics.registry.getSingleMetric('tiketi_db_nested_acquisitions_total')?.get();
    expect(counted?.values.map((v) => v.value)).toEqual([3]);
    const logged = lines.filter((l) => l.msg === 'nested database connection acquisition');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 'warn', err: { type: 'NestedAcquisitionError' } });
  });
});
