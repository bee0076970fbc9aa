import { type AuthUser, HttpProblem, mayAccess, problems } from '@tiketi/kit';
import type { EventRepository } from '../db/event.repository.ts';
import type { TicketRepository } from '../db/ticket.repository.ts';
import { verifyTicketQr } from './ticket-qr.ts';

export function ticketService(deps: {
  tickets: TicketRepository;
  events: Pick<EventRepository, 'startsAt'>;
  signingSecret: string;
  /** Doors open this long before the event starts (CHECK_IN_OPENS_MINUTES_BEFORE). */
  checkInOpensMinutesBefore: number;
  now?: () => Date;
}) {
  const { tickets, events, signingSecret, checkInOpensMinutesBefore } = deps;
  const now = deps.now ?? (() => new Date());

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
     * Admits the holder of a genuine, valid ticket once, from the moment the doors open. Each refusal names
     * its reason: a forged or damaged code, one for another event, doors not open yet, a voided ticket,
     * one already used.
     */
    async checkIn(staff: AuthUser, qr: string, eventId: string | undefined) {
      const claims = verifyTicketQr(signingSecret, qr);
      if (!claims) {
        throw new HttpProblem(422, 'TICKET_FORGED', 'This code was not issued by Tiketi or is damaged.');
      }
      if (eventId && claims.eventId !== eventId) {
        throw new HttpProblem(409, 'TICKET_WRONG_EVENT', 'This ticket is for another event.');
      }
      const startsAt = await events.startsAt(claims.eventId);
      if (startsAt) {
        const opensAt = new Date(startsAt.getTime() - checkInOpensMinutesBefore * 60_000);
        if (now() < opensAt) {
          throw new HttpProblem(
            409,
            'CHECK_IN_NOT_OPEN',
            `Check-in for this event opens at ${opensAt.toISOString()}.`,
            { extra: { opensAt: opensAt.toISOString() } },
          );
        }
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
