import { canonicalId } from '@tiketi/contracts';
import { z } from 'zod';

export const idParams = z.object({ id: canonicalId() });
export const userIdParams = z.object({ userId: canonicalId() });
