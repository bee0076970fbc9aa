/**
 * The waiting room's state changes, each one Redis script so that it is atomic whichever instance runs
 * it: no instance owns the line, and an instance that dies mid-way leaves nothing half-done. Every script
 * reads the clock from Redis (TIME), so instances with drifting clocks still agree.
 *
 * Keys of one event (all share the `{eventId}` hash tag):
 *   settings  hash   enabled, ratePerMinute, maxActive, opensAt, closesAt, status, stamp (projection)
 *   state     hash   opened, openedAt, seq (last number given), served (last number admitted),
 *                    tokens/bucketAt (admission bucket), ttl (admission lifetime, as the step last ran), peak,
 *                    stays/stayMs (how many admitted shoppers have left, and how long they stayed in all),
 *                    admitted/admittedMs (until the first shopper leaves: how many were admitted, and the
 *                    sum of their admission times, in ms since the opening),
 *                    historyStayMs (the stayMs last made the platform's history),
 *                    castAt/moved (when progress was last broadcast; 1 when the line moved since)
 *   pre       zset   arrivals before the opening, scored by a random draw made at join time
 *   num       hash   user -> queue number (from the opening on)
 *   line      zset   waiting users scored by number
 *   users     hash   user -> "<queueId>:<joinedAtMs>" for everyone who holds a place
 *   seen      zset   waiting users scored by when they last showed a sign of life
 *   active    zset   admitted users scored by when their slot stops counting: the later of the admission's
 *                    lapse and the latest expiry announced for one of their live holds
 *   beat      string lease that spaces out the heartbeat broadcasts
 *   lapse     hash   user -> when the admission itself lapses (what the token and status show); the
 *                    reservation service reads it before a hold (ADMISSION_LIVE_KEY), so it goes
 *                    exactly when the slot is freed
 *   holds     hash   user -> JSON {reservationId: expiry ms, or 0 once the hold has ended}
 *   admits    hash   second -> admissions in it, for the last minute (the measured admission rate)
 *   frees     hash   second -> slots freed in it, for the last minute (the measured turnover)
 *   heard     zset   admitted users scored by when they last showed a sign of life (admission, a status
 *                    ask, a hold): one silent past the idle limit while holding nothing loses the slot
 *   gone      zset   queue numbers after the last one admitted whose holders left the line (scored by
 *                    number): the broadcasts send the lowest, so that fans behind count them out
 */
export const EVENT_KEYS = [
  'settings',
  'state',
  'pre',
  'num',
  'line',
  'users',
  'seen',
  'active',
  'beat',
  'lapse',
  'holds',
  'admits',
  'frees',
  'heard',
  'gone',
] as const;

