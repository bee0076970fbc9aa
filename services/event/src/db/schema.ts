import type { Generated } from 'kysely';

export type EventStatus = 'draft' | 'published' | 'on_sale' | 'sold_out' | 'ended' | 'cancelled';

export type EventsTable = {
  id: string;
  title: string;
  startsAt: Date;
  status: EventStatus;
  createdAt: Generated<Date>;
};

export type DB = { events: EventsTable };
