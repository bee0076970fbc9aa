import { mediaDto } from '@tiketi/contracts';
import { api } from '../lib/api.ts';

/** Uploads an image to the media service; answers its id to attach to a poster or artist. */
export async function uploadImage(file: File, alt: string): Promise<string> {
  const form = new FormData();
  form.set('alt', alt);
  form.set('file', file);
  const media = await api('/api/media', { form, schema: mediaDto });
  return media.id;
}
