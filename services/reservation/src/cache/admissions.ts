import { ADMISSION_LIVE_KEY, queueRedisKey } from '@tiketi/contracts';
import { problems, type Redis } from '@tiketi/kit';

/**
 * Reads the waiting room's record of live admissions (kept by the queue service in the shared Redis). A
 * signed admission token alone stays valid for its whole lifetime, even after its slot was spent or given
 * to the next fan; this one read says whether it still is the caller's turn.
 */
export function admissionRegister(redis: Redis) {
  return {
    async isLive(eventId: string, userId: string): Promise<boolean> {
      let lapsesAt: string | null;
      try {
        lapsesAt = await redis.hget(queueRedisKey(eventId, ADMISSION_LIVE_KEY), userId);
      } catch (error) {
        // Without the waiting room's record no admission can be checked: refuse rather than let anyone in.
        throw problems.unavailable('The waiting room cannot be checked right now; please try again.', error);
      }
      return lapsesAt !== null && Number(lapsesAt) > Date.now();
    },
  };
}

export type AdmissionRegister = ReturnType<typeof admissionRegister>;
