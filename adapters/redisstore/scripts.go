package redisstore

import "github.com/redis/go-redis/v9"

// The Lua scripts below are what makes a write atomic: Redis runs a script
// to the end before any other command, so a user's record, the due index
// and the lease index never disagree, whichever replica calls. Every time
// they judge (due, leased, expired) comes from Redis TIME inside the
// script, never from a replica's clock. The scripts know no field of a
// record: Go decodes it, runs the caller's function and hands the script
// the new value and the index changes bot.Reindex computed.
//
// Every key a script touches is in its KEYS but for the records ClaimDue
// finds through the index, which it derives from the shard prefix: every
// key of a shard carries the hash tag {c<s>}, so Redis Cluster runs each
// script on the one node that holds the shard.
//
// A claim is fenced by its entry in the lease index: the entry's score is
// the lease deadline in ms times FENCE plus a nonce below FENCE, and the
// claim's token ends in that score. Settle finds the claim held only while
// the member's score is still the token's and the deadline (by TIME) has
// not passed; a write that moves the reminder's slot, and Forget, remove
// the entry, and a new claim writes a new score.

// prelude is shared by the scripts that write records.
const prelude = `
local FENCE = 1024

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- rev returns the revision of a stored record ('' for none).
local function rev(v)
  if not v then return '' end
  return string.match(v, '^[^:]*')
end

-- fenced reports whether the lease of member m still has the score (from
-- the claim's token) and has not run out at now.
local function fenced(lease, m, score, now)
  local want = tonumber(score)
  local got = tonumber(redis.call('ZSCORE', lease, m))
  return want ~= nil and got == want and math.floor(want / FENCE) > now
end

-- reindex applies Go's bot.Reindex from ARGV[i]: the number of members
-- that leave both indexes, those members, the number that enter the due
-- index, (score, member) pairs. It returns the index after them.
local function reindex(due, lease, i)
  local n = tonumber(ARGV[i])
  if n > 0 then
    redis.call('ZREM', due, unpack(ARGV, i + 1, i + n))
    redis.call('ZREM', lease, unpack(ARGV, i + 1, i + n))
  end
  i = i + 1 + n
  n = tonumber(ARGV[i])
  if n > 0 then redis.call('ZADD', due, unpack(ARGV, i + 1, i + 2 * n)) end
  return i + 1 + 2 * n
end
`

// casScript is UpdateUser's write: fn is Go code, so it runs between the
// read and this check. KEYS: record, due, lease. ARGV: the revision read,
// the new value, then the index changes (reindex). It returns 1 when it
// wrote, or found its own value (the call was sent again after a lost
// reply: fn must not be applied twice), and 0 when the record changed
// since it was read.
var casScript = redis.NewScript(prelude + `
local cur = redis.call('GET', KEYS[1])
if rev(cur) ~= ARGV[1] then
  if cur == ARGV[2] then return 1 end
  return 0
end
redis.call('SET', KEYS[1], ARGV[2])
reindex(KEYS[2], KEYS[3], 3)
return 1
`)

// settleScript finishes a claim. KEYS: record, due, lease. ARGV: the
// revision read, the claim's member and lease score (from its token), then
// for held and then for not held: a mode ("w" write, "n" nothing to write,
// "e" fn failed: write nothing), the value, the index changes. It returns
// "held" or "stale" (the branch that applied), "gone" for a record that no
// longer exists (nothing is written), or "retry" when the record changed
// since it was read. A call sent again after a lost reply finds its own
// value and answers as the first time.
var settleScript = redis.NewScript(prelude + `
local cur = redis.call('GET', KEYS[1])
if not cur then return 'gone' end
local function skip(i)
  i = i + 1 + tonumber(ARGV[i])
  return i + 1 + 2 * tonumber(ARGV[i])
end
local hmode, hval = ARGV[4], ARGV[5]
local n = skip(6)
local nmode, nval = ARGV[n], ARGV[n + 1]
if rev(cur) ~= ARGV[1] then
  if hmode == 'w' and cur == hval then return 'held' end
  if nmode == 'w' and cur == nval then return 'stale' end
  return 'retry'
end
if fenced(KEYS[3], ARGV[2], ARGV[3], now_ms()) then
  if hmode == 'w' then
    redis.call('SET', KEYS[1], hval)
    reindex(KEYS[2], KEYS[3], 6)
  end
  return 'held'
end
if nmode == 'w' then
  redis.call('SET', KEYS[1], nval)
  reindex(KEYS[2], KEYS[3], n + 2)
end
return 'stale'
`)

