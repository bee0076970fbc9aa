import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type ArtistDto, artistDto } from '@tiketi/contracts';
import { type FormEvent, useState } from 'react';
import { ErrorState, Notice, QueryState } from '../components/states.tsx';
import { api } from '../lib/api.ts';
import { useI18n } from '../lib/i18n.tsx';
import { useTitle } from '../lib/use-title.ts';
import { useArtists } from './admin-queries.ts';
import { uploadImage } from './upload.ts';

export function AdminArtistsPage() {
  const { t } = useI18n();
  useTitle(t('admin.artists'));
  const queryClient = useQueryClient();
  const artists = useArtists();
  const [editing, setEditing] = useState<ArtistDto>();
  const [message, setMessage] = useState<string>();
  const done = async () => {
    await queryClient.invalidateQueries({ queryKey: ['artists'] });
    setMessage(t('common.saved'));
    setEditing(undefined);
  };
  const save = useMutation({
    mutationFn: (body: { name: string; genre: string | null; bio: string }) =>
      editing
        ? api(`/api/artists/${editing.id}`, { method: 'PATCH', body, schema: artistDto })
        : api('/api/artists', { body, schema: artistDto }),
    onSuccess: done,
  });
  const image = useMutation({
    mutationFn: async ({ artist, file }: { artist: ArtistDto; file: File }) => {
      const mediaId = await uploadImage(file, artist.name);
      return api(`/api/artists/${artist.id}/image`, { method: 'PUT', body: { mediaId }, schema: artistDto });
    },
    onSuccess: done,
  });
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setMessage(undefined);
    const element = e.currentTarget;
    const form = new FormData(element);
    const genre = String(form.get('genre') ?? '').trim();
    // Emptied for the next artist only once this one is made: a refusal leaves what was typed to correct.
    save.mutate(
      { name: String(form.get('name')), genre: genre || null, bio: String(form.get('bio') ?? '') },
      { onSuccess: () => element.reset() },
    );
  };
  return (
    <>
      <h1>{t('admin.artists')}</h1>
      {message && <Notice kind="success">{message}</Notice>}
      {(save.error || image.error) && <ErrorState error={save.error ?? image.error} />}
      <form className="card stack" onSubmit={onSubmit} key={editing?.id ?? 'new'}>
        <h2>{editing ? `${t('adm.edit')}: ${editing.name}` : t('common.create')}</h2>
        <label>
          {t('adm.name')}
          <input name="name" required maxLength={200} defaultValue={editing?.name} />
        </label>
        <label>
          {t('adm.genre')}
          <input name="genre" maxLength={60} defaultValue={editing?.genre ?? ''} />
        </label>
        <label>
          {t('adm.bio')}
          <textarea name="bio" rows={3} maxLength={5000} defaultValue={editing?.bio} />
        </label>
        <div className="actions">
          <button type="submit" disabled={save.isPending}>
            {editing ? t('common.save') : t('common.create')}
          </button>
          {editing && (
            <button type="button" className="secondary" onClick={() => setEditing(undefined)}>
              {t('common.cancel')}
            </button>
          )}
        </div>
      </form>
      <QueryState query={artists}>
        {(data) => (
          <ul className="artist-list">
            {data.items.map((a) => (
              <li key={a.id} className="card row">
                {a.image ? (
                  <img src={a.image.urls.thumb} alt="" width={64} height={64} className="avatar" />
                ) : (
                  <div className="avatar placeholder" aria-hidden="true" />
                )}
                <div className="grow">
                  <strong>{a.name}</strong> <span className="muted">{a.genre}</span>
                </div>
                <label className="file">
                  {t('adm.image')}
                  <input
                    type="file"
                    accept="image/*"
                    onChange={(e) => {
                      const file = e.target.files?.[0];
                      if (file) image.mutate({ artist: a, file });
                    }}
                  />
                </label>
                <button type="button" className="secondary" onClick={() => setEditing(a)}>
                  {t('adm.edit')}
                </button>
              </li>
            ))}
          </ul>
        )}
      </QueryState>
    </>
  );
}
