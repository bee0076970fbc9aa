import type { NotificationStatus } from '@tiketi/contracts';
import { type Kysely, type Page, paginate, sql, type Transaction } from '@tiketi/kit';
import { v7 as uuidv7 } from 'uuid';
import type { DB, Locale } from './schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

async function isForgotten(executor: Executor, userId: string): Promise<boolean> {
  const row = await executor
    .selectFrom('forgottenUsers')
    .select('userId')
    .where('userId', '=', userId)
    .executeTakeFirst();
  return row !== undefined;
}

export type Recipient = { userId: string; email: string; name: string; locale: Locale };
export type EventDetails = { eventId: string; title: string; startsAt: Date; venueName: string | null };

/** SQL of the notification service; every function runs on the caller's transaction when given one. */
export function notificationRepository(db: Kysely<DB>) {
  /**
   * Runs `work` in a transaction (the caller's, when it is one) holding a lock of its own for the user:
   * forgetting a user and everything that writes the user's address take it, so neither misses the other.
   */
  async function underUserLock<T>(userId: string, work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    const locked = async (trx: Transaction<DB>) => {
      await sql`select pg_advisory_xact_lock(hashtextextended(${`recipient:${userId}`}, 0))`.execute(trx);
      return work(trx);
    };
    return db.isTransaction ? locked(db as Transaction<DB>) : db.transaction().execute(locked);
  }

  return {
    /**
     * A deleted account: its address and name go, from the recipients and from the record of mails sent, and
     * it is remembered as forgotten so that no later `user.registered` brings them back.
     */
    forgetRecipient(userId: string): Promise<void> {
      return underUserLock(userId, async (trx) => {
        await trx
          .insertInto('forgottenUsers')
          .values({ userId })
          .onConflict((oc) => oc.doNothing())
          .execute();
        await trx.deleteFrom('recipients').where('userId', '=', userId).execute();
        await trx
          .updateTable('notifications')
          .set({ recipient: null, source: null })
          .where('userId', '=', userId)
          .execute();
      });
    },

    upsertRecipient(r: Recipient): Promise<void> {
      return underUserLock(r.userId, async (trx) => {
        if (await isForgotten(trx, r.userId)) return;
        await trx
          .insertInto('recipients')
          .values(r)
          .onConflict((oc) =>
            oc
              .column('userId')
              .doUpdateSet({ email: r.email, name: r.name, locale: r.locale, updatedAt: new Date() }),
          )
          .execute();
      });
    },

    findRecipient(userId: string): Promise<Recipient | undefined> {
      return db
        .selectFrom('recipients')
        .select(['userId', 'email', 'name', 'locale'])
        .where('userId', '=', userId)
        .executeTakeFirst();
    },

    /** Keeps a known venue name when the newer source (event.published) does not carry one. */
    /** The event as it was at `sourceAt`, unless the row holds what it was later already. */
    async upsertEventDetails(e: EventDetails, sourceAt: Date): Promise<void> {
      await db
        .insertInto('eventDetails')
        .values({ ...e, sourceAt })
        .onConflict((oc) =>
          oc
            .column('eventId')
            .doUpdateSet((eb) => ({
              title: e.title,
              startsAt: e.startsAt,
              venueName: e.venueName ?? eb.ref('eventDetails.venueName'),
              sourceAt,
              updatedAt: new Date(),
            }))
            .where((eb) =>
              eb.or([eb('eventDetails.sourceAt', 'is', null), eb('eventDetails.sourceAt', '<=', sourceAt)]),
            ),
        )
        .execute();
    },

    findEventDetails(eventId: string): Promise<EventDetails | undefined> {
      return db
        .selectFrom('eventDetails')
        .select(['eventId', 'title', 'startsAt', 'venueName'])
        .where('eventId', '=', eventId)
        .executeTakeFirst();
    },

    async recordConfirmedReservation(reservationId: string, amount: number): Promise<void> {
      await db
        .insertInto('confirmedReservations')
        .values({ reservationId, amount })
        .onConflict((oc) => oc.column('reservationId').doNothing())
        .execute();
    },

    async confirmedAmount(reservationId: string): Promise<number | undefined> {
      const row = await db
        .selectFrom('confirmedReservations')
        .select('amount')
        .where('reservationId', '=', reservationId)
        .executeTakeFirst();
      return row?.amount;
    },

    /**
     * Claims the email for (event, template). Returns undefined when it was already claimed: a concurrent
     * duplicate waits on the unique index until the first transaction ends, then finds it taken. A mail to a
     * user's address waits for a deletion of the user being handled, and is recorded as skipped, without the
     * address, when the user was forgotten meanwhile (undefined too: nothing is to be sent).
     */
    async claim(input: {
      dedupeKey: string;
      eventId: string;
      template: string;
      userId: string | null;
      status: NotificationStatus;
      recipient?: string;
      locale?: Locale;
      subject?: string;
      detail?: string;
      transport?: string;
      source?: string;
      againOf?: string;
      requestedBy?: string;
    }): Promise<string | undefined> {
      const insert = async (executor: Executor, row: typeof input) =>
        (
          await executor
            .insertInto('notifications')
            .values({ id: uuidv7(), ...row })
            .onConflict((oc) => oc.column('dedupeKey').doNothing())
            .returning('id')
            .executeTakeFirst()
        )?.id;
      const { userId } = input;
      if (userId === null || input.recipient === undefined) return insert(db, input);
      return underUserLock(userId, async (trx) => {
        if (!(await isForgotten(trx, userId))) return insert(trx, input);
        const { dedupeKey, eventId, template } = input;
        await insert(trx, {
          dedupeKey,
          eventId,
          template,
          userId,
          status: 'skipped',
          detail: 'account deleted',
        });
        return undefined;
      });
    },

    findById(id: string) {
      return db.selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** How many times this mail was sent again. */
    async timesSentAgain(id: string): Promise<number> {
      const row = await db
        .selectFrom('notifications')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('againOf', '=', id)
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },

    /** Whatever a redelivery meanwhile thought of the claim, the provider took the mail. */
    async markSent(id: string, providerMessageId: string | undefined): Promise<void> {
      await db
        .updateTable('notifications')
        .set({ status: 'sent', detail: null, providerMessageId: providerMessageId ?? null })
        .where('id', '=', id)
        .execute();
    },

    /** The claim of (event, template) made before, when it is still waiting for its send to be confirmed. */
    async findPending(dedupeKey: string): Promise<{ id: string } | undefined> {
      return db
        .selectFrom('notifications')
        .select('id')
        .where('dedupeKey', '=', dedupeKey)
        .where('status', 'in', ['sending', 'unconfirmed'])
        .executeTakeFirst();
    },

    /** A claim found still `sending` by a redelivery: marked, unless its send was confirmed meanwhile. */
    async markUnconfirmed(id: string, detail: string): Promise<void> {
      await db
        .updateTable('notifications')
        .set({ status: 'unconfirmed', detail })
        .where('id', '=', id)
        .where('status', '=', 'sending')
        .execute();
    },

    /**
     * Claims still `sending` that were made before `before`: their process stopped mid-send and no delivery
     * came back to say so (a mail sent again at an operator's request has none). Marked `unconfirmed`, as a
     * redelivery marks them; answers how many.
     */
    async markAbandonedUnconfirmed(before: Date, detail: string): Promise<number> {
      const result = await db
        .updateTable('notifications')
        .set({ status: 'unconfirmed', detail })
        .where('status', '=', 'sending')
        .where('createdAt', '<', before)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    /** The provider refused the mail: the claim goes, so that the bus's retry sends it. */
    async release(id: string): Promise<void> {
      await db
        .deleteFrom('notifications')
        .where('id', '=', id)
        .where('status', 'in', ['sending', 'unconfirmed'])
        .execute();
    },

    list(filter: { userId?: string } & Page) {
      let query = db.selectFrom('notifications');
      if (filter.userId) query = query.where('userId', '=', filter.userId);
      return paginate(query, (q) => q.selectAll().orderBy('createdAt', 'desc').orderBy('id', 'desc'), filter);
    },
  };
}

export type NotificationRepository = ReturnType<typeof notificationRepository>;