const prelude = `
local settings, state, pre, num, line, users, seen, active, beat, lapse, holds, admits, frees, heard, gone =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11],
  KEYS[12], KEYS[13], KEYS[14], KEYS[15]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)

-- Rates are measured over a sliding window of one-second buckets.
local WINDOW = 60000

local function record(key, n)
  if n > 0 then redis.call('HINCRBY', key, math.floor(now / 1000), n) end
end

-- Per second over the window (or since the opening, when that is shorter); prunes old buckets if asked.
local function measured(key, prune)
  local oldest = math.floor((now - WINDOW) / 1000)
  local total = 0
  local buckets = redis.call('HGETALL', key)
  for i = 1, #buckets, 2 do
    if tonumber(buckets[i]) <= oldest then
      if prune then redis.call('HDEL', key, buckets[i]) end
    else
      total = total + tonumber(buckets[i + 1])
    end
  end
  local opened_at = tonumber(redis.call('HGET', state, 'openedAt')) or (now - WINDOW)
  return total * 1000 / math.max(1000, math.min(WINDOW, now - opened_at))
end

-- Past this many stays the sums are halved, so the estimate follows how shoppers behave now.
local STAYS_KEPT = 200
-- How many stays the prior counts for against the stays measured in this room.
local PRIOR_WEIGHT = 2
-- A room's measured stay becomes the platform's once this many shoppers have left it.
local STAYS_FOR_HISTORY = 20

-- When an admitted user's slot frees: how long they stayed joins the room's measure.
local function leave(user)
  local lapses = tonumber(redis.call('HGET', lapse, user))
  local ttl = tonumber(redis.call('HGET', state, 'ttl'))
  redis.call('ZREM', active, user)
  if lapses and ttl then
    local stays = redis.call('HINCRBY', state, 'stays', 1)
    local total = redis.call('HINCRBY', state, 'stayMs', math.max(0, now - (lapses - ttl)))
    if stays > STAYS_KEPT then
      redis.call('HSET', state, 'stays', math.floor(stays / 2), 'stayMs', math.floor(total / 2))
    end
  end
end

-- How long a shopper keeps a slot, in ms: the stays measured in this room, weighed against a prior. The
-- prior is how long shoppers stayed in this platform's recent sales (ARGV, 0 when none is known), or else
-- the operator's own pace: the stay at which a full room turns over at the configured admission rate (the
-- time the rate takes to fill the room), at most the admission's lifetime. Until the first shopper
-- leaves, a stay lasts at least as long as the room's shoppers have been in it on average, so a room
-- whose shoppers linger stops promising a quick turnover before anyone has left.
local function stay(prior, ttl, cap, rate)
  if not prior or prior <= 0 then
    prior = rate > 0 and math.min(ttl, cap * 1000 / rate) or ttl
  end
  local stays = tonumber(redis.call('HGET', state, 'stays')) or 0
  local total = tonumber(redis.call('HGET', state, 'stayMs')) or 0
  local expected = (PRIOR_WEIGHT * prior + total) / (PRIOR_WEIGHT + stays)
  if stays == 0 then
    local admitted = tonumber(redis.call('HGET', state, 'admitted')) or 0
    if admitted > 0 then
      local since = (tonumber(redis.call('HGET', state, 'admittedMs')) or 0) / admitted
      local opened_at = tonumber(redis.call('HGET', state, 'openedAt')) or now
      expected = math.max(expected, now - opened_at - since)
    end
  end
  return math.max(1000, expected)
end

-- {free slots, configured admissions per second, slot turnover per second}. Turnover is what was
-- measured, but at least what a full room frees as its shoppers leave after their expected stay, and at
-- most the configured rate: a full room whose shoppers stay a while never looks like a line that stopped.
-- A full room's next slot frees by the time its earliest admission (or the hold that outlives it) ends,
-- at the latest: the first turn never waits longer than that, so the estimate counts down to it.
local function pace(prior)
  local rate = (tonumber(redis.call('HGET', settings, 'ratePerMinute')) or 0) / 60
  local cap = tonumber(redis.call('HGET', settings, 'maxActive')) or 0
  local ttl = tonumber(redis.call('HGET', state, 'ttl')) or 600000
  local free = math.max(0, cap - redis.call('ZCARD', active))
  local turnover = math.max(measured(frees, false), cap * 1000 / stay(prior, ttl, cap, rate))
  if free == 0 and cap > 0 then
    local first = redis.call('ZRANGE', active, 0, 0, 'WITHSCORES')
    if first[2] then turnover = math.max(turnover, 1000 / math.max(1, tonumber(first[2]) - now)) end
  end
  return {free, tostring(rate), tostring(math.min(rate, turnover))}
end

-- The opening draw: the arrivals so far take numbers 1..n in the order of their random draws. It runs
-- once (the flag is set in the same script), whichever script first sees the opening time pass.
local function open_if_due()
  if redis.call('HGET', state, 'opened') == '1' then return false end
  local opens = tonumber(redis.call('HGET', settings, 'opensAt'))
  if not opens or now < opens then return false end
  local drawn = redis.call('ZRANGE', pre, 0, -1)
  for i, user in ipairs(drawn) do
    redis.call('HSET', num, user, i)
    redis.call('ZADD', line, i, user)
  end
  redis.call('DEL', pre)
  redis.call('HSET', state, 'opened', '1', 'openedAt', now, 'seq', #drawn, 'served', 0, 'tokens', 0,
    'bucketAt', now)
  return true
end

-- A waiting user gives up their place (leaving, or silent past the grace): their number, if the draw gave
-- them one, is counted out of the positions of the fans behind, and the line is told at the next step.
local function give_up(user)
  local number = redis.call('HGET', num, user)
  redis.call('ZREM', line, user)
  redis.call('ZREM', pre, user)
  redis.call('ZREM', seen, user)
  if number then
    redis.call('ZADD', gone, number, number)
    redis.call('HSET', state, 'moved', '1')
  end
end

local function forget(user)
  redis.call('ZREM', heard, user)
  redis.call('HDEL', users, user)
  redis.call('HDEL', num, user)
  redis.call('HDEL', lapse, user)
  redis.call('HDEL', holds, user)
end

-- A hold marked 0 has ended: an announcement of it that arrives late (out of order) changes nothing.
local ENDED = 0

local function holds_of(user)
  local raw = redis.call('HGET', holds, user)
  if raw then return cjson.decode(raw) end
  return {}
end

-- The latest expiry among the holds still running, or nil when none is.
local function latest_live(known)
  local latest = nil
  for _, expires in pairs(known) do
    if expires ~= ENDED and expires > now and (not latest or expires > latest) then latest = expires end
  end
  return latest
end

-- Gives an admitted user's slot to the next fan, unless a live hold of theirs still counts it: 1 when
-- freed, -1 when a hold keeps it.
local function free_slot(user)
  if latest_live(holds_of(user)) then return -1 end
  leave(user)
  forget(user)
  record(frees, 1)
  return 1
end

-- {found, record, number, rank, admittedUntil, now, opened, served, free, openRate, turnover}
local function status_of(user, prior)
  local record = redis.call('HGET', users, user)
  if not record then return {0} end
  local opened = redis.call('HGET', state, 'opened') == '1' and 1 or 0
  local number = redis.call('HGET', num, user) or false
  local served = tonumber(redis.call('HGET', state, 'served')) or 0
  local until_ = redis.call('ZSCORE', active, user)
  if until_ then
    -- A hold may keep the slot counted past the admission, but never lengthens the admission itself.
    local admission = redis.call('HGET', lapse, user) or until_
    return {2, record, number, false, admission, now, opened, served, 0, '0', '0'}
  end
  local rank = false
  if opened == 1 then
    rank = redis.call('ZRANK', line, user)
    if not rank then return {0} end
  end
  local p = pace(prior)
  return {1, record, number, rank, false, now, opened, served, p[1], p[2], p[3]}
end
`;

