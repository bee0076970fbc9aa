import { MIN_PAYMENT_KRW } from '@tiketi/contracts';
import { HttpProblem, problems } from '@tiketi/kit';

/** Toss order ids are 6–64 characters of letters, digits, `-` and `_`: ours are the payment id, prefixed. */
export function orderIdFor(paymentId: string): string {
  return `tiketi-${paymentId}`;
}

/** The line the customer sees at Toss: event title and seats, within Toss's 100 characters. */
export function orderNameFor(title: string | undefined, seatLabels: string[]): string {
  const seats = seatLabels.length === 1 ? seatLabels[0] : `${seatLabels[0]} +${seatLabels.length - 1}`;
  const name = `${title ?? 'Tiketi'} · ${seats ?? ''}`.trim();
  return name.length > 100 ? `${name.slice(0, 99)}…` : name;
}

/** Toss wants the mobile number as digits only. */
export function tossPhone(phone: string | null | undefined): string | undefined {
  const digits = phone?.replace(/\D/g, '');
  return digits ? digits : undefined;
}

/** The server decides the amount; a client that says otherwise is refused before anything is charged. */
export function assertAmount(given: number, expected: number): void {
  if (given !== expected) throw amountMismatch(given, expected);
}

export function amountMismatch(given: number, expected: number): HttpProblem {
  return problems.unprocessable(
    'AMOUNT_MISMATCH',
    `The amount ${given} KRW does not match the order's ${expected} KRW.`,
    { expectedAmount: expected },
  );
}

/** An order under the online payment's minimum cannot be paid: said before anything is changed. */
export function assertPayableOnline(amount: number): void {
  if (amount < MIN_PAYMENT_KRW) {
    throw problems.unprocessable(
      'AMOUNT_BELOW_MINIMUM',
      `This order comes to ${amount} KRW, and an online payment must be at least ${MIN_PAYMENT_KRW} KRW: take the voucher off and pay the full price, or choose other seats.`,
      { minimumAmount: MIN_PAYMENT_KRW },
    );
  }
}

export type RefundableSeat = { seatId: string; price: number; refunded: boolean };

export type RefundPlan = { amount: number; seatIds: string[]; full: boolean };

/** Some seats, an amount (admin only), or neither: everything left. */
export type RefundRequest = { seatIds?: string[] | undefined; amount?: number | undefined };

/**
 * What a refund gives back. By seats: those seats' share of what is left, their prices unless an amount
 * was refunded before with the seats kept (the last seats take everything left). By amount (admin only):
 * that much money, seats kept. Neither: everything left. A refund that leaves nothing to refund is full and
 * releases every seat still held.
 */
export function planRefund(
  payment: { amount: number; refundedAmount: number },
  seats: RefundableSeat[],
  request: RefundRequest,
): RefundPlan {
  const remaining = payment.amount - payment.refundedAmount;
  const live = seats.filter((s) => !s.refunded);
  if (remaining <= 0 || live.length === 0) {
    throw problems.conflict('NOTHING_TO_REFUND', 'Everything on this payment was already refunded.');
  }
  if (request.seatIds && request.amount !== undefined) {
    throw problems.badRequest('Give seatIds or amount, not both.');
  }
  if (request.seatIds) {
    const wanted = new Set(request.seatIds);
    const chosen = live.filter((s) => wanted.has(s.seatId));
    if (chosen.length !== wanted.size) {
      const known = new Set(chosen.map((s) => s.seatId));
      throw problems.unprocessable(
        'SEATS_NOT_REFUNDABLE',
        'Some seats are not on this payment or were already refunded.',
        { seatIds: [...wanted].filter((id) => !known.has(id)) },
      );
    }
    // What is left is spread over the seats still live by their prices: it is each seat's price until an
    // amount was refunded with the seats kept, which then lowers every seat's share alike.
    const priceOf = (list: RefundableSeat[]) => list.reduce((sum, s) => sum + s.price, 0);
    const livePrice = priceOf(live);
    const chosenPrice = priceOf(chosen);
    const amount =
      livePrice > 0 ? Math.min(chosenPrice, Math.floor((remaining * chosenPrice) / livePrice)) : 0;
    const full = chosen.length === live.length;
    if (amount <= 0 && !full) {
      throw problems.unprocessable('NOTHING_TO_REFUND', 'These seats carry no amount to refund.');
    }
    return { amount: full ? remaining : amount, seatIds: chosen.map((s) => s.seatId), full };
  }
  if (request.amount !== undefined) {
    if (request.amount > remaining) {
      throw problems.unprocessable(
        'REFUND_TOO_LARGE',
        `At most ${remaining} KRW is left to refund on this payment.`,
        { refundableAmount: remaining },
      );
    }
    const full = request.amount === remaining;
    return { amount: request.amount, seatIds: full ? live.map((s) => s.seatId) : [], full };
  }
  return { amount: remaining, seatIds: live.map((s) => s.seatId), full: true };
}

/** Customers cancel up to the deadline before the event; a cancelled event can always be refunded. */
export function assertCancellable(
  event: { startsAt: Date | null; cancelledAt: Date | null } | undefined,
  now: Date,
  deadlineHours: number,
): void {
  if (event?.cancelledAt) return;
  if (!event?.startsAt) {
    throw new HttpProblem(
      503,
      'EVENT_SCHEDULE_UNKNOWN',
      'The event schedule is not known yet; please try again shortly.',
    );
  }
  const deadline = event.startsAt.getTime() - deadlineHours * 3_600_000;
  if (now.getTime() >= deadline) {
    throw problems.conflict(
      'CANCEL_DEADLINE_PASSED',
      `Tickets can be cancelled until ${deadlineHours} hours before the event.`,
      { deadline: new Date(deadline).toISOString() },
    );
  }
}
