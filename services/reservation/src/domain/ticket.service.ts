import type { CheckInEvent, CheckInRequest, TicketDto } from '@tiketi/contracts';
import { type AuthUser, HttpProblem, type Logger, mayAccess, problems } from '@tiketi/kit';
import type { UserClient } from '../clients/user.client.ts';
import type { EventRepository } from '../db/event.repository.ts';
import type { TicketRepository } from '../db/ticket.repository.ts';
import type { PdfRenderer } from './pdf-renderer.ts';
import type { TicketPage } from './ticket-pdf.ts';
import { verifyTicketQr } from './ticket-qr.ts';

/** What a printed ticket says of its event, from the event service (which owns venues). */
export type EventSheet = { title: string; startsAt: Date | null; venueName: string | null };

type Ticket = NonNullable<Awaited<ReturnType<TicketRepository['findById']>>>;

/** A ticket as its holder sees it. */
function ticketDto(t: Ticket): TicketDto {
  return {
    id: t.id,
    reservationId: t.reservationId,
    eventId: t.eventId,
    seatId: t.seatId,
    seatLabel: t.seatLabel,
    code: t.code,
    entrySection: t.entrySection,
    entryNumber: t.entryNumber,
    status: t.status,
    issuedAt: t.issuedAt.toISOString(),
    usedAt: t.usedAt?.toISOString() ?? null,
  };
}

/** An event at a door, as the staff's pages show it. */
function eventAtDoor(e: { id: string; title: string | null; startsAt: Date | null }): CheckInEvent {
  return { id: e.id, title: e.title, startsAt: e.startsAt?.toISOString() ?? null };
}

