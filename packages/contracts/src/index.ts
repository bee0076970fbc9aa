export * from './analytics.ts';
export * from './event.ts';
export * from './events.ts';
export * from './media.ts';
export * from './problem.ts';
export * from './queue-token.ts';
export * from './reservation.ts';
export * from './services.ts';
