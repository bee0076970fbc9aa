import { z } from 'zod';

/**
 * A timestamp: ISO 8601 on the wire, Date in code. Responses are encoded with it (fastify-type-provider-zod
 * encodes responses, and a plain transform cannot run backwards), requests decoded.
 */
export const isoDateTime = () =>
  z.codec(z.iso.datetime({ offset: true }), z.date(), {
    decode: (text) => new Date(text),
    encode: (date) => date.toISOString(),
  });

/** The `Idempotency-Key` header of a POST that moves money or state (Toss's limit: 300 characters). */
export const idempotencyKeyHeaders = z.looseObject({
  'idempotency-key': z.string().min(1).max(300).optional(),
});

/** Page-number pagination shared by every list endpoint. */
export const pageQuery = {
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
};

/** The answer of a list endpoint (the contract's shape, here beside `pageQuery`). */
export { pageOf } from '@tiketi/contracts';
