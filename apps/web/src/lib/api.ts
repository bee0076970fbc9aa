import { authSession, type Problem, type PublicUser, problemSchema, publicUser } from '@tiketi/contracts';
import type { z } from 'zod';
import { dateTime } from './format.ts';
import type { Locale } from './i18n.tsx';
import { isMessageKey, type MessageKey } from './messages.ts';
import { keepSession, sessionStore } from './session.ts';

/** An API answer other than 2xx, carrying the problem+json the services send. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly problem: Problem | undefined;
  constructor(status: number, message: string, code: string, problem?: Problem) {
    super(message);
    this.status = status;
    this.code = code;
    this.problem = problem;
  }
}

type Options<T> = {
  method?: string;
  body?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
  schema?: z.ZodType<T>;
  signal?: AbortSignal;
};

let refreshing: Promise<boolean> | undefined;

/**
 * Trades the refresh token for a new pair once, however many requests found the access token expired (or
 * the account changed, e.g. its email address was verified, and the tokens should say so).
 */
export function refreshSession(): Promise<boolean> {
  const started = sessionStore.get()?.refreshToken;
  refreshing ??= oneTabAtATime(async () => {
    // A refresh token is used once, and its second use ends the whole session (as a stolen token's would):
    // a tab that waited for another's refresh takes the pair that one kept instead of sending its own.
    const session = sessionStore.stored();
    if (!session) {
      sessionStore.set(null);
      return false;
    }
    if (session.refreshToken !== started) {
      sessionStore.set(session);
      return true;
    }
    try {
      const res = await fetch('/api/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: session.refreshToken }),
      });
      if (!res.ok) {
        sessionStore.set(null);
        return false;
      }
      keepSession(authSession.parse(await res.json()));
      return true;
    } catch {
      // Network trouble: keep the session, the caller shows the error.
      return false;
    }
  }).finally(() => {
    refreshing = undefined;
  });
  return refreshing;
}

/** Runs `work` while no other tab of this site runs its own (Web Locks), or at once where there are none. */
function oneTabAtATime<T>(work: () => Promise<T>): Promise<T> {
  return navigator.locks ? navigator.locks.request('tiketi.refresh', work) : work();
}

async function problemOf(res: Response): Promise<ApiError> {
  let problem: Problem | undefined;
  try {
    const parsed = problemSchema.safeParse(await res.json());
    if (parsed.success) problem = parsed.data;
  } catch {
    // Not JSON: the status says enough.
  }
  const fields = problem?.errors?.map((e) => `${e.field} ${e.message}`).join(', ');
  const message = problem
    ? `${problem.detail}${fields ? ` (${fields})` : ''}`
    : `${res.status} ${res.statusText}`;
  return new ApiError(res.status, message, problem?.code ?? `HTTP_${res.status}`, problem);
}

/**
 * A refusal that a fresh access token may lift, made before anything happened so the request can be sent
 * again: the token check's own 401 (`UNAUTHORIZED`: the token expired while the page stood open), or an
 * unverified email address, which may have been verified since the token was signed (in another tab, from
 * the mail). A wrong password or refresh token is a 401 of its own code, which no new token helps.
 */
async function tokenRefusal(res: Response): Promise<boolean> {
  if (res.status !== 401 && res.status !== 403) return false;
  const body: unknown = await res
    .clone()
    .json()
    .catch(() => undefined);
  const code = (body as { code?: unknown } | undefined)?.code;
  return res.status === 401 ? code === 'UNAUTHORIZED' : code === 'EMAIL_NOT_VERIFIED';
}

/** How long a request may go unanswered before the page says so. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Sends a request through this origin with the session's bearer token; refreshes it once on a 401. */
async function authorized(path: string, options: Omit<Options<unknown>, 'schema'>): Promise<Response> {
  const attempt = () => {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    const token = sessionStore.get()?.accessToken;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: BodyInit | undefined;
    if (options.form) body = options.form;
    else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    // A request that never answers (a connection that stalled) ends in an error the fan can act on, not in
    // a button that stays pressed; a file upload on a slow line may take longer.
    const timeout = options.form ? undefined : AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const signals = [options.signal, timeout].filter((s): s is AbortSignal => s !== undefined);
    return fetch(path, {
      method: options.method ?? (body ? 'POST' : 'GET'),
      headers,
      body: body ?? null,
      signal: signals.length ? AbortSignal.any(signals) : null,
    });
  };
  let res = await attempt();
  if (sessionStore.get() && (await tokenRefusal(res))) {
    if (await refreshSession()) res = await attempt();
  }
  if (!res.ok) throw await problemOf(res);
  return res;
}