// forgetScript deletes a user. KEYS: record, due, lease, dead list, the
// user's command bucket. ARGV: the revision read, the short id, the
// members of every kind the user may have. It returns 0, writing nothing,
// when the record changed since it was read.
var forgetScript = redis.NewScript(prelude + `
if rev(redis.call('GET', KEYS[1])) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[5])
redis.call('ZREM', KEYS[2], unpack(ARGV, 3))
redis.call('ZREM', KEYS[3], unpack(ARGV, 3))
local pre = ARGV[2] .. '\0'
for _, e in ipairs(redis.call('LRANGE', KEYS[4], 0, -1)) do
  if string.sub(e, 1, #pre) == pre then redis.call('LREM', KEYS[4], 0, e) end
end
return 1
`)

// claimScript leases up to ARGV[2] reminders of one shard that are due, or
// whose lease ran out, earliest first. KEYS: due, lease. ARGV: prefix,
// limit, lease ms, nonce (0 to FENCE-1). It returns now, the lease
// deadline, and for each claim its member, its slot (ms) and its user's
// record; the n-th claim's lease score is deadline × FENCE + (nonce + n)
// mod FENCE, from which ClaimDue makes its token. An entry whose user has
// no record (left by a bug or a hand edit) is dropped, not claimed.
var claimScript = redis.NewScript(prelude + `
local PRE, limit, nonce = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[4])
local now = now_ms()
local deadline = now + tonumber(ARGV[3])
local out = {string.format('%d', now), string.format('%d', deadline)}
local n, seen = 0, {}
-- Each round takes what it looks at out of the way (claimed: leased
-- until a later deadline; no record: removed), so the next finds more.
while n < limit do
  local cands = {}
  local due = redis.call('ZRANGE', KEYS[1], '-inf', now, 'BYSCORE', 'LIMIT', 0, limit - n, 'WITHSCORES')
  for i = 1, #due, 2 do cands[#cands + 1] = {due[i], tonumber(due[i + 1])} end
  local lapsed = redis.call('ZRANGE', KEYS[2], '-inf', now * FENCE + FENCE - 1, 'BYSCORE', 'LIMIT', 0, limit - n, 'WITHSCORES')
  for i = 1, #lapsed, 2 do cands[#cands + 1] = {lapsed[i], math.floor(tonumber(lapsed[i + 1]) / FENCE)} end
  if #cands == 0 then break end
  table.sort(cands, function(a, b)
    if a[2] ~= b[2] then return a[2] < b[2] end
    return a[1] < b[1]
  end)
  local leased, claimed, gone = {}, {}, {}
  for _, c in ipairs(cands) do
    if n >= limit then break end
    local m = c[1]
    if not seen[m] then
      seen[m] = true
      local sep = string.find(m, '\0', 1, true)
      local v = sep and redis.call('GET', PRE .. 'r:' .. string.sub(m, 1, sep - 1))
      if v then
        n = n + 1
        claimed[#claimed + 1] = m
        leased[#leased + 1] = deadline * FENCE + (nonce + n) % FENCE
        leased[#leased + 1] = m
        out[#out + 1] = m
        out[#out + 1] = string.format('%d', c[2])
        out[#out + 1] = v
      else
        gone[#gone + 1] = m
      end
    end
  end
  if #gone > 0 then
    redis.call('ZREM', KEYS[1], unpack(gone))
    redis.call('ZREM', KEYS[2], unpack(gone))
  end
  if #claimed > 0 then
    redis.call('ZREM', KEYS[1], unpack(claimed))
    redis.call('ZADD', KEYS[2], unpack(leased))
  end
end
return out
`)

