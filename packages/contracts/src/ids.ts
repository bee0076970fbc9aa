import { z } from 'zod';

/**
 * Every id that crosses a service's edge: a UUID in any letter case, handed on in lower case. Ids are
 * keys (Redis keys, advisory locks, caches, token claims compared as text), so two spellings of one id
 * must never reach them; the database compares uuids without case, nothing else does. An overwrite rather
 * than a transform, so a response schema still encodes with it.
 */
export const canonicalId = (params?: Parameters<typeof z.uuid>[0]) => z.uuid(params).toLowerCase();
