import { z } from 'zod';

/** One page of a list (every list route's answer): the items, where they are, and the whole list's size. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    page: z.number().int(),
    pageSize: z.number().int(),
    total: z.number().int(),
  });
}
