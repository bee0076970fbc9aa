import {
  type AltchaChallenge,
  CHALLENGE_MAX_NUMBER,
  type ChallengePurpose,
  type EventData,
} from '@tiketi/contracts';
import { type AnyEnvelope, type ChallengeGuard, type Challenges, challengeGuard } from '@tiketi/kit';
import type { ChallengeRepository } from '../db/challenge.repository.ts';

export const BOT_DEFENCE_EVENTS = ['event.published', 'event.updated'] as const;
export type BotDefenceEvent = AnyEnvelope<(typeof BOT_DEFENCE_EVENTS)[number]>;

/** Seconds of joins the spike rule averages over: long enough to ignore a burst, short enough to react. */
export const SPIKE_WINDOW_SECONDS = 5;

export type DifficultyRule = {
  /** Base difficulty for registering and for events whose operator set none. */
  defaultMaxNumber: number;
  /** Joins per second of one event above which its challenges get harder; 0 turns the rule off. */
  spikeJoinsPerSecond: number;
  /** The most a spike multiplies the base difficulty by. */
  maxFactor: number;
};

/**
 * The spike rule: the base difficulty grows in proportion to how far joins per second exceed the
 * threshold (twice the threshold, twice the work per join), up to `maxFactor` times. A crowd of scripts
 * hammering one drop thus pays more per place the harder it pushes, while a fan's extra wait stays bounded.
 */
export function challengeDifficulty(base: number, joinsPerSecond: number, rule: DifficultyRule): number {
  const factor =
    rule.spikeJoinsPerSecond > 0
      ? Math.min(rule.maxFactor, Math.max(1, joinsPerSecond / rule.spikeJoinsPerSecond))
      : 1;
  return Math.min(CHALLENGE_MAX_NUMBER.max, Math.max(CHALLENGE_MAX_NUMBER.min, Math.round(base * factor)));
}

/**
 * Issues challenges at the right difficulty, checks join solutions (counting the joins they let through,
 * which is what the spike rule reads) and keeps operators' per-event difficulty from catalogue events.
 */
export function createBotDefence(deps: {
  challenges: Challenges;
  repo: ChallengeRepository;
  rule: DifficultyRule;
  now?: () => number;
}) {
  const { challenges, repo, rule } = deps;
  const now = deps.now ?? Date.now;
  const guard = challengeGuard(challenges, 'join', eventIdOf);

  return {
    async challenge(purpose: ChallengePurpose, eventId?: string): Promise<AltchaChallenge> {
      if (purpose !== 'join' || !eventId)
        return challenges.create({ purpose }, challengeDifficulty(rule.defaultMaxNumber, 0, rule));
      const [base, rate] = await Promise.all([
        repo.maxNumber(eventId),
        repo.joinsPerSecond(eventId, now(), SPIKE_WINDOW_SECONDS),
      ]);
      return challenges.create(
        { purpose, eventId },
        challengeDifficulty(base ?? rule.defaultMaxNumber, rate, rule),
      );
    },

    /** preHandler of the join route. */
    joinGuard: (async (req) => {
      await guard(req);
      repo.countJoin(eventIdOf(req), now());
    }) satisfies ChallengeGuard,

    async onEvent(event: BotDefenceEvent): Promise<void> {
      const data: EventData<BotDefenceEvent['type']> = event.data;
      await repo.saveMaxNumber(
        data.eventId,
        Date.parse(event.occurredAt),
        data.waitingRoom.challengeMaxNumber,
      );
    },
  };
}

function eventIdOf(req: Parameters<ChallengeGuard>[0]): string {
  return (req.params as { eventId: string }).eventId.toLowerCase();
}

export type BotDefence = ReturnType<typeof createBotDefence>;
