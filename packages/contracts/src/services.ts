/** Where each service listens by default (the README's table); config may override every one. */
export const servicePorts = {
  gateway: 3001,
  web: 3000,
  user: 4001,
  event: 4002,
  reservation: 4003,
  payment: 4004,
  queue: 4005,
  analytics: 4006,
  admin: 4007,
  media: 4008,
  notification: 4009,
} as const;
export type ServiceName = keyof typeof servicePorts;
/** The services the gateway stands in front of: all but the gateway itself and the web app. */
export const servicesBehindGateway = (Object.keys(servicePorts) as ServiceName[]).filter(
  (name): name is Exclude<ServiceName, 'gateway' | 'web'> => name !== 'gateway' && name !== 'web',
);

/** Access tokens: issued by the user service, verified by every service from its JWKS. */
export const ACCESS_TOKEN = {
  issuer: 'tiketi-user',
  audience: 'tiketi',
  algorithm: 'EdDSA',
  jwksPath: '/.well-known/jwks.json',
} as const;

/**
 * Who a caller is: a fan (`user`), an operator (`admin`), or door staff (`staff`), who may only check
 * tickets in for the events an operator assigned to them.
 */
export type Role = 'user' | 'admin' | 'staff';
