import { createHash } from 'node:crypto';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import negotiate from '@fastify/accept-negotiator';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The content codings the platform answers in, best first. */
export const CONTENT_CODINGS = ['br', 'gzip', 'identity'] as const;
export type ContentCoding = (typeof CONTENT_CODINGS)[number];

/**
 * The coding to answer a request in, from its Accept-Encoding (weights honoured, br before gzip when
 * equal): identity when the caller asked for neither, so no client ever gets a coding it did not ask for.
 */
export function pickEncoding(acceptEncoding: string | string[] | undefined): ContentCoding {
  const header = Array.isArray(acceptEncoding) ? acceptEncoding.join(',') : acceptEncoding;
  if (!header) return 'identity';
  return negotiate(header, [...CONTENT_CODINGS]) ?? 'identity';
}

/**
 * One answer body in every coding, each compressed on first use and then kept: a body read by thousands
 * of fans is compressed once, not once per request. Brotli at a middle quality: most of the gain of the
 * top quality at a small part of its cost, since a body changes with every seat held.
 */
export function encodedBody(identity: Buffer) {
  const bodies: Partial<Record<ContentCoding, Buffer>> = { identity };
  return {
    /** A strong validator of the content (the same in every coding). */
    etag: `"${createHash('sha256').update(identity).digest('base64url').slice(0, 22)}"`,
    in(coding: ContentCoding): Buffer {
      const kept = bodies[coding];
      if (kept) return kept;
      const made =
        coding === 'br'
          ? brotliCompressSync(identity, {
              params: {
                [constants.BROTLI_PARAM_QUALITY]: 5,
                [constants.BROTLI_PARAM_SIZE_HINT]: identity.length,
              },
            })
          : gzipSync(identity, { level: 6 });
      bodies[coding] = made;
      return made;
    },
  };
}

export type EncodedBody = ReturnType<typeof encodedBody>;

/** Whether the request's If-None-Match names this ETag (weak comparison, as RFC 9110 asks for GET). */
export function notModified(req: Pick<FastifyRequest, 'headers'>, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (!header) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}

/**
 * Sends a JSON body already serialised: 304 when the caller holds this version, else the body in the
 * coding its Accept-Encoding picks, with `Vary: Accept-Encoding` so that caches keep one copy per coding.
 */
export function sendEncoded(
  req: FastifyRequest,
  reply: FastifyReply,
  body: EncodedBody,
  options: { cacheControl: string; etag?: string },
) {
  const etag = options.etag ?? body.etag;
  reply.header('etag', etag).header('cache-control', options.cacheControl).header('vary', 'accept-encoding');
  if (notModified(req, etag)) return reply.code(304).send();
  const coding = pickEncoding(req.headers['accept-encoding']);
  if (coding !== 'identity') reply.header('content-encoding', coding);
  return reply.type('application/json; charset=utf-8').send(body.in(coding));
}
