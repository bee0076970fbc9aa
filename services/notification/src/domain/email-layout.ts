import { WEB_LANGUAGE_PARAM } from '@tiketi/contracts';
import type { Locale } from '../db/schema.ts';

export type RenderedEmail = { subject: string; text: string; html: string };

export function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** Money is integer KRW: "12,000원" in Korean, "₩12,000" in English. */
export function formatWon(amount: number, locale: Locale): string {
  return locale === 'ko' ? `${amount.toLocaleString('ko-KR')}원` : `₩${amount.toLocaleString('en-US')}`;
}

/**
 * Concert times are shown in Seoul time, where the concerts are, and say so in both languages: a fan
 * abroad, Korean-speaking or not, must not read them as local times.
 */
export function formatWhen(date: Date, locale: Locale): string {
  const text = new Intl.DateTimeFormat(locale === 'ko' ? 'ko-KR' : 'en-GB', {
    dateStyle: 'full',
    timeStyle: 'short',
    timeZone: 'Asia/Seoul',
  }).format(date);
  return `${text} (KST)`;
}

/**
 * What every email says, in the order it says it: an opening paragraph, the facts as label/value rows, an
 * optional closing note, and one button.
 */
export type EmailContent = {
  subject: string;
  heading: string;
  intro: string;
  rows?: [string, string][];
  note?: string;
  /** Images carried inline (`cid:`), each with its caption: the tickets' QR codes. */
  images?: { cid: string; alt: string; caption: string }[];
  button: { label: string; url: string };
};

type Block =
  | { kind: 'p'; text: string }
  | { kind: 'rows'; rows: [string, string][] }
  | { kind: 'images'; images: NonNullable<EmailContent['images']> }
  | { kind: 'button'; label: string; url: string };

/** The link opens the web app in the mail's language, whatever language the browser prefers. */
function inLanguage(url: string, locale: Locale): string {
  const link = new URL(url);
  link.searchParams.set(WEB_LANGUAGE_PARAM, locale);
  return link.toString();
}

function blocksOf(content: EmailContent, locale: Locale): Block[] {
  const blocks: Block[] = [{ kind: 'p', text: content.intro }];
  if (content.rows) blocks.push({ kind: 'rows', rows: content.rows });
  if (content.images?.length) blocks.push({ kind: 'images', images: content.images });
  if (content.note) blocks.push({ kind: 'p', text: content.note });
  blocks.push({ kind: 'button', label: content.button.label, url: inLanguage(content.button.url, locale) });
  return blocks;
}

/** Renders one email as HTML and plain text from the same blocks, so both always say the same thing. */
export function composeEmail(locale: Locale, content: EmailContent): RenderedEmail {
  const { subject, heading } = content;
  const footer =
    locale === 'ko'
      ? 'Tiketi에서 보낸 메일입니다. 이 메일에 회신하지 마세요.'
      : 'This email was sent by Tiketi. Please do not reply to it.';
  const textParts = [heading, ''];
  const htmlParts: string[] = [];
  for (const block of blocksOf(content, locale)) {
    if (block.kind === 'p') {
      textParts.push(block.text, '');
      htmlParts.push(`<p style="margin:0 0 16px">${escapeHtml(block.text)}</p>`);
    } else if (block.kind === 'rows') {
      for (const [label, value] of block.rows) textParts.push(`${label}: ${value}`);
      textParts.push('');
      const rows = block.rows
        .map(
          ([label, value]) =>
            `<tr><td style="padding:4px 16px 4px 0;color:#6b7684;white-space:nowrap">${escapeHtml(label)}</td><td style="padding:4px 0">${escapeHtml(value)}</td></tr>`,
        )
        .join('');
      htmlParts.push(
        `<table role="presentation" style="margin:0 0 16px;border-collapse:collapse">${rows}</table>`,
      );
    } else if (block.kind === 'images') {
      for (const image of block.images) textParts.push(image.caption);
      textParts.push('');
      for (const image of block.images) {
        htmlParts.push(
          `<p style="margin:0 0 16px;text-align:center"><img src="cid:${escapeHtml(image.cid)}" width="200" height="200" alt="${escapeHtml(image.alt)}"><br><span style="font-family:monospace;font-size:16px">${escapeHtml(image.caption)}</span></p>`,
        );
      }
    } else {
      textParts.push(`${block.label}: ${block.url}`, '');
      htmlParts.push(
        `<p style="margin:24px 0"><a href="${escapeHtml(block.url)}" style="background:#3182f6;color:#fff;padding:12px 20px;border-radius:8px;text-decoration:none">${escapeHtml(block.label)}</a></p>`,
      );
    }
  }
  textParts.push('--', footer);
  const html = `<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body style="margin:0;padding:24px;background:#f2f4f6;font-family:-apple-system,'Apple SD Gothic Neo','Noto Sans KR',sans-serif;color:#191f28">
<div style="max-width:560px;margin:auto;background:#fff;border-radius:12px;padding:32px">
<p style="margin:0 0 24px;font-weight:700;color:#3182f6">Tiketi</p>
<h1 style="font-size:20px;margin:0 0 24px">${escapeHtml(heading)}</h1>
${htmlParts.join('\n')}
<p style="margin:32px 0 0;color:#8b95a1;font-size:12px">${escapeHtml(footer)}</p>
</div></body></html>`;
  return { subject, text: textParts.join('\n'), html };
}
