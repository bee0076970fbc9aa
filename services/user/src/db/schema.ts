import type { Role } from '@tiketi/contracts';
import type { ColumnType, Generated } from 'kysely';

export type { Role };
export type Locale = 'ko' | 'en';

export type UsersTable = {
  id: string;
  email: string;
  name: string;
  role: Generated<Role>;
  locale: Generated<Locale>;
  passwordHash: string | null;
  emailVerifiedAt: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Set when this registration replaced another unproved one of its address (see `verify`). */
  registrationContestedAt: ColumnType<Date | null, Date | null | undefined, Date | null>;
  createdAt: Generated<Date>;
  updatedAt: Generated<Date>;
};

/** What a mailed one-time token does: prove the address, or set a new password. */
export type EmailTokenPurpose = 'verify' | 'reset';

export type EmailTokensTable = {
  tokenHash: string;
  userId: string;
  purpose: EmailTokenPurpose;
  createdAt: Generated<Date>;
  expiresAt: Date;
  usedAt: Date | null;
};

export type UserIdentitiesTable = {
  provider: 'google';
  subject: string;
  userId: string;
  email: string;
  createdAt: Generated<Date>;
};

/** Why every session of an account ended at once. */
export type AllSessionsEnd = 'password_reset' | 'password_change' | 'account_deleted';

export type RefreshFamiliesTable = {
  id: string;
  userId: string;
  createdAt: Generated<Date>;
  revokedAt: Date | null;
  revokedReason: 'logout' | 'reuse' | AllSessionsEnd | null;
};

export type RefreshTokensTable = {
  tokenHash: string;
  familyId: string;
  createdAt: Generated<Date>;
  expiresAt: Date;
  usedAt: Date | null;
};

/** An ended session whose access tokens every token check is still to be told about. */
export type SessionEndsToAnnounceTable = { familyId: string; until: Date };

type Json = ColumnType<Record<string, unknown>, string, string>;

export type SigningKeysTable = {
  kid: string;
  privateJwk: Json;
  publicJwk: Json;
  createdAt: Generated<Date>;
  retiredAt: Date | null;
};

export type DB = {
  users: UsersTable;
  userIdentities: UserIdentitiesTable;
  emailTokens: EmailTokensTable;
  refreshFamilies: RefreshFamiliesTable;
  refreshTokens: RefreshTokensTable;
  sessionEndsToAnnounce: SessionEndsToAnnounceTable;
  signingKeys: SigningKeysTable;
};

export type UserRow = {
  id: string;
  email: string;
  name: string;
  role: Role;
  locale: Locale;
  passwordHash: string | null;
  emailVerifiedAt: Date | null;
  createdAt: Date;
};
