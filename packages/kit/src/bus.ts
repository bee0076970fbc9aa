import type { Writable } from 'node:stream';
import {
  type Envelope,
  EVENT_VERSION,
  type EventData,
  type EventInput,
  type EventType,
  envelopeSchema,
  eventCatalogue,
  isEventType,
} from '@tiketi/contracts';
import amqp, { type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { type Kysely, sql, type Transaction } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { currentContext, formatTraceparent, newContext, runInContext } from './context.ts';
import type { OutboxWriter } from './db.ts';
import type { Logger } from './logger.ts';
import { INBOX_RETENTION_MS, writeOutbox } from './outbox.ts';
import { endSpan, SpanKind, startSpan, traceparentOf } from './tracing.ts';

export type AnyEnvelope<T extends EventType = EventType> = T extends EventType ? Envelope<T> : never;

/** Builds a validated envelope for an event; throws if the payload breaks its contract. */
export function makeEnvelope<T extends EventType>(
  type: T,
  data: EventInput<T>,
  options: { tag?: string | undefined } = {},
): Envelope<T> {
  const parsed = eventCatalogue[type].parse(data) as EventData<T>;
  const ctx = currentContext();
  return {
    id: uuidv7(),
    type,
    version: EVENT_VERSION,
    occurredAt: new Date().toISOString(),
    traceparent: ctx ? formatTraceparent(ctx) : undefined,
    ...(options.tag ? { tag: envelopeSchema.shape.tag.parse(options.tag) } : {}),
    data: parsed,
  };
}

/**
 * Records an event in the outbox inside the caller's transaction: the event is published if and only if
 * the change it announces commits.
 */
export async function publishInTransaction<T extends EventType>(
  trx: OutboxWriter,
  type: T,
  data: EventInput<T>,
): Promise<Envelope<T>> {
  const envelope = makeEnvelope(type, data);
  await writeOutbox(trx, envelope);
  return envelope;
}

export type BusOptions = {
  url: string;
  exchange: string;
  /** Names this service's queues: `<exchange>.<service>.<consumer>`. */
  service: string;
  logger: Logger;
};

export type ConsumerOptions<T extends EventType> = {
  /** Stable name of this consumer within the service; part of its queue name and inbox key. */
  name: string;
  events: readonly T[];
  /**
   * Types this consumer takes only when published with this tag (`Envelope.tag`), through the exchange of
   * tagged events (`taggedExchangeOf`); it takes the others with any tag or none.
   */
  tagged?: Partial<Record<T, string>>;
  /**
   * Types this consumer still handles when they are in its queue, but no longer takes from the exchange
   * (another consumer of the service does now): its queue is unbound from them, and what a running broker
   * had already queued is handled, not parked.
   */
  handedOver?: readonly T[];
  /** Attempts before a message is parked in the dead-letter queue (first delivery included). */
  maxAttempts?: number;
  /** Delay before each retry; the last one repeats if there are more attempts than delays. */
  retryDelaysMs?: number[];
  prefetch?: number;
};

export type InboxConsumerOptions<T extends EventType, DB, R = void> = ConsumerOptions<T> & {
  db: Kysely<DB>;
  /** Runs in one transaction with the inbox row: its effect happens once however often the event comes. */
  handler: (event: AnyEnvelope<T>, trx: Transaction<DB>) => Promise<R>;
  /**
   * Runs after the handler's transaction committed (not for duplicates), with what the handler returned:
   * for side effects that must not run before the change is visible, such as refreshing a cache.
   * A failure is logged and not retried, so it must only touch what can be rebuilt.
   */
  afterCommit?: (event: AnyEnvelope<T>, result: R) => Promise<void>;
};

export type BatchInboxConsumerOptions<T extends EventType, DB> = ConsumerOptions<T> & {
  db: Kysely<DB>;
  /**
   * Runs once for the events that arrived together and were not handled before, in one transaction with
   * their inbox rows: each event's effect happens once however often it comes. If the batch fails, each
   * of its events is tried again on its own, with the usual retries and dead-letter queue.
   */
  handler: (events: AnyEnvelope<T>[], trx: Transaction<DB>) => Promise<void>;
  /** Most events in one transaction (default 100); the prefetch defaults to twice this. */
  batchSize?: number;
};

export type PlainConsumerOptions<T extends EventType> = ConsumerOptions<T> & {
  /** Must be idempotent by itself: there is no inbox. */
  handler: (event: AnyEnvelope<T>) => Promise<void>;
};

const DEFAULT_DELAYS = [1000, 5000, 30_000, 120_000];
/** How long `close` waits for handlers under way to finish before it closes their channels anyway. */
const CLOSE_WAIT_MS = 10_000;

/**
 * Where a consumer that takes a type only with one tag binds: a headers exchange bound to the topic
 * exchange by the type, matching the tag's headers. The routing key stays the event's type, so everything
 * bound to a type on the topic exchange gets every event of it, tagged or not.
 */
export function taggedExchangeOf(exchange: string): string {
  return `${exchange}.tagged`;
}
const TYPE_HEADER = 'tiketi-type';
const TAG_HEADER = 'tiketi-tag';

class PoisonMessage extends Error {
  override name = 'PoisonMessage';
}

const DAY_MS = 86_400_000;
/**
 * An event older than this reaches a consumer only from a dead-letter queue replayed late, and whether it was
 * handled may no longer be on record: it is parked for a person to look at rather than risk its effect twice.
 * A day short of the inbox's retention, for clocks that disagree.
 */
const INBOX_OLDEST_MS = INBOX_RETENTION_MS - DAY_MS;

function refuseForgotten(event: { occurredAt: string }): void {
  if (Date.now() - Date.parse(event.occurredAt) <= INBOX_OLDEST_MS) return;
  throw new PoisonMessage(
    `the event occurred at ${event.occurredAt}, before what the inbox remembers ` +
      `(${INBOX_OLDEST_MS / DAY_MS} days): it may have been handled already; check by hand before replaying it`,
  );
}

/** RabbitMQ on one topic exchange; reconnects by itself and replays its topology on reconnect. */
export class Bus {
  readonly exchange: string;
  private readonly connection: AmqpConnectionManager;
  private readonly publisher: ChannelWrapper;
  private readonly consumers: ChannelWrapper[] = [];
  private readonly queues = new Set<string>();
  /** Handlers under way: `close` lets them finish and settle their messages before the channels go. */
  private readonly working = new Set<Promise<unknown>>();
  private readonly options: BusOptions;

  constructor(options: BusOptions) {
    this.options = options;
    this.exchange = options.exchange;
    this.connection = amqp.connect([options.url], {
      heartbeatIntervalInSeconds: 5,
      reconnectTimeInSeconds: 1,
    });
    this.connection.on('connect', ({ connection }) => {
      // Without the socket where amqplib keeps it, frames simply go out one write each, as before.
      const socket = socketOf(connection);
      if (socket) onePerTurn(socket);
    });
    this.connection.on('disconnect', ({ err }) =>
      options.logger.warn({ err: err?.message }, 'RabbitMQ disconnected; reconnecting'),
    );
    this.connection.on('connectFailed', ({ err }) =>
      options.logger.warn({ err: err?.message }, 'RabbitMQ connection failed; retrying'),
    );
    this.publisher = this.connection.createChannel({
      name: 'publisher',
      confirm: true,
      publishTimeout: 10_000,
      setup: (ch: ConfirmChannel) => ch.assertExchange(this.exchange, 'topic', { durable: true }),
    });
  }

  isConnected(): boolean {
    return this.connection.isConnected();
  }

  /** Resolves once connected and the exchange exists (or rejects after the timeout). */
  async waitForConnect(timeoutMs = 10_000): Promise<void> {
    await this.publisher.waitForConnect();
    if (!this.isConnected()) throw new Error(`RabbitMQ not reachable within ${timeoutMs} ms`);
  }

  /** Publishes with a publisher confirm: resolves only once the broker has the message. */
  async publish(envelope: {
    id: string;
    type: string;
    tag?: string | undefined;
    traceparent?: string | undefined;
  }): Promise<void> {
    const span = startSpan(`${envelope.type} publish`, {
      kind: SpanKind.PRODUCER,
      traceparent: envelope.traceparent,
      attributes: {
        'tiketi.service': this.options.service,
        'messaging.system': 'rabbitmq',
        'messaging.destination.name': this.exchange,
        'messaging.message.id': envelope.id,
      },
    });
    try {
      const traceparent = traceparentOf(span);
      await this.publisher.publish(this.exchange, envelope.type, Buffer.from(JSON.stringify(envelope)), {
        persistent: true,
        messageId: envelope.id,
        contentType: 'application/json',
        type: envelope.type,
        headers: {
          ...(traceparent ? { traceparent } : {}),
          ...(envelope.tag ? { [TYPE_HEADER]: envelope.type, [TAG_HEADER]: envelope.tag } : {}),
        },
      });
      endSpan(span);
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
  }

  /** A consumer with an inbox: duplicates (redeliveries, relay replays) are absorbed transactionally. */
  async consume<T extends EventType, DB, R = void>(options: InboxConsumerOptions<T, DB, R>): Promise<void> {
    const key = `${this.options.service}.${options.name}`;
    await this.subscribe({
      ...options,
      handler: async (event) => {
        refuseForgotten(event);
        const outcome = await options.db.transaction().execute(async (trx) => {
          const inserted = await sql`insert into inbox (consumer, event_id) values (${key}, ${event.id})
            on conflict do nothing returning event_id`.execute(trx);
          if (inserted.rows.length === 0) return undefined;
          return { result: await options.handler(event, trx) };
        });
        if (outcome && options.afterCommit) {
          await options
            .afterCommit(event, outcome.result)
            .catch((error: Error) =>
              this.options.logger.warn({ err: error.message, eventId: event.id }, 'afterCommit failed'),
            );
        }
      },
    });
  }

  /**
   * A consumer with an inbox that takes what has arrived together in one transaction (a drop announces
   * hundreds of holds a second; one transaction and one commit each cost more than the work they carry).
   */
  async consumeBatch<T extends EventType, DB>(options: BatchInboxConsumerOptions<T, DB>): Promise<void> {
    const key = `${this.options.service}.${options.name}`;
    const batchSize = options.batchSize ?? 100;
    const handleAll = (events: AnyEnvelope<T>[]) => {
      for (const event of events) refuseForgotten(event);
      return options.db.transaction().execute(async (trx) => {
        const unique = [...new Map(events.map((e) => [e.id, e])).values()];
        const inserted = await sql<{ id: string }>`insert into inbox (consumer, event_id)
          select ${key}::text, unnest(${unique.map((e) => e.id)}::uuid[])
          on conflict do nothing returning event_id as id`.execute(trx);
        const fresh = new Set(inserted.rows.map((r) => r.id));
        const todo = unique.filter((e) => fresh.has(e.id));
        if (todo.length) await options.handler(todo, trx);
      });
    };
    const { channel, handleOne, log, processContext, received, settle } = this.openConsumer(options);
    const waiting: ConsumeMessage[] = [];
    let draining = false;
    const handleBatch = async (messages: ConsumeMessage[]) => {
      const parsed: { msg: ConsumeMessage; envelope: AnyEnvelope<T> }[] = [];
      const unparsed: ConsumeMessage[] = [];
      for (const msg of messages) {
        try {
          parsed.push({ msg, envelope: parseEnvelope(msg.content, options.events) });
        } catch {
          unparsed.push(msg);
        }
      }
      if (parsed.length > 0) {
        // Each event keeps its own span in its own trace; the batch's transaction is their common work.
        const spans = parsed.map((p) => processContext(p.msg, p.envelope).span);
        try {
          await handleAll(parsed.map((p) => p.envelope));
          for (const span of spans) endSpan(span);
          const last = parsed.at(-1)?.msg;
          // Batches are taken in delivery order and each is settled before the next starts, so when the
          // whole batch parsed, its last message's tag covers exactly this batch: one frame acks it all
          // (the broker settles one ack instead of a hundred). What did not parse is still to be parked.
          if (unparsed.length === 0 && last) settle(last, 'ack-all');
          else for (const p of parsed) settle(p.msg, 'ack');
        } catch (error) {
          for (const span of spans) endSpan(span, error);
          log.warn(
            { err: (error as Error).message, size: parsed.length },
            'batch failed; handling one by one',
          );
          for (const p of parsed) await handleOne(p.msg, (event) => handleAll([event]));
        }
      }
      // What does not parse goes the single way, which parks it.
      for (const msg of unparsed) await handleOne(msg, (event) => handleAll([event]));
    };
    const drain = async () => {
      try {
        while (waiting.length > 0) await handleBatch(waiting.splice(0, batchSize));
      } finally {
        draining = false;
      }
    };
    await channel.consume(
      this.queueOf(options.name),
      (msg) => {
        received(msg);
        waiting.push(msg);
        if (draining) return;
        draining = true;
        // After this turn of the event loop: the messages that arrived with this one join its batch.
        this.track(new Promise((resolve) => setImmediate(() => resolve(drain()))));
      },
      { prefetch: options.prefetch ?? 2 * batchSize },
    );
    await channel.waitForConnect();
  }

  /** A consumer without inbox, for handlers that are idempotent by themselves. */
  async subscribe<T extends EventType>(options: PlainConsumerOptions<T>): Promise<void> {
    const { channel, handleOne, received } = this.openConsumer(options);
    const onMessage = (msg: ConsumeMessage) => {
      received(msg);
      this.track(handleOne(msg, options.handler));
    };
    await channel.consume(this.queueOf(options.name), onMessage, {
      prefetch: options.prefetch ?? 10,
    });
    await channel.waitForConnect();
  }

  private track(work: Promise<unknown>): void {
    this.working.add(work);
    void work.finally(() => this.working.delete(work)).catch(() => undefined);
  }

  private queueOf(name: string): string {
    return `${this.exchange}.${this.options.service}.${name}`;
  }

  /**
   * Declares a consumer's queue, its retry queues and dead-letter queue on a channel of its own, and
   * answers how one message is handled: parsed, run in its trace context, acked, or on failure sent to
   * the next retry queue (the dead-letter queue after the last attempt, or at once when it cannot parse).
   */
  private openConsumer<T extends EventType>(options: ConsumerOptions<T>) {
    const queue = this.queueOf(options.name);
    const maxAttempts = options.maxAttempts ?? 5;
    const delays = options.retryDelaysMs ?? DEFAULT_DELAYS;
    const retryQueue = (attempt: number) => `${queue}.retry.${attempt}`;
    const dlq = `${queue}.dlq`;
    this.queues.add(queue).add(dlq);
    for (let a = 1; a < maxAttempts; a++) this.queues.add(retryQueue(a));
    const log = this.options.logger.child({ consumer: queue });

    // A delivery tag names a message on the channel that delivered it only. After a reconnection the
    // channel manager acks on the new channel, where a handler's old tag names another message, or none
    // (the broker answers 406 and the whole connection goes down again). A message whose channel is gone
    // was put back by the broker and comes again: it is not settled.
    let current: ConfirmChannel | undefined;
    const arrivedOn = new WeakMap<ConsumeMessage, ConfirmChannel | undefined>();
    const received = (msg: ConsumeMessage) => arrivedOn.set(msg, current);
    const settle = (msg: ConsumeMessage, how: 'ack' | 'ack-all' | 'requeue') => {
      if (arrivedOn.get(msg) !== current) return;
      if (how === 'requeue') channel.nack(msg, false, true);
      else channel.ack(msg, how === 'ack-all');
    };
    const channel: ChannelWrapper = this.connection.createChannel({
      name: queue,
      confirm: true,
      setup: async (ch: ConfirmChannel) => {
        current = ch;
        await ch.assertExchange(this.exchange, 'topic', { durable: true });
        await ch.assertQueue(queue, { durable: true });
        await ch.assertQueue(dlq, { durable: true });
        for (let a = 1; a < maxAttempts; a++) {
          const ttl = delays[Math.min(a - 1, delays.length - 1)] ?? 1000;
          await ch.assertQueue(retryQueue(a), {
            durable: true,
            arguments: {
              'x-message-ttl': ttl,
              'x-dead-letter-exchange': '',
              'x-dead-letter-routing-key': queue,
            },
          });
        }
        for (const type of options.handedOver ?? []) {
          await ch.unbindQueue(queue, this.exchange, type);
        }
        for (const type of options.events) {
          if (options.handedOver?.includes(type)) continue;
          const tag = options.tagged?.[type];
          if (tag) {
            const tagged = taggedExchangeOf(this.exchange);
            await ch.assertExchange(tagged, 'headers', { durable: true });
            await ch.bindExchange(tagged, this.exchange, type);
            // A queue declared before it took the type only tagged still has the plain binding: drop it.
            await ch.unbindQueue(queue, this.exchange, type);
            await ch.unbindQueue(queue, this.exchange, `${type}.#`);
            await ch.bindQueue(queue, tagged, '', {
              'x-match': 'all',
              [TYPE_HEADER]: type,
              [TAG_HEADER]: tag,
            });
          } else {
            await ch.bindQueue(queue, this.exchange, type);
          }
        }
      },
    });
    this.consumers.push(channel);

    const attemptOf = (msg: ConsumeMessage) => Number(msg.properties.headers?.['x-attempt'] ?? 1);
    /** The span of one message's handling, in the trace its producer started. */
    const processContext = (msg: ConsumeMessage, envelope: AnyEnvelope<T>) => {
      const header = msg.properties.headers?.traceparent;
      return newContext(envelope.id, typeof header === 'string' ? header : envelope.traceparent, {
        name: `${envelope.type} process`,
        kind: SpanKind.CONSUMER,
        attributes: {
          'tiketi.service': this.options.service,
          'messaging.system': 'rabbitmq',
          'messaging.destination.name': queue,
          'messaging.message.id': envelope.id,
          'tiketi.attempt': attemptOf(msg),
        },
      });
    };

    const handleOne = async (msg: ConsumeMessage, handler: (event: AnyEnvelope<T>) => Promise<unknown>) => {
      const attempt = attemptOf(msg);
      let envelope: AnyEnvelope<T> | undefined;
      try {
        envelope = parseEnvelope(msg.content, options.events);
        const ctx = processContext(msg, envelope);
        try {
          await runInContext(ctx, () => handler(envelope as AnyEnvelope<T>));
          endSpan(ctx.span);
        } catch (error) {
          endSpan(ctx.span, error);
          throw error;
        }
        settle(msg, 'ack');
      } catch (error) {
        const reason = (error as Error).message;
        const poison = error instanceof PoisonMessage;
        const headers = {
          ...msg.properties.headers,
          'x-attempt': attempt + 1,
          'x-last-error': reason.slice(0, 500),
        };
        const target = poison || attempt >= maxAttempts ? dlq : retryQueue(attempt);
        try {
          await channel.sendToQueue(target, msg.content, { ...msg.properties, headers, persistent: true });
          settle(msg, 'ack');
          const level = target === dlq ? 'error' : 'warn';
          log[level]({ err: reason, attempt, eventId: envelope?.id, to: target }, 'event handling failed');
        } catch (sendError) {
          // Could not hand the message on: let the broker redeliver it rather than lose it.
          log.error({ err: (sendError as Error).message }, 'could not route a failed message; requeueing');
          settle(msg, 'requeue');
        }
      }
    };
    return { channel, handleOne, log, processContext, received, settle };
  }

  /** Deletes the queues this bus declared and its exchanges (tests clean up with it). */
  async destroyTopology(): Promise<void> {
    // A queue deleted under its own consumer makes the broker cancel that consumer, and the channel manager
    // then tears channels down mid-delete: stop consuming first.
    for (const c of this.consumers) await c.cancelAll().catch(() => undefined);
    const admin = this.connection.createChannel({ confirm: false });
    await admin.waitForConnect();
    await admin.addSetup(async (ch: ConfirmChannel) => {
      for (const q of this.queues) await ch.deleteQueue(q);
      await ch.deleteExchange(taggedExchangeOf(this.exchange));
      await ch.deleteExchange(this.exchange);
    });
    await admin.close();
  }

  async close(): Promise<void> {
    for (const c of this.consumers) await c.cancelAll().catch(() => undefined);
    // Nothing new arrives now. What is under way finishes and is acknowledged, rather than going back to
    // the queue to be handled again by the next instance (a bounded wait: a stuck handler cannot hold
    // a shutdown).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.working]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, CLOSE_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
    for (const c of this.consumers) await c.close();
    await this.publisher.close();
    await this.connection.close();
  }
}

/** The socket under an amqplib connection (amqplib keeps it as `connection.stream`, untyped). */
function socketOf(connection: unknown): Writable | undefined {
  const stream = (connection as { connection?: { stream?: Writable } }).connection?.stream;
  return typeof stream?.cork === 'function' ? stream : undefined;
}

/**
 * amqplib's multiplexer hands the socket one frame at a time, each its own `write`, so a relay batch of a
 * hundred publishes or a consumer's hundred acks cost a hundred system calls. Corked at a turn's first
 * write and uncorked on the next tick, what one turn of the event loop sends leaves in one `writev`;
 * nothing waits for a timer, and the stream's backpressure still holds (a write past its high-water mark
 * answers false, and the multiplexer waits for `drain`).
 */
export function onePerTurn(socket: Writable): void {
  const write = socket.write;
  socket.write = function (this: Writable, ...args: Parameters<Writable['write']>) {
    if (this.writableCorked === 0) {
      this.cork();
      process.nextTick(() => this.uncork());
    }
    return write.apply(this, args);
  } as Writable['write'];
}

function parseEnvelope<T extends EventType>(content: Buffer, accepted: readonly T[]): AnyEnvelope<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(content.toString('utf8'));
  } catch {
    throw new PoisonMessage('message is not JSON');
  }
  const envelope = envelopeSchema.safeParse(raw);
  if (!envelope.success) throw new PoisonMessage(`bad envelope: ${envelope.error.message}`);
  const { type, version } = envelope.data;
  if (!isEventType(type) || !accepted.includes(type as T)) throw new PoisonMessage(`unexpected type ${type}`);
  if (version > EVENT_VERSION) throw new PoisonMessage(`unsupported ${type} version ${version}`);
  const data = eventCatalogue[type].safeParse(envelope.data.data);
  if (!data.success) throw new PoisonMessage(`bad ${type} payload: ${data.error.message}`);
  return { ...envelope.data, type, data: data.data } as AnyEnvelope<T>;
}
