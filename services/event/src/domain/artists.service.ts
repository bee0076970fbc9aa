import type { ArtistDto } from '@tiketi/contracts';
import { problems } from '@tiketi/kit';
import { v7 as uuidv7 } from 'uuid';
import type { MediaResolver } from '../clients/media.client.ts';
import type { ArtistInput, ArtistRepository } from '../db/artist.repository.ts';
import type { CatalogueCache } from '../db/catalogue.cache.ts';

export function toArtistDto(row: {
  id: string;
  name: string;
  genre: string | null;
  bio: string;
  image: ArtistDto['image'];
  createdAt: Date;
  updatedAt: Date;
}): ArtistDto {
  return {
    id: row.id,
    name: row.name,
    genre: row.genre,
    bio: row.bio,
    image: row.image,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function artistsService(deps: {
  artists: ArtistRepository;
  cache: CatalogueCache;
  media: MediaResolver | undefined;
}) {
  const { artists, cache } = deps;

  async function mustGet(id: string): Promise<ArtistDto> {
    const dto = await cache.read(`artist:${id}`, async () => {
      const row = await artists.find(id);
      return row ? toArtistDto(row) : null;
    });
    if (!dto) throw problems.notFound('Artist');
    return dto;
  }

  return {
    get: mustGet,

    list(query: { q?: string; page: number; pageSize: number }) {
      return cache.read(`artists:${JSON.stringify(query)}`, async () => {
        const { items, total } = await artists.list({
          q: query.q,
          limit: query.pageSize,
          offset: (query.page - 1) * query.pageSize,
        });
        return { items: items.map(toArtistDto), page: query.page, pageSize: query.pageSize, total };
      });
    },

    async create(input: ArtistInput): Promise<ArtistDto> {
      const row = await artists.create(uuidv7(), input);
      await cache.invalidate();
      return toArtistDto(row);
    },

    async update(id: string, input: Partial<ArtistInput>): Promise<ArtistDto> {
      const row = await artists.update(id, input);
      if (!row) throw problems.notFound('Artist');
      await cache.invalidate();
      return toArtistDto(row);
    },

    async setImage(id: string, mediaId: string | null): Promise<ArtistDto> {
      if (!(await artists.find(id))) throw problems.notFound('Artist');
      const image = mediaId ? await resolver(deps.media).resolve(mediaId) : null;
      const row = await artists.setImage(id, image);
      if (!row) throw problems.notFound('Artist');
      await cache.invalidate();
      return toArtistDto(row);
    },

    async remove(id: string): Promise<void> {
      const result = await artists.delete(id);
      if (result === 'missing') throw problems.notFound('Artist');
      if (result === 'in_use') {
        throw problems.conflict('ARTIST_IN_USE', 'The artist has events; cancel or move them first.');
      }
      await cache.invalidate();
    },
  };
}

export function resolver(media: MediaResolver | undefined): MediaResolver {
  if (!media) throw problems.unavailable('Images cannot be attached: no media service is configured.');
  return media;
}

export type ArtistsService = ReturnType<typeof artistsService>;
