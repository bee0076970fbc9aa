import type { VoucherKind } from '../db/schema.ts';
import type { DiscountableSeat } from '../db/voucher.repository.ts';

export type VoucherTerms = { kind: VoucherKind; value: number; tierIds: string[] };

/**
 * What a voucher takes off each held seat it applies to (seats of its tiers, or all seats when it names
 * none): a percentage of each seat's price, rounded down; or a fixed amount for the order, never more than
 * those seats cost, spread over them in proportion to their prices (the remainder of the rounding on the
 * first seats), so refunding some seats later gives back what was paid for them. Empty when no seat fits.
 */
export function discountPerSeat(voucher: VoucherTerms, seats: DiscountableSeat[]): Map<string, number> {
  const eligible = seats.filter((s) => voucher.tierIds.length === 0 || voucher.tierIds.includes(s.tierId));
  const perSeat = new Map<string, number>();
  if (eligible.length === 0) return perSeat;
  if (voucher.kind === 'percent') {
    for (const s of eligible) perSeat.set(s.seatId, Math.floor((s.price * voucher.value) / 100));
    return perSeat;
  }
  const total = eligible.reduce((sum, s) => sum + s.price, 0);
  const off = Math.min(voucher.value, total);
  let given = 0;
  for (const s of eligible) {
    const share = total === 0 ? 0 : Math.floor((off * s.price) / total);
    perSeat.set(s.seatId, share);
    given += share;
  }
  for (const s of eligible) {
    if (given === off) break;
    const share = perSeat.get(s.seatId) ?? 0;
    if (share < s.price) {
      perSeat.set(s.seatId, share + 1);
      given++;
    }
  }
  return perSeat;
}
