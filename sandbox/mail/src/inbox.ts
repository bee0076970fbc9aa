import { randomUUID } from 'node:crypto';

/** A file the mail carried: attached, or inline (an image the HTML shows through `cid:<contentId>`). */
export type CaughtAttachment = {
  /** Its place in the message: `/api/messages/:id/attachments/:index` serves its bytes. */
  index: number;
  filename: string | undefined;
  contentType: string;
  size: number;
  contentId: string | undefined;
  inline: boolean;
};

export type NewAttachment = Omit<CaughtAttachment, 'index' | 'size'> & { content: Buffer };

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
  attachments: CaughtAttachment[];
  receivedAt: string;
};

export type MessageFilter = { to?: string; subject?: string };

/** Caught mail in memory, newest first; old mail (and its files) falls off past the limit. */
export function createInbox(limit = 1000) {
  const messages: CaughtMessage[] = [];
  /** The bytes of each message's files, apart from the listing so the JSON API stays small. */
  const contents = new Map<string, Buffer[]>();
  return {
    add(
      message: Omit<CaughtMessage, 'id' | 'receivedAt' | 'attachments'>,
      files: NewAttachment[] = [],
    ): CaughtMessage {
      const id = randomUUID();
      const attachments = files.map(({ content, ...meta }, index) => ({
        ...meta,
        index,
        size: content.length,
      }));
      const stored = { ...message, attachments, id, receivedAt: new Date().toISOString() };
      messages.unshift(stored);
      contents.set(
        id,
        files.map((f) => f.content),
      );
      for (const dropped of messages.splice(limit)) contents.delete(dropped.id);
      return stored;
    },
    /** One file of a message with its bytes; undefined when either is unknown. */
    attachment(id: string, index: number): (CaughtAttachment & { content: Buffer }) | undefined {
      const meta = messages.find((m) => m.id === id)?.attachments[index];
      const content = contents.get(id)?.[index];
      return meta && content ? { ...meta, content } : undefined;
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
      contents.clear();
    },
  };
}

export type Inbox = ReturnType<typeof createInbox>;
