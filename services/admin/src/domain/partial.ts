import { type AdminUpstream, adminUpstream } from '@tiketi/contracts';
import { HttpProblem, type Logger } from '@tiketi/kit';
import { UpstreamUnavailable } from '../clients/upstreams.ts';

/**
 * Collects the parts of one composed answer. A part whose upstream is down becomes `null` and the
 * upstream is named in the answer's marker, so one outage costs the operator one panel, not the page.
 */
function partialAnswer(logger: Logger) {
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

export type Part = ReturnType<typeof partialAnswer>['part'];
type PartialMarker = ReturnType<ReturnType<typeof partialAnswer>['marker']>;

/**
 * The one shape of a composed view: `build` fetches its parts through `part` (at once, where it can) and
 * returns them; the answer is what it returned with the marker of the upstreams that were down meanwhile.
 */
export async function composeAnswer<T extends object>(
  logger: Logger,
  build: (part: Part) => Promise<T>,
): Promise<T & PartialMarker> {
  const answer = partialAnswer(logger);
  const parts = await build(answer.part);
  return { ...parts, ...answer.marker() };
}
