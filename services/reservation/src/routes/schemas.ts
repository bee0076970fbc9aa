import { canonicalId } from '@tiketi/contracts';
import { z } from 'zod';

export const idParams = z.object({ id: canonicalId() });
export const userIdParams = z.object({ userId: canonicalId() });
export const userEventParams = z.object({ userId: canonicalId(), eventId: canonicalId() });
