import type { CaughtMessage } from './inbox.ts';

const escapeHtml = (value: unknown) =>
  String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;padding:1.5rem;color:#1f2328;background:#f6f8fa}
main{max-width:60rem;margin:auto;background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:1.5rem}
table{width:100%;border-collapse:collapse} td,th{padding:.45rem;border-bottom:1px solid #eaeef2;text-align:left}
a{color:#0969da} .meta{color:#59636e;font-size:.9rem} iframe{width:100%;height:36rem;border:1px solid #d0d7de}
pre{white-space:pre-wrap;background:#f6f8fa;padding:1rem}
</style></head><body><main>${body}</main></body></html>`;
}

export function inboxPage(messages: CaughtMessage[], to: string | undefined): string {
  const rows = messages
    .map(
      (m) =>
        `<tr><td><a href="/messages/${m.id}">${escapeHtml(m.subject || '(no subject)')}</a></td><td>${escapeHtml(m.to.join(', '))}</td><td class="meta">${escapeHtml(m.receivedAt)}</td></tr>`,
    )
    .join('');
  return layout(
    'Mail sandbox',
    `<h1>Mail sandbox inbox</h1>
<form method="get"><input name="to" placeholder="filter by recipient" value="${escapeHtml(to ?? '')}"> <button>Filter</button></form>
<p class="meta">${messages.length} message(s). Nothing here left this machine.</p>
<table><thead><tr><th>Subject</th><th>To</th><th>Received</th></tr></thead><tbody>${rows}</tbody></table>`,
  );
}

export function messagePage(m: CaughtMessage): string {
  const fileUrl = (index: number) => `/api/messages/${m.id}/attachments/${index}`;
  // Inline images are referred to as cid:<id>: point them at the stored files so the page shows them.
  const shown = m.attachments.reduce(
    (body, a) => (a.contentId ? body.replaceAll(`cid:${a.contentId}`, fileUrl(a.index)) : body),
    m.html ?? '',
  );
  const html = m.html
    ? `<h2>HTML</h2><iframe sandbox title="HTML body" srcdoc="${escapeHtml(shown)}"></iframe>`
    : '';
  const files = m.attachments.length
    ? `<h2>Attachments</h2><ul>${m.attachments
        .map(
          (a) =>
            `<li><a href="${fileUrl(a.index)}">${escapeHtml(a.filename ?? a.contentId ?? `file ${a.index + 1}`)}</a> <span class="meta">${escapeHtml(a.contentType)} · ${a.size} bytes${a.inline ? ' · inline' : ''}</span></li>`,
        )
        .join('')}</ul>`
    : '';
  return layout(
    m.subject,
    `<p><a href="/">← Inbox</a></p><h1>${escapeHtml(m.subject)}</h1>
<p class="meta">From ${escapeHtml(m.from)} · To ${escapeHtml(m.to.join(', '))} · ${escapeHtml(m.receivedAt)} · via ${m.via}</p>
${html}${files}<h2>Text</h2><pre>${escapeHtml(m.text)}</pre>`,
  );
}
