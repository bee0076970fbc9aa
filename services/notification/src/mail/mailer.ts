/** A file the mail carries: attached, or inline when the HTML shows it as `cid:<contentId>`. */
export type MailAttachment = {
  filename: string;
  contentType: string;
  content: Buffer;
  contentId?: string;
};

/** One outgoing email, already rendered. */
export type OutgoingMail = {
  to: { email: string; name: string };
  subject: string;
  text: string;
  html: string;
  attachments?: MailAttachment[];
  /** Stable per notification, so a resend after a crash is recognisable as the same message. */
  messageId: string;
};

export type Mailer = {
  readonly name: 'smtp' | 'sendgrid';
  /** Resolves once the provider accepted the mail; throws otherwise (the bus retries). */
  send(mail: OutgoingMail): Promise<{ providerMessageId: string | undefined }>;
  close(): Promise<void>;
};

export type Sender = { email: string; name: string };

/** Mails sent at once: the mail consumer's prefetch, and the SMTP connections kept open for them. */
export const MAILS_AT_ONCE = 8;
