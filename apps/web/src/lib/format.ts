import { SEOUL_OFFSET_MS } from '@tiketi/contracts';
import type { Locale } from './i18n.tsx';

export const won = (amount: number, locale: Locale) =>
  locale === 'ko' ? `${amount.toLocaleString('ko-KR')}원` : `₩${amount.toLocaleString('en-US')}`;

/** A concert's prices: one amount when every tier costs the same, the lowest and highest otherwise. */
export const wonRange = (range: { min: number; max: number }, locale: Locale) =>
  range.min === range.max ? won(range.min, locale) : `${won(range.min, locale)}–${won(range.max, locale)}`;

/**
 * Concert times are shown in Seoul time, where the concerts happen, and say so: a fan abroad must not
 * read them as local times.
 */
export const dateTime = (iso: string, locale: Locale) =>
  `${new Date(iso).toLocaleString(locale === 'ko' ? 'ko-KR' : 'en-GB', {
    timeZone: 'Asia/Seoul',
    dateStyle: 'medium',
    timeStyle: 'short',
  })} KST`;

export const date = (iso: string, locale: Locale) =>
  new Date(iso).toLocaleDateString(locale === 'ko' ? 'ko-KR' : 'en-GB', {
    timeZone: 'Asia/Seoul',
    dateStyle: 'medium',
  });

/**
 * Time left as m:ss, h:mm:ss from an hour up, and from a day up the days apart (`6d 23:56:09`,
 * `6일 23:56:09`): a sale a week away is not "167:56:09".
 */
export const countdown = (ms: number, locale: Locale) => {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const ss = String(s % 60).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}:${ss}`;
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  if (s < 86_400) return `${Math.floor(s / 3600)}:${mm}:${ss}`;
  const days = Math.floor(s / 86_400);
  const hh = String(Math.floor((s % 86_400) / 3600)).padStart(2, '0');
  return `${days}${locale === 'ko' ? '일' : 'd'} ${hh}:${mm}:${ss}`;
};

/** A `datetime-local` value (`2026-12-24T19:30`) in Seoul time for an instant, whatever the browser's zone. */
export const seoulInput = (iso: string) =>
  new Date(Date.parse(iso) + SEOUL_OFFSET_MS).toISOString().slice(0, 16);

/** The instant a `datetime-local` value means when read as Seoul time, as UTC ISO. */
export const fromSeoulInput = (value: FormDataEntryValue | null) => {
  const local = String(value);
  // The browser leaves the seconds out unless they are not zero.
  return new Date(`${local.length === 16 ? `${local}:00` : local}+09:00`).toISOString();
};
