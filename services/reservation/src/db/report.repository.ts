import type { SalesAttendees, SalesOrders, SalesReport } from '@tiketi/contracts';
import { type Kysely, sql } from '@tiketi/kit';
import type { DB } from './schema.ts';

/** The operator's figures of one event, read straight from the inventory, reservations and tickets. */
export function reportRepository(db: Kysely<DB>) {
  return {
    async eventExists(eventId: string): Promise<boolean> {
      const row = await db.selectFrom('events').select('id').where('id', '=', eventId).executeTakeFirst();
      return row !== undefined;
    },

    /** The names of the event's standing areas, whose places' labels are names, not seats. */
    async standingAreas(eventId: string): Promise<string[]> {
      const row = await db
        .selectFrom('events')
        .select('standingAreas')
        .where('id', '=', eventId)
        .executeTakeFirst();
      return (row?.standingAreas ?? []).map((area) => area.section);
    },

    async report(eventId: string): Promise<SalesReport> {
      const [tiers, days, holds, checkIns, vouchers] = await Promise.all([
        sql<SalesReport['tiers'][number]>`
          select t.id as tier_id, t.name, t.price,
            count(s.id)::int as seats,
            count(s.id) filter (where s.status = 'sold')::int as sold,
            count(s.id) filter (where s.status = 'held')::int as held,
            coalesce(sum(paid.amount), 0)::int as amount
          from events e
          cross join lateral jsonb_to_recordset(e.price_tiers) as t(id uuid, name text, price int)
          left join seats s on s.event_id = e.id and s.tier_id = t.id
          left join lateral (
            select rs.price - rs.discount as amount from reservation_seats rs
            where rs.seat_id = s.id and rs.active and s.status = 'sold'
          ) paid on true
          where e.id = ${eventId}
          group by t.id, t.name, t.price
          order by t.price desc, t.name`.execute(db),
        sql<{ day: string; orders: number; tickets: number; amount: number }>`
          select to_char(r.confirmed_at at time zone 'Asia/Seoul', 'YYYY-MM-DD') as day,
            count(*)::int as orders,
            sum((select count(*) from reservation_seats rs where rs.reservation_id = r.id))::int as tickets,
            sum(r.amount)::int as amount
          from reservations r
          where r.event_id = ${eventId} and r.confirmed_at is not null
          group by 1 order by 1`.execute(db),
        sql<SalesReport['holds']>`
          select count(distinct r.id)::int as reservations, count(rs.seat_id)::int as seats
          from reservations r
          join reservation_seats rs on rs.reservation_id = r.id and rs.active
          where r.event_id = ${eventId} and r.status = 'PENDING' and r.expires_at > now()`.execute(db),
        sql<SalesReport['checkIns']>`
          select count(*) filter (where status <> 'VOIDED')::int as tickets,
            count(*) filter (where status = 'USED')::int as checked_in
          from tickets where event_id = ${eventId}`.execute(db),
        sql<SalesReport['vouchers'][number]>`
          select v.code, v.used, v.max_uses,
            coalesce((select sum(r.discount) from reservations r
              where r.voucher_id = v.id and r.status in ('PENDING', 'CONFIRMED')), 0)::int as discount
          from vouchers v where v.event_id = ${eventId}
          order by v.code`.execute(db),
      ]);
      return {
        tiers: tiers.rows,
        days: days.rows,
        holds: holds.rows[0] ?? { reservations: 0, seats: 0 },
        checkIns: checkIns.rows[0] ?? { tickets: 0, checkedIn: 0 },
        vouchers: vouchers.rows,
      };
    },

    async orders(eventId: string): Promise<SalesOrders['items']> {
      const { rows } = await sql<Omit<SalesOrders['items'][number], 'confirmedAt'> & { confirmedAt: Date }>`
        select r.id as reservation_id, r.user_id, r.status, r.confirmed_at,
          array(select rs.label from reservation_seats rs where rs.reservation_id = r.id order by rs.label) as seats,
          (select coalesce(sum(rs.price), 0)::int from reservation_seats rs where rs.reservation_id = r.id) as price,
          r.discount, r.amount, v.code as voucher_code, r.payment_id
        from reservations r left join vouchers v on v.id = r.voucher_id
        where r.event_id = ${eventId} and r.confirmed_at is not null
        order by r.confirmed_at, r.id`.execute(db);
      return rows.map((r) => ({ ...r, confirmedAt: r.confirmedAt.toISOString() }));
    },

    async attendees(eventId: string): Promise<SalesAttendees['items']> {
      const { rows } = await sql<
        Omit<SalesAttendees['items'][number], 'issuedAt' | 'usedAt'> & { issuedAt: Date; usedAt: Date | null }
      >`
        select t.id as ticket_id, t.reservation_id, t.user_id, t.seat_label, coalesce(tier.name, '') as tier_name,
          t.status, t.issued_at, t.used_at, t.entry_section, t.entry_number
        from tickets t
        left join seats s on s.id = t.seat_id
        left join events e on e.id = t.event_id
        left join lateral (
          select x.name from jsonb_to_recordset(e.price_tiers) as x(id uuid, name text) where x.id = s.tier_id
        ) tier on true
        where t.event_id = ${eventId}
        order by t.entry_section nulls first, t.entry_number, t.seat_label, t.issued_at`.execute(db);
      return rows.map((r) => ({
        ...r,
        issuedAt: r.issuedAt.toISOString(),
        usedAt: r.usedAt?.toISOString() ?? null,
      }));
    },
  };
}

export type ReportRepository = ReturnType<typeof reportRepository>;