/** Calls the API and reads its JSON answer (through `schema` when given). */
export async function api<T = unknown>(path: string, options: Options<T> = {}): Promise<T> {
  const { schema, ...rest } = options;
  const res = await authorized(path, rest);
  if (res.status === 204) return undefined as T;
  const data: unknown = await res.json();
  return schema ? schema.parse(data) : (data as T);
}

/**
 * Signs the fan out of this browser at once, and ends the session at the server too when it answers (a
 * session left open there only runs out).
 */
export async function signOut(): Promise<void> {
  const refreshToken = sessionStore.get()?.refreshToken;
  sessionStore.set(null);
  if (refreshToken) await api('/api/auth/logout', { body: { refreshToken } }).catch(() => undefined);
}

/**
 * Changes the signed-in fan's name or language (`PATCH /api/users/me`), the language being the one their
 * mails are written in, and keeps the session's copy of the fan in step: the rest of the app reads it there.
 */
export async function saveProfile(change: { name?: string; locale?: Locale }): Promise<PublicUser> {
  const saved = await api('/api/users/me', { method: 'PATCH', body: change, schema: publicUser });
  const session = sessionStore.get();
  if (session) sessionStore.set({ ...session, user: saved });
  return saved;
}

/**
 * Saves a file the API serves only to the signed-in caller (a CSV export, a ticket's PDF) under
 * `filename`: a plain link would not carry the session's bearer token.
 */
