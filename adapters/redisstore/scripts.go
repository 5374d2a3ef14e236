package redisstore

import "github.com/redis/go-redis/v9"

// The Lua scripts below are what makes a claim, an ack or a change to a
// reminder atomic: Redis runs a script to the end before any other command,
// so the reminder's fields in the user's hash, the due index and the lease
// index never disagree, whichever replica calls. Every time they judge
// (due, leased, expired) comes from Redis TIME inside the script, never
// from a replica's clock.
//
// Every script but cas gets ARGV[1] = the shard prefix "{c<s>}:" and KEYS
// starting with the shard's due and lease keys, so it is routed to the node
// that holds the shard. Keys it finds through data (the hash of a user named
// by an index member, the bucket named by a reminder's spec or state) are
// derived from the same prefix, so they share the hash tag and the slot:
// Redis Cluster runs such a script on one node. See doc.go for the layout.
//
// A claim is fenced by its entry in the lease index, not by anything in the
// user's hash: the entry's score is the lease deadline in ms times FENCE
// plus a nonce below FENCE, and the claim's token ends in that score. Ack
// and retry succeed only while the member's score is still the token's and
// the deadline (by TIME) has not passed; put, delete and forget remove the
// entry, and a new claim writes a new score (a later deadline, or the same
// millisecond with another nonce). Claiming therefore writes nothing to the
// user's hash, which is what makes it cheap.

