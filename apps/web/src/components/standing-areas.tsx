import type { EntryOrder } from '@tiketi/contracts';
import { useId } from 'react';
import { won } from '../lib/format.ts';
import { useI18n } from '../lib/i18n.tsx';

/** A standing area as the seat page offers it: sold by count, so a card with a quantity, not seats. */
export type StandingOffer = {
  name: string;
  tierName: string;
  tierColor: string;
  price: number;
  /** Places nobody holds or bought now (from the live availability). */
  left: number;
  entryOrder: EntryOrder;
  /** The most this fan may pick here now: places left, within the per-user limit less what else is picked. */
  max: number;
};

/**
 * One card per standing area (스탠딩) with its tier, price, places left and a quantity picker: a number
 * field between a − and a + button, all reachable and usable from the keyboard. A sold-out area says so
 * and offers nothing to pick.
 */
export function StandingAreas({
  areas,
  quantities,
  onChange,
}: {
  areas: StandingOffer[];
  quantities: Record<string, number>;
  onChange: (area: string, quantity: number) => void;
}) {
  const { t, locale } = useI18n();
  const baseId = useId();
  if (areas.length === 0) return null;
  return (
    <section className="standing-areas" aria-labelledby={`${baseId}-title`}>
      <h2 id={`${baseId}-title`}>{t('seats.standingAreas')}</h2>
      <ul>
        {areas.map((area, i) => {
          const quantity = quantities[area.name] ?? 0;
          const inputId = `${baseId}-${i}`;
          const soldOut = area.left === 0;
          const set = (n: number) => onChange(area.name, Math.max(0, Math.min(area.max, n)));
          return (
            <li
              key={area.name}
              className={`card standing-area${soldOut ? ' sold-out' : ''}`}
              data-standing={area.name}
            >
              <h3>
                <span className="swatch" style={{ background: soldOut ? '#d1d5db' : area.tierColor }} />{' '}
                {t('seats.standingName', { name: area.name })}
              </h3>
              <p className="muted">
                {area.tierName} · {won(area.price, locale)}
              </p>
              <p data-testid="standing-left">
                {soldOut ? (
                  <strong>{t('seats.standingSoldOut')}</strong>
                ) : (
                  t('seats.placesLeft', { n: area.left })
                )}
              </p>
              {!soldOut && (
                <div className="quantity">
                  <label className="quantity-label" htmlFor={inputId}>
                    {t('seats.quantity')}
                  </label>
                  <button
                    type="button"
                    className="quantity-step"
                    aria-label={t('seats.fewer', { name: area.name })}
                    disabled={quantity === 0}
                    onClick={() => set(quantity - 1)}
                  >
                    −
                  </button>
                  <input
                    id={inputId}
                    className="quantity-input"
                    type="number"
                    inputMode="numeric"
                    min={0}
                    max={area.max}
                    value={quantity}
                    onChange={(e) => set(Number.parseInt(e.target.value, 10) || 0)}
                  />
                  <button
                    type="button"
                    className="quantity-step"
                    aria-label={t('seats.more', { name: area.name })}
                    disabled={quantity >= area.max}
                    onClick={() => set(quantity + 1)}
                  >
                    +
                  </button>
                </div>
              )}
              <p className="muted small">
                {t(area.entryOrder === 'draw' ? 'seats.entryDraw' : 'seats.entryArrival')}
              </p>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