export async function download(path: string, filename: string): Promise<void> {
  const res = await authorized(path, { headers: { accept: '*/*' } });
  const url = URL.createObjectURL(await res.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked a little later: a download that has not started yet would otherwise find nothing there.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Asking again may help after network trouble or a 5xx, never after a 4xx; at most twice more. */
export function retryTransient(count: number, error: Error): boolean {
  return count < 2 && !(error instanceof ApiError && error.status < 500);
}

/**
 * The `Idempotency-Key` of one user action (a click on "refund" or "give back"): made when the fan clicks
 * and passed to the mutation as its variable, so every retry of that click (`retryTransient`, the resend
 * after a token refresh) carries the same key and the server acts once; the next click gets a new one.
 */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

export const idempotencyHeaders = (key: string) => ({ 'idempotency-key': key });

type Say = { t: (key: MessageKey, vars?: Record<string, string | number>) => string; locale: Locale };

/** How a page names the things a problem refers to by id (the seats of the map it shows). */
export type ProblemContext = { seatLabel?: (seatId: string) => string | undefined };

/**
 * What went wrong, in the page's language: every problem `code` has a message of the app's own, filled
 * with the problem's details (the limit, the seats taken, when a ticket was used); the server's English
 * `detail` is only the fallback for a code the app does not know yet.
 */
export function errorMessage(error: unknown, say: Say, context: ProblemContext = {}): string {
  const { t, locale } = say;
  if (error instanceof ApiError) {
    const code = error.problem ? error.code : statusCode(error.status);
    const key = `problem.${code}`;
    if (!isMessageKey(key)) return error.message;
    const p = (error.problem ?? {}) as Record<string, unknown>;
    const vars: Record<string, string | number> = {};
    for (const name of [
      'limit',
      'active',
      'eventCount',
      'left',
      'used',
      'holds',
      'upcomingTickets',
      'minutes',
    ] as const)
      if (typeof p[name] === 'number') vars[name] = p[name];
    if (typeof p.section === 'string') vars.section = p.section;
    if (Array.isArray(p.seatIds)) {
      vars.seats = p.seatIds.map((id) => context.seatLabel?.(String(id)) ?? String(id)).join(', ');
    }
    for (const name of ['usedAt', 'opensAt'] as const)
      if (typeof p[name] === 'string') vars[name] = dateTime(p[name], locale);
    // Each field the problem names, with why, in the page's words.
    const fields = error.problem?.errors?.map((e) =>
      t('problem.fieldReason', { field: fieldName(e.field, t), reason: fieldReason(e.message, t) }),
    );
    if (fields?.length) vars.fields = [...new Set(fields)].join(t('problem.fieldSeparator'));
    else if (error.problem?.detail) vars.fields = error.problem.detail.replace(/\.$/, '');
    else if (isMessageKey(`${key}.unnamed`)) return t(`${key}.unnamed` as MessageKey);
    // A refusal that gives its reason (`reason`) is said by the app's sentence for it, where there is one.
    const because = typeof p.reason === 'string' ? `${key}.${p.reason}` : '';
    if (isMessageKey(because)) return t(because, vars);
    const held = `${key}.held`;
    if (typeof p.active === 'number' && p.active > 0 && isMessageKey(held)) return t(held, vars);
    // A refusal that counts holds and tickets names only what there is.
    const only = p.upcomingTickets === 0 ? `${key}.holds` : p.holds === 0 ? `${key}.tickets` : '';
    if (isMessageKey(only)) return t(only, vars);
    return t(key, vars);
  }
  if (error instanceof TypeError) return t('common.offline');
  if (error instanceof DOMException && error.name === 'TimeoutError') return t('common.timedOut');
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * Why Toss refused or ended a payment, in the page's language when the app knows the code, else in Toss's
 * own words. Toss words them in Korean: a page in another language names the code instead (it is Toss's,
 * as recorded by our server, never one read from the address).
 */
export function tossFailureMessage(failure: { code: string; message: string }, say: Say): string {
  const key = `problem.${failure.code}`;
  if (isMessageKey(key)) return say.t(key);
  if (say.locale !== 'ko' && /[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]/.test(failure.message)) {
    return say.t('payment.tossRefusedAs', { code: failure.code });
  }
  return failure.message;
}

/**
 * The thing a page's address names does not exist: an unknown id (404), or one that cannot be an id at
 * all (400 on the path alone). Retrying cannot help; the page says it is not there.
 */
export function isNotFound(error: unknown): boolean {
  if (!(error instanceof ApiError)) return false;
  if (error.status === 404) return true;
  const errors = error.problem?.errors;
  return error.status === 400 && !!errors?.length && errors.every((e) => e.field.startsWith('params.'));
}

/**
 * Which of a form's `fields` (`body.password`) a refusal names, the first one it names: the form shows the
 * problem beside that field rather than under the whole form.
 */
export function problemField(error: unknown, fields: readonly string[]): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const named = error.problem?.errors?.map((e) => e.field) ?? [];
  return fields.find((field) => named.includes(field));
}

/** An answer without problem+json (a proxy's 502, say): its status says enough. */
function statusCode(status: number): string {
  if (status === 404) return 'NOT_FOUND';
  if (status === 429) return 'RATE_LIMITED';
  if (status === 503) return 'SERVICE_BUSY';
  return status >= 500 ? 'INTERNAL' : 'VALIDATION_FAILED';
}

/**
 * The reasons a refused field comes with (the request schemas' own words, and those of the services'
 * checks), each to the page's sentence; the numbers and names they quote fill its blanks. A reason not
 * here is shown as it came, in English.
 */
const FIELD_REASONS: readonly (readonly [RegExp, MessageKey])[] = [
  [
    /^(is required|must not be empty|Invalid input: expected \w+, received (undefined|null))$/,
    'reason.required',
  ],
  [
    /^(Too small: expected string to have >=|must have at least )(?<min>\d+) characters?$/,
    'reason.minLength',
  ],
  [
    /^(Too big: expected string to have <=|must (be|have) at most )(?<max>\d+) characters?$/,
    'reason.maxLength',
  ],
  [/^Too small: expected number to be >=(?<min>-?[\d.]+)$/, 'reason.atLeast'],
  [/^Too small: expected number to be >(?<min>-?[\d.]+)$/, 'reason.above'],
  [/^Too big: expected number to be <=(?<max>-?[\d.]+)$/, 'reason.atMost'],
  [/^Too big: expected number to be <(?<max>-?[\d.]+)$/, 'reason.below'],
  [/^Too small: expected array to have >=(?<min>\d+) items?$/, 'reason.minItems'],
  [/^Too big: expected array to have <=(?<max>\d+) items?$/, 'reason.maxItems'],
  [/^(Invalid email address|must be an email address)$/, 'reason.email'],
  [/^Invalid ISO (datetime|date)$/, 'reason.dateTime'],
  [/^Invalid URL$/, 'reason.url'],
  [/^Invalid input: expected int, received number$/, 'reason.integer'],
  [/^Invalid input: expected number, received \w+$/, 'reason.number'],
  [/^Invalid option: expected one of /, 'reason.option'],
  [
    /^(Invalid UUID|must be a user id \(UUID\)|Invalid string: must match pattern .*|Invalid input.*|is invalid)$/,
    'reason.invalid',
  ],
  [/^is too short$/, 'reason.tooShort'],
  [/^must not be the email address$/, 'reason.notEmail'],
  [/^must be after saleOpensAt$/, 'reason.afterSaleOpens'],
  [/^must be no later than startsAt$/, 'reason.notAfterStart'],
  [/^is in the past$/, 'reason.past'],
  [/^is used twice$/, 'reason.usedTwice'],
  [/^matches no seat of the venue \(its tiers: (?<tiers>.*)\)$/, 'reason.noSeatOfTier'],
  [/^has no price for seat tiers? (?<tiers>.*)$/, 'reason.unpricedTiers'],
  [/^is not a known artist$/, 'reason.unknownArtist'],
  [/^is not a known venue$/, 'reason.unknownVenue'],
  [/^is not an uploaded image$/, 'reason.notImage'],
  [/^declares (?<declared>\d+) seats, more than (?<max>\d+)$/, 'reason.tooManySeats'],
  [/^give either rows or standing$/, 'reason.rowsOrStanding'],
  [/^give either seats or seatCount with tierKey$/, 'reason.seatsOrCount'],
  [/^is required with seatCount$/, 'reason.requiredWithCount'],
  [/^has no seats$/, 'reason.noSeats'],
  [/^must have (?<length>\d+) letters and digits$/, 'reason.ticketCodeLength'],
  [/^must use only the letters and digits printed on the ticket$/, 'reason.ticketCodeChars'],
  [/^letters, digits, - and _ only$/, 'reason.codeChars'],
  [/^a percentage is at most 100$/, 'reason.percentMax'],
  [/^validUntil must come after validFrom$/, 'reason.validUntilAfterFrom'],
  [/^must be a phone number$/, 'reason.phone'],
  [/^give amount or seatIds, not both$/, 'reason.amountOrSeats'],
  [/(^|its keys )must not contain a NUL character or a lone surrogate$/, 'reason.unsafeText'],
  [/^must be yyyy-mm$/, 'reason.month'],
  [/^must be the token from the .* link$/, 'reason.linkToken'],
  [
    /^"(?<label>.*)" is the form of a place of standing area "(?<area>.*)"; seats need another label$/,
    'reason.standingPlaceLabel',
  ],
  [/^"(?<label>.*)" is already used by (?<first>.*)$/, 'reason.labelUsed'],
  [/^must be at least (?<min>\d+) KRW, the least an online payment can be$/, 'reason.minPayment'],
  [/^names the same area more than once$/, 'reason.areaTwice'],
  [/^has the same seat more than once$/, 'reason.seatTwice'],
  [/^has more than (?<max>\d+) seats$/, 'reason.seatsAtOnce'],
  [/^name seats \(seatIds\) or places in a standing area \(standing\)$/, 'reason.seatsOrStanding'],
  [/^is wrong$/, 'reason.wrong'],
  [/^must not contain control or invisible formatting characters$/, 'reason.controlChars'],
  [/^must contain a letter or a digit$/, 'reason.letterOrDigit'],
  [/^give name or locale$/, 'reason.nameOrLocale'],
];

/** Why a field was refused, in the page's language when the app knows the reason, else as it came. */
function fieldReason(message: string, t: Say['t']): string {
  for (const [pattern, key] of FIELD_REASONS) {
    const match = pattern.exec(message);
    if (match) return t(key, match.groups);
  }
  return message;
}

/**
 * `body.customerInfo.email` → the page's word for "email"; a name its parent makes another thing's
 * (`body.sections.1.name`, a section's and not the venue's) by its word for the pair where it has one.
 */
function fieldName(field: string, t: Say['t']): string {
  const parts = field.split('.').filter((part) => !/^\d+$/.test(part));
  const last = parts.pop() ?? field;
  for (const key of [`field.${parts.pop()}.${last}`, `field.${last}`]) if (isMessageKey(key)) return t(key);
  return last;
}
