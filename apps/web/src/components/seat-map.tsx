import { type KeyboardEvent, useId, useRef, useState } from 'react';
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
  /** The seat's number in its row, written on the seat when one section is shown. */
  number?: number;
  /** The seat's row, written at the start of the row when one section is shown. */
  row?: string;
};

/** Where each row of a section starts (its leftmost seat), in the order the rows come. */
function rowStarts(seats: DrawnSeat[]): { row: string; x: number; y: number }[] {
  const starts = new Map<string, { row: string; x: number; y: number }>();
  for (const seat of seats) {
    if (seat.row === undefined) continue;
    const start = starts.get(seat.row);
    if (!start || seat.x < start.x) starts.set(seat.row, { row: seat.row, x: seat.x, y: seat.y });
  }
  return [...starts.values()];
}
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

/** Where the page is narrow (a phone): one section at a time, drawn large, is the default there. */
const NARROW = '(max-width: 800px)';
const isNarrow = () => typeof window !== 'undefined' && window.matchMedia?.(NARROW).matches === true;
/** Widths of one seat on screen in a single section's view, by zoom step (px; 24 px is the least target). */
const SEAT_PX = [24, 32, 44];
const ARROWS: Record<string, [number, number]> = {
  ArrowRight: [1, 0],
  ArrowLeft: [-1, 0],
  ArrowDown: [0, 1],
  ArrowUp: [0, -1],
};

/**
 * The seat in direction (dx, dy) from `from` within its section: along its row for left and right, the
 * nearest seat of the next row for up and down.
 */
function neighbour(seats: DrawnSeat[], from: DrawnSeat, [dx, dy]: [number, number]): DrawnSeat | undefined {
  let best: DrawnSeat | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const seat of seats) {
    const ax = seat.x - from.x;
    const ay = seat.y - from.y;
    const along = dx !== 0 ? ax * dx : ay * dy;
    const across = dx !== 0 ? Math.abs(ay) : Math.abs(ax);
    if (along <= 0.01) continue;
    if (dx !== 0 && across > 0.5) continue;
    const score = along * 1000 + across;
    if (score < bestScore) {
      bestScore = score;
      best = seat;
    }
  }
  return best;
}

/**
 * The venue drawn section by section; each seat is a checkbox, colours show the price tier, grey shows
 * held or sold. A section picker shows all sections or one, drawn large enough to touch (zoom in steps),
 * with each seat's number written on it. The map is one Tab stop: the arrow keys move between seats
 * (roving tabindex), Space or Enter chooses. A venue's `plan` (its layout, sold by no one) counts each
 * section's seats and gives the seats no status.
 */
