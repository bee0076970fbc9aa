import type { CaughtMessage, MessageFilter } from './inbox.ts';

/** Every message the sandbox at `inboxUrl` caught that matches `filter`, newest first. */
export async function listMail(inboxUrl: string, filter: MessageFilter = {}): Promise<CaughtMessage[]> {
  const query = new URLSearchParams();
  if (filter.to) query.set('to', filter.to);
  if (filter.subject) query.set('subject', filter.subject);
  const res = await fetch(`${inboxUrl}/api/messages?${query}`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`mail sandbox: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { items: CaughtMessage[] }).items;
}

/**
 * For tests, browser tests and the bench: waits until the sandbox at `inboxUrl` caught a message matching
 * `filter` whose text `matches`, and answers the match. Mail goes out after a relay and a consumer, so it
 * arrives a moment after the request that caused it.
 */
export async function awaitMail(
  inboxUrl: string,
  filter: MessageFilter & { matches: RegExp },
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<{ message: CaughtMessage; match: RegExpMatchArray }> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    for (const message of await listMail(inboxUrl, filter)) {
      const match = message.text.match(filter.matches);
      if (match) return { message, match };
    }
    if (Date.now() > deadline) {
      throw new Error(`mail sandbox: no mail to ${filter.to ?? 'anyone'} matching ${filter.matches}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 150));
  }
}

/** The link of the newest verification mail sent to `email` (`…/verify-email?token=…`). */
export async function verificationLink(
  inboxUrl: string,
  email: string,
  options: { timeoutMs?: number } = {},
): Promise<URL> {
  const { match } = await awaitMail(
    inboxUrl,
    { to: email, matches: /https?:\/\/\S+\/verify-email\?token=[A-Za-z0-9_-]+/ },
    options,
  );
  return new URL(match[0]);
}
