import type { KeyboardEvent } from 'react';
import { won } from '../lib/format.ts';
import { useI18n } from '../lib/i18n.tsx';
import type { SeatStatus } from '../lib/queries.ts';

export const TIER_COLORS = ['#7c3aed', '#2563eb', '#0d9488', '#d97706', '#db2777', '#65a30d'];
const SEAT = 8;

/** One seat as drawn: where the venue layout puts it, its tier and (for a sale) its live state. */
export type DrawnSeat = {
  id: string;
  label: string;
  x: number;
  y: number;
  tier: string;
  status: SeatStatus;
  price: number | undefined;
};
export type DrawnSection = { name: string; seats: DrawnSeat[] };

/** Seats grouped by section, sections in the order they first appear (the layout's order). */
export function groupBySection<T extends { section: string }>(seats: T[]): { name: string; seats: T[] }[] {
  const sections = new Map<string, T[]>();
  for (const seat of seats) {
    const list = sections.get(seat.section) ?? [];
    list.push(seat);
    sections.set(seat.section, list);
  }
  return [...sections].map(([name, list]) => ({ name, seats: list }));
}

/**
 * The venue drawn section by section; each seat is a checkbox (keyboard: Tab to an available seat, Space
 * or Enter to choose it). Colours show the price tier, grey shows held or sold.
 */
export function SeatMap({
  sections,
  tierColor,
  tierName,
  selected,
  onToggle,
}: {
  sections: DrawnSection[];
  tierColor: (tier: string) => string;
  tierName: (tier: string) => string;
  selected: Set<string>;
  onToggle: (seatId: string) => void;
}) {
  const { t, locale } = useI18n();
  const statusText: Record<SeatStatus, string> = {
    available: t('seats.available'),
    held: t('seats.held'),
    sold: t('seats.sold'),
  };
  return (
    <div className="seat-map">
      <div className="stage" aria-hidden="true">
        STAGE
      </div>
      <div className="sections">
        {sections.map((section) => {
          const { seats } = section;
          if (seats.length === 0) return null;
          const xs = seats.map((s) => s.x);
          const ys = seats.map((s) => s.y);
          const minX = Math.min(...xs) - SEAT;
          const minY = Math.min(...ys) - SEAT;
          const width = Math.max(...xs) - minX + SEAT;
          const height = Math.max(...ys) - minY + SEAT;
          const free = seats.filter((s) => s.status === 'available').length;
          return (
            <figure key={section.name} className="section" data-section={section.name}>
              <figcaption>
                {t('seats.section', { name: section.name })}{' '}
                <span className="muted">{t('seats.left', { n: free })}</span>
              </figcaption>
              <svg viewBox={`${minX} ${minY} ${width} ${height}`}>
                <title>{t('seats.section', { name: section.name })}</title>
                {seats.map((seat) => {
                  const mine = selected.has(seat.id);
                  const available = seat.status === 'available';
                  const toggle = () => available && onToggle(seat.id);
                  const onKey = (e: KeyboardEvent) => {
                    if (e.key === ' ' || e.key === 'Enter') {
                      e.preventDefault();
                      toggle();
                    }
                  };
                  const price = seat.price === undefined ? '' : ` ${won(seat.price, locale)}`;
                  const what = `${seat.label} · ${tierName(seat.tier)}${price}`;
                  return (
                    // biome-ignore lint/a11y/useSemanticElements: an SVG shape cannot be an <input>; it carries the checkbox role and keyboard handling instead.
                    <rect
                      key={seat.id}
                      x={seat.x - SEAT / 2}
                      y={seat.y - SEAT / 2}
                      width={SEAT - 1.5}
                      height={SEAT - 1.5}
                      rx={1.5}
                      className={`seat ${seat.status}${mine ? ' mine' : ''}`}
                      fill={mine ? '#111827' : available ? tierColor(seat.tier) : '#d1d5db'}
                      role="checkbox"
                      aria-checked={mine}
                      aria-disabled={!available}
                      aria-label={`${what} · ${mine ? t('seats.mine') : statusText[seat.status]}`}
                      tabIndex={available ? 0 : -1}
                      data-seat-id={seat.id}
                      data-label={seat.label}
                      data-status={seat.status}
                      onClick={toggle}
                      onKeyDown={onKey}
                    >
                      <title>{what}</title>
                    </rect>
                  );
                })}
              </svg>
            </figure>
          );
        })}
      </div>
    </div>
  );
}
