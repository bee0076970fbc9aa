import { type InternalUserCommitments, internalUserCommitments } from '@tiketi/contracts';
import { createHttpClient, internalHeaders, upstreamProblem } from '@tiketi/kit';

/** Asks the reservation service (internal route) what still ties a user to a sale. */
export function createReservationClient(options: { baseUrl: string; internalToken: string }) {
  const http = createHttpClient({
    baseUrl: options.baseUrl,
    name: 'reservation service',
    headers: internalHeaders(options.internalToken),
  });
  return {
    async commitments(userId: string): Promise<InternalUserCommitments> {
      const res = await http.get<unknown>(`/internal/users/${userId}/commitments`);
      if (res.status !== 200) throw upstreamProblem('reservation service', res);
      return internalUserCommitments.parse(res.body);
    },
  };
}

export type ReservationClient = ReturnType<typeof createReservationClient>;
