import multipart from '@fastify/multipart';
import { canonicalId, mediaDto } from '@tiketi/contracts';
import { type App, type Auth, callerOf, HttpProblem, problems, refuseUnsafeText } from '@tiketi/kit';
import { z } from 'zod';
import type { MediaService } from '../domain/media.service.ts';

/** The longest description of an image kept for screen readers (a sentence or two). */
const ALT_MAX = 300;

const params = z.object({ id: canonicalId() });
const IMMUTABLE = 'public, max-age=31536000, immutable';

export async function mediaRoutes(app: App, auth: Auth, media: MediaService, maxBytes: number) {
  await app.register(multipart, {
    limits: { fileSize: maxBytes, files: 1, fields: 4, parts: 6, fieldSize: 1000 },
  });

  app.post(
    '/api/media',
    {
      onRequest: auth.admin,
      schema: {
        summary: 'Upload an image as multipart/form-data field "file" (optional field "alt") (admin)',
        description:
          'Two images are decoded at a time and a few more wait their turn; past those, 503 MEDIA_BUSY with ' +
          'Retry-After.',
        response: { 201: mediaDto },
      },
    },
    async (req, reply) => {
      if (!req.isMultipart()) {
        throw new HttpProblem(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the image as multipart/form-data.');
      }
      // A form cut short or mangled is the client's: busboy says so with a plain Error.
      const malformed = (error: unknown): never => {
        if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
          throw new HttpProblem(413, 'FILE_TOO_LARGE', `The file is larger than ${maxBytes} bytes.`);
        }
        if (error instanceof HttpProblem || (error as { statusCode?: number }).statusCode) throw error;
        throw new HttpProblem(400, 'MALFORMED_BODY', 'The multipart form could not be read.');
      };
      const file = await req.file().catch(malformed);
      if (!file) throw new HttpProblem(400, 'FILE_MISSING', 'The form has no file.');
      const data: Buffer = await file.toBuffer().catch(malformed);
      if (data.length === 0) throw new HttpProblem(400, 'FILE_EMPTY', 'The file is empty.');
      const altField = file.fields.alt;
      const alt = altField && 'value' in altField && typeof altField.value === 'string' ? altField.value : '';
      // A form field is parsed here, not before validation: the kit's text rule is applied by hand.
      refuseUnsafeText(alt, 'alt');
      if (alt.length > ALT_MAX) {
        throw problems.badRequest(`The alt text is longer than ${ALT_MAX} characters.`, [
          { field: 'body.alt', message: `must be at most ${ALT_MAX} characters` },
        ]);
      }
      const stored = await media.upload(data, { alt, uploadedBy: callerOf(req).id });
      return reply.code(201).send(stored);
    },
  );

  app.get(
    '/api/media/:id',
    { schema: { summary: 'Metadata and URLs of an image', params, response: { 200: mediaDto } } },
    async (req) => media.get(req.params.id),
  );

  app.delete(
    '/api/media/:id',
    { onRequest: auth.admin, schema: { summary: 'Delete an image and all its sizes (admin)', params } },
    async (req, reply) => {
      await media.remove(req.params.id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/media/images/:id/:file',
    {
      schema: {
        summary: 'The stored image, publicly',
        params: z.object({
          id: canonicalId(),
          file: z.enum(['thumb.webp', 'small.webp', 'medium.webp', 'large.webp']),
        }),
      },
    },
    async (req, reply) => {
      const object = await media.open(`images/${req.params.id}/${req.params.file}`);
      if (!object) throw new HttpProblem(404, 'NOT_FOUND', 'Image was not found.');
      // Ids are never reused, so a stored size never changes.
      return reply
        .header('content-type', object.contentType)
        .header('content-length', object.size)
        .header('cache-control', IMMUTABLE)
        .header('x-content-type-options', 'nosniff')
        .send(object.body);
    },
  );
}
