import { type AuthUser, HttpProblem, mayAccess, problems } from '@tiketi/kit';
import type { TicketRepository } from '../db/ticket.repository.ts';
import { verifyTicketQr } from './ticket-qr.ts';

export function ticketService(deps: { tickets: TicketRepository; signingSecret: string }) {
  const { tickets, signingSecret } = deps;

  return {
    list(caller: AuthUser, page: { limit: number; offset: number }) {
      return tickets.listOfUser(caller.id, page.limit, page.offset);
    },

    async get(caller: AuthUser, id: string) {
      const ticket = await tickets.findById(id);
      if (!ticket || !mayAccess(caller, ticket.userId)) throw problems.notFound('The ticket');
      return ticket;
    },

    /**
     * Admits the holder of a genuine, valid ticket once. Each refusal names its reason: a forged or
     * damaged code, a voided ticket, one already used, or one for another event.
     */
    async checkIn(staff: AuthUser, qr: string, eventId: string | undefined) {
      const claims = verifyTicketQr(signingSecret, qr);
      if (!claims) {
        throw new HttpProblem(422, 'TICKET_FORGED', 'This code was not issued by Tiketi or is damaged.');
      }
      if (eventId && claims.eventId !== eventId) {
        throw new HttpProblem(409, 'TICKET_WRONG_EVENT', 'This ticket is for another event.');
      }
      const used = await tickets.checkIn(claims.ticketId, staff.id);
      if (used) return used;
      const ticket = await tickets.findById(claims.ticketId);
      if (!ticket) throw problems.notFound('The ticket');
      if (ticket.status === 'VOIDED') {
        throw new HttpProblem(409, 'TICKET_VOIDED', 'This ticket was voided (refunded or cancelled).');
      }
      throw new HttpProblem(409, 'TICKET_ALREADY_USED', 'This ticket has already been checked in.', {
        extra: { usedAt: ticket.usedAt?.toISOString() },
      });
    },
  };
}

export type TicketService = ReturnType<typeof ticketService>;
