import {
  type AdminRefundRequest,
  type AdminUpstream,
  adminEventRevenue,
  adminPayment,
  adminPaymentPage,
  type adminQueueLive,
  adminReservationPage,
  adminSeatCounts,
  adminUserPage,
  analyticsDashboard,
  canonicalId,
  eventSaleInfo,
  eventStatus,
  INTERNAL_USER_LOOKUP_MAX,
  internalUserLookup,
  publicUser,
  queueStats,
  salesAttendees,
  salesOrders,
  salesReport,
  type VoucherInput,
  type VoucherUpdate,
  voucherDto,
  voucherList,
} from '@tiketi/contracts';
import {
  createHttpClient,
  type HttpClient,
  HttpProblem,
  type HttpResponse,
  internalHeaders,
  type RequestOptions,
  upstreamProblem,
} from '@tiketi/kit';
import { z } from 'zod';

/** An upstream that did not answer, failed, or answered something we cannot read. */
export class UpstreamUnavailable extends HttpProblem {
  readonly upstream: AdminUpstream;

  constructor(upstream: AdminUpstream, detail: string, cause?: unknown) {
    super(503, 'UPSTREAM_UNAVAILABLE', detail, { cause, extra: { upstream } });
    this.upstream = upstream;
  }
}

export type UpstreamSettings = {
  urls: Record<AdminUpstream, string>;
  internalToken: string;
  timeoutMs: number;
  retries: number;
  refundTimeoutMs: number;
};

/** Who asks: the operator's own bearer token, passed on to upstreams that check admins themselves. */
export type Caller = { authorization: string };

type Query = Record<string, string | number | boolean | undefined>;

/** Only what the admin views use of the event service's answers (unknown fields are dropped). */
const eventDetail = eventSaleInfo.extend({ venue: z.object({ seatCount: z.number().int().nonnegative() }) });
const eventList = z.object({
  items: z.array(
    z.object({
      id: canonicalId(),
      title: z.string(),
      status: eventStatus,
      saleOpensAt: z.iso.datetime({ offset: true }),
      saleClosesAt: z.iso.datetime({ offset: true }),
      waitingRoom: z.object({ enabled: z.boolean() }),
    }),
  ),
  total: z.number().int(),
});

/** The most a list route answers at once. */
const LIST_PAGE = 100;

/** Every item of a list, page after page until its total is read (a page shorter than asked ends it too). */
async function everyPage<T>(pageAt: (page: number) => Promise<{ items: T[]; total: number }>): Promise<T[]> {
  const all: T[] = [];
  for (let page = 1; ; page++) {
    const answer = await pageAt(page);
    all.push(...answer.items);
    if (answer.items.length < LIST_PAGE || all.length >= answer.total) return all;
  }
}

export type EventDetail = z.infer<typeof eventDetail>;
export type QueueLine = z.infer<typeof adminQueueLive>;

function upstream(name: AdminUpstream, settings: UpstreamSettings, label = `${name} service`) {
  const http: HttpClient = createHttpClient({
    baseUrl: settings.urls[name],
    name: label,
    timeoutMs: settings.timeoutMs,
    retries: settings.retries,
  });

  async function send(call: () => Promise<HttpResponse<unknown>>): Promise<HttpResponse<unknown>> {
    let res: HttpResponse<unknown>;
    try {
      res = await call();
    } catch (error) {
      // The kit's client has already retried what may be retried; what is left is an outage.
      if (error instanceof HttpProblem && error.status === 503) {
        throw new UpstreamUnavailable(name, `The ${label} is not answering.`, error);
      }
      throw error;
    }
    if (res.status === 401) {
      // The caller passed our own check a moment ago; the service behind saw the session end first (each
      // reads sign-outs with its own short cache). The operator signs in again, as anywhere else.
      throw new HttpProblem(401, 'UNAUTHORIZED', 'Your session has ended; please sign in again.');
    }
    if (res.status === 403) {
      // The caller passed our own admin check, so a refusal here means the services disagree on keys.
      throw new UpstreamUnavailable(name, `The ${label} refused the operator's credentials.`);
    }
    if (res.status >= 500) {
      throw new UpstreamUnavailable(name, `The ${label} failed (status ${res.status}).`);
    }
    if (res.status >= 400) throw upstreamProblem(`The ${label}`, res);
    return res;
  }

  function parse<S extends z.ZodType>(res: HttpResponse<unknown>, schema: S): z.output<S> {
    const parsed = schema.safeParse(res.body);
    if (!parsed.success) {
      throw new UpstreamUnavailable(
        name,
        `The ${label} answered in a shape we do not understand.`,
        parsed.error,
      );
    }
    return parsed.data;
  }

  return {
    async get<S extends z.ZodType>(path: string, schema: S, options: RequestOptions = {}) {
      return parse(await send(() => http.get(path, options)), schema);
    },
    async post<S extends z.ZodType>(path: string, body: unknown, schema: S, options: RequestOptions = {}) {
      return parse(await send(() => http.post(path, body, options)), schema);
    },
    async put<S extends z.ZodType>(path: string, body: unknown, schema: S, options: RequestOptions = {}) {
      return parse(await send(() => http.put(path, body, options)), schema);
    },
  };
}

