import { call } from './api.ts';
import { DATABASES, type DbOwner, type IsolatedPlatform, queuesOf } from './platform.ts';

/**
 * The platform's promises (no seat sold twice, no paid order lost, every approval confirmed or refunded,
 * every mail sent once) checked over the stores of a platform after faults. Each entry names a
 * broken promise with the rows that break it; an empty list means every invariant holds.
 */
export async function violatedInvariants(p: IsolatedPlatform): Promise<string[]> {
  const found: string[] = [];
  const rows = async (owner: DbOwner, query: string) => (await p.db(owner).query(query)).rows;
  const report = (what: string, offenders: unknown[]) => {
    if (offenders.length) found.push(`${what}: ${JSON.stringify(offenders.slice(0, 5))}`);
  };

  report(
    'a seat with more than one active reservation',
    await rows(
      'reservation',
      `select seat_id, count(*)::int as n from reservation_seats where active group by seat_id having count(*) > 1`,
    ),
  );
  report(
    'a seat with more than one valid ticket',
    await rows(
      'reservation',
      `select seat_id, count(*)::int as n from tickets where status <> 'VOIDED' group by seat_id having count(*) > 1`,
    ),
  );
  report(
    'a sold seat without its confirmed reservation',
    await rows(
      'reservation',
      `select s.id from seats s where s.status = 'sold' and not exists (
         select 1 from reservations r join reservation_seats rs on rs.reservation_id = r.id
         where rs.seat_id = s.id and rs.active and r.status = 'CONFIRMED')`,
    ),
  );
  report(
    'a confirmed reservation without one ticket per seat',
    await rows(
      'reservation',
      `select r.id from reservations r where r.status = 'CONFIRMED' and
         (select count(*) from reservation_seats rs where rs.reservation_id = r.id) <>
         (select count(*) from tickets t where t.reservation_id = r.id)`,
    ),
  );

  // Every approved payment: its reservation confirmed by it, or its money given back.
  const approved = await rows(
    'payment',
    `select p.id, p.reservation_id, p.status, p.amount, p.refunded_amount from payments p
     where p.approved_at is not null`,
  );
  const reservations = new Map(
    (
      await rows(
        'reservation',
        `select id, status, payment_id from reservations where payment_id is not null`,
      )
    ).map((r) => [r.id as string, r]),
  );
  report(
    'an approved payment neither confirming its reservation nor refunded',
    approved.filter((pay) => {
      const refunded = Number(pay.refunded_amount) === Number(pay.amount);
      const reservation = reservations.get(pay.reservation_id);
      const confirmed = reservation?.status === 'CONFIRMED' && reservation.payment_id === pay.id;
      // An operator's partial refund keeps the order: the reservation stays confirmed by the payment.
      const kept = pay.status === 'COMPLETED' || pay.status === 'PARTIALLY_REFUNDED';
      return !(refunded || (confirmed && kept));
    }),
  );
  report(
    'a reservation confirmed by more than one approved payment',
    await rows(
      'payment',
      `select reservation_id, count(*)::int as n from payments
       where approved_at is not null and refunded_amount < amount group by reservation_id having count(*) > 1`,
    ),
  );

  for (const owner of Object.keys(DATABASES) as DbOwner[]) {
    const exists = await rows(owner, `select to_regclass('outbox') is not null as ok`);
    if (!exists[0]?.ok) continue;
    report(
      `unpublished outbox rows in ${owner}`,
      await rows(owner, `select id, type from outbox where published_at is null`),
    );
  }

  report(
    'an email sent twice',
    await rows(
      'notification',
      `select dedupe_key, count(*)::int as n from notifications group by dedupe_key having count(*) > 1`,
    ),
  );
  const inbox = await call(p.url('sandbox-mail'), 'GET', '/api/messages');
  const delivered = new Map<string, number>();
  // A resend after a crash carries a new Message-ID: the same recipient, subject and text is the duplicate.
  for (const m of inbox.body.items as { to: string[]; subject: string; text: string }[]) {
    const key = `${m.to.join(',')}|${m.subject}|${m.text}`;
    delivered.set(key, (delivered.get(key) ?? 0) + 1);
  }
  report(
    'an email delivered twice by SMTP',
    [...delivered].filter(([, n]) => n > 1),
  );

  report(
    'messages parked in a dead-letter queue',
    (await queuesOf(p.names.AMQP_EXCHANGE)).filter((q) => q.name.endsWith('.dlq') && q.messages > 0),
  );
  return found;
}