// prelude is shared by the scripts that work on reminders. The scripts are
// on the hot path of delivery (a claim and an ack per reminder), and in
// Redis every redis.call and every string conversion costs a microsecond or
// two, so they are written to make few: buckets are named by the same
// base-62 string the reminder's spec holds (no conversion to find one), a
// bucket is entered in the due index only when its list is new, and claims
// and acks write the lease index and the buckets once per call, not once
// per reminder.
const prelude = `
local PRE = ARGV[1]
local DUE = PRE .. 'due'
local LEASE = PRE .. 'lease'
local FENCE = 1024          -- lease score = deadline ms * FENCE + nonce
local MARKER_TTL = 86400000 -- an acked occurrence is remembered 24 hours
local MARKERS_KEPT = 4      -- and at most the last four of each kind

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- d62 reads a base-62 number (Go's b62: 0-9, A-Z, a-z), or returns nil.
local function d62(s)
  if not s or s == '' then return nil end
  local n = 0
  for i = 1, #s do
    local c = string.byte(s, i)
    if c >= 48 and c <= 57 then n = n * 62 + c - 48
    elseif c >= 65 and c <= 90 then n = n * 62 + c - 55
    elseif c >= 97 and c <= 122 then n = n * 62 + c - 61
    else return nil end
  end
  return n
end

-- load returns the reminder of kind k in the hash ukey, or nil: its spec,
-- state field (st), attempts ('' for none), markers, and the due bucket it
-- waits in (p = 'b', pos = base-62 ms) or p = '-' (none: paused). Without
-- a state field it waits in the bucket of next, the spec's first item.
-- Whether it is claimed is not here but in the lease index.
local function load(ukey, k)
  local v = redis.call('HMGET', ukey, 'r' .. k, 's' .. k, 'm' .. k)
  if not v[1] then return nil end
  local r = {spec = v[1], st = v[2], att = '', mk = v[3] or ''}
  local pos
  if v[2] then pos, r.att = string.match(v[2], '^([^|]*)|?(.*)$') end
  if pos then
    r.p, r.pos = string.sub(pos, 1, 1), string.sub(pos, 2)
  else
    r.p, r.pos = 'b', string.match(v[1], '^[^|]*')
  end
  if r.p ~= 'b' or r.pos == '' then r.p = '-' end
  return r
end

-- fenced reports whether the lease of member m still has the score (from
-- the claim's token) and has not run out at now.
local function fenced(m, score, now)
  local want = tonumber(score)
  local got = tonumber(redis.call('ZSCORE', LEASE, m))
  return want ~= nil and got == want and math.floor(want / FENCE) > now
end

local function bucket(pos) return PRE .. 'b:' .. pos end

-- index_at enters member m in the bucket pos (base-62 ms) whose time in
-- ms is score; score may be nil, then it is read from pos.
local function index_at(pos, score, m)
  if redis.call('RPUSH', bucket(pos), m) == 1 then
    redis.call('ZADD', DUE, score or d62(pos), pos)
  end
end

-- unindex takes member m out of its bucket and out of the lease index.
local function unindex(r, m)
  if r.p == 'b' then
    local bk = bucket(r.pos)
    redis.call('LREM', bk, 1, m)
    if redis.call('EXISTS', bk) == 0 then redis.call('ZREM', DUE, r.pos) end
  end
  redis.call('ZREM', LEASE, m)
end

-- drop removes the fields of reminder k but its markers.
local function drop(ukey, k)
  redis.call('HDEL', ukey, 'r' .. k, 's' .. k)
  if redis.call('HDEL', ukey, 'p' .. k) == 1 then
    local chunk = 'p' .. k .. '~'
    for _, f in ipairs(redis.call('HKEYS', ukey)) do
      if string.sub(f, 1, #chunk) == chunk then redis.call('HDEL', ukey, f) end
    end
  end
end

-- e62 writes n >= 0 in base 62, as Go's b62 does.
local DIGITS62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
local function e62(n)
  local s = ''
  repeat
    local d = n % 62
    s = string.sub(DIGITS62, d + 1, d + 1) .. s
    n = (n - d) / 62
  until n == 0
  return s
end

-- markers returns the marker field mk with the occurrence due (base-62 ms)
-- added, expired ones dropped and only the last few kept.
local cutoff
local function markers(mk, due, now)
  if mk == '' or mk == due then return due end
  if #mk == #due and not string.find(mk, ',', 1, true) then
    -- The common case, one marker of the same width: in base 62 of one
    -- width the string order is the number order, so no parsing.
    cutoff = cutoff or e62(now - MARKER_TTL)
    if #cutoff == #mk and mk <= cutoff then return due end
    if #cutoff == #mk then return mk .. ',' .. due end
  end
  local keep = {}
  for m in string.gmatch(mk, '[^,]+') do
    local ms = d62(m)
    if m ~= due and ms and ms > now - MARKER_TTL then keep[#keep + 1] = m end
  end
  keep[#keep + 1] = due
  while #keep > MARKERS_KEPT do table.remove(keep, 1) end
  return table.concat(keep, ',')
end

-- tidy lets a hash that holds nothing but markers (no user record, no
-- reminder) expire with them, so that it does not outlive its purpose.
local function tidy(ukey)
  local any = false
  for _, f in ipairs(redis.call('HKEYS', ukey)) do
    local c = string.sub(f, 1, 1)
    if c == 'u' or c == 'r' then return end
    any = true
  end
  if any then redis.call('PEXPIRE', ukey, MARKER_TTL) end
end

-- member_key splits an index member into the user's hash and kind code.
local function member_key(m)
  local sep = string.find(m, '\0', 1, true)
  if not sep then return nil end
  return PRE .. 'u:' .. string.sub(m, 1, sep - 1), string.sub(m, sep + 1)
end
`

// putScript replaces a reminder. KEYS: due, lease, user hash[, new
// bucket]. ARGV: prefix, kind code, member, bucket ("" when paused), its
// time in ms, field, value, ... The old reminder leaves its bucket and the
// lease index, so a claim on it is stale.
var putScript = redis.NewScript(prelude + `
local ukey, k, m, at, score = KEYS[3], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local old = load(ukey, k)
if old then unindex(old, m) end
drop(ukey, k)
redis.call('HSET', ukey, unpack(ARGV, 6))
redis.call('PERSIST', ukey)
if at ~= '' then index_at(at, score, m) end
return 1
`)

// deleteScript removes a reminder. KEYS: due, lease, user hash. ARGV:
// prefix, kind code, member. It returns 0 if there was none.
var deleteScript = redis.NewScript(prelude + `
local ukey, k, m = KEYS[3], ARGV[2], ARGV[3]
local old = load(ukey, k)
if not old then return 0 end
unindex(old, m)
drop(ukey, k)
tidy(ukey)
return 1
`)

