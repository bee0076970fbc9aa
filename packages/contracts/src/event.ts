import { z } from 'zod';
import { waitingRoomSettings } from './events.ts';

export const eventStatus = z.enum(['draft', 'published', 'on_sale', 'sold_out', 'ended', 'cancelled']);
export type EventStatus = z.infer<typeof eventStatus>;

/**
 * The part of `GET /api/events/:id` other services rely on (the reservation service checks a sale is open,
 * the queue service reads the waiting-room settings). The full response is a superset of this.
 */
export const eventSaleInfo = z.object({
  id: z.uuid(),
  title: z.string(),
  status: eventStatus,
  startsAt: z.iso.datetime({ offset: true }),
  saleOpensAt: z.iso.datetime({ offset: true }),
  saleClosesAt: z.iso.datetime({ offset: true }),
  perUserLimit: z.number().int().positive(),
  waitingRoom: waitingRoomSettings,
});
export type EventSaleInfo = z.infer<typeof eventSaleInfo>;
