import type { Readable } from 'node:stream';

export type StoredObject = { body: Readable; contentType: string; size: number };

/** Where image bytes live: a local folder for development, any S3-compatible bucket otherwise. */
export type ObjectStorage = {
  readonly driver: 'disk' | 's3';
  put(key: string, body: Buffer, contentType: string): Promise<void>;
  /** Undefined when there is no such object. */
  get(key: string): Promise<StoredObject | undefined>;
  /** Removing what is already gone is not an error. */
  delete(keys: string[]): Promise<void>;
};
