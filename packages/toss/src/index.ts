export * from './client.ts';
export * from './config.ts';
export * from './errors.ts';
export * from './schemas.ts';
