import { artistDto, canonicalId } from '@tiketi/contracts';
import { type App, type Auth, pageOf, pageQuery } from '@tiketi/kit';
import { z } from 'zod';
import type { ArtistsService } from '../domain/artists.service.ts';

const params = z.object({ id: canonicalId() });
const artistBody = z.object({
  name: z.string().trim().min(1).max(200),
  genre: z.string().trim().min(1).max(60).nullable().default(null),
  bio: z.string().max(5000).default(''),
});
const artistPatch = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  genre: z.string().trim().min(1).max(60).nullable().optional(),
  bio: z.string().max(5000).optional(),
});
const imageBody = z.object({ mediaId: canonicalId().nullable() });

export function artistRoutes(app: App, auth: Auth, artists: ArtistsService) {
  app.get(
    '/api/artists',
    {
      schema: {
        summary: 'List artists',
        querystring: z.object({ q: z.string().trim().min(1).max(100).optional(), ...pageQuery }),
        response: { 200: pageOf(artistDto) },
      },
    },
    async (req) => artists.list(req.query),
  );

  app.get(
    '/api/artists/:id',
    { schema: { summary: 'One artist', params, response: { 200: artistDto } } },
    async (req) => artists.get(req.params.id),
  );

  app.post(
    '/api/artists',
    {
      onRequest: auth.admin,
      schema: { summary: 'Create an artist (admin)', body: artistBody, response: { 201: artistDto } },
    },
    async (req, reply) => reply.code(201).send(await artists.create(req.body)),
  );

  app.patch(
    '/api/artists/:id',
    {
      onRequest: auth.admin,
      schema: {
        summary: 'Change an artist (admin)',
        params,
        body: artistPatch,
        response: { 200: artistDto },
      },
    },
    async (req) => artists.update(req.params.id, req.body),
  );

  app.put(
    '/api/artists/:id/image',
    {
      onRequest: auth.admin,
      schema: {
        summary: 'Attach an uploaded image to an artist, or detach it with null (admin)',
        params,
        body: imageBody,
        response: { 200: artistDto },
      },
    },
    async (req) => artists.setImage(req.params.id, req.body.mediaId),
  );

  app.delete(
    '/api/artists/:id',
    { onRequest: auth.admin, schema: { summary: 'Delete an artist without events (admin)', params } },
    async (req, reply) => {
      await artists.remove(req.params.id);
      return reply.code(204).send();
    },
  );
}
