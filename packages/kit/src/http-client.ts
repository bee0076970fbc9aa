import { propagationHeaders, startClientSpan } from './context.ts';
import { HttpProblem, problems } from './errors.ts';
import { type Attempt, DEFAULT_RETRY, RETRYABLE_STATUS, withRetries } from './retry.ts';
import { endSpan } from './tracing.ts';

export type HttpClientOptions = {
  baseUrl: string;
  /** Upstream name used in error messages ("event service"). */
  name: string;
  timeoutMs?: number;
  /** Extra attempts for idempotent requests after a network error, a timeout or a 502/503/504. */
  retries?: number;
  headers?: Record<string, string>;
};

export type RequestOptions = {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Treat as idempotent (retries allowed) although the method is not GET/HEAD/PUT/DELETE. */
  idempotent?: boolean;
  timeoutMs?: number;
};

export type HttpResponse<T> = { status: number; body: T; headers: Headers };

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

/**
 * Service-to-service HTTP: JSON in and out, a timeout on every call, bounded retries with backoff for
 * idempotent calls, and the caller's request id and trace context passed on.
 */
export function createHttpClient(options: HttpClientOptions) {
  const timeoutMs = options.timeoutMs ?? 3000;
  const retries = options.retries ?? DEFAULT_RETRY.retries;

  async function request<T>(
    method: string,
    path: string,
    req: RequestOptions = {},
  ): Promise<HttpResponse<T>> {
    const url = new URL(path, options.baseUrl);
    for (const [k, v] of Object.entries(req.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const canRetry = req.idempotent ?? IDEMPOTENT.has(method);
    const policy = { ...DEFAULT_RETRY, retries: canRetry ? retries : 0 };
    return withRetries(
      policy,
      async (attempt, last): Promise<Attempt<HttpResponse<T>>> => {
        const span = startClientSpan(`${method} ${options.name}`, {
          'http.request.method': method,
          'url.full': url.toString(),
          'tiketi.attempt': attempt,
        });
        try {
          const res = await fetch(url, {
            method,
            headers: {
              accept: 'application/json',
              ...(req.body === undefined ? {} : { 'content-type': 'application/json' }),
              ...options.headers,
              ...propagationHeaders(span),
              ...req.headers,
            },
            body: req.body === undefined ? undefined : JSON.stringify(req.body),
            signal: AbortSignal.timeout(req.timeoutMs ?? timeoutMs),
          });
          span.setAttribute('http.response.status_code', res.status);
          endSpan(span, res.status >= 500 ? new Error(`status ${res.status}`) : undefined);
          if (RETRYABLE_STATUS.has(res.status) && !last) {
            await res.body?.cancel();
            return { retry: new Error(`${options.name} answered ${res.status}`) };
          }
          const text = await res.text();
          const type = res.headers.get('content-type') ?? '';
          const body = (text && type.includes('json') ? JSON.parse(text) : text) as T;
          return { answer: { status: res.status, body, headers: res.headers } };
        } catch (error) {
          // No answer, or one cut short: a network error, a timeout, a body that is not what it says.
          endSpan(span, error);
          return { retry: error };
        }
      },
      (lastError) =>
        problems.unavailable(`The ${options.name} is not answering; please try again.`, lastError),
    );
  }

  return {
    request,
    get: <T>(path: string, req?: RequestOptions) => request<T>('GET', path, req),
    post: <T>(path: string, body?: unknown, req?: RequestOptions) =>
      request<T>('POST', path, { ...req, body }),
    put: <T>(path: string, body?: unknown, req?: RequestOptions) => request<T>('PUT', path, { ...req, body }),
    patch: <T>(path: string, body?: unknown, req?: RequestOptions) =>
      request<T>('PATCH', path, { ...req, body }),
    delete: <T>(path: string, req?: RequestOptions) => request<T>('DELETE', path, req),
  };
}

export type HttpClient = ReturnType<typeof createHttpClient>;

/** Passes an upstream problem+json answer on as our own error (status and message kept for 4xx). */
export function upstreamProblem(name: string, res: HttpResponse<unknown>): HttpProblem {
  const body = res.body as { code?: string; detail?: string } | undefined;
  if (res.status >= 400 && res.status < 500) {
    return new HttpProblem(res.status, body?.code ?? 'UPSTREAM_REFUSED', body?.detail ?? `${name} refused.`);
  }
  return problems.unavailable(`The ${name} failed (status ${res.status}).`);
}
