import type { ImageSize } from '@tiketi/contracts';
import type { ColumnType } from 'kysely';

export type StoredVariant = {
  size: ImageSize;
  width: number;
  height: number;
  bytes: number;
  contentType: string;
  key: string;
};

export type MediaTable = {
  id: string;
  sourceFormat: string;
  width: number;
  height: number;
  alt: string;
  /** jsonb: read parsed, written as JSON text. */
  variants: ColumnType<StoredVariant[], string, string>;
  uploadedBy: string | null;
  createdAt: ColumnType<Date, Date | undefined, never>;
};

export type DB = { media: MediaTable };
