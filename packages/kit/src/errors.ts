import type { Problem } from '@tiketi/contracts';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  417: 'Expectation Failed',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export type FieldError = { field: string; message: string };

/**
 * An error meant for the caller: it becomes an RFC 9457 problem+json answer as it is. Anything thrown
 * that is not an HttpProblem is an internal error and is answered with a bare 500.
 */
export class HttpProblem extends Error {
  override name = 'HttpProblem';
  readonly status: number;
  readonly code: string;
  readonly errors: FieldError[] | undefined;
  readonly extra: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;
  /**
   * A 5xx that is part of normal work rather than a failure (another request holds the same payment, say):
   * the caller retries it as asked, so it is logged as a warning and not counted among the errors.
   */
  readonly routine: boolean;

  constructor(
    status: number,
    code: string,
    detail: string,
    options: {
      errors?: FieldError[];
      extra?: Record<string, unknown>;
      headers?: Record<string, string>;
      cause?: unknown;
      routine?: boolean;
    } = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.code = code;
    this.errors = options.errors;
    this.extra = options.extra;
    this.headers = options.headers;
    this.routine = options.routine ?? false;
  }

  toProblem(instance?: string): Problem & Record<string, unknown> {
    return {
      ...this.extra,
      type: `https://tiketi.dev/problems/${this.code.toLowerCase().replaceAll('_', '-')}`,
      title: TITLES[this.status] ?? 'Error',
      status: this.status,
      detail: this.message,
      code: this.code,
      ...(instance ? { instance } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

export const problems = {
  badRequest: (detail: string, errors?: FieldError[]) =>
    new HttpProblem(400, 'VALIDATION_FAILED', detail, errors ? { errors } : {}),
  unauthorized: (detail = 'Authentication is required.') => new HttpProblem(401, 'UNAUTHORIZED', detail),
  /** The caller signed out (or the session was revoked) after the access token was issued. */
  sessionEnded: () => new HttpProblem(401, 'UNAUTHORIZED', 'This session has ended; sign in again.'),
  forbidden: (detail = 'You are not allowed to do this.') => new HttpProblem(403, 'FORBIDDEN', detail),
  notFound: (what: string) => new HttpProblem(404, 'NOT_FOUND', `${what} was not found.`),
  conflict: (code: string, detail: string, extra?: Record<string, unknown>) =>
    new HttpProblem(409, code, detail, extra ? { extra } : {}),
  unprocessable: (code: string, detail: string, extra?: Record<string, unknown>) =>
    new HttpProblem(422, code, detail, extra ? { extra } : {}),
  tooManyRequests: (retryAfterSeconds: number) =>
    new HttpProblem(429, 'RATE_LIMITED', `Too many requests; retry in ${retryAfterSeconds} s.`, {
      headers: { 'retry-after': String(retryAfterSeconds) },
    }),
  unavailable: (detail: string, cause?: unknown) =>
    new HttpProblem(503, 'UPSTREAM_UNAVAILABLE', detail, { cause }),
};
