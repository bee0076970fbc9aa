import { type Kysely, sql, type Transaction } from '@tiketi/kit';
import type { DB, VouchersTable } from './schema.ts';

export type NewVoucher = Omit<VouchersTable, 'used' | 'createdAt' | 'active'>;
/** What an operator may change on a voucher: all but its code and event. */
export type VoucherChange = Omit<NewVoucher, 'id' | 'eventId' | 'code'> & { active: boolean };

/** A held seat with its price tier, as a voucher's discount is spread over them. */
export type DiscountableSeat = { seatId: string; tierId: string; price: number };

export function voucherRepository(db: Kysely<DB>) {
  return {
    async insert(voucher: NewVoucher) {
      return db
        .insertInto('vouchers')
        .values({ ...voucher, tierIds: sql`${voucher.tierIds}::uuid[]` as never })
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    findById(id: string) {
      return db.selectFrom('vouchers').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /**
     * Changes a voucher's terms unless fewer uses would be left than were taken: the condition is checked
     * on the locked row, so a use taken at the same moment is counted. Undefined when it was refused.
     */
    update(id: string, change: VoucherChange) {
      return db
        .updateTable('vouchers')
        .set({ ...change, tierIds: sql`${change.tierIds}::uuid[]` as never })
        .where('id', '=', id)
        .where('used', '<=', change.maxUses)
        .returningAll()
        .executeTakeFirst();
    },

    ofEvent(eventId: string) {
      return db
        .selectFrom('vouchers')
        .selectAll()
        .where('eventId', '=', eventId)
        .orderBy('createdAt', 'desc')
        .orderBy('id')
        .execute();
    },

    async codesOf(ids: string[]): Promise<Map<string, string>> {
      if (ids.length === 0) return new Map();
      const rows = await db.selectFrom('vouchers').select(['id', 'code']).where('id', 'in', ids).execute();
      return new Map(rows.map((r) => [r.id, r.code]));
    },

    findByCode(trx: Transaction<DB>, eventId: string, code: string) {
      return trx
        .selectFrom('vouchers')
        .selectAll()
        .where('eventId', '=', eventId)
        .where('code', '=', code)
        .executeTakeFirst();
    },

    /**
     * Takes one use if one is left, in one conditional update: the row lock makes concurrent takers queue,
     * and each re-reads `used` once it holds the lock, so N uses go to N reservations at most, however many
     * ask at once. Answers false when none was left.
     */
    async takeUse(trx: Transaction<DB>, id: string): Promise<boolean> {
      const result =
        await sql`update vouchers set used = used + 1 where id = ${id} and used < max_uses`.execute(trx);
      return Number(result.numAffectedRows ?? 0) === 1;
    },

    /** Gives back the uses these reservations took (each reservation holds at most one). */
    async giveBackUses(trx: Transaction<DB>, reservationIds: string[]) {
      if (reservationIds.length === 0) return;
      await sql`update vouchers v set used = v.used - taken.n
        from (
          select voucher_id, count(*)::int as n from reservations
          where id = any(${reservationIds}::uuid[]) and voucher_id is not null
          group by voucher_id
        ) taken
        where v.id = taken.voucher_id`.execute(trx);
    },

    /** The seats a reservation holds now, with their tiers, in a stable order. */
    heldSeats(trx: Transaction<DB>, reservationId: string): Promise<DiscountableSeat[]> {
      return trx
        .selectFrom('reservationSeats as rs')
        .innerJoin('seats as s', 's.id', 'rs.seatId')
        .select(['rs.seatId', 's.tierId', 'rs.price'])
        .where('rs.reservationId', '=', reservationId)
        .where('rs.active', '=', true)
        .orderBy('rs.label')
        .orderBy('rs.seatId')
        .execute();
    },

    /** Sets the voucher, the discount of each seat (others 0) and the amount left to pay. */
    async setDiscount(
      trx: Transaction<DB>,
      reservationId: string,
      voucherId: string | null,
      perSeat: Map<string, number>,
    ) {
      const seatIds = [...perSeat.keys()];
      const discounts = [...perSeat.values()];
      await sql`update reservation_seats rs
        set discount = coalesce(d.discount, 0)
        from reservation_seats self
        left join unnest(${seatIds}::uuid[], ${discounts}::int[]) as d(seat_id, discount)
          on d.seat_id = self.seat_id
        where rs.reservation_id = ${reservationId} and self.reservation_id = rs.reservation_id
          and self.seat_id = rs.seat_id`.execute(trx);
      await sql`update reservations r
        set voucher_id = ${voucherId}, updated_at = now(),
          discount = coalesce(s.discount, 0), amount = coalesce(s.price, 0) - coalesce(s.discount, 0)
        from (
          select sum(price)::int as price, sum(discount)::int as discount from reservation_seats
          where reservation_id = ${reservationId} and active
        ) s
        where r.id = ${reservationId}`.execute(trx);
    },
  };
}

export type VoucherRepository = ReturnType<typeof voucherRepository>;