// claimScript leases up to ARGV[2] reminders of one shard that are due, or
// whose lease ran out, earliest first. KEYS: due, lease. ARGV: prefix,
// limit, lease ms, nonce (0 to FENCE-1). It returns now, the lease
// deadline, and for each claim: member, spec, attempts, markers. The n-th
// claim's lease score is deadline × FENCE + (nonce + n) mod FENCE, from
// which ClaimDue makes its token.
//
// A bucket entry that its reminder does not vouch for (left by a bug or a
// hand edit) is dropped rather than claimed, so it can neither deliver a
// reminder twice nor block the shard.
var claimScript = redis.NewScript(prelude + `
local limit, leasems, nonce = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local now = now_ms()
local deadline = now + leasems
local base = deadline * FENCE
local out = {string.format('%d', now), string.format('%d', deadline)}
local leased = {}
local n = 0

-- claim leases m with the reminder fields v (spec, state, markers): at
-- once (an expired lease taken over, so that the loop below does not meet
-- it again) or with the batch.
local function claim(m, v, at_once)
  n = n + 1
  local score = base + (nonce + n) % FENCE
  if at_once then
    redis.call('ZADD', LEASE, score, m)
  else
    leased[#leased + 1] = score
    leased[#leased + 1] = m
    if #leased >= 2000 then -- unpack has a limit
      redis.call('ZADD', LEASE, unpack(leased))
      leased = {}
    end
  end
  local att = ''
  if v[2] then att = string.match(v[2], '|(.*)$') or '' end
  out[#out + 1] = m
  out[#out + 1] = v[1]
  out[#out + 1] = att
  out[#out + 1] = v[3] or ''
end

local function fields(m)
  local ukey, k = member_key(m)
  if not ukey then return nil end
  local v = redis.call('HMGET', ukey, 'r' .. k, 's' .. k, 'm' .. k)
  if not v[1] then return nil end
  return v
end

while n < limit do
  local b = redis.call('ZRANGE', DUE, 0, 0, 'WITHSCORES')
  local l = redis.call('ZRANGE', LEASE, 0, 0, 'WITHSCORES')
  local bs, ls = tonumber(b[2]), tonumber(l[2])
  if ls then ls = math.floor(ls / FENCE) end
  if bs and bs > now then bs = nil end
  if ls and ls > now then ls = nil end
  if not bs and not ls then break end
  if bs and (not ls or bs <= ls) then
    local pos = b[1]
    local bk = bucket(pos)
    local ms = redis.call('LPOP', bk, limit - n)
    if redis.call('EXISTS', bk) == 0 then redis.call('ZREM', DUE, pos) end
    local state = 'b' .. pos .. '|'
    local spec = pos .. '|'
    for _, m in ipairs(ms or {}) do
      -- Claim it if its reminder waits in this bucket: the state says so,
      -- or there is no state and the spec's next is this bucket.
      local v = fields(m)
      if v and (v[2] and string.find(v[2], state, 1, true) == 1
          or not v[2] and (v[1] == pos or string.find(v[1], spec, 1, true) == 1)) then
        claim(m, v, false)
      end
    end
  else
    local ms = redis.call('ZRANGE', LEASE, '-inf', now * FENCE + FENCE - 1, 'BYSCORE', 'LIMIT', 0, limit - n)
    for _, m in ipairs(ms) do
      local v = fields(m)
      if v and not (v[2] and string.sub(v[2], 1, 1) == '-') then claim(m, v, true) else redis.call('ZREM', LEASE, m) end
    end
  end
end
if #leased > 0 then redis.call('ZADD', LEASE, unpack(leased)) end
return out
`)

