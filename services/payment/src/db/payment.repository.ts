import type { PaymentStatus } from '@tiketi/contracts';
import { HttpProblem, type Kysely, paginate, sql, type Transaction } from '@tiketi/kit';
import type { DB, PaymentSeatsTable, PaymentsTable, RefundsTable } from './schema.ts';

export type Executor = Kysely<DB> | Transaction<DB>;

export type Payment = Omit<PaymentsTable, 'refundedAmount' | 'createdAt' | 'updatedAt'> & {
  refundedAmount: number;
  createdAt: Date;
  updatedAt: Date;
};
export type PaymentSeat = PaymentSeatsTable;
export type Refund = Omit<RefundsTable, 'lateApproval' | 'createdAt'> & {
  lateApproval: boolean;
  createdAt: Date;
};

export type NewPayment = Omit<
  Payment,
  | 'refundedAmount'
  | 'createdAt'
  | 'updatedAt'
  | 'paymentKey'
  | 'method'
  | 'receiptUrl'
  | 'approvedAt'
  | 'failureCode'
  | 'failureMessage'
  | 'checkoutUrl'
>;

export type PaymentPatch = Partial<
  Pick<
    Payment,
    | 'status'
    | 'paymentKey'
    | 'method'
    | 'receiptUrl'
    | 'approvedAt'
    | 'refundedAmount'
    | 'failureCode'
    | 'failureMessage'
    | 'checkoutUrl'
    | 'holdExpiresAt'
  >
>;

export type PaymentFilter = {
  userId?: string | undefined;
  eventId?: string | undefined;
  reservationId?: string | undefined;
  orderId?: string | undefined;
  status?: PaymentStatus | undefined;
  limit: number;
  offset: number;
};

/** Namespace of the per-payment advisory locks (the second key is the payment id's hash). */
const LOCK_SPACE = 4004;

/** Another request, pass or instance is working on the payment right now. */
export function paymentBusy(): HttpProblem {
  return new HttpProblem(503, 'PAYMENT_BUSY', 'This payment is being worked on; try again shortly.', {
    headers: { 'retry-after': '5' },
    routine: true,
  });
}
const LOCK_NOT_AVAILABLE = '55P03';

export const UNSETTLED: PaymentStatus[] = ['PENDING', 'IN_PROGRESS'];
/** Paid and holding money still: what a refund may apply to. */
export const REFUNDABLE: PaymentStatus[] = ['COMPLETED', 'PARTIALLY_REFUNDED'];

