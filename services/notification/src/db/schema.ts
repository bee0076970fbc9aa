import type { NotificationStatus } from '@tiketi/contracts';
import type { ColumnType, Generated } from 'kysely';

export type Locale = 'ko' | 'en';

export type RecipientsTable = {
  userId: string;
  email: string;
  name: string;
  locale: Locale;
  updatedAt: Generated<Date>;
};

export type EventDetailsTable = {
  eventId: string;
  title: string;
  startsAt: Date;
  venueName: string | null;
  /** As of when title and start were true. */
  sourceAt: Date | null;
  updatedAt: Generated<Date>;
};

export type ConfirmedReservationsTable = {
  reservationId: string;
  amount: number;
  createdAt: Generated<Date>;
};

export type NotificationsTable = {
  id: string;
  dedupeKey: string;
  eventId: string;
  template: string;
  userId: string | null;
  recipient: string | null;
  locale: Locale | null;
  subject: string | null;
  status: NotificationStatus;
  detail: string | null;
  transport: string | null;
  providerMessageId: string | null;
  /** The event the mail was written from, kept while it may be sent again (`SEND_AGAIN_TEMPLATES`). */
  source: ColumnType<unknown, string | null | undefined, string | null>;
  /** The mail this one sends again, by an operator's request. */
  againOf: string | null;
  /** The operator who asked for this mail to be sent again. */
  requestedBy: string | null;
  createdAt: Generated<Date>;
};

export type ForgottenUsersTable = { userId: string; forgottenAt: Generated<Date> };

export type DB = {
  recipients: RecipientsTable;
  forgottenUsers: ForgottenUsersTable;
  eventDetails: EventDetailsTable;
  confirmedReservations: ConfirmedReservationsTable;
  notifications: NotificationsTable;
};
