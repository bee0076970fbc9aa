import { SEOUL_OFFSET_MS } from '@tiketi/contracts';

/*
 * Stats days and months are Asia/Seoul calendar days: the operators and the fans are in Korea, and a
 * "day's revenue" means their day. Seoul has no daylight saving time, so a fixed +9 h offset
 * (`SEOUL_OFFSET_MS`) is exact and needs no time-zone database.
 */

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function shifted(at: Date): Date {
  return new Date(at.getTime() + SEOUL_OFFSET_MS);
}

/** `yyyymmdd` of the Seoul date of an instant: the day part of counter keys. */
export function dayKey(at: Date): string {
  const s = shifted(at);
  return `${s.getUTCFullYear()}${pad(s.getUTCMonth() + 1)}${pad(s.getUTCDate())}`;
}

/** `yyyy-mm-dd` of the Seoul date of an instant. */
export function isoDay(at: Date): string {
  return fromDayKey(dayKey(at));
}

export function fromDayKey(key: string): string {
  return `${key.slice(0, 4)}-${key.slice(4, 6)}-${key.slice(6, 8)}`;
}

export function toDayKey(isoDate: string): string {
  return isoDate.replaceAll('-', '');
}

/** The instant a Seoul day (`yyyy-mm-dd`) begins. */
export function dayStart(isoDate: string): Date {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) - SEOUL_OFFSET_MS);
}

/** `yyyy-mm-dd` of the day `days` after the given one (negative goes back). */
export function addDays(isoDate: string, days: number): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** How many days from start to end, both included (0 when end comes first). */
export function daySpan(start: string, end: string): number {
  return Math.max(
    0,
    Math.round((Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / DAY_MS) + 1,
  );
}

/** Every `yyyy-mm-dd` from start to end, both included: measure the range with `daySpan` first. */
export function daysBetween(start: string, end: string): string[] {
  return Array.from({ length: daySpan(start, end) }, (_, i) => addDays(start, i));
}

/** `yyyy-mm` of the Seoul month of a `yyyy-mm-dd` day. */
export function monthOf(isoDate: string): string {
  return isoDate.slice(0, 7);
}

/** `yyyy-mm` of the month `months` after the given one (negative goes back). */
export function addMonths(month: string, months: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const index = y * 12 + (m - 1) + months;
  return `${Math.floor(index / 12)}-${pad((index % 12) + 1)}`;
}

/** How many months from start to end, both included (0 when end comes first). */
export function monthSpan(start: string, end: string): number {
  const [y, m] = start.split('-').map(Number) as [number, number];
  const [ey, em] = end.split('-').map(Number) as [number, number];
  return Math.max(0, (ey - y) * 12 + (em - m) + 1);
}

/** Every `yyyy-mm` from start to end, both included: measure the range with `monthSpan` first. */
export function monthsBetween(start: string, end: string): string[] {
  const months: string[] = [];
  let [y, m] = start.split('-').map(Number) as [number, number];
  const [ey, em] = end.split('-').map(Number) as [number, number];
  while (y < ey || (y === ey && m <= em)) {
    months.push(`${y}-${pad(m)}`);
    m++;
    if (m > 12) {
      m = 1;
      y++;
    }
  }
  return months;
}

/** The start of the UTC hour holding an instant (Seoul hours are the same hours, shifted by 9). */
export function hourStart(at: Date): Date {
  return new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);
}

/** `yyyymmddhh` (UTC) of an hour: names the Redis hash of that hour's increments. */
export function hourKey(at: Date): string {
  const h = hourStart(at);
  return `${h.getUTCFullYear()}${pad(h.getUTCMonth() + 1)}${pad(h.getUTCDate())}${pad(h.getUTCHours())}`;
}

export function fromHourKey(key: string): Date {
  return new Date(
    Date.UTC(
      Number(key.slice(0, 4)),
      Number(key.slice(4, 6)) - 1,
      Number(key.slice(6, 8)),
      Number(key.slice(8)),
    ),
  );
}