export function ticketService(deps: {
  tickets: TicketRepository;
  events: Pick<EventRepository, 'startsAt' | 'findTitleAndTime'>;
  /** The event as printed on a ticket; undefined when the event service does not know it. */
  eventSheet: (eventId: string) => Promise<EventSheet | undefined>;
  signingSecret: string;
  /** Doors open this long before the event starts (CHECK_IN_OPENS_MINUTES_BEFORE). */
  checkInOpensMinutesBefore: number;
  now?: () => Date;
  logger: Logger;
  pdf: PdfRenderer;
  /** Who an account is, from the user service (which owns accounts and their roles). */
  users: Pick<UserClient, 'roleOf'>;
}) {
  const { tickets, events, signingSecret, checkInOpensMinutesBefore } = deps;
  const now = deps.now ?? (() => new Date());

  async function readable(caller: AuthUser, id: string): Promise<Ticket> {
    const ticket = await tickets.findById(id);
    if (!ticket || !mayAccess(caller, ticket.userId)) throw problems.notFound('The ticket');
    return ticket;
  }

  /** Door staff work only at the doors of the events an operator assigned them to; admins at every door. */
  async function assertAtDoor(staff: AuthUser, eventId: string) {
    if (staff.role === 'admin') return;
    if (staff.role !== 'staff' || !(await tickets.isAssigned(staff.id, eventId))) {
      throw new HttpProblem(
        403,
        'CHECK_IN_NOT_ASSIGNED',
        'You are not assigned to check tickets in for this event.',
      );
    }
  }

  /**
   * The event service's description of the event; when it cannot answer, what the sale projection knows
   * (title and time, no venue), so a fan at the door still gets a ticket that scans.
   */
  async function sheetOf(eventId: string): Promise<EventSheet> {
    try {
      const sheet = await deps.eventSheet(eventId);
      if (sheet) return sheet;
    } catch (error) {
      deps.logger.warn(
        { eventId, err: (error as Error).message },
        'event service unavailable; using projection',
      );
    }
    const known = await events.findTitleAndTime(eventId);
    return { title: known?.title ?? '', startsAt: known?.startsAt ?? null, venueName: null };
  }

  async function pdfOf(list: Ticket[]): Promise<Buffer> {
    const sheets = new Map<string, EventSheet>();
    for (const eventId of new Set(list.map((t) => t.eventId))) sheets.set(eventId, await sheetOf(eventId));
    const pages: TicketPage[] = list.map((t) => ({
      code: t.code,
      qr: t.qr,
      seatLabel: t.seatLabel,
      entry:
        t.entrySection !== null && t.entryNumber !== null
          ? { section: t.entrySection, number: t.entryNumber }
          : null,
      status: t.status,
      orderNumber: t.reservationId,
      event: sheets.get(t.eventId) as EventSheet,
    }));
    return deps.pdf.render(pages);
  }

  return {
    async list(caller: AuthUser, page: { limit: number; offset: number; eventId?: string | undefined }) {
      const result = await tickets.listOfUser(caller.id, page);
      return { total: result.total, items: result.items.map(ticketDto) };
    },

    async get(caller: AuthUser, id: string) {
      const ticket = await readable(caller, id);
      return { ...ticketDto(ticket), qr: ticket.qr };
    },

    /**
     * The ticket to carry: a PDF page with its QR, code, event, seat or entry number, time (KST), venue and
     * order.
     */
    async pdf(caller: AuthUser, id: string) {
      const ticket = await readable(caller, id);
      return { ticket, pdf: await pdfOf([ticket]) };
    },

    /** Every ticket of a confirmed order with one PDF of them all, for the confirmation mail. */
    async documentsOfReservation(reservationId: string) {
      const list = (await tickets.ofReservation(reservationId)).filter((t) => t.status !== 'VOIDED');
      if (list.length === 0) throw problems.notFound('Tickets of this reservation');
      return { tickets: list, pdf: await pdfOf(list) };
    },

    /** The events the caller may check tickets in for: a staff account's assignments. */
    async eventsAtDoor(staff: AuthUser) {
      return (await tickets.eventsOfStaff(staff.id)).map(eventAtDoor);
    },

    async staffEvents(userId: string) {
      return { userId, events: (await tickets.eventsOfStaff(userId)).map(eventAtDoor) };
    },

    /**
     * Replaces the events a door-staff account works at. Only a staff account is assigned doors: a fan's
     * account could never check in (`auth.staff` refuses it), an operator checks in at every door already,
     * and an id of no account is a mistake. The user service is asked first; while it cannot answer,
     * nothing is written (503). Clearing an account's doors needs no question: whatever the account is now
     * (deleted, or no longer staff), it keeps none.
     */
    async assignStaff(userId: string, eventIds: string[]) {
      if (eventIds.length === 0) {
        await tickets.assignEvents(userId, []);
        return { userId, events: [] };
      }
      const role = await deps.users.roleOf(userId);
      if (role === undefined) {
        throw new HttpProblem(404, 'USER_NOT_FOUND', `No account has the id ${userId}.`);
      }
      if (role !== 'staff') {
        throw problems.unprocessable(
          'NOT_STAFF_ACCOUNT',
          role === 'admin'
            ? 'Events are assigned only to door-staff accounts; an operator checks tickets in at every door already.'
            : 'Events are assigned only to door-staff accounts; this is a fan’s account, which cannot check tickets in.',
          { role },
        );
      }
      const { unknown, closed } = await tickets.assignEvents(userId, [...new Set(eventIds)]);
      if (closed.length && !unknown.length) {
        throw new HttpProblem(
          409,
          'EVENT_CLOSED',
          `Concerts cancelled or over get no new door staff: ${closed.join(', ')}.`,
          { extra: { eventIds: closed } },
        );
      }
      if (unknown.length) {
        throw new HttpProblem(
          404,
          'EVENT_NOT_FOUND',
          `No published event has the id ${unknown.join(', ')}.`,
          {
            extra: { eventIds: unknown },
          },
        );
      }
      return { userId, events: (await tickets.eventsOfStaff(userId)).map(eventAtDoor) };
    },

    /**
     * Admits the holder of a genuine, valid ticket once, from the moment the doors open, scanned (the QR
     * payload) or typed (the short code, with its event). Each refusal names its reason: a forged or
     * damaged QR, an unknown code, a door the staff member is not assigned to, a ticket for another event,
     * doors not open yet, a voided ticket, one already used (with when).
     */
    async checkIn(staff: AuthUser, request: CheckInRequest) {
      let ticketId: string;
      let eventId: string;
      if ('qr' in request) {
        const claims = verifyTicketQr(signingSecret, request.qr);
        if (!claims) {
          throw new HttpProblem(422, 'TICKET_FORGED', 'This code was not issued by Tiketi or is damaged.');
        }
        // The door the staff member stands at (the ticket's own event when none is named) must be theirs
        // before anything about the ticket is told.
        await assertAtDoor(staff, request.eventId ?? claims.eventId);
        if (request.eventId && claims.eventId !== request.eventId) {
          throw new HttpProblem(409, 'TICKET_WRONG_EVENT', 'This ticket is for another event.');
        }
        ({ ticketId, eventId } = claims);
      } else {
        await assertAtDoor(staff, request.eventId);
        const found = await tickets.findByCode(request.eventId, request.code);
        if (!found) {
          throw new HttpProblem(404, 'TICKET_CODE_UNKNOWN', 'No ticket of this event has this code.');
        }
        ticketId = found.id;
        eventId = found.eventId;
      }
      const startsAt = await events.startsAt(eventId);
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
      const used = await tickets.checkIn(ticketId, staff.id);
      if (used) return used;
      const ticket = await tickets.findById(ticketId);
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
