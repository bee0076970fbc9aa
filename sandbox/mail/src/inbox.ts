import { randomUUID } from 'node:crypto';

export type CaughtMessage = {
  id: string;
  /** How it arrived: SMTP, or the SendGrid v3 API stand-in. */
  via: 'smtp' | 'sendgrid';
  messageId: string | undefined;
  from: string;
  /** Every recipient (envelope and headers), lower-cased. */
  to: string[];
  subject: string;
  text: string;
  html: string | undefined;
  receivedAt: string;
};

export type MessageFilter = { to?: string; subject?: string };

/** Caught mail in memory, newest first; old mail falls off past the limit. */
export function createInbox(limit = 1000) {
  const messages: CaughtMessage[] = [];
  return {
    add(message: Omit<CaughtMessage, 'id' | 'receivedAt'>): CaughtMessage {
      const stored = { ...message, id: randomUUID(), receivedAt: new Date().toISOString() };
      messages.unshift(stored);
      if (messages.length > limit) messages.length = limit;
      return stored;
    },
    list(filter: MessageFilter = {}): CaughtMessage[] {
      const to = filter.to?.toLowerCase();
      const subject = filter.subject?.toLowerCase();
      return messages.filter(
        (m) => (!to || m.to.includes(to)) && (!subject || m.subject.toLowerCase().includes(subject)),
      );
    },
    get(id: string): CaughtMessage | undefined {
      return messages.find((m) => m.id === id);
    },
    clear(): void {
      messages.length = 0;
    },
  };
}

export type Inbox = ReturnType<typeof createInbox>;
