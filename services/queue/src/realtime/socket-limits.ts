import { type Logger, type Metrics, periodicJob, type Redis, redisScripts } from '@tiketi/kit';

/**
 * Sockets one user, and one client address, may hold at once across every instance. Each socket holds a
 * lease in Redis that its instance renews; an instance that dies simply stops renewing, and its leases
 * run out within a few renewals. All keys share one hash tag so the script stays on one Redis slot.
 * KEYS: the user's leases, the address's leases. ARGV: lease id, lease ms, user cap, address cap.
 * Returns 0 when taken, 1 when the user is at the cap, 2 when the address is.
 */
const claimScript = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local lease = tonumber(ARGV[2])
for _, key in ipairs(KEYS) do redis.call('ZREMRANGEBYSCORE', key, '-inf', now) end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 1 end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return 2 end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + lease, ARGV[1])
  redis.call('PEXPIRE', key, lease)
end
return 0
`;

/** KEYS: pairs of lease sets; ARGV: lease ms, then the lease id for each pair. Renews leases still held. */
const renewScript = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local lease = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', now + lease, ARGV[math.floor((i + 1) / 2) + 1])
  redis.call('PEXPIRE', key, lease)
end
return #KEYS
`;

const userKey = (userId: string) => `queue:{sockets}:user:${userId}`;
const addressKey = (address: string) => `queue:{sockets}:ip:${address}`;
const BATCH = 500;

type Lease = { id: string; userId: string; address: string };

export function connectionLeases(
  redis: Redis,
  options: { perUser: number; perAddress: number; renewMs: number; logger: Logger; metrics?: Metrics },
) {
  const scripts = redisScripts(redis, {
    queueSocketClaim: { keys: 2, lua: claimScript },
    queueSocketRenew: { lua: renewScript },
  });
  // Three renewals may fail before a live socket's lease runs out.
  const leaseMs = options.renewMs * 3;
  const held = new Map<string, Lease>();

  async function renew(): Promise<void> {
    const leases = [...held.values()];
    for (let i = 0; i < leases.length; i += BATCH) {
      const batch = leases.slice(i, i + BATCH);
      const keys = batch.flatMap((l) => [userKey(l.userId), addressKey(l.address)]);
      await scripts.queueSocketRenew(keys.length, ...keys, leaseMs, ...batch.map((l) => l.id));
    }
  }

  const job = periodicJob({
    name: 'socket lease renewal',
    pass: renew,
    intervalMs: options.renewMs,
    logger: options.logger,
    metrics: options.metrics,
  });

  return {
    /** Takes a lease for a new socket, or names the cap it would go over. */
    async claim(lease: Lease): Promise<'ok' | 'user' | 'address'> {
      const answer = await scripts.queueSocketClaim(
        userKey(lease.userId),
        addressKey(lease.address),
        lease.id,
        leaseMs,
        options.perUser,
        options.perAddress,
      );
      if (answer === 1) return 'user';
      if (answer === 2) return 'address';
      held.set(lease.id, lease);
      return 'ok';
    },
    async release(id: string): Promise<void> {
      const lease = held.get(id);
      if (!lease) return;
      held.delete(id);
      await redis.multi().zrem(userKey(lease.userId), id).zrem(addressKey(lease.address), id).exec();
    },
    start: job.start,
    stop: job.stop,
  };
}

export type ConnectionLeases = ReturnType<typeof connectionLeases>;

/**
 * Messages one socket may send: a bucket of `burst` refilled at `perSecond`. A message over it is refused;
 * a socket refused `strikes` times in a row is cut off.
 */
export function messageBudget(options: { perSecond: number; burst: number; strikes: number }) {
  let tokens = options.burst;
  let at = Date.now();
  let refusals = 0;
  return (): 'ok' | 'refused' | 'cut' => {
    const now = Date.now();
    tokens = Math.min(options.burst, tokens + ((now - at) / 1000) * options.perSecond);
    at = now;
    if (tokens >= 1) {
      tokens -= 1;
      refusals = 0;
      return 'ok';
    }
    refusals += 1;
    return refusals >= options.strikes ? 'cut' : 'refused';
  };
}
