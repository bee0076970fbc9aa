import type { PaymentStatus } from '@tiketi/contracts';
import type { ColumnType, Generated } from 'kysely';

type CreatedAt = ColumnType<Date, Date | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | undefined, Date>;

export type RefundStatus = 'REQUESTED' | 'DONE' | 'FAILED';

export type PaymentsTable = {
  id: string;
  orderId: string;
  reservationId: string;
  eventId: string;
  userId: string;
  amount: number;
  status: PaymentStatus;
  orderName: string;
  customerName: string;
  customerEmail: string;
  customerPhone: string | null;
  checkoutUrl: string | null;
  paymentKey: string | null;
  method: string | null;
  /** Toss's receipt page, once Toss approved. */
  receiptUrl: string | null;
  approvedAt: Date | null;
  refundedAmount: Generated<number>;
  failureCode: string | null;
  failureMessage: string | null;
  holdExpiresAt: Date;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
};

export type PaymentSeatsTable = {
  paymentId: string;
  seatId: string;
  label: string;
  price: number;
  refundId: string | null;
};

export type RefundsTable = {
  id: string;
  paymentId: string;
  amount: number;
  seatIds: string[];
  fullRefund: boolean;
  reason: string;
  status: RefundStatus;
  lateApproval: Generated<boolean>;
  requestedBy: string | null;
  transactionKey: string | null;
  failureCode: string | null;
  createdAt: CreatedAt;
  completedAt: Date | null;
  /** The Idempotency-Key request that asked for it, if any. */
  requestId: string | null;
};

export type EventScheduleTable = {
  eventId: string;
  /** Null only for an event known from its cancellation alone. */
  title: string | null;
  startsAt: Date | null;
  cancelledAt: Date | null;
  cancelReason: string | null;
  /** When the event service made the change `title` and `startsAt` hold. */
  sourceAt: Date | null;
  /**
   * The sections that are standing areas (their places are labelled `standingPlaceLabel`); null while not
   * known (the event was known before they were kept, or only from its cancellation).
   */
  standingAreas: string[] | null;
  updatedAt: UpdatedAt;
};

export type IdempotentRequestsTable = {
  id: string;
  callerId: string;
  key: string;
  fingerprint: string;
  /** Null while the first request is being worked on. */
  status: number | null;
  answer: unknown;
  lockedUntil: Date;
  createdAt: CreatedAt;
};

export type DB = {
  payments: PaymentsTable;
  paymentSeats: PaymentSeatsTable;
  refunds: RefundsTable;
  eventSchedule: EventScheduleTable;
  idempotentRequests: IdempotentRequestsTable;
};
