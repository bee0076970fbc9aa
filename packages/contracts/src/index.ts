export * from './events.ts';
export * from './problem.ts';
export * from './queue-token.ts';
export * from './services.ts';