/**
 * ARGV: userId, queueId for a new place, random draw (integer) for an arrival before the opening, the
 * platform's recent shopper stay in ms (0 when none is known).
 */
export const joinScript = `${prelude}
open_if_due()
local user = ARGV[1]
local created = 0
if not redis.call('HGET', users, user) then
  redis.call('HSET', users, user, ARGV[2] .. ':' .. now)
  if redis.call('HGET', state, 'opened') == '1' then
    local n = redis.call('HINCRBY', state, 'seq', 1)
    redis.call('HSET', num, user, n)
    redis.call('ZADD', line, n, user)
  else
    redis.call('ZADD', pre, ARGV[3], user)
  end
  redis.call('ZADD', seen, now, user)
  created = 1
else
  redis.call('ZADD', seen, 'XX', now, user)
  redis.call('ZADD', heard, 'XX', now, user)
end
local result = status_of(user, tonumber(ARGV[4]))
result[12] = created
return result
`;

/**
 * ARGV: userId, the platform's recent shopper stay in ms (0 when none is known). A poll is a sign of life,
 * of a waiter and of an admitted shopper alike.
 */
export const statusScript = `${prelude}
open_if_due()
redis.call('ZADD', seen, 'XX', now, ARGV[1])
redis.call('ZADD', heard, 'XX', now, ARGV[1])
return status_of(ARGV[1], tonumber(ARGV[2]))
`;

/** The measured admissions per second (for operators). */
export const rateScript = `${prelude}
return tostring(measured(admits, false))
`;