export function paymentRepository(db: Kysely<DB>) {
  return {
    /**
     * Runs `fn` holding this payment's lock, on one dedicated connection which `fn` uses for all its
     * queries (so its own transactions commit as it goes). Confirm, webhook, refunds and reconciliation all
     * take it, so one payment is worked on by one of them at a time, across instances. A crashed holder
     * loses its connection and with it the lock. With `wait: false` a held lock answers undefined at once.
     */
    async withLock<T>(
      paymentId: string,
      options: { wait: boolean },
      fn: (conn: Kysely<DB>) => Promise<T>,
    ): Promise<{ value: T } | undefined> {
      return db.connection().execute(async (conn) => {
        if (options.wait) {
          await sql`set lock_timeout = '30s'`.execute(conn);
          try {
            await sql`select pg_advisory_lock(${LOCK_SPACE}, hashtext(${paymentId}))`.execute(conn);
          } catch (error) {
            await sql`reset lock_timeout`.execute(conn);
            if ((error as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw error;
            throw paymentBusy();
          }
        } else {
          const { rows } = await sql<{
            ok: boolean;
          }>`select pg_try_advisory_lock(${LOCK_SPACE}, hashtext(${paymentId})) as ok`.execute(conn);
          if (!rows[0]?.ok) return undefined;
        }
        try {
          return { value: await fn(conn) };
        } finally {
          await sql`select pg_advisory_unlock(${LOCK_SPACE}, hashtext(${paymentId}))`.execute(conn);
          if (options.wait) await sql`reset lock_timeout`.execute(conn);
        }
      });
    },

    findById(id: string, ex: Executor = db): Promise<Payment | undefined> {
      return ex.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirst();
    },

    findByOrderId(orderId: string, ex: Executor = db): Promise<Payment | undefined> {
      return ex.selectFrom('payments').selectAll().where('orderId', '=', orderId).executeTakeFirst();
    },

    findOpenByReservation(reservationId: string, ex: Executor = db): Promise<Payment | undefined> {
      return ex
        .selectFrom('payments')
        .selectAll()
        .where('reservationId', '=', reservationId)
        .where('status', 'in', UNSETTLED)
        .executeTakeFirst();
    },

    async insert(trx: Transaction<DB>, payment: NewPayment, seats: Omit<PaymentSeat, 'refundId'>[]) {
      await trx.insertInto('payments').values(payment).execute();
      if (seats.length) await trx.insertInto('paymentSeats').values(seats).execute();
    },

    /**
     * Changes a payment, only from one of `from` when given: answers the changed row, or undefined when
     * the payment was not in such a state (someone else moved it first).
     */
    update(
      ex: Executor,
      id: string,
      patch: PaymentPatch,
      from?: PaymentStatus[],
    ): Promise<Payment | undefined> {
      let query = ex
        .updateTable('payments')
        .set({ ...patch, updatedAt: new Date() })
        .where('id', '=', id);
      if (from) query = query.where('status', 'in', from);
      return query.returningAll().executeTakeFirst();
    },

    seatsOf(paymentIds: string[], ex: Executor = db): Promise<PaymentSeat[]> {
      if (paymentIds.length === 0) return Promise.resolve([]);
      return ex
        .selectFrom('paymentSeats')
        .selectAll()
        .where('paymentId', 'in', paymentIds)
        .orderBy('label')
        .execute();
    },

    refundsOf(paymentIds: string[], ex: Executor = db): Promise<Refund[]> {
      if (paymentIds.length === 0) return Promise.resolve([]);
      return ex
        .selectFrom('refunds')
        .selectAll()
        .where('paymentId', 'in', paymentIds)
        .orderBy('createdAt')
        .orderBy('id')
        .execute();
    },

    findRefundOfRequest(requestId: string, ex: Executor = db): Promise<Refund | undefined> {
      return ex.selectFrom('refunds').selectAll().where('requestId', '=', requestId).executeTakeFirst();
    },

    findRefund(id: string, ex: Executor = db): Promise<Refund | undefined> {
      return ex.selectFrom('refunds').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async insertRefund(
      ex: Executor,
      refund: Omit<Refund, 'createdAt' | 'completedAt' | 'transactionKey' | 'failureCode'>,
    ) {
      await ex.insertInto('refunds').values(refund).execute();
    },

    async finishRefund(
      ex: Executor,
      id: string,
      outcome: { status: 'DONE'; transactionKey: string | null } | { status: 'FAILED'; failureCode: string },
    ) {
      await ex
        .updateTable('refunds')
        .set({ ...outcome, completedAt: new Date() })
        .where('id', '=', id)
        .where('status', '=', 'REQUESTED')
        .execute();
    },

    async markSeatsRefunded(ex: Executor, paymentId: string, seatIds: string[] | 'all', refundId: string) {
      if (seatIds !== 'all' && seatIds.length === 0) return;
      let query = ex
        .updateTable('paymentSeats')
        .set({ refundId })
        .where('paymentId', '=', paymentId)
        .where('refundId', 'is', null);
      if (seatIds !== 'all') query = query.where('seatId', 'in', seatIds);
      await query.execute();
    },

    /** Payments still open after `before`: the reconciliation job's work, oldest first. */
    async unsettledIds(before: Date, limit: number): Promise<string[]> {
      const rows = await db
        .selectFrom('payments')
        .select('id')
        .where('status', 'in', UNSETTLED)
        .where('updatedAt', '<', before)
        .orderBy('updatedAt')
        .limit(limit)
        .execute();
      return rows.map((r) => r.id);
    },

    /** Refunds whose Toss answer never came, older than `before`. */
    async requestedRefunds(before: Date, limit: number): Promise<Refund[]> {
      return db
        .selectFrom('refunds')
        .selectAll()
        .where('status', '=', 'REQUESTED')
        .where('createdAt', '<', before)
        .orderBy('createdAt')
        .limit(limit)
        .execute();
    },

    /**
     * The next page (by id, after `afterId`) of a cancelled event's payments still holding money: the
     * cancellation refunder's batch. A payment whose refund Toss refused since `cancelledAt` is left to an
     * operator rather than asked again on every pass.
     */
    async refundableOfEvent(
      eventId: string,
      cancelledAt: Date,
      afterId: string | undefined,
      limit: number,
    ): Promise<string[]> {
      let query = db
        .selectFrom('payments')
        .select('payments.id')
        .where('payments.eventId', '=', eventId)
        .where('payments.status', 'in', REFUNDABLE)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('refunds')
                .select('refunds.id')
                .whereRef('refunds.paymentId', '=', 'payments.id')
                .where('refunds.status', '=', 'FAILED')
                .where('refunds.createdAt', '>=', cancelledAt),
            ),
          ),
        )
        .orderBy('payments.id')
        .limit(limit);
      if (afterId) query = query.where('payments.id', '>', afterId);
      return (await query.execute()).map((r) => r.id);
    },

    list(filter: PaymentFilter): Promise<{ items: Payment[]; total: number }> {
      let query = db.selectFrom('payments');
      if (filter.userId) query = query.where('userId', '=', filter.userId);
      if (filter.eventId) query = query.where('eventId', '=', filter.eventId);
      if (filter.reservationId) query = query.where('reservationId', '=', filter.reservationId);
      if (filter.orderId) query = query.where('orderId', '=', filter.orderId);
      if (filter.status) query = query.where('status', '=', filter.status);
      return paginate(query, (q) => q.selectAll().orderBy('createdAt', 'desc').orderBy('id', 'desc'), filter);
    },

    /** Money taken and given back for one event, over its paid payments. */
    async revenue(eventId: string) {
      const row = await db
        .selectFrom('payments')
        .where('eventId', '=', eventId)
        .where('approvedAt', 'is not', null)
        .where('status', 'in', ['COMPLETED', 'PARTIALLY_REFUNDED', 'REFUNDED'])
        .select((eb) => [
          eb.fn.countAll<number>().as('payments'),
          eb.fn.coalesce(eb.fn.sum<number>('amount'), sql<number>`0`).as('grossAmount'),
          sql<number>`count(*) filter (where refunded_amount > 0)`.as('refunds'),
          eb.fn.coalesce(eb.fn.sum<number>('refundedAmount'), sql<number>`0`).as('refundedAmount'),
        ])
        .executeTakeFirstOrThrow();
      const gross = Number(row.grossAmount);
      const refunded = Number(row.refundedAmount);
      return {
        payments: Number(row.payments),
        grossAmount: gross,
        refunds: Number(row.refunds),
        refundedAmount: refunded,
        netAmount: gross - refunded,
      };
    },
  };
}

export type PaymentRepository = ReturnType<typeof paymentRepository>;