export function SeatMap({
  sections,
  tierColor,
  tierName,
  selected,
  onToggle,
  plan = false,
}: {
  sections: DrawnSection[];
  tierColor: (tier: string) => string;
  tierName: (tier: string) => string;
  selected: Set<string>;
  onToggle: (seatId: string) => void;
  plan?: boolean;
}) {
  const { t, locale } = useI18n();
  const hintId = useId();
  const pickerId = useId();
  const root = useRef<HTMLDivElement>(null);
  const [picked, setPicked] = useState<string | undefined>(() => (isNarrow() ? '' : undefined));
  const [zoom, setZoom] = useState(isNarrow() ? 1 : 0);
  const [active, setActive] = useState<string>();
  const statusText: Record<SeatStatus, string> = {
    available: t('seats.available'),
    held: t('seats.held'),
    sold: t('seats.sold'),
  };
  const withSeats = sections.filter((s) => s.seats.length > 0);
  const free = (section: DrawnSection) => section.seats.filter((s) => s.status === 'available').length;
  // On a phone the first section with a free seat comes first; '' means "not chosen yet".
  const single =
    picked === ''
      ? (withSeats.find((s) => free(s) > 0) ?? withSeats[0])
      : withSeats.find((s) => s.name === picked);
  const shown = single ? [single] : withSeats;
  const visible = shown.flatMap((s) => s.seats);
  const focusable =
    visible.find((s) => s.id === active) ?? visible.find((s) => s.status === 'available') ?? visible[0];

  const moveFrom = (section: DrawnSection, seat: DrawnSeat, e: KeyboardEvent) => {
    const direction = ARROWS[e.key];
    if (!direction) return false;
    e.preventDefault();
    const next = neighbour(section.seats, seat, direction);
    if (next) {
      setActive(next.id);
      root.current?.querySelector<SVGElement>(`[data-seat-id="${next.id}"]`)?.focus();
    }
    return true;
  };

  return (
    <div className="seat-map" ref={root}>
      <div className="seat-map-tools">
        <label htmlFor={pickerId}>{t('seats.pickSection')}</label>
        <select
          id={pickerId}
          value={single?.name ?? ''}
          onChange={(e) => setPicked(e.target.value === '' ? undefined : e.target.value)}
        >
          <option value="">{t('seats.allSections')}</option>
          {withSeats.map((section) => (
            <option key={section.name} value={section.name}>
              {plan
                ? t('seats.sectionOptionPlan', { name: section.name, n: section.seats.length })
                : t('seats.sectionOption', { name: section.name, n: free(section) })}
            </option>
          ))}
        </select>
        {single && (
          <span className="zoom">
            <button
              type="button"
              aria-label={t('seats.zoomOut')}
              disabled={zoom === 0}
              onClick={() => setZoom((z) => Math.max(0, z - 1))}
            >
              −
            </button>
            <button
              type="button"
              aria-label={t('seats.zoomIn')}
              disabled={zoom === SEAT_PX.length - 1}
              onClick={() => setZoom((z) => Math.min(SEAT_PX.length - 1, z + 1))}
            >
              +
            </button>
          </span>
        )}
      </div>
      <p id={hintId} className="visually-hidden">
        {t('seats.keyboardHint')}
      </p>
      <div className="stage" aria-hidden="true">
        {t('seats.stage')}
      </div>
      <fieldset
        className={`sections${single ? ' single' : ''}`}
        aria-label={t('seats.map')}
        aria-describedby={hintId}
      >
        {shown.map((section) => {
          const { seats } = section;
          // One section drawn large says each row's name at its start: the numbers repeat row after row.
          const rows = single ? rowStarts(seats) : [];
          const xs = seats.map((s) => s.x);
          const ys = seats.map((s) => s.y);
          const minX = Math.min(...xs) - SEAT - (rows.length ? SEAT : 0);
          const minY = Math.min(...ys) - SEAT;
          const width = Math.max(...xs) - minX + SEAT;
          const height = Math.max(...ys) - minY + SEAT;
          // One section: as wide as its seats need to be touched, scrolled sideways when wider than the screen.
          const drawnWidth = single ? ((width / SEAT) * (SEAT_PX[zoom] ?? 24)) / 0.85 : undefined;
          return (
            <figure key={section.name} className="section" data-section={section.name}>
              <figcaption>
                {t('seats.section', { name: section.name })}{' '}
                <span className="muted">
                  {plan
                    ? t('seats.count', { n: section.seats.length })
                    : t('seats.left', { n: free(section) })}
                </span>
              </figcaption>
              <div className="section-scroll">
                <svg
                  viewBox={`${minX} ${minY} ${width} ${height}`}
                  style={drawnWidth ? { width: `${drawnWidth}px`, minWidth: '100%' } : undefined}
                >
                  <title>{t('seats.section', { name: section.name })}</title>
                  {seats.map((seat) => {
                    const mine = selected.has(seat.id);
                    const available = seat.status === 'available';
                    const toggle = () => available && onToggle(seat.id);
                    const onKey = (e: KeyboardEvent) => {
                      if (moveFrom(section, seat, e)) return;
                      if (e.key === ' ' || e.key === 'Enter') {
                        e.preventDefault();
                        toggle();
                      }
                    };
                    const price = seat.price === undefined ? '' : ` ${won(seat.price, locale)}`;
                    const what = `${seat.label} · ${tierName(seat.tier)}${price}`;
                    return (
                      <g key={seat.id}>
                        {/* biome-ignore lint/a11y/useSemanticElements: an SVG shape cannot be an <input>; it carries the checkbox role and keyboard handling instead. */}
                        <rect
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
                          aria-label={
                            plan ? what : `${what} · ${mine ? t('seats.mine') : statusText[seat.status]}`
                          }
                          tabIndex={seat.id === focusable?.id ? 0 : -1}
                          data-seat-id={seat.id}
                          data-label={seat.label}
                          data-status={seat.status}
                          onClick={toggle}
                          onKeyDown={onKey}
                          onFocus={() => setActive(seat.id)}
                        >
                          <title>{what}</title>
                        </rect>
                      </g>
                    );
                  })}
                  {single && (
                    // biome-ignore lint/a11y/noAriaHiddenOnFocusable: SVG text cannot take focus; the numbers repeat what each seat's own label says.
                    <g aria-hidden="true">
                      {seats.map((seat) => (
                        <text
                          key={seat.id}
                          className="seat-number"
                          x={seat.x - 0.75}
                          y={seat.y - 0.75}
                          textAnchor="middle"
                          dominantBaseline="central"
                          fill={selected.has(seat.id) || seat.status === 'available' ? '#fff' : '#4b5563'}
                        >
                          {seat.number ?? seat.label}
                        </text>
                      ))}
                      {rows.map((start) => (
                        <text
                          key={start.row}
                          className="row-label"
                          x={start.x - SEAT - 0.75}
                          y={start.y - 0.75}
                          textAnchor="middle"
                          dominantBaseline="central"
                          fill="#374151"
                        >
                          {start.row}
                        </text>
                      ))}
                    </g>
                  )}
                </svg>
              </div>
            </figure>
          );
        })}
      </fieldset>
    </div>
  );
}
