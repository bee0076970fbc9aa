import { z } from 'zod';

/**
 * RFC 9457 problem details, as every service answers errors. Members beyond these (a limit, the seats
 * that were taken…) are kept: they are what a client needs to say what went wrong in its own words.
 */
export const problemSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string(),
  instance: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});
export type Problem = z.infer<typeof problemSchema>;
