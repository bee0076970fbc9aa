import type { ReservationStatus, StandingTerms, TicketStatus } from '@tiketi/contracts';
import type { Generated, Selectable } from 'kysely';

export type EventStatus = 'draft' | 'published' | 'on_sale' | 'sold_out' | 'ended' | 'cancelled';
export type SeatStatus = 'available' | 'held' | 'sold';
export type WaitingRoom = { enabled: boolean; admissionRatePerMinute: number; maxActiveShoppers: number };
export type PriceTier = { id: string; name: string; price: number };
export type StandingArea = StandingTerms & { section: string };

export type EventsTable = {
  id: string;
  title: string | null;
  status: EventStatus;
  startsAt: Date | null;
  saleOpensAt: Date;
  saleClosesAt: Date;
  perUserLimit: number;
  waitingRoom: WaitingRoom;
  priceTiers: Generated<PriceTier[]>;
  waitlistOfferMinutes: Generated<number>;
  standingAreas: Generated<StandingArea[]>;
  soldOut: Generated<boolean>;
  sourceAt: Date;
  updatedAt: Generated<Date>;
};

export type SeatsTable = {
  id: string;
  eventId: string;
  label: string;
  section: string;
  rowName: string;
  number: number;
  x: number;
  y: number;
  tierId: string;
  price: number;
  status: Generated<SeatStatus>;
  reservationId: string | null;
  version: Generated<number>;
};

export type ReservationsTable = {
  id: string;
  userId: string;
  eventId: string;
  status: ReservationStatus;
  amount: number;
  expiresAt: Date;
  createdAt: Generated<Date>;
  updatedAt: Generated<Date>;
  confirmedAt: Date | null;
  paymentId: string | null;
  idempotencyKey: string | null;
  voucherId: Generated<string | null>;
  discount: Generated<number>;
  checkoutStartedAt: Generated<Date | null>;
};

/** A reservation as read: the columns the database fills in are plain values. */
export type Reservation = Selectable<ReservationsTable>;

export type ReservationSeatsTable = {
  reservationId: string;
  seatId: string;
  label: string;
  price: number;
  active: Generated<boolean>;
  discount: Generated<number>;
};

export type VoucherKind = 'amount' | 'percent';

export type VouchersTable = {
  id: string;
  eventId: string;
  code: string;
  kind: VoucherKind;
  value: number;
  tierIds: string[];
  maxUses: number;
  used: Generated<number>;
  validFrom: Date | null;
  validUntil: Date | null;
  active: Generated<boolean>;
  createdAt: Generated<Date>;
};

export type TicketsTable = {
  id: string;
  reservationId: string;
  eventId: string;
  userId: string;
  seatId: string;
  seatLabel: string;
  status: Generated<TicketStatus>;
  qr: string;
  code: string;
  issuedAt: Generated<Date>;
  usedAt: Date | null;
  checkedInBy: string | null;
  voidedAt: Date | null;
  /** A standing place's area and entry number (입장 번호); null for a seat. */
  entrySection: Generated<string | null>;
  entryNumber: Generated<number | null>;
};

export type StaffAssignmentsTable = {
  userId: string;
  eventId: string;
  assignedAt: Generated<Date>;
};

/** `CLOSED`: the event was cancelled while the fan waited. */
export type WaitlistStatus = 'WAITING' | 'OFFERED' | 'CLAIMED' | 'LAPSED' | 'LEFT' | 'CLOSED';

export type WaitlistEntriesTable = {
  id: string;
  eventId: string;
  userId: string;
  tierId: string | null;
  quantity: number;
  status: WaitlistStatus;
  position: Generated<string>;
  reservationId: string | null;
  joinedAt: Generated<Date>;
  updatedAt: Generated<Date>;
};

export type DB = {
  staffAssignments: StaffAssignmentsTable;
  events: EventsTable;
  seats: SeatsTable;
  reservations: ReservationsTable;
  reservationSeats: ReservationSeatsTable;
  tickets: TicketsTable;
  vouchers: VouchersTable;
  waitlistEntries: WaitlistEntriesTable;
};

/** A seat whose state changed, as the seat cache needs it. */
export type SeatChange = { id: string; eventId: string; status: SeatStatus; version: number };