// ackScript finishes occurrences: any number of acks of one shard, so
// that acks made together cost one script call (ackBatcher). KEYS: due,
// lease, then per ack the user hash and the bucket of next (the hash again
// when next is not indexed). ARGV: prefix, then per ack: kind code,
// member, lease score (from the token), base-62 due time, bucket of next
// or "", its time in ms,
// the number of next's fields, and those field, value pairs (none: delete
// the reminder). It returns per ack 1, or 0 for a stale claim.
//
// The marker is recorded whether or not the lease still holds (a late
// holder did deliver), but only in a hash that exists: a user forgotten
// meanwhile gets nothing written. The lease index and the buckets are
// written once at the end, which is safe because no ack in the batch reads
// them for another member.
var ackScript = redis.NewScript(prelude + `
local now = now_ms()
local out = {}
local released = {}
local pushes, order = {}, {}
local a = 2
local j = 0
while a <= #ARGV do
  j = j + 1
  local ukey = KEYS[1 + 2 * j]
  local k, m, lease, due, at, score = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5]
  local nf = tonumber(ARGV[a + 6])
  local first = a + 7
  a = first + 2 * nf
  local r = load(ukey, k)
  if not r or not fenced(m, lease, now) then
    if r or redis.call('EXISTS', ukey) == 1 then
      local mk = r and r.mk or redis.call('HGET', ukey, 'm' .. k) or ''
      redis.call('HSET', ukey, 'm' .. k, markers(mk, due, now))
      tidy(ukey)
    end
    out[j] = 0
  else
    released[#released + 1] = m
    if nf > 0 then
      -- A leased reminder has no pause fields, and next brings its own
      -- state field when it needs one.
      if r.st then redis.call('HDEL', ukey, 's' .. k) end
      redis.call('HSET', ukey, 'm' .. k, markers(r.mk, due, now), unpack(ARGV, first, a - 1))
      if at ~= '' then
        local p = pushes[at]
        if not p then
          p = {score = score}
          pushes[at] = p
          order[#order + 1] = at
        end
        p[#p + 1] = m
      end
    else
      redis.call('HDEL', ukey, 'r' .. k, 's' .. k)
      redis.call('HSET', ukey, 'm' .. k, markers(r.mk, due, now))
      tidy(ukey)
    end
    out[j] = 1
  end
end
if #released > 0 then redis.call('ZREM', LEASE, unpack(released)) end
for _, at in ipairs(order) do
  local p = pushes[at]
  if redis.call('RPUSH', bucket(at), unpack(p)) == #p then
    redis.call('ZADD', DUE, p.score, at)
  end
end
return out
`)

// retryScript gives a claim back to be claimed at a later time with one
// more attempt. KEYS: due, lease, user hash, bucket. ARGV: prefix, kind
// code, member, lease score (from the token), bucket, its time in ms. The spec (and so Next, the
// occurrence) is left as it is. It returns 0 for a stale claim.
var retryScript = redis.NewScript(prelude + `
local ukey, k, m, lease, at, score = KEYS[3], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local now = now_ms()
local r = load(ukey, k)
if not r or not fenced(m, lease, now) then return 0 end
redis.call('ZREM', LEASE, m)
redis.call('HSET', ukey, 's' .. k, 'b' .. at .. '|' .. ((tonumber(r.att) or 0) + 1))
index_at(at, score, m)
return 1
`)

// forgetScript deletes a user: every reminder leaves its bucket and the
// lease index, then the hash (record, reminders, markers) goes, and so do
// the user's entries in the shard's dead list. KEYS: due, lease, user hash,
// dead list. ARGV: prefix, short user id.
var forgetScript = redis.NewScript(prelude + `
local ukey, uid, dead = KEYS[3], ARGV[2], KEYS[4]
local pre = uid .. '\0'
for _, e in ipairs(redis.call('LRANGE', dead, 0, -1)) do
  if string.sub(e, 1, #pre) == pre then redis.call('LREM', dead, 0, e) end
end
for _, f in ipairs(redis.call('HKEYS', ukey)) do
  if string.sub(f, 1, 1) == 'r' then
    local k = string.sub(f, 2)
    local r = load(ukey, k)
    if r then unindex(r, uid .. '\0' .. k) end
  end
end
redis.call('DEL', ukey)
return 1
`)

