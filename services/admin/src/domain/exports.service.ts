import { concertFileName, partPlaces } from '@tiketi/contracts';
import { HttpProblem, type Metrics, takeTurns } from '@tiketi/kit';
import { stringify } from 'csv-stringify/sync';
import type { Caller, Upstreams } from '../clients/upstreams.ts';

/**
 * A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, or a tab or carriage return first)
 * gets a leading apostrophe, so a buyer's name like `=HYPERLINK(…)` stays text in Excel (CSV injection).
 */
export function neutraliseFormula(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

/**
 * CSV for Excel as Korean operators open it: UTF-8 with a byte-order mark (else Hangul comes out garbled),
 * CRLF line ends, every text cell guarded against formulas.
 */
export function toCsv(columns: string[], rows: (string | number)[][]): string {
  return stringify(rows, {
    bom: true,
    header: true,
    columns,
    record_delimiter: 'windows',
    cast: { string: neutraliseFormula },
  });
}

/** `2026-12-04 19:30` in Seoul time, as operators read times. */
function kst(iso: string | null): string {
  if (!iso) return '';
  return new Date(iso).toLocaleString('sv-SE', { timeZone: 'Asia/Seoul', hour12: false }).slice(0, 16);
}

const ORDER_STATUS: Record<string, string> = {
  CONFIRMED: '결제 완료',
  REFUNDED: '환불',
  CANCELLED: '취소',
  EXPIRED: '만료',
  PENDING: '결제 대기',
};
/**
 * An order's seats as operators read them: seats by label, an area's standing places as one
 * `Floor 스탠딩 × 2`, since the place picked for a fan is a name of ours, not where they stand.
 */
function placesOf(labels: string[], standingAreas: string[]): string {
  const { seats, places } = partPlaces(labels, standingAreas, (label) => label);
  return [...seats, ...[...places].map(([area, p]) => `${area} 스탠딩 × ${p.length}`)].join(' ');
}

const TICKET_STATUS: Record<string, string> = { ISSUED: '발권', USED: '입장 완료', VOIDED: '무효' };

/**
 * Exports built at once. Each holds a whole event's orders or tickets, its buyers and its CSV in memory
 * (10,000 tickets took the service up by 80 MB), so downloads asked together take turns: eight at once
 * took it past 500 MB, above what its container is given.
 */
const EXPORTS_AT_ONCE = 2;
/** Downloads that may wait for their turn; past these one is told to come back (503). */
const EXPORTS_WAITING = 6;

/** The operator's CSV exports of one event: its orders and its attendees. */
export function exportsService(deps: { upstreams: Upstreams; metrics?: Metrics }) {
  const { upstreams } = deps;
  const turns = takeTurns({
    atOnce: EXPORTS_AT_ONCE,
    waiting: EXPORTS_WAITING,
    busy: () =>
      new HttpProblem(503, 'EXPORT_BUSY', 'Other downloads are being prepared: try again in a moment.', {
        headers: { 'retry-after': '5' },
      }),
    ...(deps.metrics && {
      metrics: {
        registry: deps.metrics,
        running: ['tiketi_admin_exports_building', 'CSV exports being built now.'],
        waiting: ['tiketi_admin_exports_waiting', 'CSV exports waiting for their turn.'],
      },
    }),
  });

  async function buyers(userIds: string[]) {
    const found = userIds.length ? await upstreams.user.lookup(userIds) : [];
    return new Map(found.map((u) => [u.id, u]));
  }

  return {
    /** Runs one download's work in its turn (see EXPORTS_AT_ONCE). */
    inTurn: <T>(build: () => Promise<T>): Promise<T> => turns.run(build),

    /**
     * The download's name as the operator knows the concert (`concertFileName`), or undefined when the
     * event service cannot say: the list is no less sent for it.
     */
    async fileName(caller: Caller, eventId: string, list: string): Promise<string | undefined> {
      const event = await upstreams.event.get(caller, eventId).catch(() => undefined);
      return event && concertFileName(event, list, 'csv');
    },

    async orders(caller: Caller, eventId: string): Promise<string> {
      const [orders, payments] = await Promise.all([
        upstreams.reservation.orders(eventId),
        upstreams.payment.ofEvent(caller, eventId),
      ]);
      const people = await buyers(orders.items.map((o) => o.userId));
      const byId = new Map(payments.map((p) => [p.id, p]));
      return toCsv(
        [
          '주문번호',
          '예약번호',
          '상태',
          '결제일시(KST)',
          '구매자',
          '이메일',
          '좌석',
          '매수',
          '정가',
          '바우처',
          '할인',
          '결제금액',
          '환불금액',
          '환불 좌석',
        ],
        orders.items.map((o) => {
          const payment = o.paymentId ? byId.get(o.paymentId) : undefined;
          const buyer = people.get(o.userId);
          // Seats given back are no longer the order's: listed apart, so that no seat counts in two orders
          // once it is sold again.
          const given = new Set(payment?.seats.filter((s) => s.refunded).map((s) => s.label));
          const kept = o.seats.filter((label) => !given.has(label));
          const partly = o.status === 'CONFIRMED' && payment?.status === 'PARTIALLY_REFUNDED';
          return [
            payment?.orderId ?? '',
            o.reservationId,
            partly ? '부분 환불' : (ORDER_STATUS[o.status] ?? o.status),
            kst(o.confirmedAt),
            buyer?.name ?? '',
            buyer?.email ?? '',
            placesOf(kept, orders.standingAreas),
            kept.length,
            o.price,
            o.voucherCode ?? '',
            o.discount,
            o.amount,
            payment?.refundedAmount ?? 0,
            placesOf([...given], orders.standingAreas),
          ];
        }),
      );
    },

    async attendees(eventId: string): Promise<string> {
      const tickets = await upstreams.reservation.attendees(eventId);
      const people = await buyers(tickets.items.map((t) => t.userId));
      return toCsv(
        ['티켓번호', '좌석', '등급', '상태', '입장시각(KST)', '구매자', '이메일', '예약번호'],
        tickets.items.map((t) => {
          const buyer = people.get(t.userId);
          return [
            t.ticketId,
            // The door knows a standing ticket by its area and entry number, not the place picked for it.
            t.entrySection !== null && t.entryNumber !== null
              ? `${t.entrySection} 스탠딩 · 입장 번호 ${t.entryNumber}번`
              : t.seatLabel,
            t.tierName,
            TICKET_STATUS[t.status] ?? t.status,
            kst(t.usedAt),
            buyer?.name ?? '',
            buyer?.email ?? '',
            t.reservationId,
          ];
        }),
      );
    },
  };
}

export type ExportsService = ReturnType<typeof exportsService>;
