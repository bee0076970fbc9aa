import type { ImageRef } from '@tiketi/contracts';

export function Poster({
  image,
  alt,
  size = 'small',
}: {
  image: ImageRef | null;
  alt: string;
  size?: 'small' | 'medium';
}) {
  if (!image) return <div className="poster placeholder" aria-hidden="true" />;
  return (
    <img
      className="poster"
      src={image.urls[size]}
      srcSet={`${image.urls.small} 400w, ${image.urls.medium} 800w`}
      sizes={size === 'small' ? '(max-width: 600px) 100vw, 300px' : '(max-width: 800px) 100vw, 400px'}
      alt={alt}
      loading="lazy"
    />
  );
}
