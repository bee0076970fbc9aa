/**
 * What analytics counts. A counter is a metric on a dimension (the whole site, one artist, one event);
 * its live value per Seoul day sits in Redis under the key names the seed uses
 * (`artist:{id}:views:{yyyymmdd}`, `revenue:{yyyymmdd}:total`, `revenue:{yyyymmdd}:count`).
 */
export const metrics = [
  'page_views',
  'event_views',
  'seat_map_views',
  'queue_joins',
  'checkout_starts',
  'searches',
  /** Artist traffic: views of the artist's page and of the artist's events. */
  'views',
  'reservations',
  'confirmed',
  'tickets',
  'expired',
  'cancelled',
  /** Completed payments. */
  'orders',
  /** Net KRW: completed payments minus refunds (a refund lowers the revenue of the day it happens). */
  'revenue',
  /** Number of refunds; orders are not decremented by a refund. */
  'refunds',
  'refunded_amount',
] as const;
export type Metric = (typeof metrics)[number];

/** Not a sum: the HyperLogLog count of distinct visitors of an artist on a day. */
export const UNIQUE_VISITORS = 'unique_visitors';

export type Dimension = 'site' | `artist:${string}` | `event:${string}`;

export type Increment = { metric: Metric; dimension: Dimension; amount: number };

export const SITE: Dimension = 'site';
export const artistDimension = (artistId: string): Dimension => `artist:${artistId}`;
export const eventDimension = (eventId: string): Dimension => `event:${eventId}`;

const REVENUE_KEYS: Partial<Record<Metric, string>> = {
  revenue: 'total',
  orders: 'count',
  refunds: 'refunds',
  refunded_amount: 'refunded',
};

/** The Redis key (without the service prefix) of a counter on a day. */
export function counterKey(metric: Metric, dimension: Dimension, day: string): string {
  const revenue = REVENUE_KEYS[metric];
  if (dimension === SITE && revenue) return `revenue:${day}:${revenue}`;
  return `${dimension}:${metric}:${day}`;
}

export function visitorsKey(artistId: string, day: string): string {
  return `artist:${artistId}:visitors:${day}`;
}

/** Hash field of a counter inside an hour's hash of increments. */
export function hourField(metric: Metric, dimension: Dimension): string {
  return `${metric}|${dimension}`;
}

export function parseHourField(field: string): { metric: Metric; dimension: Dimension } | undefined {
  const [metric, dimension] = field.split('|') as [string, string | undefined];
  if (!dimension || !(metrics as readonly string[]).includes(metric)) return undefined;
  if (dimension !== SITE && !/^(artist|event):[0-9a-f-]{36}$/.test(dimension)) return undefined;
  return { metric: metric as Metric, dimension: dimension as Dimension };
}
