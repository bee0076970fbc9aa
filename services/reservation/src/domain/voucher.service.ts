import {
  isClosedStatus,
  MIN_PAYMENT_KRW,
  type VoucherDto,
  type VoucherInput,
  type VoucherUpdate,
} from '@tiketi/contracts';
import {
  type AuthUser,
  HttpProblem,
  howMany,
  isUniqueViolation,
  type Kysely,
  mayAccess,
  problems,
} from '@tiketi/kit';
import { v7 as uuidv7 } from 'uuid';
import type { ReservationRepository } from '../db/reservation.repository.ts';
import type { DB, ReservationsTable, VouchersTable } from '../db/schema.ts';
import type { VoucherRepository } from '../db/voucher.repository.ts';
import { discountPerSeat } from './voucher-rules.ts';

type Voucher = Omit<VouchersTable, 'used' | 'createdAt' | 'active'> & {
  used: number;
  createdAt: Date;
  active: boolean;
};
type CreateVoucher = Omit<VoucherInput, 'code' | 'tierIds' | 'validFrom' | 'validUntil'> & {
  code: string;
  tierIds: string[];
  validFrom: string | null;
  validUntil: string | null;
};
type UpdateVoucher = Omit<VoucherUpdate, 'tierIds' | 'validFrom' | 'validUntil'> & {
  tierIds: string[];
  validFrom: string | null;
  validUntil: string | null;
};

export function toVoucherDto(v: Voucher): VoucherDto {
  return {
    id: v.id,
    eventId: v.eventId,
    code: v.code,
    kind: v.kind,
    value: v.value,
    tierIds: v.tierIds,
    maxUses: v.maxUses,
    used: v.used,
    validFrom: v.validFrom?.toISOString() ?? null,
    validUntil: v.validUntil?.toISOString() ?? null,
    active: v.active,
    createdAt: v.createdAt.toISOString(),
  };
}

function refused(code: string, detail: string) {
  return problems.unprocessable(code, detail);
}

/**
 * A voucher is changed only on a hold still awaiting its payment, before the payment window opened: the
 * payment service records the amount when Toss's checkout opens, and both must stay the same.
 */
function assertChangeable(
  r: Pick<ReservationsTable, 'status' | 'expiresAt'> & { checkoutStartedAt: Date | null },
) {
  if (r.status !== 'PENDING' || r.expiresAt.getTime() <= Date.now()) {
    throw problems.conflict(
      'RESERVATION_NOT_PENDING',
      `A voucher can only be used on a held reservation; this one is ${r.status}.`,
    );
  }
  if (r.checkoutStartedAt) {
    throw problems.conflict(
      'VOUCHER_LOCKED',
      'The payment has already started for this amount; the voucher can no longer be changed.',
    );
  }
}

