import type { AdminRefundRequest, AdminUserDetail, VoucherInput, VoucherUpdate } from '@tiketi/contracts';
import { HttpProblem, type Logger, problems } from '@tiketi/kit';
import { type Caller, type Upstreams, UpstreamUnavailable } from '../clients/upstreams.ts';
import { composeAnswer } from './partial.ts';

type Query = Record<string, string | number | undefined>;

/** How many of a user's latest reservations and payments the user view shows. */
const USER_HISTORY = 20;

/** Lookups and searches an operator runs, and the refund action. */
export function operationsService(deps: { upstreams: Upstreams; logger: Logger }) {
  const { upstreams, logger } = deps;

  return {
    /** One upstream answers these: when it is down there is nothing to show, and the answer is 503. */
    searchUsers: (caller: Caller, query: Query) => upstreams.user.search(caller, query),
    searchReservations: (caller: Caller, query: Query) => upstreams.reservation.search(caller, query),
    searchPayments: (caller: Caller, query: Query) => upstreams.payment.search(caller, query),

    vouchers: (eventId: string) => upstreams.reservation.vouchers(eventId),
    createVoucher: (eventId: string, input: VoucherInput) =>
      upstreams.reservation.createVoucher(eventId, input),
    updateVoucher: (voucherId: string, input: VoucherUpdate) =>
      upstreams.reservation.updateVoucher(voucherId, input),

    /**
     * One user with their latest orders. An account its owner deleted is `user: null` beside the orders and
     * payments kept for the books; an id that nothing knows is 404.
     */
    user: (caller: Caller, userId: string): Promise<AdminUserDetail> =>
      composeAnswer(logger, async (part) => {
        const history = { userId, page: 1, pageSize: USER_HISTORY };
        let absent = false;
        const [user, reservations, payments] = await Promise.all([
          part(
            () =>
              upstreams.user.get(caller, userId).catch((error: unknown) => {
                if (error instanceof HttpProblem && error.status === 404) absent = true;
                throw error;
              }),
            { absentAsNull: true },
          ),
          part(() => upstreams.reservation.search(caller, history)),
          part(() => upstreams.payment.search(caller, history)),
        ]);
        if (absent && reservations?.total === 0 && payments?.total === 0) throw problems.notFound('The user');
        return { userId, user, reservations, payments };
      }),

    async refund(caller: Caller, paymentId: string, body: AdminRefundRequest, idempotencyKey?: string) {
      try {
        return await upstreams.payment.refund(caller, paymentId, body, idempotencyKey);
      } catch (error) {
        if (!(error instanceof UpstreamUnavailable)) throw error;
        // The payment service may have refunded before it went quiet: say so rather than invite a blind retry.
        throw new HttpProblem(
          503,
          'UPSTREAM_UNAVAILABLE',
          'The payment service did not complete the refund. It may or may not have happened: look the ' +
            'payment up before trying again (with the same Idempotency-Key).',
          { cause: error, extra: { upstream: 'payment' } },
        );
      }
    },
  };
}

export type OperationsService = ReturnType<typeof operationsService>;
