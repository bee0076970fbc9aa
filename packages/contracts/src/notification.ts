import { z } from 'zod';
import { canonicalId } from './ids.ts';

/**
 * `sending`: claimed, and committed, before the mail went to the provider; `sent` once the provider took
 * it. `unconfirmed`: a redelivery found the claim still `sending` (the sender stopped mid-send, or is still
 * at it) and sent nothing, so a fan never gets the mail twice. `skipped`: nobody to write to.
 */
export const NOTIFICATION_STATUSES = ['sending', 'sent', 'unconfirmed', 'skipped'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/** One mail as `GET /api/notifications` (admin) lists it. */
export const notificationDto = z.object({
  id: canonicalId(),
  eventId: canonicalId(),
  template: z.string(),
  userId: canonicalId().nullable(),
  recipient: z.string().nullable(),
  locale: z.enum(['ko', 'en']).nullable(),
  subject: z.string().nullable(),
  status: z.enum(NOTIFICATION_STATUSES),
  detail: z.string().nullable(),
  transport: z.string().nullable(),
  /** The mail this one sent again, at an operator's request. */
  againOf: canonicalId().nullable(),
  /** Whether an operator may send it again (`POST /api/notifications/:id/send-again`). */
  canSendAgain: z.boolean(),
  createdAt: z.iso.datetime({ offset: true }),
});
export type NotificationDto = z.infer<typeof notificationDto>;
