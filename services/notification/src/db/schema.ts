import type { Generated } from 'kysely';

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
  updatedAt: Generated<Date>;
};

export type ConfirmedReservationsTable = {
  reservationId: string;
  amount: number;
  createdAt: Generated<Date>;
};

/**
 * `sending`: claimed, and committed, before the mail went to the provider; `sent` once the provider took
 * it. `unconfirmed`: a redelivery found the claim still `sending` (the sender stopped mid-send, or is still
 * at it) and sent nothing, so a fan never gets the mail twice. `skipped`: nobody to write to.
 */
export const NOTIFICATION_STATUSES = ['sending', 'sent', 'unconfirmed', 'skipped'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

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
  createdAt: Generated<Date>;
};

export type DB = {
  recipients: RecipientsTable;
  eventDetails: EventDetailsTable;
  confirmedReservations: ConfirmedReservationsTable;
  notifications: NotificationsTable;
};
