import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { makeEnvelope } from '@tiketi/kit';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  deliver,
  onSaleEvent,
  paidTicket,
  pdfText,
  published,
  reservationSuite,
  type UserToken,
} from './helpers.ts';

/*
 * The ticket a fan carries (a PDF with its QR and short code) and the door staff who check it in: staff
 * work only at the doors an operator assigned them to, can type the short code when no camera reads the
 * QR, and buy nothing.
 */
describe('ticket PDF and door staff', () => {
  const HOUR = 3_600_000;
  const tonight = onSaleEvent(7, {
    title: '아이유 콘서트 서울',
    perUserLimit: 6,
    startsAt: new Date(Date.now() + 2 * HOUR).toISOString(),
  });
  const elsewhere = onSaleEvent(2, { startsAt: new Date(Date.now() + HOUR).toISOString() });
  const crowded = onSaleEvent(12, { perUserLimit: 6 });
  const listed = onSaleEvent(2);
  const unlisted = onSaleEvent(1);
  const calledOff = onSaleEvent(1);

  const h = reservationSuite('resv-ticket-door', {
    instances: [{ consume: true }],
    events: [tonight, elsewhere, crowded, listed, unlisted, calledOff],
    start: true,
    userService: true,
  });
  const fan = h.user();
  const other = h.user();
  const admin = h.user('admin');
  // Doors are assigned only to accounts the user service knows as door staff.
  let staff: UserToken;
  beforeAll(async () => {
    staff = await h.account('staff');
  });

  const ticketFor = (event: typeof tonight, seat: number) => paidTicket(h, fan.token, event, seat);
  const checkIn = (token: string, payload: object) =>
    h.app.inject({ method: 'POST', url: '/api/tickets/check-in', headers: bearer(token), payload });
  const assignedTo = async (userId: string) => {
    const res = await h.app.inject({
      url: `/api/tickets/staff/${userId}/events`,
      headers: bearer(admin.token),
    });
    expect(res.statusCode, res.body).toBe(200);
    return (res.json().events as { id: string }[]).map((e) => e.id);
  };
  const assign = (token: string, userId: string, eventIds: string[], app = h.app) =>
    app.inject({
      method: 'PUT',
      url: `/api/tickets/staff/${userId}/events`,
      headers: bearer(token),
      payload: { eventIds },
    });

  it('gives each ticket a short code of ten unambiguous characters', async () => {
    const ticket = await ticketFor(tonight, 0);
    expect(ticket.code).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{10}$/);
    const list = await h.app.inject({ url: '/api/tickets', headers: bearer(fan.token) });
    expect(list.json().items).toContainEqual(expect.objectContaining({ id: ticket.id, code: ticket.code }));
  });

  it("serves the owner's ticket as a PDF with the code, event, seat, time in KST and order number", async () => {
    const ticket = await ticketFor(tonight, 1);
    const res = await h.app.inject({ url: `/api/tickets/${ticket.id}/pdf`, headers: bearer(fan.token) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toContain(`tiketi-${ticket.code}.pdf`);
    expect(res.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const text = await pdfText(res.rawPayload);
    expect(text).toContain(`${ticket.code.slice(0, 5)}-${ticket.code.slice(5)}`);
    expect(text).toContain('아이유 콘서트 서울');
    expect(text).toContain(tonight.seats[1]!.label);
    expect(text).toContain('(KST)');
    expect(text).toContain(ticket.reservationId);
  });

  it("draws the PDFs off the service's event loop, which stays free for holds meanwhile", async () => {
    const ticket = await ticketFor(tonight, 5);
    // The first one starts the drawing and loads the typeface.
    const first = await h.app.inject({ url: `/api/tickets/${ticket.id}/pdf`, headers: bearer(fan.token) });
    expect(first.statusCode).toBe(200);
    // Twelve different tickets: a PDF asked for again is not drawn again.
    const buyers = [await h.userToken(), await h.userToken()];
    const bought = [];
    for (let seat = 0; seat < 12; seat++) {
      const buyer = buyers[seat % 2]!;
      bought.push({ buyer, ticket: await paidTicket(h, buyer.token, crowded, seat) });
    }
    const before = performance.eventLoopUtilization();
    const answers = await Promise.all(
      bought.map(({ buyer, ticket: t }) =>
        h.app.inject({ url: `/api/tickets/${t.id}/pdf`, headers: bearer(buyer.token) }),
      ),
    );
    const busy = performance.eventLoopUtilization(before);
    expect(answers.map((a) => a.statusCode)).toEqual(answers.map(() => 200));
    expect((await pdfText(answers[11]!.rawPayload)).replace(/\s/g, '')).toContain(
      bought[11]!.ticket.code.slice(5),
    );
    // Drawn on this loop, twelve PDFs would keep it busy nearly all along; here it mostly waits for them.
    expect(busy.utilization).toBeLessThan(0.5);
  });

  it('draws a ticket once however often its holder asks for it, and again once the ticket changed', async () => {
    const drawn = async () => {
      const text = (await h.app.inject({ url: '/metrics' })).body;
      const line = text.split('\n').find((l) => l.startsWith('tiketi_ticket_pdfs_drawn_total'));
      return Number(line?.split(' ').at(-1));
    };
    // Another fan: this one holds as many seats of tonight as the limit lets them.
    const ticket = await paidTicket(h, other.token, tonight, 6);
    const url = `/api/tickets/${ticket.id}/pdf`;
    const before = await drawn();
    // A script asking for the same PDF over and over, at once and one after another: each drawing costs a
    // tenth of a second of CPU, and every other fan's PDFs and order mails wait behind them.
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => h.app.inject({ url, headers: bearer(other.token) })),
    );
    for (let i = 0; i < 4; i++) answers.push(await h.app.inject({ url, headers: bearer(other.token) }));
    expect(answers.map((a) => a.statusCode)).toEqual(answers.map(() => 200));
    expect(new Set(answers.map((a) => a.rawPayload.toString('base64'))).size).toBe(1);
    expect(await drawn()).toBe(before + 1);

    // Checked in, the ticket says so: the copy of the unused one is not handed out again.
    expect((await checkIn(admin.token, { code: ticket.code, eventId: tonight.eventId })).statusCode).toBe(
      200,
    );
    const used = await h.app.inject({ url, headers: bearer(other.token) });
    expect(used.statusCode).toBe(200);
    expect(used.rawPayload.equals(answers[0]!.rawPayload)).toBe(false);
    expect(await drawn()).toBe(before + 2);
  });

  it('gives the PDF to an admin, and to nobody else', async () => {
    const ticket = await ticketFor(tonight, 2);
    const url = `/api/tickets/${ticket.id}/pdf`;
    expect((await h.app.inject({ url, headers: bearer(admin.token) })).statusCode).toBe(200);
    const stranger = await h.app.inject({ url, headers: bearer(other.token) });
    expect(stranger.statusCode).toBe(404);
    expect(stranger.headers['content-type']).toContain('application/problem+json');
    expect((await h.app.inject({ url, headers: bearer(staff.token) })).statusCode).toBe(404);
    expect((await h.app.inject({ url })).statusCode).toBe(401);
    const unknown = await h.app.inject({
      url: `/api/tickets/${randomUUID()}/pdf`,
      headers: bearer(fan.token),
    });
    expect(unknown.statusCode).toBe(404);
  });

  it('refuses to sell to a staff account, with its own code', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/reservations',
      headers: bearer(staff.token),
      payload: { eventId: tonight.eventId, seatIds: [tonight.seats[5]!.id] },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('STAFF_CANNOT_BUY');
    // Nor through the waiting list, whose offers are holds.
    const join = await h.app.inject({
      method: 'POST',
      url: `/api/waitlist/${tonight.eventId}`,
      headers: bearer(staff.token),
      payload: { quantity: 1 },
    });
    expect(join.statusCode).toBe(403);
    expect(join.json().code).toBe('STAFF_CANNOT_BUY');
  });

  it('lets staff check in only at the doors an operator assigned, by QR or by typed code', async () => {
    // A staff account of its own: the other tests assign the shared one.
    const door = await h.account('staff');
    const ticket = await ticketFor(tonight, 3);
    const before = await checkIn(door.token, { qr: ticket.qr });
    expect(before.statusCode).toBe(403);
    expect(before.json().code).toBe('CHECK_IN_NOT_ASSIGNED');

    expect((await assign(door.token, door.id, [tonight.eventId])).statusCode).toBe(403);
    expect((await assign(fan.token, door.id, [tonight.eventId])).statusCode).toBe(403);
    const unknownEvent = await assign(admin.token, door.id, [randomUUID()]);
    expect(unknownEvent.statusCode).toBe(404);
    expect(unknownEvent.json().code).toBe('EVENT_NOT_FOUND');
    const assigned = await assign(admin.token, door.id, [tonight.eventId]);
    expect(assigned.statusCode, assigned.body).toBe(200);
    expect(assigned.json().events).toEqual([
      { id: tonight.eventId, title: tonight.title, startsAt: tonight.startsAt },
    ]);
    const mine = await h.app.inject({ url: '/api/tickets/check-in/events', headers: bearer(door.token) });
    expect(mine.json().items.map((e: { id: string }) => e.id)).toEqual([tonight.eventId]);

    const typed = `${ticket.code.slice(0, 5).toLowerCase()}-${ticket.code.slice(5)}`;
    const ok = await checkIn(door.token, { code: typed, eventId: tonight.eventId });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ ticketId: ticket.id, code: ticket.code, status: 'USED' });

    const again = await checkIn(door.token, { qr: ticket.qr });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'TICKET_ALREADY_USED', usedAt: ok.json().usedAt });

    const otherDoor = await ticketFor(elsewhere, 0);
    const refused = await checkIn(door.token, { code: otherDoor.code, eventId: elsewhere.eventId });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('CHECK_IN_NOT_ASSIGNED');
    // At their own door, a fan who came with another concert's ticket is told so, not the staff member's
    // assignment; at a door not theirs, nothing about the ticket is told.
    const wrongConcert = await checkIn(door.token, { qr: otherDoor.qr, eventId: tonight.eventId });
    expect(wrongConcert.statusCode).toBe(409);
    expect(wrongConcert.json().code).toBe('TICKET_WRONG_EVENT');
    const notTheirs = await checkIn(door.token, { qr: ticket.qr, eventId: elsewhere.eventId });
    expect(notTheirs.statusCode).toBe(403);
    expect(notTheirs.json().code).toBe('CHECK_IN_NOT_ASSIGNED');
    const fanAtDoor = await checkIn(fan.token, { qr: otherDoor.qr });
    expect(fanAtDoor.statusCode).toBe(403);
    expect(fanAtDoor.json().code).toBe('FORBIDDEN');
  });

  it('gives no one the door of a concert called off, and keeps the doors given before', async () => {
    const kept = await h.account('staff');
    expect((await assign(admin.token, kept.id, [tonight.eventId, calledOff.eventId])).statusCode).toBe(200);
    await h.db
      .updateTable('events')
      .set({ status: 'cancelled' })
      .where('id', '=', calledOff.eventId)
      .execute();
    // Saving the same doors again (the assignment page sends them all) keeps the one already given.
    const again = await assign(admin.token, kept.id, [tonight.eventId, calledOff.eventId]);
    expect(again.statusCode, again.body).toBe(200);
    const fresh = await h.account('staff');
    const refused = await assign(admin.token, fresh.id, [tonight.eventId, calledOff.eventId]);
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'EVENT_CLOSED', eventIds: [calledOff.eventId] });
    const doors = await h.db
      .selectFrom('staffAssignments')
      .select('eventId')
      .where('userId', '=', fresh.id)
      .execute();
    expect(doors).toEqual([]);
  });

  it('assigns doors only to door-staff accounts, and writes nothing for any other id', async () => {
    const door = await h.account('staff');
    // A fan's account could never check in (only staff and operators reach the door), an id of no
    // account nobody could sign in with, and an operator checks in at every door already.
    const fanAccount = await h.account('user');
    const toFan = await assign(admin.token, fanAccount.id, [tonight.eventId]);
    expect(toFan.statusCode, toFan.body).toBe(422);
    expect(toFan.headers['content-type']).toContain('application/problem+json');
    expect(toFan.json()).toMatchObject({ status: 422, code: 'NOT_STAFF_ACCOUNT' });
    expect(toFan.json().detail).toContain('door-staff');
    const operator = await h.account('admin');
    const toOperator = await assign(admin.token, operator.id, [tonight.eventId]);
    expect(toOperator.statusCode, toOperator.body).toBe(422);
    expect(toOperator.json().code).toBe('NOT_STAFF_ACCOUNT');
    const nobody = randomUUID();
    const toNobody = await assign(admin.token, nobody, [tonight.eventId]);
    expect(toNobody.statusCode, toNobody.body).toBe(404);
    expect(toNobody.headers['content-type']).toContain('application/problem+json');
    expect(toNobody.json()).toMatchObject({ status: 404, code: 'USER_NOT_FOUND' });
    for (const id of [fanAccount.id, operator.id, nobody]) expect(await assignedTo(id)).toEqual([]);

    const assigned = await assign(admin.token, door.id, [tonight.eventId, elsewhere.eventId]);
    expect(assigned.statusCode, assigned.body).toBe(200);
    expect(await assignedTo(door.id)).toEqual([elsewhere.eventId, tonight.eventId]);
  });

  it('clears the doors of any account, and forgets a deleted staff account’s doors', async () => {
    // A staff account deleted, or one whose role changed, keeps no doors: an operator can clear them
    // whatever the account is now, without asking the user service.
    const door = await h.account('staff');
    expect((await assign(admin.token, door.id, [tonight.eventId])).statusCode).toBe(200);
    const nobody = randomUUID();
    const cleared = await assign(admin.token, nobody, []);
    expect(cleared.statusCode, cleared.body).toBe(200);
    expect(cleared.json()).toEqual({ userId: nobody, events: [] });

    await h.db
      .transaction()
      .execute((trx) => h.svc.handlers.account(makeEnvelope('user.deleted', { userId: door.id }), trx));
    expect(await assignedTo(door.id)).toEqual([]);
  });

  it('changes no assignment, and says so (503), while the user service cannot answer', async () => {
    const door = await h.account('staff');
    expect((await assign(admin.token, door.id, [tonight.eventId])).statusCode).toBe(200);
    const cut = await h.instance({ config: { USER_SERVICE_URL: 'http://127.0.0.1:9' } });
    const res = await assign(admin.token, door.id, [elsewhere.eventId], cut.app);
    expect(res.statusCode, res.body).toBe(503);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe('UPSTREAM_UNAVAILABLE');
    expect(await assignedTo(door.id)).toEqual([tonight.eventId]);
    await cut.close();
  });

  it('says which typed code is unknown or malformed', async () => {
    await assign(admin.token, staff.id, [tonight.eventId]);
    const unknown = await checkIn(staff.token, { code: 'ZZZZZ-ZZZZZ', eventId: tonight.eventId });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('TICKET_CODE_UNKNOWN');
    const malformed = await checkIn(staff.token, { code: 'OIL10', eventId: tonight.eventId });
    expect(malformed.statusCode).toBe(400);
    const noEvent = await checkIn(staff.token, { code: 'ZZZZZ-ZZZZZ' });
    expect(noEvent.statusCode).toBe(400);
  });

  it('keeps the doors-open rule for typed codes', async () => {
    const later = onSaleEvent(2, { startsAt: new Date(Date.now() + 30 * 24 * HOUR).toISOString() });
    await deliver(h.svc, published(later));
    const ticket = await ticketFor(later, 0);
    const res = await checkIn(admin.token, { code: ticket.code, eventId: later.eventId });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('CHECK_IN_NOT_OPEN');
  });

  it('opens the doors, and titles the tickets, by the concert as the organiser last changed it', async () => {
    const moved = onSaleEvent(2, { startsAt: new Date(Date.now() + 30 * 24 * HOUR).toISOString() });
    await deliver(h.svc, published(moved));
    const ticket = await ticketFor(moved, 0);
    expect((await checkIn(admin.token, { code: ticket.code, eventId: moved.eventId })).json().code).toBe(
      'CHECK_IN_NOT_OPEN',
    );
    // Brought forward to tonight, and renamed.
    const startsAt = new Date(Date.now() + HOUR).toISOString();
    await deliver(
      h.svc,
      makeEnvelope('event.updated', {
        eventId: moved.eventId,
        status: 'on_sale',
        title: 'Moved Forward Live',
        startsAt,
        saleOpensAt: moved.saleOpensAt,
        saleClosesAt: new Date(Date.now() + HOUR / 2).toISOString(),
        perUserLimit: moved.perUserLimit,
        waitingRoom: moved.waitingRoom,
        waitlistOfferMinutes: 30,
      }),
    );
    const admitted = await checkIn(admin.token, { code: ticket.code, eventId: moved.eventId });
    expect(admitted.statusCode, admitted.body).toBe(200);
    const pdf = await h.app.inject({ url: `/api/tickets/${ticket.id}/pdf`, headers: bearer(fan.token) });
    expect(await pdfText(pdf.rawPayload)).toContain('Moved Forward Live');
  });

  it('hands the notification service the tickets of an order with one PDF of them all', async () => {
    const ticket = await ticketFor(tonight, 4);
    const res = await h.app.inject({
      url: `/internal/reservations/${ticket.reservationId}/ticket-documents`,
      headers: { 'x-internal-token': h.config.INTERNAL_TOKEN },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().tickets).toEqual([
      {
        id: ticket.id,
        seatLabel: tonight.seats[4]!.label,
        entrySection: null,
        entryNumber: null,
        code: ticket.code,
        qr: ticket.qr,
      },
    ]);
    expect(await pdfText(Buffer.from(res.json().pdf, 'base64'))).toContain(ticket.code.slice(5));
  });

  it("lists a fan's tickets of one concert when asked with its eventId, in any spelling of the id", async () => {
    const lister = await h.userToken();
    await paidTicket(h, lister.token, listed, 0);
    await paidTicket(h, lister.token, listed, 1);
    await paidTicket(h, lister.token, unlisted, 0);
    const list = async (query: string) => {
      const res = await h.app.inject({ url: `/api/tickets${query}`, headers: bearer(lister.token) });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as { total: number; items: { eventId: string }[] };
    };
    expect((await list('')).total).toBe(3);
    const ofListed = await list(`?eventId=${listed.eventId.toUpperCase()}&pageSize=10`);
    expect(ofListed.total).toBe(2);
    expect(ofListed.items.map((t) => t.eventId)).toEqual([listed.eventId, listed.eventId]);
    const refused = await h.app.inject({ url: '/api/tickets?eventId=nope', headers: bearer(lister.token) });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('documents the PDF, check-in and staff routes in OpenAPI', async () => {
    const res = await h.app.inject({
      url: '/docs/json',
      headers: { 'x-internal-token': h.config.INTERNAL_TOKEN },
    });
    const paths = res.json().paths;
    const pdf = paths['/api/tickets/{id}/pdf'].get;
    expect(pdf.summary).toContain('application/pdf');
    // The answer's type is declared, not only named in the summary: a client generated from it expects a PDF.
    expect(Object.keys(pdf.responses['200'].content)).toEqual(['application/pdf']);
    expect(pdf.responses['200'].content['application/pdf'].schema).toMatchObject({
      type: 'string',
      format: 'binary',
    });
    const body = paths['/api/tickets/check-in'].post.requestBody.content['application/json'].schema;
    expect(JSON.stringify(body)).toContain('"code"');
    expect(paths['/api/tickets/staff/{userId}/events'].put).toBeDefined();
    expect(paths['/api/tickets/check-in/events'].get).toBeDefined();
  });
});
