import { altchaChallenge, challengeQuery } from '@tiketi/contracts';
import type { App } from '@tiketi/kit';
import type { BotDefence } from '../domain/bot-defence.ts';

export function challengeRoutes(app: App, defence: BotDefence) {
  app.get(
    '/api/challenge',
    {
      schema: {
        summary:
          'A proof-of-work challenge (ALTCHA) to solve before registering, joining a waiting room (purpose=join ' +
          'with its eventId) or signing in to an account that answered 403 CHALLENGE_REQUIRED (purpose=login); ' +
          'send the solution in header X-Altcha',
        querystring: challengeQuery,
        response: { 200: altchaChallenge },
      },
    },
    async (req, reply) => {
      // Each challenge is good once: a cached copy would hand everyone the same, spent one.
      reply.header('cache-control', 'no-store');
      return defence.challenge(req.query.purpose, req.query.eventId);
    },
  );
}
