import type { ServiceName } from '@tiketi/contracts';

/**
 * The application's secrets that only some services read, named as in Secrets Manager
 * (`tiketi/<env>/<name>`). Their keys are the environment variables the services read.
 */
export type AppSecretName =
  | 'toss'
  | 'google'
  | 'sendgrid'
  | 'jwt-signing-key'
  | 'admin-password'
  | 'queue-token'
  | 'token-attestation'
  | 'challenge-hmac'
  | 'ticket-signing'
  | 'internal-token'
  | 'ops-token';

export interface AppSecretSpec {
  keys: [string, ...string[]];
  /** false: an outside provider or an operator supplies the value (put-secret-value after the first deploy). */
  generated: boolean;
  description: string;
}

export const appSecretSpecs: Record<AppSecretName, AppSecretSpec> = {
  toss: {
    keys: ['TOSS_SECRET_KEY', 'TOSS_CLIENT_KEY'],
    generated: false,
    description: 'Toss Payments API keys',
  },
  google: {
    keys: ['GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET'],
    generated: false,
    description: 'Google OAuth client',
  },
  sendgrid: { keys: ['SENDGRID_API_KEY'], generated: false, description: 'SendGrid API key' },
  'jwt-signing-key': {
    keys: ['JWT_PRIVATE_JWK'],
    generated: false,
    description: 'Private JWK the user service signs access tokens with (one key shared by all its pods)',
  },
  'admin-password': { keys: ['ADMIN_PASSWORD'], generated: true, description: 'The seeded admin account' },
  'internal-token': {
    keys: ['INTERNAL_TOKEN'],
    generated: true,
    description: 'Shared token on /internal/* calls, held only by the services that make or answer them',
  },
  'ops-token': {
    keys: ['OPS_TOKEN'],
    generated: true,
    description: 'Bearer token Prometheus scrapes /metrics with, held by every service behind the gateway',
  },
  'queue-token': {
    keys: ['QUEUE_TOKEN_SECRET'],
    generated: true,
    description: 'Signs waiting-room admission tokens',
  },
  'token-attestation': {
    keys: ['TOKEN_ATTESTATION_KEY'],
    generated: true,
    description:
      "The gateway's word for the access tokens it checked, held by the gateway and the reservation and queue services",
  },
  'challenge-hmac': {
    keys: ['CHALLENGE_HMAC_KEY'],
    generated: true,
    description:
      'Signs the bot-defence challenges the queue service issues and the user and queue services check',
  },
  'ticket-signing': {
    keys: ['TICKET_SIGNING_SECRET'],
    generated: true,
    description: 'Signs ticket QR payloads',
  },
};

/** What a pod's IAM role may reach beyond the connection secrets every service gets. Everything else is denied. */
export interface ServiceAccess {
  /** Owns a PostgreSQL database (no other service may read it) and so gets its own database login. */
  database?: string;
  secrets?: AppSecretName[];
  /** Writes and reads the media bucket. */
  mediaBucket?: boolean;
}

/** The web app is static files on S3 + CloudFront, not a pod with AWS access: it gets no role. */
export type BackendService = Exclude<ServiceName, 'web'>;

/**
 * One entry per backend service; `satisfies` makes the typecheck fail when a service is added to the
 * contracts and forgotten here. Keys are also the Kubernetes ServiceAccount names.
 */
export const backendServices = {
  gateway: { secrets: ['token-attestation'] },
  user: {
    database: 'users_db',
    secrets: ['internal-token', 'ops-token', 'challenge-hmac', 'google', 'jwt-signing-key', 'admin-password'],
  },
  event: { database: 'events_db', secrets: ['ops-token'] },
  reservation: {
    database: 'reservations_db',
    secrets: ['internal-token', 'ops-token', 'queue-token', 'token-attestation', 'ticket-signing'],
  },
  payment: { database: 'payments_db', secrets: ['internal-token', 'ops-token', 'toss'] },
  queue: { secrets: ['internal-token', 'ops-token', 'queue-token', 'token-attestation', 'challenge-hmac'] },
  analytics: { database: 'analytics_db', secrets: ['ops-token'] },
  admin: { secrets: ['internal-token', 'ops-token'] },
  media: { database: 'media_db', mediaBucket: true, secrets: ['ops-token'] },
  notification: { database: 'notifications_db', secrets: ['internal-token', 'ops-token', 'sendgrid'] },
} satisfies Record<BackendService, ServiceAccess>;

export const backendServiceNames = Object.keys(backendServices) as BackendService[];

export function accessOf(service: BackendService): ServiceAccess {
  return backendServices[service];
}

/**
 * Every image the pipeline pushes: one per backend service. The web app is published as files to its
 * bucket (deploy-web.yml); its image is for deploy/compose only.
 */
export const imageNames: ServiceName[] = [...backendServiceNames];