/** ARGV: userIds still connected to this instance. Only waiters are touched (XX). */
export const touchScript = `${prelude}
for _, user in ipairs(ARGV) do redis.call('ZADD', seen, 'XX', now, user) end
return #ARGV
`;

/**
 * ARGV: userId. Frees the slot of an admission that has lapsed, unless a live hold of the user still
 * counts it. Returns 1 when freed, 0 when there was none, -1 when a hold keeps it.
 */
export const releaseScript = `${prelude}
local user = ARGV[1]
if not redis.call('ZSCORE', active, user) then return 0 end
return free_slot(user)
`;

/**
 * ARGV: userId, '1' when the reservation service was asked and knows no live hold of the user in the
 * event. The user leaves the room: an admitted user's slot goes to the next fan (unless a live hold of
 * theirs still counts it, or one may that was not announced yet), a waiting user gives up their place.
 * Returns 2 when a slot was freed, 1 when a place in line was given up, 0 when the user had neither, -1
 * when a live hold keeps the slot, -2 when the slot stays until the reservation service is asked.
 */
export const leaveScript = `${prelude}
local user, no_holds = ARGV[1], ARGV[2] == '1'
if redis.call('ZSCORE', active, user) then
  if latest_live(holds_of(user)) then return -1 end
  if not no_holds then return -2 end
  free_slot(user)
  return 2
end
if not redis.call('HGET', users, user) then return 0 end
give_up(user)
forget(user)
return 1
`;

/**
 * ARGV: userId, reservationId, expiresAtMs. A hold was created or extended: the slot stays counted at
 * least until it expires. Only an admitted user's slot is kept (a freed slot never comes back), only
 * later (announcements may arrive twice or out of order), and never for a hold known to have ended.
 * Returns 1 when the hold's expiry moved.
 */
export const holdScript = `${prelude}
local user, reservation, expires = ARGV[1], ARGV[2], tonumber(ARGV[3])
local until_ = redis.call('ZSCORE', active, user)
if not until_ then return 0 end
local known = holds_of(user)
local previous = known[reservation]
if previous == ENDED or (previous and previous >= expires) then return 0 end
known[reservation] = expires
redis.call('HSET', holds, user, cjson.encode(known))
redis.call('ZADD', active, 'XX', 'GT', expires, user)
redis.call('ZADD', heard, 'XX', now, user)
return 1
`;

/**
 * ARGV: userId, reservationId, '1' when the hold was bought. A hold ended: the slot is freed at once
 * unless another live hold of the user still counts it, which then alone sets when it stops counting, or
 * unless the hold was given back or ran out within the admission, which then goes on to its own end: a fan
 * who changes seats keeps the turn. Idempotent. Returns 1 when the slot was freed.
 */
export const holdEndedScript = `${prelude}
local user, reservation, bought = ARGV[1], ARGV[2], ARGV[3] == '1'
if not redis.call('ZSCORE', active, user) then return 0 end
local known = holds_of(user)
known[reservation] = ENDED
local latest = latest_live(known)
local admission = tonumber(redis.call('HGET', lapse, user))
if not latest and not bought and admission and admission > now then latest = admission end
if latest then
  redis.call('HSET', holds, user, cjson.encode(known))
  redis.call('ZADD', active, 'XX', latest, user)
  return 0
end
leave(user)
forget(user)
record(frees, 1)
return 1
`;

/**
 * The admission step every instance runs on its timer. KEYS: the event's, then the platform's shopper-stay
 * history. ARGV: admissionTtlMs, abandonGraceMs, heartbeatMs, maxPerStep, the platform's recent shopper
 * stay in ms (0 when none is known), the shortest gap between two progress broadcasts in ms (admissions
 * themselves are told at once, one by one), how long the history is kept in seconds, the most progress
 * messages a second the room's broadcasts may send (0: no bound), how long an admitted user holding
 * nothing may stay silent before the slot goes to the next fan (0: until the admission lapses), how many
 * numbers given up a broadcast sends at most. Returns {broadcast, opened, served, waiting, active,
 * measuredRate, freed, dropped, peak, ratePerMinute, opensAt, free slots, open rate, turnover, closed (1 once
 * the sale has closed), the lowest numbers given up after the last admitted (comma-separated, only with a
 * broadcast), then user, number, waitedMs for each admitted user}.
 */
