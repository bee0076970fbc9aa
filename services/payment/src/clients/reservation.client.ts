import {
  confirmReservationResponse,
  extendHoldResponse,
  type InternalReservation,
  internalReservation,
} from '@tiketi/contracts';
import { createHttpClient, internalHeaders, problems, upstreamProblem } from '@tiketi/kit';

export type ConfirmOutcome =
  | { kind: 'confirmed'; tickets: { id: string; seatId: string; seatLabel: string }[] }
  /** The reservation cannot take this payment (hold released, confirmed by another payment, gone). */
  | { kind: 'refused'; code: string };

/** The reservation service's internal API, as the payment service uses it. */
export type ReservationClient = {
  get(id: string): Promise<InternalReservation | undefined>;
  /** Answers the new expiry, or undefined when the hold was already released. */
  extend(id: string, seconds: number): Promise<Date | undefined>;
  confirm(id: string, paymentId: string): Promise<ConfirmOutcome>;
};

const NAME = 'reservation service';

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
    async extend(id, seconds) {
      // Extending to "now + seconds" gives the same result when repeated, so retries are safe.
      const res = await http.post<unknown>(`${path(id)}/extend`, { seconds }, { idempotent: true });
      if (res.status === 409) return undefined;
      if (res.status !== 200) throw upstreamProblem(NAME, res);
      return new Date(extendHoldResponse.parse(res.body).expiresAt);
    },
    async confirm(id, paymentId) {
      // Idempotent by contract: the same paymentId answers the same tickets.
      const res = await http.post<unknown>(`${path(id)}/confirm`, { paymentId }, { idempotent: true });
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
