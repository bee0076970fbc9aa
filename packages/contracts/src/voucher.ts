import { z } from 'zod';
import { canonicalId } from './ids.ts';

/**
 * Vouchers: discount codes an operator makes for one event, kept by the reservation service (it owns a
 * reservation's amount). Operators manage them through the admin service
 * (`/api/admin/events/:id/vouchers`, `/api/admin/vouchers/:id`); a fan applies one to a held reservation
 * (`PUT /api/reservations/:id/voucher {code}`, `DELETE` to remove it) and pays the discounted amount.
 */

const isoTime = z.iso.datetime({ offset: true });

export const voucherKind = z.enum(['amount', 'percent']);
export type VoucherKind = z.infer<typeof voucherKind>;

/** Letters, digits, `-` and `_`; compared without case (kept upper-case). */
export const voucherCode = z
  .string()
  .trim()
  .min(3)
  .max(32)
  .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only')
  .transform((code) => code.toUpperCase());

/** What an operator sets on a voucher, when making it and when changing it. */
const voucherTerms = z.strictObject({
  kind: voucherKind,
  /** KRW off (`amount`) or percent off (`percent`, 1–100) of the seats the voucher applies to. */
  value: z.number().int().positive().max(100_000_000),
  /** The price tiers it applies to; empty for every tier. */
  tierIds: z.array(canonicalId()).max(50).default([]),
  maxUses: z.number().int().positive().max(1_000_000),
  validFrom: isoTime.nullable().default(null),
  validUntil: isoTime.nullable().default(null),
});

type Terms = Pick<z.output<typeof voucherTerms>, 'kind' | 'value' | 'validFrom' | 'validUntil'>;
const consistent = <S extends z.ZodType<Terms>>(schema: S) =>
  schema
    .refine((v) => v.kind !== 'percent' || v.value <= 100, {
      message: 'a percentage is at most 100',
      path: ['value'],
    })
    .refine((v) => !v.validFrom || !v.validUntil || Date.parse(v.validFrom) < Date.parse(v.validUntil), {
      message: 'validUntil must come after validFrom',
      path: ['validUntil'],
    });

/** What an operator sets when making a voucher. */
export const voucherInput = consistent(voucherTerms.extend({ code: voucherCode }));
export type VoucherInput = z.input<typeof voucherInput>;

/**
 * `PUT /api/admin/vouchers/:id`: the voucher's terms as they are to be from now on, and whether fans may
 * still use it (`active: false` disables it). The code stays (fans may already have it); reservations that
 * took the voucher keep the discount they got; `maxUses` cannot go below the uses taken.
 */
export const voucherUpdate = consistent(voucherTerms.extend({ active: z.boolean() }));
export type VoucherUpdate = z.input<typeof voucherUpdate>;

export const voucherDto = z.object({
  id: canonicalId(),
  eventId: canonicalId(),
  code: z.string(),
  kind: voucherKind,
  value: z.number().int(),
  tierIds: z.array(canonicalId()),
  maxUses: z.number().int(),
  /** Uses taken by reservations held or paid now; a released hold or a refund gives its use back. */
  used: z.number().int(),
  validFrom: isoTime.nullable(),
  validUntil: isoTime.nullable(),
  /** False once an operator disabled it: no new uses, the uses taken stay. */
  active: z.boolean(),
  createdAt: isoTime,
});
export type VoucherDto = z.infer<typeof voucherDto>;

export const voucherList = z.object({ items: z.array(voucherDto) });

/** `PUT /api/reservations/:id/voucher`: the code as the fan typed it (case and spaces do not matter). */
export const applyVoucherRequest = z.strictObject({ code: z.string().trim().min(1).max(64) });

/** Why a code was refused (problem `code`s). */
export const VOUCHER_REFUSALS = [
  'VOUCHER_UNKNOWN',
  'VOUCHER_DISABLED',
  'VOUCHER_NOT_YET_VALID',
  'VOUCHER_EXPIRED',
  'VOUCHER_USED_UP',
  'VOUCHER_NOT_FOR_TIER',
  'VOUCHER_LOCKED',
] as const;
