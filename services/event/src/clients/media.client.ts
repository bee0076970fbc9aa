import { type ImageRef, mediaDto } from '@tiketi/contracts';
import { createHttpClient, problems, upstreamProblem } from '@tiketi/kit';

/** Looks an uploaded image up in the media service, so that only existing images are attached. */
export type MediaResolver = { resolve(mediaId: string): Promise<ImageRef> };

export function mediaClient(baseUrl: string): MediaResolver {
  const http = createHttpClient({ baseUrl, name: 'media service', timeoutMs: 3000 });
  return {
    async resolve(mediaId) {
      const res = await http.get<unknown>(`/api/media/${encodeURIComponent(mediaId)}`);
      if (res.status === 404) {
        throw problems.badRequest(`Image ${mediaId} does not exist.`, [
          { field: 'body.mediaId', message: 'is not an uploaded image' },
        ]);
      }
      if (res.status !== 200) throw upstreamProblem('media service', res);
      const media = mediaDto.parse(res.body);
      return { mediaId: media.id, urls: media.urls };
    },
  };
}
