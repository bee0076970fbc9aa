import { internalUser, internalUserPath, type Role } from '@tiketi/contracts';
import { createHttpClient, internalHeaders, problems } from '@tiketi/kit';

/** Asks the user service (internal route) which role an account has. */
export function createUserClient(options: { baseUrl: string; internalToken: string }) {
  const http = createHttpClient({
    baseUrl: options.baseUrl,
    name: 'user service',
    headers: internalHeaders(options.internalToken),
  });
  return {
    /**
     * The account's role, or undefined when no account has the id. Any other answer is the user service
     * failing us, not the caller's mistake, so it is 503 rather than passed on: its 401 or 403 (a wrong
     * internal token) would read to the operator as their own session refused.
     */
    async roleOf(userId: string): Promise<Role | undefined> {
      const res = await http.get<unknown>(internalUserPath(userId));
      if (res.status === 404) return undefined;
      if (res.status !== 200) {
        throw problems.unavailable(
          `The user service could not say who the account is (status ${res.status}).`,
        );
      }
      return internalUser.parse(res.body).role;
    },
  };
}

export type UserClient = ReturnType<typeof createUserClient>;
