create table media (
  id uuid primary key,
  -- What the upload really was, sniffed from its bytes (jpeg, png, webp, gif, heif).
  source_format text not null,
  width integer not null check (width > 0),
  height integer not null check (height > 0),
  alt text not null default '',
  -- [{size, width, height, bytes, contentType, key}]: one stored object per size.
  variants jsonb not null,
  uploaded_by uuid,
  created_at timestamptz not null default now()
);
create index media_created_at on media (created_at desc, id);
