import type { ServiceName } from '@tiketi/contracts';

/**
 * Every public path prefix and the service behind it. A request whose path matches no prefix is answered
 * 404 by the gateway itself and never reaches a service.
 */
export const routeTable: { prefix: string; service: ServiceName; websocket?: boolean }[] = [
  { prefix: '/api/auth', service: 'user' },
  { prefix: '/api/users', service: 'user' },
  { prefix: '/api/events', service: 'event' },
  { prefix: '/api/artists', service: 'event' },
  { prefix: '/api/venues', service: 'event' },
  { prefix: '/api/seats', service: 'reservation' },
  { prefix: '/api/reservations', service: 'reservation' },
  { prefix: '/api/tickets', service: 'reservation' },
  { prefix: '/api/waitlist', service: 'reservation' },
  { prefix: '/api/payments', service: 'payment' },
  { prefix: '/api/queue', service: 'queue' },
  { prefix: '/api/challenge', service: 'queue' },
  { prefix: '/queue', service: 'queue', websocket: true },
  { prefix: '/api/analytics', service: 'analytics' },
  { prefix: '/api/admin', service: 'admin' },
  { prefix: '/api/media', service: 'media' },
  { prefix: '/media', service: 'media' },
  { prefix: '/api/notifications', service: 'notification' },
];
