import { type AdminUpstream, adminUpstream } from '@tiketi/contracts';
import { HttpProblem, type Logger } from '@tiketi/kit';
import { UpstreamUnavailable } from '../clients/upstreams.ts';

/**
 * Collects the parts of one composed answer. A part whose upstream is down becomes `null` and the
 * upstream is named in the answer's marker, so one outage costs the operator one panel, not the page.
 */
export function partialAnswer(logger: Logger) {
  const down = new Set<AdminUpstream>();
  return {
    /**
     * The part, or null when its upstream is unavailable. With `absentAsNull`, a 404 from the upstream
     * (it does not know the thing) is also null, without marking the upstream.
     */
    async part<T>(fetch: () => Promise<T>, options: { absentAsNull?: boolean } = {}): Promise<T | null> {
      try {
        return await fetch();
      } catch (error) {
        if (error instanceof UpstreamUnavailable) {
          if (!down.has(error.upstream)) {
            logger.warn({ upstream: error.upstream, err: error.cause ?? error.message }, error.message);
          }
          down.add(error.upstream);
          return null;
        }
        if (options.absentAsNull && error instanceof HttpProblem && error.status === 404) return null;
        throw error;
      }
    },
    marker(): { partial: boolean; unavailable: AdminUpstream[] } {
      const unavailable = adminUpstream.options.filter((u) => down.has(u));
      return { partial: unavailable.length > 0, unavailable };
    },
  };
}
