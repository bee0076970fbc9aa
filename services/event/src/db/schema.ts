import type { EntryOrder, ImageRef } from '@tiketi/contracts';
import type { ColumnType, Generated } from 'kysely';

export type EventStatus = 'draft' | 'published' | 'on_sale' | 'sold_out' | 'ended' | 'cancelled';

/** jsonb: read as the parsed value, written as JSON text. */
type JsonRef = ColumnType<ImageRef | null, string | null | undefined, string | null>;
type CreatedAt = ColumnType<Date, Date | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | undefined, Date>;

export type ArtistsTable = {
  id: string;
  name: string;
  genre: string | null;
  bio: Generated<string>;
  image: JsonRef;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
};

export type VenuesTable = {
  id: string;
  name: string;
  city: string;
  address: Generated<string>;
  seatCount: number;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
};

export type VenueSectionsTable = {
  id: string;
  venueId: string;
  name: string;
  position: number;
  /** Set for a standing area only, with `entryOrder`. */
  standingCapacity: number | null;
  entryOrder: EntryOrder | null;
};

export type SeatsTable = {
  id: string;
  venueId: string;
  sectionId: string;
  rowLabel: string;
  rowPosition: number;
  number: number;
  label: string;
  x: number;
  y: number;
  tierKey: string;
};

export type EventsTable = {
  id: string;
  artistId: string;
  venueId: string;
  title: string;
  description: Generated<string>;
  startsAt: Date;
  saleOpensAt: Date;
  saleClosesAt: Date;
  status: EventStatus;
  perUserLimit: number;
  waitingRoomEnabled: boolean;
  admissionRatePerMinute: number;
  maxActiveShoppers: number;
  challengeMaxNumber: number | null;
  waitlistOfferMinutes: Generated<number>;
  poster: JsonRef;
  publishedAt: Date | null;
  cancelledAt: Date | null;
  cancelReason: string | null;
  soldOut: Generated<boolean>;
  soldOutAt: Date | null;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
};

export type PriceTiersTable = {
  id: string;
  eventId: string;
  key: string;
  name: string;
  price: number;
  position: number;
};

export type DB = {
  artists: ArtistsTable;
  venues: VenuesTable;
  venueSections: VenueSectionsTable;
  seats: SeatsTable;
  events: EventsTable;
  priceTiers: PriceTiersTable;
};
