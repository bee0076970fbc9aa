import { randomUUID } from 'node:crypto';
import type { Envelope } from '@tiketi/contracts';
import amqplib from 'amqplib';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Bus, makeEnvelope, publishInTransaction } from '../src/bus.ts';
import { sql, wakeRelayAfterCommit } from '../src/db.ts';
import { OutboxRelay, writeOutbox } from '../src/outbox.ts';
import {
  capturingLogger,
  createTcpProxy,
  openTestInfra,
  testConfig,
  testLogger,
} from '../src/testing/index.ts';

type DB = { things: { id: string; name: string }; effects: { eventId: string; note: string } };
type Spec = { service: string; database: { name: string; migrations: string }; bus: true };

const registered = (name: string) => ({
  userId: randomUUID(),
  email: `${name}@example.com`,
  name,
  provider: 'password' as const,
});

describe('outbox, relay and consumers', () => {
  const config = testConfig('kit-bus');
  let infra: Awaited<ReturnType<typeof openTestInfra<Spec, DB>>>;
  let db: typeof infra.db;
  let bus: typeof infra.bus;
  let amqp: amqplib.ChannelModel;
  let inspect: amqplib.Channel;
  beforeAll(async () => {
    infra = await openTestInfra<Spec, DB>(
      {
        service: 'kit',
        database: { name: 'unused', migrations: new URL('./fixtures/migrations', import.meta.url).pathname },
        bus: true,
      },
      config,
    );
    ({ db, bus } = infra);
    amqp = await amqplib.connect(config.AMQP_URL);
    inspect = await amqp.createChannel();
  });

  beforeAll(() => bus.waitForConnect());
  /** A bus of the test's own, to be closed by the test. */
  const ownBus = () =>
    new Bus({ url: config.AMQP_URL, exchange: config.AMQP_EXCHANGE, service: 'kit', logger: testLogger() });
  afterAll(async () => {
    await amqp.close();
    await infra.cleanup();
  });

  it('commits a change and its outbox row together, or neither', async () => {
    const failed = randomUUID();
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('things').values({ id: failed, name: 'lost' }).execute();
        await publishInTransaction(trx, 'user.registered', registered('lost'));
        throw new Error('crash before commit');
      }),
    ).rejects.toThrow('crash before commit');
    const kept = randomUUID();
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('things').values({ id: kept, name: 'kept' }).execute();
      await publishInTransaction(trx, 'user.registered', registered('kept'));
    });
    const things = await db.selectFrom('things').select('name').execute();
    expect(things.map((t) => t.name)).toEqual(['kept']);
    const outbox = await sql<{ envelope: Envelope<'user.registered'> }>`select envelope from outbox`.execute(
      db,
    );
    expect(outbox.rows.map((r) => r.envelope.data.name)).toEqual(['kept']);
    await sql`delete from outbox`.execute(db);
  });

  it('refuses to record an event whose payload breaks its contract', async () => {
    await expect(
      db
        .transaction()
        .execute((trx) =>
          publishInTransaction(trx, 'user.registered', { userId: 'nope' } as unknown as ReturnType<
            typeof registered
          >),
        ),
    ).rejects.toThrow();
  });

  it('absorbs the duplicate of a relay killed between publishing and marking sent', async () => {
    const deliveries: string[] = [];
    await bus.subscribe({
      name: 'dup-observer',
      events: ['user.registered'],
      handler: async (event) => {
        deliveries.push(event.id);
      },
    });
    await bus.consume({
      name: 'dup-effect',
      events: ['user.registered'],
      db,
      handler: async (event, trx) => {
        await trx.insertInto('effects').values({ eventId: event.id, note: event.data.name }).execute();
      },
    });
    await db.transaction().execute((trx) => publishInTransaction(trx, 'user.registered', registered('once')));

    const crashing = new OutboxRelay({
      db,
      bus,
      logger: testLogger(),
      afterPublish: async () => {
        throw new Error('killed before marking sent');
      },
    });
    await expect(crashing.runOnce()).rejects.toThrow('killed before marking sent');
    const relay = new OutboxRelay({ db, bus, logger: testLogger() });
    expect(await relay.runOnce()).toBe(1);
    expect(await relay.runOnce()).toBe(0);

    await vi.waitFor(() => expect(deliveries).toHaveLength(2), { timeout: 10_000 });
    expect(deliveries[0]).toBe(deliveries[1]);
    await vi.waitFor(async () => {
      const inbox = await sql<{
        n: number;
      }>`select count(*)::int as n from inbox where consumer = 'kit.dup-effect'`.execute(db);
      expect(inbox.rows[0]?.n).toBe(1);
    });
    await new Promise((r) => setTimeout(r, 300));
    const effects = await db.selectFrom('effects').selectAll().where('note', '=', 'once').execute();
    expect(effects).toHaveLength(1);
  });

  it('publishes a committed outbox row at once, not at the next poll, and never a rolled-back one', async () => {
    const seen: string[] = [];
    await bus.subscribe({
      name: 'wake-observer',
      events: ['user.registered'],
      handler: async (event) => {
        seen.push(event.data.name);
      },
    });
    // A poll this slow would fail the test: only the commit signal can bring the row out in time.
    const relay = new OutboxRelay({ db, bus, logger: testLogger(), pollIntervalMs: 120_000 });
    await relay.start();
    try {
      await new Promise((r) => setTimeout(r, 200)); // the relay's first, empty batch is behind it
      await expect(
        db.transaction().execute(async (trx) => {
          await publishInTransaction(trx, 'user.registered', registered('rolled-back'));
          throw new Error('abandoned');
        }),
      ).rejects.toThrow('abandoned');
      await db
        .transaction()
        .execute((trx) => publishInTransaction(trx, 'user.registered', registered('woken')));
      await vi.waitFor(() => expect(seen).toContain('woken'), { timeout: 5_000 });
      // Outside a transaction, the insert itself is the commit.
      await publishInTransaction(db, 'user.registered', registered('autocommit'));
      await vi.waitFor(() => expect(seen).toContain('autocommit'), { timeout: 5_000 });
      expect(seen).not.toContain('rolled-back');
    } finally {
      await relay.stop();
    }
  });

  it('routes a tagged event by its type to every consumer of it, and only tagged ones to a consumer that asks', async () => {
    const everyone: string[] = [];
    const taggedOnly: string[] = [];
    // A queue declared before its consumer took the type only tagged keeps the plain binding it had.
    const queue = `${config.AMQP_EXCHANGE}.kit.tagged-only`;
    await inspect.assertQueue(queue, { durable: true });
    await inspect.bindQueue(queue, config.AMQP_EXCHANGE, 'user.registered');
    // Anyone bound to the type itself on the topic exchange (DESIGN: the routing key is the event type).
    const outsider = `${config.AMQP_EXCHANGE}.outsider`;
    await inspect.assertQueue(outsider, { durable: false, autoDelete: true });
    await inspect.bindQueue(outsider, config.AMQP_EXCHANGE, 'user.registered');
    await bus.subscribe({
      name: 'every-registration',
      events: ['user.registered'],
      handler: async (event) => {
        everyone.push(event.data.name);
      },
    });
    await bus.subscribe({
      name: 'tagged-only',
      events: ['user.registered'],
      tagged: { 'user.registered': 'invited' },
      handler: async (event) => {
        taggedOnly.push(event.data.name);
      },
    });
    await db.transaction().execute(async (trx) => {
      await writeOutbox(trx, makeEnvelope('user.registered', registered('plain')));
      await writeOutbox(trx, makeEnvelope('user.registered', registered('invited'), { tag: 'invited' }));
      await writeOutbox(trx, makeEnvelope('user.registered', registered('other-tag'), { tag: 'other' }));
    });
    const relay = new OutboxRelay({ db, bus, logger: testLogger() });
    while ((await relay.runOnce()) > 0);
    await vi.waitFor(() => expect(everyone.sort()).toEqual(['invited', 'other-tag', 'plain']), {
      timeout: 5_000,
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(taggedOnly).toEqual(['invited']);
    expect((await inspect.checkQueue(queue)).messageCount).toBe(0);
    const keys: string[] = [];
    for (
      let m = await inspect.get(outsider, { noAck: true });
      m;
      m = await inspect.get(outsider, { noAck: true })
    ) {
      keys.push(m.fields.routingKey);
    }
    expect(keys).toEqual(['user.registered', 'user.registered', 'user.registered']);
    await inspect.deleteQueue(outsider);
    expect(() => makeEnvelope('user.registered', registered('x'), { tag: 'two.words' })).toThrow();
  });

  it('wakes the relay when the writer says it wrote an outbox row, however the SQL spells the insert', async () => {
    const seen: string[] = [];
    await bus.subscribe({
      name: 'explicit-wake-observer',
      events: ['user.registered'],
      handler: async (event) => {
        seen.push(event.data.name);
      },
    });
    const relay = new OutboxRelay({ db, bus, logger: testLogger(), pollIntervalMs: 120_000 });
    await relay.start();
    try {
      await new Promise((r) => setTimeout(r, 200)); // the relay's first, empty batch is behind it
      // A quoted table name and a database function's insert look nothing like `insert into outbox`.
      const envelope = makeEnvelope('user.registered', registered('explicit'));
      await db.transaction().execute(async (trx) => {
        await sql`insert into "outbox" ("id", "type", "envelope")
          values (${envelope.id}, ${envelope.type}, ${JSON.stringify(envelope)}::jsonb)`.execute(trx);
        await wakeRelayAfterCommit(trx);
      });
      await vi.waitFor(() => expect(seen).toContain('explicit'), { timeout: 5_000 });
    } finally {
      await relay.stop();
    }
  });

  it('retries a failing handler with backoff, then parks it in the dead-letter queue while others flow', async () => {
    const attempts: number[] = [];
    const handled: string[] = [];
    await bus.subscribe({
      name: 'poison',
      events: ['user.registered'],
      maxAttempts: 3,
      retryDelaysMs: [100, 300],
      handler: async (event) => {
        if (event.data.name === 'poison') {
          attempts.push(Date.now());
          throw new Error('cannot handle this one');
        }
        handled.push(event.data.name);
      },
    });
    const names = ['poison', 'a', 'b', 'c', 'd', 'e'];
    for (const name of names) {
      await db.transaction().execute((trx) => publishInTransaction(trx, 'user.registered', registered(name)));
    }
    const relay = new OutboxRelay({ db, bus, logger: testLogger() });
    while ((await relay.runOnce()) > 0);

    await vi.waitFor(
      () => expect(handled.filter((n) => n !== 'once').sort()).toEqual(['a', 'b', 'c', 'd', 'e']),
      {
        timeout: 10_000,
      },
    );
    await vi.waitFor(() => expect(attempts).toHaveLength(3), { timeout: 10_000 });
    const [first, second, third] = attempts as [number, number, number];
    expect(second - first).toBeGreaterThanOrEqual(90);
    expect(third - second).toBeGreaterThanOrEqual(290);

    const dlq = `${config.AMQP_EXCHANGE}.kit.poison.dlq`;
    const parked = await vi.waitFor(
      async () => {
        const msg = await inspect.get(dlq, { noAck: true });
        if (!msg) throw new Error('nothing parked yet');
        return msg;
      },
      { timeout: 5000 },
    );
    expect(JSON.parse(parked.content.toString()).data.name).toBe('poison');
    expect(parked.properties.headers?.['x-last-error']).toBe('cannot handle this one');
    await new Promise((r) => setTimeout(r, 200));
    expect(attempts).toHaveLength(3);
  });

  it('parks a message that breaks its contract at once, without retrying', async () => {
    const seen: string[] = [];
    await bus.subscribe({
      name: 'strict',
      events: ['user.registered'],
      handler: async (event) => {
        seen.push(event.id);
      },
    });
    const ch = await amqp.createChannel();
    const bogus = {
      id: randomUUID(),
      type: 'user.registered',
      version: 1,
      occurredAt: new Date().toISOString(),
      data: { userId: 1 },
    };
    ch.publish(config.AMQP_EXCHANGE, 'user.registered', Buffer.from(JSON.stringify(bogus)));
    const dlq = `${config.AMQP_EXCHANGE}.kit.strict.dlq`;
    const parked = await vi.waitFor(
      async () => {
        const msg = await inspect.get(dlq, { noAck: true });
        if (!msg) throw new Error('nothing parked yet');
        return msg;
      },
      { timeout: 5000 },
    );
    expect(String(parked.properties.headers?.['x-last-error'])).toMatch(/bad user.registered payload/);
    expect(seen).not.toContain(bogus.id);
    await ch.close();
  });

  it('takes what arrived together in one transaction, absorbs duplicates, and falls back to one by one', async () => {
    const batches: string[][] = [];
    const names = ['one', 'two', 'three', 'four', 'bad'];
    const envelopes = names.map((name) => makeEnvelope('user.registered', registered(name)));
    // Waiting in the queue before the consumer starts, plus a redelivered copy of the first (a relay
    // replaying a batch): they reach the consumer together.
    const queue = `${config.AMQP_EXCHANGE}.kit.batched`;
    await inspect.assertQueue(queue, { durable: true });
    await inspect.bindQueue(queue, config.AMQP_EXCHANGE, 'user.registered');
    await Promise.all([...envelopes, envelopes[0] as Envelope<'user.registered'>].map((e) => bus.publish(e)));
    await vi.waitFor(async () => expect((await inspect.checkQueue(queue)).messageCount).toBe(6));
    await bus.consumeBatch({
      name: 'batched',
      events: ['user.registered'],
      db,
      maxAttempts: 2,
      retryDelaysMs: [100],
      handler: async (events, trx) => {
        batches.push(events.map((e) => e.data.name));
        await trx
          .insertInto('effects')
          .values(events.map((e) => ({ eventId: e.id, note: `batched-${e.data.name}` })))
          .execute();
        // Fails the whole batch it is in, and its own attempts, but never the others'.
        if (events.some((e) => e.data.name === 'bad')) throw new Error('cannot count this one');
      },
    });

    const effects = async () =>
      (await db.selectFrom('effects').select('note').where('note', 'like', 'batched-%').execute())
        .map((r) => r.note)
        .sort();
    await vi.waitFor(
      async () =>
        expect(await effects()).toEqual(['batched-four', 'batched-one', 'batched-three', 'batched-two']),
      { timeout: 10_000 },
    );
    // The first delivery took several events in one transaction.
    expect(Math.max(...batches.map((b) => b.length))).toBeGreaterThan(1);
    const dlq = `${config.AMQP_EXCHANGE}.kit.batched.dlq`;
    const parked = await vi.waitFor(
      async () => {
        const msg = await inspect.get(dlq, { noAck: true });
        if (!msg) throw new Error('nothing parked yet');
        return msg;
      },
      { timeout: 10_000 },
    );
    expect(JSON.parse(parked.content.toString()).data.name).toBe('bad');
    const inbox = await sql<{ n: number }>`select count(*)::int as n from inbox
      where consumer = 'kit.batched'`.execute(db);
    expect(inbox.rows[0]?.n).toBe(4);
    expect(await effects()).toHaveLength(4);
  });
  it('acks a batch as a whole, leaving nothing unacknowledged, and still parks what does not parse', async () => {
    // A bus of its own, closed at the end: whatever it left unacknowledged would go back to the queue.
    const own = ownBus();
    const queue = `${config.AMQP_EXCHANGE}.kit.acked`;
    const dlq = `${queue}.dlq`;
    await inspect.assertQueue(queue, { durable: true });
    await inspect.bindQueue(queue, config.AMQP_EXCHANGE, 'user.registered');
    const first = ['a', 'b', 'c', 'd'].map((name) => makeEnvelope('user.registered', registered(name)));
    await Promise.all(first.slice(0, 2).map((e) => bus.publish(e)));
    inspect.publish(config.AMQP_EXCHANGE, 'user.registered', Buffer.from('not json'), { persistent: true });
    await Promise.all(first.slice(2).map((e) => bus.publish(e)));
    await vi.waitFor(async () => expect((await inspect.checkQueue(queue)).messageCount).toBe(5));

    const seen: string[] = [];
    await own.consumeBatch({
      name: 'acked',
      events: ['user.registered'],
      db,
      handler: async (events) => {
        seen.push(...events.map((e) => e.id));
      },
    });
    await vi.waitFor(() => expect([...seen].sort()).toEqual(first.map((e) => e.id).sort()), {
      timeout: 10_000,
    });
    await vi.waitFor(async () => expect((await inspect.checkQueue(dlq)).messageCount).toBe(1), {
      timeout: 5000,
    });
    // Then batches where everything parses, acknowledged by their last message alone.
    const second = ['e', 'f', 'g', 'h', 'i', 'j'].map((name) =>
      makeEnvelope('user.registered', registered(name)),
    );
    await Promise.all(second.map((e) => bus.publish(e)));
    const all = [...first, ...second].map((e) => e.id).sort();
    await vi.waitFor(() => expect([...seen].sort()).toEqual(all), { timeout: 10_000 });
    await own.close();
    expect((await inspect.checkQueue(queue)).messageCount).toBe(0);
    expect((await inspect.checkQueue(dlq)).messageCount).toBe(1);
    for (const q of [queue, dlq, ...[1, 2, 3, 4].map((a) => `${queue}.retry.${a}`)])
      await inspect.deleteQueue(q);
  });
  it('keeps consuming when a handler outlives a broker cut, without settling its old delivery tag', async () => {
    const target = new URL(config.AMQP_URL);
    const proxy = await createTcpProxy(target.hostname, Number(target.port || 5672));
    target.host = `127.0.0.1:${proxy.port}`;
    const { logger, lines } = capturingLogger('kit');
    const own = new Bus({ url: target.toString(), exchange: config.AMQP_EXCHANGE, service: 'kit', logger });
    const handled: string[] = [];
    const { promise: held, resolve: release } = Promise.withResolvers<void>();
    await own.subscribe({
      name: 'outlives-cut',
      events: ['user.registered'],
      handler: async (event) => {
        handled.push(event.data.name);
        if (handled.length === 1) await held;
      },
    });
    await bus.publish(makeEnvelope('user.registered', registered('slow')));
    await vi.waitFor(() => expect(handled).toEqual(['slow']), { timeout: 5000 });
    // The broker puts the unacknowledged message back and delivers it again on the new channel.
    await proxy.cut();
    await proxy.restore();
    await vi.waitFor(() => expect(handled).toEqual(['slow', 'slow']), { timeout: 10_000 });
    // The first handling ends now: its tag belongs to the old channel and must not be acked on the new.
    release();
    await new Promise((r) => setTimeout(r, 300));
    await bus.publish(makeEnvelope('user.registered', registered('after')));
    await vi.waitFor(() => expect(handled).toEqual(['slow', 'slow', 'after']), { timeout: 5000 });
    // One disconnection, the cut: an old tag acked on the new channel would make the broker close it.
    expect(lines.filter((l) => String(l.msg).startsWith('RabbitMQ disconnected'))).toHaveLength(1);
    await own.close();
    await proxy.close();
    const queue = `${config.AMQP_EXCHANGE}.kit.outlives-cut`;
    expect((await inspect.checkQueue(queue)).messageCount).toBe(0);
    for (const q of [queue, `${queue}.dlq`, ...[1, 2, 3, 4].map((a) => `${queue}.retry.${a}`)])
      await inspect.deleteQueue(q);
  });

  it('lets a handler under way finish and acknowledge before it closes', async () => {
    const own = ownBus();
    const queue = `${config.AMQP_EXCHANGE}.kit.closing`;
    await inspect.assertQueue(queue, { durable: true });
    await inspect.bindQueue(queue, config.AMQP_EXCHANGE, 'user.registered');
    let started = false;
    let finished = false;
    await own.consumeBatch({
      name: 'closing',
      events: ['user.registered'],
      db,
      handler: async () => {
        started = true;
        await new Promise((r) => setTimeout(r, 300));
        finished = true;
      },
    });
    await bus.publish(makeEnvelope('user.registered', registered('closing')));
    await vi.waitFor(() => expect(started).toBe(true), { timeout: 10_000 });
    await own.close();
    expect(finished).toBe(true);
    // Handled once and acknowledged: nothing went back to the queue for another instance to do again.
    expect((await inspect.checkQueue(queue)).messageCount).toBe(0);
    for (const q of [queue, `${queue}.dlq`, ...[1, 2, 3, 4].map((a) => `${queue}.retry.${a}`)])
      await inspect.deleteQueue(q);
  });

  it('claims a batch without reading the rows published since the last vacuum', async () => {
    // A drop publishes hundreds of rows a second, and autovacuum comes by once a minute at best: each pass
    // of the relay must cost what it claims, not what has been published since.
    await sql`delete from outbox`.execute(db);
    await sql`alter table outbox set (autovacuum_enabled = false)`.execute(db);
    // Rows written unpublished, then published, as the relay does: their index entries stay behind.
    await sql`insert into outbox (id, type, envelope, created_at)
      select gen_random_uuid(), 'user.registered', '{}', now() - interval '1 minute' + n * interval '1 ms'
      from generate_series(1, 3000) n`.execute(db);
    await sql`update outbox set published_at = now()`.execute(db);
    // An index scan may mark an entry dead only once no transaction anywhere in the cluster is old enough
    // to see its row (the other test files' transactions share the server): wait for that, as a drop's
    // relay would see it between two passes.
    const { rows: mark } = await sql<{ xid: string }>`select pg_current_xact_id()::text as xid`.execute(db);
    await vi.waitFor(
      async () => {
        const { rows } = await sql<{ free: boolean }>`select pg_snapshot_xmin(pg_current_snapshot())
          > ${mark[0]?.xid}::xid8 as free`.execute(db);
        expect(rows[0]?.free).toBe(true);
      },
      { timeout: 60_000, interval: 200 },
    );
    const write = (on: typeof db, count: number) =>
      on.transaction().execute(async (trx) => {
        for (let i = 0; i < count; i++)
          await publishInTransaction(trx, 'user.registered', registered(`c${i}`));
      });
    // One connection, so that its statistics can be flushed and read right after the pass.
    const entriesRead = await db.connection().execute(async (conn) => {
      const read = async () => {
        await sql`select pg_stat_force_next_flush()`.execute(conn);
        const { rows } = await sql<{ n: string }>`select idx_tup_read::text as n from pg_stat_user_indexes
          where indexrelname = 'outbox_unpublished'`.execute(conn);
        return Number(rows[0]?.n ?? 0);
      };
      const relay = new OutboxRelay({ db: conn, bus, logger: testLogger() });
      await write(conn, 3);
      expect(await relay.runOnce()).toBe(3);
      await write(conn, 3);
      const before = await read();
      expect(await relay.runOnce()).toBe(3);
      return (await read()) - before;
    });
    await sql`alter table outbox reset (autovacuum_enabled)`.execute(db);
    await sql`delete from outbox`.execute(db);
    expect(entriesRead).toBeLessThan(50);
  }, 90_000);

  /**
   * Runs the relay's cleanup with `retention` on one connection and answers what it deleted from `table`
   * and how many of its rows it read, as PostgreSQL counts them.
   */
  const pruneReading = (table: 'outbox' | 'inbox', retention: { retentionMs?: number }) =>
    db.connection().execute(async (conn) => {
      const read = async () => {
        await sql`select pg_stat_force_next_flush()`.execute(conn);
        const { rows } = await sql<{ n: string }>`select (seq_tup_read + coalesce(idx_tup_fetch, 0))::text
          as n from pg_stat_user_tables where relname = ${table}`.execute(conn);
        return Number(rows[0]?.n ?? 0);
      };
      const relay = new OutboxRelay({ db: conn, bus, logger: testLogger(), ...retention });
      const before = await read();
      const deleted = (await relay.prune())[table];
      return { deleted, rowsRead: (await read()) - before };
    });

  it('deletes what it sent more than its retention ago, reading those rows only', async () => {
    // A day of sent rows is kept as the record of what was announced; the cleanup runs once a minute and
    // must cost the rows it deletes, not the day's (millions in a week of drops).
    await sql`delete from outbox`.execute(db);
    const day = 86_400_000;
    const now = Date.now();
    const rows = (count: number, createdAgo: number, sentAgo: number | null) =>
      Array.from({ length: count }, (_, i) => ({
        id: uuidv7({ msecs: now - createdAgo + i }),
        created: new Date(now - createdAgo + i),
        sent: sentAgo === null ? null : new Date(now - sentAgo),
      }));
    const recent = rows(3000, 3_600_000, 3_000_000);
    const old = rows(20, 2 * day, 2 * day - 1000);
    const unsent = rows(5, 2 * day + 60_000, null); // RabbitMQ was away: not sent, never deleted
    const late = rows(5, 2 * day + 120_000, 3_600_000); // written two days ago, sent an hour ago: kept
    const all = [...recent, ...old, ...unsent, ...late];
    await sql`insert into outbox (id, type, envelope, created_at, published_at)
      select id, 'user.registered', '{}', created, sent
      from unnest(${all.map((r) => r.id)}::uuid[], ${all.map((r) => r.created.toISOString())}::timestamptz[],
        ${all.map((r) => r.sent?.toISOString() ?? null)}::timestamptz[]) as t(id, created, sent)`.execute(db);
    await sql`analyze outbox`.execute(db);
    const { deleted, rowsRead } = await pruneReading('outbox', { retentionMs: day });
    const { rows: left } = await sql<{ id: string }>`select id from outbox`.execute(db);
    await sql`delete from outbox`.execute(db);
    expect(deleted).toBe(20);
    expect(new Set(left.map((r) => r.id))).toEqual(new Set([...recent, ...unsent, ...late].map((r) => r.id)));
    expect(rowsRead).toBeLessThan(100);
  }, 60_000);

  it('forgets handled events after its retention, consumer by consumer, reading those rows only', async () => {
    // One inbox row per event each consumer handled: a drop adds hundreds a second, for good unless deleted.
    await sql`delete from inbox`.execute(db);
    const day = 86_400_000;
    const now = Date.now();
    const rows = (consumer: string, count: number, madeAgo: number, handledAgo: number) =>
      Array.from({ length: count }, (_, i) => ({
        consumer,
        id: uuidv7({ msecs: now - madeAgo + i }),
        handled: new Date(now - handledAgo),
      }));
    const recent = ['kit.a', 'kit.b', 'kit.c'].flatMap((c) => rows(c, 1000, 3_600_000, 3_000_000));
    const old = ['kit.a', 'kit.c'].flatMap((c) => rows(c, 10, 31 * day, 31 * day - 1000));
    // Made long ago, handled an hour ago (a dead letter replayed): kept until handled that long ago too.
    const late = rows('kit.b', 5, 31 * day + 60_000, 3_600_000);
    const all = [...recent, ...old, ...late];
    await sql`insert into inbox (consumer, event_id, handled_at)
      select * from unnest(${all.map((r) => r.consumer)}::text[], ${all.map((r) => r.id)}::uuid[],
        ${all.map((r) => r.handled.toISOString())}::timestamptz[])`.execute(db);
    await sql`analyze inbox`.execute(db);
    const { deleted, rowsRead } = await pruneReading('inbox', {});
    const { rows: left } = await sql<{ id: string }>`select event_id as id from inbox`.execute(db);
    await sql`delete from inbox`.execute(db);
    expect(deleted).toBe(20);
    expect(new Set(left.map((r) => r.id))).toEqual(new Set([...recent, ...late].map((r) => r.id)));
    expect(rowsRead).toBeLessThan(100);
  }, 60_000);

  it('parks an event older than the inbox remembers instead of handling it, and handles the rest', async () => {
    // A dead letter replayed after its inbox row was deleted would otherwise take effect twice.
    const handled: string[] = [];
    const forgotten = {
      ...makeEnvelope('user.registered', registered('forgotten')),
      id: uuidv7({ msecs: Date.now() - 40 * 86_400_000 }),
      occurredAt: new Date(Date.now() - 40 * 86_400_000).toISOString(),
    };
    const recent = makeEnvelope('user.registered', registered('recent'));
    const handler = async (events: { data: { name: string } }[]) => {
      handled.push(...events.map((e) => e.data.name));
    };
    await bus.consume({
      name: 'remembering',
      events: ['user.registered'],
      db,
      handler: (event) => handler([event]),
    });
    await bus.consumeBatch({ name: 'remembering-batch', events: ['user.registered'], db, handler });
    await Promise.all([bus.publish(forgotten), bus.publish(recent)]);
    for (const name of ['remembering', 'remembering-batch']) {
      const parked = await vi.waitFor(
        async () => {
          const msg = await inspect.get(`${config.AMQP_EXCHANGE}.kit.${name}.dlq`, { noAck: true });
          if (!msg) throw new Error('nothing parked yet');
          return msg;
        },
        { timeout: 10_000 },
      );
      expect(JSON.parse(parked.content.toString()).id).toBe(forgotten.id);
      expect(String(parked.properties.headers?.['x-last-error'])).toMatch(/before what the inbox remembers/);
    }
    await vi.waitFor(() => expect(handled.filter((n) => n === 'recent')).toHaveLength(2), {
      timeout: 10_000,
    });
    expect(handled).not.toContain('forgotten');
  });
});