export const tickScript = `${prelude}
local ttl, grace, heartbeat, most = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local opened_now = open_if_due()
redis.call('HSET', state, 'ttl', ttl)

local freed = 0
for _, user in ipairs(redis.call('ZRANGEBYSCORE', active, '-inf', now, 'LIMIT', 0, 1000)) do
  leave(user)
  forget(user)
  freed = freed + 1
end
record(frees, freed)

-- An admitted shopper silent past the idle limit who holds nothing has left without saying so (a closed
-- tab): the slot goes to the next fan. A live hold keeps it (the hold's end frees it); such a shopper is
-- looked at again after another idle period.
local idle = tonumber(ARGV[9]) or 0
if idle > 0 then
  for _, user in ipairs(redis.call('ZRANGEBYSCORE', heard, '-inf', now - idle, 'LIMIT', 0, 1000)) do
    if not redis.call('ZSCORE', active, user) then
      redis.call('ZREM', heard, user)
    elseif free_slot(user) == 1 then
      freed = freed + 1
    else
      redis.call('ZADD', heard, now, user)
    end
  end
end

local dropped = 0
for _, user in ipairs(redis.call('ZRANGEBYSCORE', seen, '-inf', now - grace, 'LIMIT', 0, 1000)) do
  give_up(user)
  forget(user)
  dropped = dropped + 1
end

local admitted = {}
local opened = redis.call('HGET', state, 'opened') == '1'
-- Once the sale has closed nobody is admitted: an admission would lead to holds the sale refuses.
local closes = tonumber(redis.call('HGET', settings, 'closesAt'))
local closed = closes ~= nil and now >= closes
if opened and not closed then
  local rate = tonumber(redis.call('HGET', settings, 'ratePerMinute')) or 0
  local cap = tonumber(redis.call('HGET', settings, 'maxActive')) or 0
  -- Token bucket holding at most one second of admissions, so a pause is not made up in one burst.
  local burst = math.max(1, rate / 60)
  local tokens = tonumber(redis.call('HGET', state, 'tokens')) or 0
  local at = tonumber(redis.call('HGET', state, 'bucketAt')) or now
  tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 60000)
  local room = cap - redis.call('ZCARD', active)
  local n = math.min(math.floor(tokens), room, most)
  if n > 0 then
    local popped = redis.call('ZPOPMIN', line, n)
    for i = 1, #popped, 2 do
      local user, number = popped[i], popped[i + 1]
      local record = redis.call('HGET', users, user) or ''
      local joined = tonumber(string.match(record, ':(%d+)$')) or now
      redis.call('ZADD', active, now + ttl, user)
      redis.call('HSET', lapse, user, now + ttl)
      redis.call('ZADD', heard, now, user)
      redis.call('ZREM', seen, user)
      redis.call('HSET', state, 'served', number)
      admitted[#admitted + 1] = user
      admitted[#admitted + 1] = number
      admitted[#admitted + 1] = now - joined
    end
    tokens = tokens - #popped / 2
    -- Until the first shopper leaves, the room keeps how long ago its shoppers came in (the stay's floor).
    if (tonumber(redis.call('HGET', state, 'stays')) or 0) == 0 then
      local since_opening = now - (tonumber(redis.call('HGET', state, 'openedAt')) or now)
      redis.call('HINCRBY', state, 'admitted', #popped / 2)
      redis.call('HINCRBY', state, 'admittedMs', since_opening * #popped / 2)
    end
  end
  redis.call('HSET', state, 'tokens', tokens, 'bucketAt', now)
  record(admits, #admitted / 3)
end
-- Numbers the line has moved past count for nobody any more.
redis.call('ZREMRANGEBYSCORE', gone, '-inf', tonumber(redis.call('HGET', state, 'served')) or 0)
local admission_rate = measured(admits, true)
measured(frees, true)

local active_count = redis.call('ZCARD', active)
local peak = math.max(active_count, tonumber(redis.call('HGET', state, 'peak')) or 0)
redis.call('HSET', state, 'peak', peak)

-- Whichever instance steps, the room's progress goes out at most once per gap: a line that moves on every
-- step of every instance would otherwise send every waiter several copies a second. A broadcast is one
-- message to each waiter, so a long line's gap (and heartbeat) grows with it, keeping the room's pushes
-- within ARGV[8] messages a second. The opening draw goes out at once; a move within the gap goes out
-- with the first step after it.
local waiting = redis.call('ZCARD', line) + redis.call('ZCARD', pre)
local pushes = tonumber(ARGV[8]) or 0
local crowd = pushes > 0 and math.floor(waiting * 1000 / pushes) or 0
local gap = math.max(tonumber(ARGV[6]) or 0, crowd)
local quiet = math.max(heartbeat, crowd)
if #admitted > 0 or dropped > 0 or freed > 0 then redis.call('HSET', state, 'moved', '1') end
local broadcast = 0
local cast_at = tonumber(redis.call('HGET', state, 'castAt')) or 0
if opened_now or (redis.call('HGET', state, 'moved') == '1' and now - cast_at >= gap) then
  broadcast = 1
  redis.call('SET', beat, '1', 'PX', quiet)
elseif redis.call('SET', beat, '1', 'NX', 'PX', quiet) then
  broadcast = 1
end
if broadcast == 1 then redis.call('HSET', state, 'castAt', now, 'moved', '0') end

-- Once enough shoppers have left, the room's measure becomes the platform's history (KEYS after the
-- event's, kept ARGV[7] seconds), written by the one step that sees it change, whichever instance runs
-- it, in the same script as the mark that says it was written.
local stays = tonumber(redis.call('HGET', state, 'stays')) or 0
local stay_ms = tonumber(redis.call('HGET', state, 'stayMs')) or 0
if stays >= STAYS_FOR_HISTORY and redis.call('HGET', state, 'historyStayMs') ~= tostring(stay_ms) then
  redis.call('HSET', state, 'historyStayMs', stay_ms)
  redis.call('SET', KEYS[#KEYS], math.floor(stay_ms / stays + 0.5), 'EX', tonumber(ARGV[7]))
end

local p = pace(tonumber(ARGV[5]))
local result = {
  broadcast, opened and 1 or 0, tonumber(redis.call('HGET', state, 'served')) or 0,
  waiting, active_count,
  tostring(admission_rate), freed, dropped, peak,
  redis.call('HGET', settings, 'ratePerMinute') or '0', redis.call('HGET', settings, 'opensAt') or '0',
  p[1], p[2], p[3], closed and 1 or 0,
  broadcast == 1 and table.concat(redis.call('ZRANGE', gone, 0, tonumber(ARGV[10]) - 1), ',') or '',
}
for _, value in ipairs(admitted) do result[#result + 1] = value end
return result
`;

/**
 * Applies a catalogue event to the settings projection unless a newer one was applied already
 * (events may arrive twice or out of order). KEYS: settings, set of events with a live waiting room.
 * ARGV: eventId, stamp (ms), status, then enabled, ratePerMinute, maxActive, opensAt, closesAt (absent
 * for a cancellation). Returns 1 when applied.
 */
export const settingsScript = `
local settings, live = KEYS[1], KEYS[2]
local stamp = tonumber(ARGV[2])
local current = tonumber(redis.call('HGET', settings, 'stamp'))
if current and stamp < current then return 0 end
redis.call('HSET', settings, 'stamp', stamp, 'status', ARGV[3])
if ARGV[4] then
  redis.call('HSET', settings, 'enabled', ARGV[4], 'ratePerMinute', ARGV[5], 'maxActive', ARGV[6],
    'opensAt', ARGV[7], 'closesAt', ARGV[8])
end
local status = ARGV[3]
if redis.call('HGET', settings, 'enabled') == '1' and (status == 'published' or status == 'on_sale') then
  redis.call('SADD', live, ARGV[1])
else
  redis.call('SREM', live, ARGV[1])
end
return 1
`;