// releaseScript gives claims back. KEYS: due, lease. ARGV: (member, lease
// score, slot ms)*; a claim whose lease still has the score leaves the
// lease index and, unless its slot is "" (an entry its record does not
// vouch for, dropped), enters the due index at its slot. It returns how
// many it gave back or dropped.
var releaseScript = redis.NewScript(`
local n = 0
for i = 1, #ARGV, 3 do
  local m = ARGV[i]
  if tonumber(redis.call('ZSCORE', KEYS[2], m)) == tonumber(ARGV[i + 1]) then
    redis.call('ZREM', KEYS[2], m)
    if ARGV[i + 2] ~= '' then redis.call('ZADD', KEYS[1], ARGV[i + 2], m) end
    n = n + 1
  end
end
return n
`)

// repairScript puts one index entry right (Reconcile). KEYS: record, due,
// lease. ARGV: the revision read, the member, its slot in ms ("" for
// none). An entry that should not exist goes from both indexes; one that
// should is, while claimed, only in the lease index, else in the due
// index at its slot. Nothing is done if the record changed since it was read: the
// write that changed it set the index. It returns 1 if it changed
// anything.
var repairScript = redis.NewScript(prelude + `
if rev(redis.call('GET', KEYS[1])) ~= ARGV[1] then return 0 end
local m, at = ARGV[2], ARGV[3]
if at == '' then
  if redis.call('ZREM', KEYS[2], m) + redis.call('ZREM', KEYS[3], m) > 0 then return 1 end
  return 0
end
if redis.call('ZSCORE', KEYS[3], m) then return redis.call('ZREM', KEYS[2], m) end
if tonumber(redis.call('ZSCORE', KEYS[2], m)) == tonumber(at) then return 0 end
redis.call('ZADD', KEYS[2], at, m)
return 1
`)

// gcra is the generic cell rate algorithm on the bucket key b, in Unix µs
// on Redis TIME: the key holds the bucket's theoretical arrival time (TAT);
// an event is allowed while the TAT is at most the tolerance ((burst-1)
// intervals) ahead of now, and pushes it on by one interval. The key
// expires when the TAT passes: the bucket is full again then, which is
// what a missing key means. It returns 1, 0 when allowed, else 0 and the
// µs until it would be.
const gcra = `
local function gcra(b, interval, tolerance)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local tat = tonumber(redis.call('GET', b) or 0) or 0
  if tat < now then tat = now end
  local wait = tat - tolerance - now
  if wait > 0 then return 0, wait end
  tat = tat + interval
  -- %d, not tostring: a Lua number as a string keeps only 14 digits.
  redis.call('SET', b, string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000))
  return 1, 0
end
`

// allowScript is Allow (bot.Limiter). KEYS: the bucket. ARGV: the
// interval and the tolerance in µs. It returns {1, 0} when allowed, else
// {0, µs until it would be}.
var allowScript = redis.NewScript(gcra + `
local ok, wait = gcra(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
return {ok, wait}
`)

// gateScript is Admit (bot.UserGate). KEYS: the user's bucket, record
// and, when the request has a replay key, its seen key. ARGV: as
// allowScript, then the seen key's value (unique to the call) and ttl in
// ms. A seen key that holds another value is a replay: it returns {-1}
// and takes nothing. Else it returns {ok, wait, record or nil}. A call
// that go-redis resends after a lost reply finds its own value and goes
// on as the first did.
var gateScript = redis.NewScript(gcra + `
if KEYS[3] then
  local v = redis.call('GET', KEYS[3])
  if v and v ~= ARGV[3] then return {-1} end
  if not v then redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[4]) end
end
local ok, wait = gcra(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
return {ok, wait, redis.call('GET', KEYS[2])}
`)

// seenScript records a key unless it is there (bot.Deduper). KEYS: the
// key. ARGV: a value unique to the call, the ttl in ms. It returns 1 when
// the key was new or holds this call's value (the call was resent), else
// 0.
var seenScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then
  if v == ARGV[1] then return 1 end
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`)
