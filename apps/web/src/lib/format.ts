import type { Locale } from './i18n.tsx';

export const won = (amount: number, locale: Locale) =>
  locale === 'ko' ? `${amount.toLocaleString('ko-KR')}원` : `₩${amount.toLocaleString('en-US')}`;

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

export const countdown = (ms: number) => {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};
