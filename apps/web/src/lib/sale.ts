import type { EventDetailDto } from '@tiketi/contracts';

/** Where an event's sale stands now: what the event page offers, and whether the seat map may be used. */
export type SaleState = 'cancelled' | 'before' | 'open' | 'over';

export function saleState(
  event: Pick<EventDetailDto, 'status' | 'saleOpensAt' | 'saleClosesAt'>,
  now: number,
): SaleState {
  if (event.status === 'cancelled') return 'cancelled';
  if (event.status === 'draft' || event.status === 'ended') return 'over';
  if (now >= Date.parse(event.saleClosesAt)) return 'over';
  return now < Date.parse(event.saleOpensAt) ? 'before' : 'open';
}