export function voucherService(deps: {
  db: Kysely<DB>;
  vouchers: VoucherRepository;
  reservations: ReservationRepository;
}) {
  const { db, vouchers, reservations } = deps;

  /** The owner's own reservation (an admin's too); anyone else is told it does not exist. */
  async function owned(caller: AuthUser, id: string) {
    const r = await reservations.findById(id);
    if (!r || !mayAccess(caller, r.userId)) throw problems.notFound('The reservation');
    return r;
  }

  /** A voucher applies only to tiers of its event. */
  function assertTiersOf(event: { priceTiers: { id: string }[] }, tierIds: string[]) {
    const tiers = new Set(event.priceTiers.map((t) => t.id));
    const unknown = tierIds.filter((id) => !tiers.has(id));
    if (unknown.length) {
      throw problems.unprocessable('UNKNOWN_TIERS', 'Some tiers are not price tiers of this event.', {
        tierIds: unknown,
      });
    }
  }

  const eventOf = (eventId: string) =>
    db
      .selectFrom('events')
      .select(['id', 'priceTiers', 'status'])
      .where('id', '=', eventId)
      .executeTakeFirst();

  return {
    async list(eventId: string): Promise<VoucherDto[]> {
      return (await vouchers.ofEvent(eventId)).map(toVoucherDto);
    },

    /** A new code for an event this service sells (published); its tiers must be the event's. */
    async create(eventId: string, input: CreateVoucher): Promise<VoucherDto> {
      const event = await eventOf(eventId);
      if (!event) {
        throw new HttpProblem(
          404,
          'NOT_FOUND',
          'The event was not found among events on sale; publish it before making vouchers for it.',
        );
      }
      // A code for a concert that was called off or has taken place could never be used.
      if (isClosedStatus(event.status)) {
        throw problems.conflict('EVENT_CLOSED', `The event is ${event.status}: no code can be used for it.`);
      }
      assertTiersOf(event, input.tierIds);
      try {
        const row = await vouchers.insert({
          id: uuidv7(),
          eventId,
          code: input.code,
          kind: input.kind,
          value: input.value,
          tierIds: [...new Set(input.tierIds)],
          maxUses: input.maxUses,
          validFrom: input.validFrom ? new Date(input.validFrom) : null,
          validUntil: input.validUntil ? new Date(input.validUntil) : null,
        });
        return toVoucherDto(row);
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw problems.conflict(
            'VOUCHER_CODE_TAKEN',
            `The code ${input.code} already exists for this event.`,
          );
        }
        throw error;
      }
    },

    /**
     * Changes a voucher's terms from now on, or disables it (`active: false`): reservations that took it
     * keep their discount; `maxUses` below the uses taken is refused.
     */
    async update(id: string, input: UpdateVoucher): Promise<VoucherDto> {
      const voucher = await vouchers.findById(id);
      const event = voucher && (await eventOf(voucher.eventId));
      if (!voucher || !event) throw problems.notFound('The voucher');
      assertTiersOf(event, input.tierIds);
      const row = await vouchers.update(id, {
        kind: input.kind,
        value: input.value,
        tierIds: [...new Set(input.tierIds)],
        maxUses: input.maxUses,
        validFrom: input.validFrom ? new Date(input.validFrom) : null,
        validUntil: input.validUntil ? new Date(input.validUntil) : null,
        active: input.active,
      });
      if (!row) {
        const used = (await vouchers.findById(id))?.used ?? voucher.used;
        throw problems.conflict(
          'VOUCHER_USES_TAKEN',
          `The voucher has been used ${howMany(used, 'time', 'times')}; it cannot allow fewer uses than that.`,
          { used },
        );
      }
      return toVoucherDto(row);
    },

    /**
     * Applies a code to the caller's held reservation, replacing the one it had: the use is taken in the
     * same transaction that lowers the amount, so a refused code changes nothing. Applying the code the
     * reservation already has answers the same.
     */
    async apply(caller: AuthUser, reservationId: string, typed: string) {
      await owned(caller, reservationId);
      const code = typed.trim().toUpperCase();
      await db.transaction().execute(async (trx) => {
        const r = await reservations.findForUpdate(trx, reservationId);
        if (!r) throw problems.notFound('The reservation');
        assertChangeable(r);
        const v = await vouchers.findByCode(trx, r.eventId, code);
        if (!v) throw refused('VOUCHER_UNKNOWN', `There is no voucher ${code} for this event.`);
        if (r.voucherId === v.id) return;
        if (!v.active) throw refused('VOUCHER_DISABLED', `The voucher ${code} is no longer valid.`);
        const now = Date.now();
        if (v.validFrom && v.validFrom.getTime() > now) {
          throw refused(
            'VOUCHER_NOT_YET_VALID',
            `The voucher ${code} is valid from ${v.validFrom.toISOString()}.`,
          );
        }
        if (v.validUntil && v.validUntil.getTime() <= now) {
          throw refused('VOUCHER_EXPIRED', `The voucher ${code} ended at ${v.validUntil.toISOString()}.`);
        }
        const held = await vouchers.heldSeats(trx, r.id);
        const perSeat = discountPerSeat(v, held);
        if (perSeat.size === 0) {
          throw refused('VOUCHER_NOT_FOR_TIER', `The voucher ${code} is not valid for the seats held.`);
        }
        const left = held.reduce((sum, s) => sum + s.price - (perSeat.get(s.seatId) ?? 0), 0);
        if (left < MIN_PAYMENT_KRW) {
          throw refused(
            'VOUCHER_LEAVES_TOO_LITTLE',
            `With the voucher ${code} these seats would come to ${left} KRW, and an online payment must be at least ${MIN_PAYMENT_KRW} KRW: it cannot be used for them.`,
          );
        }
        if (r.voucherId) await vouchers.giveBackUses(trx, [r.id]);
        if (!(await vouchers.takeUse(trx, v.id))) {
          throw refused('VOUCHER_USED_UP', `The voucher ${code} has been used as many times as it may be.`);
        }
        await vouchers.setDiscount(trx, r.id, v.id, perSeat);
      });
    },

    /** Takes the voucher off the caller's held reservation, giving its use back; without one, nothing. */
    async remove(caller: AuthUser, reservationId: string) {
      await owned(caller, reservationId);
      await db.transaction().execute(async (trx) => {
        const r = await reservations.findForUpdate(trx, reservationId);
        if (!r) throw problems.notFound('The reservation');
        if (!r.voucherId) return;
        assertChangeable(r);
        await vouchers.giveBackUses(trx, [r.id]);
        await vouchers.setDiscount(trx, r.id, null, new Map());
      });
    },
  };
}

export type VoucherService = ReturnType<typeof voucherService>;