// casScript writes a user record if nobody changed it since it was read:
// UpdateUser's fn is Go code, so it runs between a read and this check.
// KEYS: user hash, write key. ARGV: n, then n field/value pairs as read
// (every user field, those starting with 'u'), then the new pairs. It
// returns 1 when it wrote, 0 when the record changed (read again and retry)
// and 2 when the write key exists: this very write already happened and
// go-redis sent the script again because the first reply was lost, so fn
// must not be applied a second time. The write key is named by a random id
// per attempt and lives 5 seconds: go-redis resends within the same call,
// which callTimeout ends after 2.
var casScript = redis.NewScript(`
local ukey, wkey = KEYS[1], KEYS[2]
if redis.call('EXISTS', wkey) == 1 then return 2 end
local nold = tonumber(ARGV[1])
local cur, ncur = {}, 0
local all = redis.call('HGETALL', ukey)
for i = 1, #all, 2 do
  if string.sub(all[i], 1, 1) == 'u' then
    cur[all[i]] = all[i + 1]
    ncur = ncur + 1
  end
end
local last = 1 + 2 * nold
for i = 2, last, 2 do
  if cur[ARGV[i]] ~= ARGV[i + 1] then return 0 end
end
if nold ~= ncur then return 0 end
local new = {}
for i = last + 1, #ARGV, 2 do new[ARGV[i]] = true end
for f in pairs(cur) do
  if not new[f] then redis.call('HDEL', ukey, f) end
end
redis.call('HSET', ukey, unpack(ARGV, last + 1))
redis.call('PERSIST', ukey)
redis.call('SET', wkey, '1', 'PX', 5000)
return 1
`)

// reindexScript puts one reminder back where it belongs (Reconcile found
// it missing, doubled or in two places): a claimed one only in the lease
// index, any other once in its bucket. KEYS: due, lease, user hash. ARGV:
// prefix, kind code, member. It returns 1 if it changed anything.
var reindexScript = redis.NewScript(prelude + `
local ukey, k, m = KEYS[3], ARGV[2], ARGV[3]
local r = load(ukey, k)
if not r or r.p ~= 'b' then return 0 end
local bk = bucket(r.pos)
local pos = redis.call('LPOS', bk, m, 'COUNT', 0)
local fixed = 0
if redis.call('ZSCORE', LEASE, m) then
  if #pos > 0 then
    redis.call('LREM', bk, 0, m)
    if redis.call('EXISTS', bk) == 0 then redis.call('ZREM', DUE, r.pos) end
    fixed = 1
  end
  return fixed
end
if #pos == 0 then
  redis.call('RPUSH', bk, m)
  fixed = 1
elseif #pos > 1 then
  redis.call('LREM', bk, 1 - #pos, m)
  fixed = 1
end
if not redis.call('ZSCORE', DUE, r.pos) then
  redis.call('ZADD', DUE, d62(r.pos), r.pos)
  fixed = 1
end
return fixed
`)

// orphanScript removes an index entry that no reminder vouches for.
// KEYS: due, lease. ARGV: prefix, member, 'b' or 'l', the bucket (for
// 'b'). A bucket entry is vouched for by a reminder that waits in that
// bucket and is not claimed; a lease entry by a reminder that is not
// paused. It returns 1 if it removed something.
var orphanScript = redis.NewScript(prelude + `
local m, p, pos = ARGV[2], ARGV[3], ARGV[4]
local ukey, k = member_key(m)
local r = ukey and load(ukey, k)
if p == 'l' then
  if r and r.p ~= '-' then return 0 end
  return redis.call('ZREM', LEASE, m)
end
if r and r.p == 'b' and r.pos == pos and not redis.call('ZSCORE', LEASE, m) then return 0 end
local bk = bucket(pos)
local n = redis.call('LREM', bk, 0, m)
if redis.call('EXISTS', bk) == 0 then redis.call('ZREM', DUE, pos) end
if n > 0 then return 1 end
return 0
`)

// bucketScript makes the due index agree with one bucket list: a list
// that exists is entered, an entry whose list is gone is removed. KEYS:
// due, lease. ARGV: prefix, bucket. It returns 1 if it changed anything.
var bucketScript = redis.NewScript(prelude + `
local pos = ARGV[2]
local exists = redis.call('EXISTS', bucket(pos)) == 1
local indexed = redis.call('ZSCORE', DUE, pos)
if exists and not indexed then
  local ms = d62(pos)
  if not ms then return 0 end
  redis.call('ZADD', DUE, ms, pos)
  return 1
end
if indexed and not exists then
  redis.call('ZREM', DUE, pos)
  return 1
end
return 0
`)

// layoutScript records the layout version and shard count on first use
// and returns what is recorded. KEYS: the meta hash. ARGV: version, shards.
var layoutScript = redis.NewScript(`
redis.call('HSETNX', KEYS[1], 'version', ARGV[1])
redis.call('HSETNX', KEYS[1], 'shards', ARGV[2])
return redis.call('HMGET', KEYS[1], 'version', 'shards')
`)
