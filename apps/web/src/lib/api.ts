import { authSession, type Problem, problemSchema } from '@tiketi/contracts';
import type { z } from 'zod';
import { sessionStore } from './session.ts';

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
  refreshing ??= (async () => {
    const session = sessionStore.get();
    if (!session) return false;
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
      const next = authSession.parse(await res.json());
      sessionStore.set({ user: next.user, accessToken: next.accessToken, refreshToken: next.refreshToken });
      return true;
    } catch {
      // Network trouble: keep the session, the caller shows the error.
      return false;
    }
  })().finally(() => {
    refreshing = undefined;
  });
  return refreshing;
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
 * A refusal for an unverified email address: the address may have been verified since the access token was
 * signed (in another tab, from the mail), and only a fresh token says so. Refused before anything happened,
 * so the request can be sent again.
 */
async function unverified(res: Response): Promise<boolean> {
  if (res.status !== 403) return false;
  const body: unknown = await res
    .clone()
    .json()
    .catch(() => undefined);
  return (body as { code?: unknown } | undefined)?.code === 'EMAIL_NOT_VERIFIED';
}

/** Calls the API through this origin with the session's bearer token; refreshes it once on a 401. */
export async function api<T = unknown>(path: string, options: Options<T> = {}): Promise<T> {
  const send = () => {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    const token = sessionStore.get()?.accessToken;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: BodyInit | undefined;
    if (options.form) body = options.form;
    else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    return fetch(path, {
      method: options.method ?? (body ? 'POST' : 'GET'),
      headers,
      body: body ?? null,
      signal: options.signal ?? null,
    });
  };
  let res = await send();
  if (
    sessionStore.get() &&
    !path.startsWith('/api/auth/') &&
    (res.status === 401 || (await unverified(res)))
  ) {
    if (await refreshSession()) res = await send();
  }
  if (!res.ok) throw await problemOf(res);
  if (res.status === 204) return undefined as T;
  const data: unknown = await res.json();
  return options.schema ? options.schema.parse(data) : (data as T);
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