const bearer = (caller: Caller) => ({ authorization: caller.authorization });

/** The services the operator's views are made of, each behind a timeout. */
export function createUpstreams(settings: UpstreamSettings) {
  const analytics = upstream('analytics', settings);
  const event = upstream('event', settings);
  const reservation = upstream('reservation', settings);
  const payment = upstream('payment', settings);
  const user = upstream('user', settings);
  const queue = upstream('queue', settings);
  const internal = internalHeaders(settings.internalToken);

  return {
    analytics: {
      dashboard: (caller: Caller) =>
        analytics.get('/api/analytics/dashboard', analyticsDashboard, { headers: bearer(caller) }),
    },
    event: {
      /** Every event whose sale window is open now (the event service computes the status). */
      onSale: async (caller: Caller) => ({
        items: await everyPage((page) =>
          event.get('/api/events', eventList, {
            headers: bearer(caller),
            query: { status: 'on_sale', sort: 'date', page, pageSize: LIST_PAGE },
          }),
        ),
      }),
      get: (caller: Caller, eventId: string) =>
        event.get(`/api/events/${eventId}`, eventDetail, { headers: bearer(caller) }),
    },
    reservation: {
      seatCounts: (eventId: string) =>
        reservation.get(`/internal/events/${eventId}/stats`, adminSeatCounts, { headers: internal }),
      search: (caller: Caller, query: Query) =>
        reservation.get('/api/reservations', adminReservationPage, { headers: bearer(caller), query }),
      vouchers: (eventId: string) =>
        reservation.get(`/internal/events/${eventId}/vouchers`, voucherList, { headers: internal }),
      createVoucher: (eventId: string, body: VoucherInput) =>
        reservation.post(`/internal/events/${eventId}/vouchers`, body, voucherDto, { headers: internal }),
      updateVoucher: (voucherId: string, body: VoucherUpdate) =>
        reservation.put(`/internal/vouchers/${voucherId}`, body, voucherDto, { headers: internal }),
      report: (eventId: string) =>
        reservation.get(`/internal/events/${eventId}/report`, salesReport, { headers: internal }),
      orders: (eventId: string) =>
        reservation.get(`/internal/events/${eventId}/orders`, salesOrders, { headers: internal }),
      attendees: (eventId: string) =>
        reservation.get(`/internal/events/${eventId}/attendees`, salesAttendees, { headers: internal }),
    },
    payment: {
      search: (caller: Caller, query: Query) =>
        payment.get('/api/payments', adminPaymentPage, { headers: bearer(caller), query }),
      /** Every payment of an event, page after page. */
      ofEvent: (caller: Caller, eventId: string) =>
        everyPage((page) =>
          payment.get('/api/payments', adminPaymentPage, {
            headers: bearer(caller),
            query: { eventId, page, pageSize: LIST_PAGE },
          }),
        ),
      eventRevenue: (caller: Caller, eventId: string) =>
        payment.get(`/api/payments/events/${eventId}/revenue`, adminEventRevenue, {
          headers: bearer(caller),
        }),
      refund: (caller: Caller, paymentId: string, body: AdminRefundRequest, idempotencyKey?: string) =>
        payment.post(`/api/payments/${paymentId}/refund`, body, adminPayment, {
          headers: { ...bearer(caller), ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
          timeoutMs: settings.refundTimeoutMs,
        }),
    },
    user: {
      search: (caller: Caller, query: Query) =>
        user.get('/api/users', adminUserPage, { headers: bearer(caller), query }),
      get: (caller: Caller, userId: string) =>
        user.get(`/api/users/${userId}`, publicUser, { headers: bearer(caller) }),
      /** Names and addresses of these users, asked in batches the user service accepts. */
      lookup: async (ids: string[]) => {
        const unique = [...new Set(ids)];
        const found = [];
        for (let i = 0; i < unique.length; i += INTERNAL_USER_LOOKUP_MAX) {
          const batch = unique.slice(i, i + INTERNAL_USER_LOOKUP_MAX);
          const answer = await user.post('/internal/users/lookup', { ids: batch }, internalUserLookup, {
            headers: internal,
          });
          found.push(...answer.items);
        }
        return found;
      },
    },
    queue: {
      /** People waiting and admitted shoppers of one event's waiting room, as Redis holds them now. */
      line: async (eventId: string): Promise<QueueLine> => {
        const stats = await queue.get(`/internal/queue/${eventId}/stats`, queueStats, { headers: internal });
        return { waiting: stats.waiting, activeShoppers: stats.activeShoppers };
      },
    },
  };
}

export type Upstreams = ReturnType<typeof createUpstreams>;
