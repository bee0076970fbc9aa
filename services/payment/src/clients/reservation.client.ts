import {
  confirmReservationResponse,
  extendHoldResponse,
  type InternalReservation,
  internalReservation,
} from '@tiketi/contracts';
import { createHttpClient, internalHeaders, problems, upstreamProblem } from '@tiketi/kit';
import { z } from 'zod';

export type ConfirmOutcome =
  | { kind: 'confirmed'; tickets: { id: string; seatId: string; seatLabel: string }[] }
  /** The reservation cannot take this payment (hold released, confirmed by another payment, gone). */
  | { kind: 'refused'; code: string };

export type Extension =
  | { kind: 'extended'; expiresAt: Date }
  | { kind: 'released' }
  | { kind: 'amount-changed'; amount: number };

/** The reservation service's internal API, as the payment service uses it. */
export type ReservationClient = {
  get(id: string): Promise<InternalReservation | undefined>;
  /**
   * Keeps the hold for a payment of `amount`: the new expiry; `released` when the hold had ended;
   * `amount-changed` when the order no longer comes to `amount` (its voucher changed meanwhile).
   */
  extend(id: string, seconds: number, amount: number): Promise<Extension>;
  confirm(id: string, paymentId: string, orderId: string): Promise<ConfirmOutcome>;
};

const NAME = 'reservation service';
const amountChanged = z.object({ code: z.literal('AMOUNT_CHANGED'), amount: z.number().int() });

export function reservationClient(options: {
  baseUrl: string;
  internalToken: string;
  timeoutMs: number;
}): ReservationClient {
  const http = createHttpClient({
    baseUrl: options.baseUrl,
    name: NAME,
    timeoutMs: options.timeoutMs,
    headers: internalHeaders(options.internalToken),
  });
  const path = (id: string) => `/internal/reservations/${encodeURIComponent(id)}`;
  return {
    async get(id) {
      const res = await http.get<unknown>(path(id));
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw upstreamProblem(NAME, res);
      return internalReservation.parse(res.body);
    },
    async extend(id, seconds, amount) {
      // Extending to "now + seconds" gives the same result when repeated, so retries are safe.
      const res = await http.post<unknown>(`${path(id)}/extend`, { seconds, amount }, { idempotent: true });
      if (res.status === 409) {
        const changed = amountChanged.safeParse(res.body);
        return changed.success
          ? { kind: 'amount-changed', amount: changed.data.amount }
          : { kind: 'released' };
      }
      if (res.status !== 200) throw upstreamProblem(NAME, res);
      return { kind: 'extended', expiresAt: new Date(extendHoldResponse.parse(res.body).expiresAt) };
    },
    async confirm(id, paymentId, orderId) {
      // Idempotent by contract: the same paymentId answers the same tickets.
      const res = await http.post<unknown>(
        `${path(id)}/confirm`,
        { paymentId, orderId },
        { idempotent: true },
      );
      if (res.status === 200)
        return { kind: 'confirmed', tickets: confirmReservationResponse.parse(res.body).tickets };
      if (res.status === 409 || res.status === 404) {
        const code = (res.body as { code?: string } | undefined)?.code ?? 'RESERVATION_GONE';
        return { kind: 'refused', code: res.status === 404 ? 'RESERVATION_GONE' : code };
      }
      // Anything else leaves the approved payment open; reconciliation tries again.
      throw problems.unavailable(`The ${NAME} could not confirm (status ${res.status}).`);
    },
  };
}
