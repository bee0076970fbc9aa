import type { NotificationStatus } from '@tiketi/contracts';
import { type Kysely, type Page, paginate } from '@tiketi/kit';
import { v7 as uuidv7 } from 'uuid';
import type { DB, Locale } from './schema.ts';

export type Recipient = { userId: string; email: string; name: string; locale: Locale };
export type EventDetails = { eventId: string; title: string; startsAt: Date; venueName: string | null };

/** SQL of the notification service; every function runs on the caller's transaction when given one. */
export function notificationRepository(db: Kysely<DB>) {
  return {
    /**
     * A deleted account: its address and name go, from the recipients and from the record of mails sent, and
     * it is remembered as forgotten so that no later `user.registered` brings them back.
     */
    async forgetRecipient(userId: string): Promise<void> {
      await db
        .insertInto('forgottenUsers')
        .values({ userId })
        .onConflict((oc) => oc.doNothing())
        .execute();
      await db.deleteFrom('recipients').where('userId', '=', userId).execute();
      await db.updateTable('notifications').set({ recipient: null }).where('userId', '=', userId).execute();
    },

    async upsertRecipient(r: Recipient): Promise<void> {
      const forgotten = await db
        .selectFrom('forgottenUsers')
        .select('userId')
        .where('userId', '=', r.userId)
        .executeTakeFirst();
      if (forgotten) return;
      await db
        .insertInto('recipients')
        .values(r)
        .onConflict((oc) =>
          oc
            .column('userId')
            .doUpdateSet({ email: r.email, name: r.name, locale: r.locale, updatedAt: new Date() }),
        )
        .execute();
    },

    findRecipient(userId: string): Promise<Recipient | undefined> {
      return db
        .selectFrom('recipients')
        .select(['userId', 'email', 'name', 'locale'])
        .where('userId', '=', userId)
        .executeTakeFirst();
    },

    /** Keeps a known venue name when the newer source (event.published) does not carry one. */
    async upsertEventDetails(e: EventDetails): Promise<void> {
      await db
        .insertInto('eventDetails')
        .values(e)
        .onConflict((oc) =>
          oc.column('eventId').doUpdateSet((eb) => ({
            title: e.title,
            startsAt: e.startsAt,
            venueName: e.venueName ?? eb.ref('eventDetails.venueName'),
            updatedAt: new Date(),
          })),
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
     * duplicate waits on the unique index until the first transaction ends, then finds it taken.
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
    }): Promise<string | undefined> {
      const row = await db
        .insertInto('notifications')
        .values({ id: uuidv7(), ...input })
        .onConflict((oc) => oc.column('dedupeKey').doNothing())
        .returning('id')
        .executeTakeFirst();
      return row?.id;
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
