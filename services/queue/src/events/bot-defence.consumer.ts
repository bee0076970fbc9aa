import type { Bus } from '@tiketi/kit';
import { BOT_DEFENCE_EVENTS, type BotDefence } from '../domain/bot-defence.ts';

/**
 * Operators' per-event challenge difficulty, from the catalogue's events. One durable queue shared by every
 * instance; no inbox: a setting carries the time of its change and an older one never overwrites it.
 */
export function subscribeBotDefence(bus: Bus, defence: BotDefence): Promise<void> {
  return bus.subscribe({
    name: 'bot-defence',
    events: BOT_DEFENCE_EVENTS,
    handler: (event) => defence.onEvent(event),
  });
}
