import { Pool } from 'undici';

export type Answer<T = unknown> = { status: number; body: T; headers: Record<string, unknown> };

/**
 * A keep-alive connection pool to one origin with JSON in and out: the load generator's client
 * (undici, the fastest HTTP client Node has; it shares the machine's cores with what it measures).
 */
export function jsonClient(origin: string, connections: number) {
  const pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  async function call<T>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    options: { body?: unknown; token?: string | undefined; headers?: Record<string, string> } = {},
  ): Promise<Answer<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await pool.request({
      method,
      path,
      headers,
      body: options.body === undefined ? null : JSON.stringify(options.body),
    });
    const text = await res.body.text();
    let body: unknown = text;
    if (text && String(res.headers['content-type'] ?? '').includes('json')) body = JSON.parse(text);
    return { status: res.statusCode, body: body as T, headers: res.headers };
  }
  return {
    pool,
    call,
    get: <T>(path: string, token?: string) => call<T>('GET', path, { token }),
    post: <T>(path: string, body: unknown, token?: string, headers?: Record<string, string>) =>
      call<T>('POST', path, { body, token, ...(headers ? { headers } : {}) }),
    /** Only the status: the body is read and dropped (what a load loop needs). */
    async status(path: string, token?: string): Promise<number> {
      const res = await pool.request({
        method: 'GET',
        path,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      await res.body.dump();
      return res.statusCode;
    },
    close: () => pool.close(),
  };
}

export type JsonClient = ReturnType<typeof jsonClient>;

/** Fails with the answer in the message when the status is not the one expected. */
export function expectStatus<T>(answer: Answer<T>, status: number, what: string): T {
  if (answer.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return answer.body;
}
