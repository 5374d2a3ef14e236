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
// by an index member, the bucket named by a reminder's state) are derived
// from the same prefix, so they share the hash tag and the slot: Redis
// Cluster runs such a script on one node. See doc.go for the layout.

// prelude is shared by the scripts that work on reminders.
const prelude = `
local PRE = ARGV[1]
local DUE = PRE .. 'due'
local LEASE = PRE .. 'lease'
local MARKER_TTL = 86400000 -- an acked occurrence is remembered 24 hours
local MARKERS_KEPT = 4       -- and at most the last four of each kind

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function fmt(n) return string.format('%d', n) end

-- d62 reads a base-62 number (Go's b62), or returns nil.
local DIGITS62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
local function d62(s)
  if not s or s == '' then return nil end
  local n = 0
  for i = 1, #s do
    local d = string.find(DIGITS62, string.sub(s, i, i), 1, true)
    if not d then return nil end
    n = n * 62 + d - 1
  end
  return n
end

-- load returns the reminder of kind k in the hash ukey, or nil: its spec,
-- attempts ('' for none), claim token, markers, and where it is indexed:
-- p = 'b' (the due bucket ms), 'l' (the lease index, until ms) or '-'
-- (nowhere: paused). No state field means the bucket of the spec's next.
local function load(ukey, k)
  local v = redis.call('HMGET', ukey, 'r' .. k, 's' .. k, 'm' .. k)
  if not v[1] then return nil end
  local r = {spec = v[1], att = '', tok = '', mk = v[3] or ''}
  if not v[2] then
    r.p, r.ms = 'b', d62(string.match(v[1], '^[^|]*'))
  else
    local pos, att, tok = string.match(v[2], '^([^|]*)|([^|]*)|(.*)$')
    pos = pos or '-'
    r.p, r.ms, r.att, r.tok = string.sub(pos, 1, 1), tonumber(string.sub(pos, 2)), att or '', tok or ''
  end
  if r.p ~= 'b' and r.p ~= 'l' or not r.ms then r.p = '-' end
  return r
end

local function bucket(ms) return PRE .. 'b:' .. fmt(ms) end

local function index_at(ms, m)
  redis.call('RPUSH', bucket(ms), m)
  redis.call('ZADD', DUE, fmt(ms), fmt(ms))
end

local function unindex(r, m)
  if r.p == 'b' then
    local bk = bucket(r.ms)
    redis.call('LREM', bk, 1, m)
    if redis.call('EXISTS', bk) == 0 then redis.call('ZREM', DUE, fmt(r.ms)) end
  elseif r.p == 'l' then
    redis.call('ZREM', LEASE, m)
  end
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

-- markers returns the marker field of kind k with the occurrence d62 added,
-- expired ones dropped and only the last few kept.
local function markers(mk, d62id, now)
  local keep = {}
  for m in string.gmatch(mk, '[^,]+') do
    local ms = d62(m)
    if m ~= d62id and ms and ms > now - MARKER_TTL then keep[#keep + 1] = m end
  end
  keep[#keep + 1] = d62id
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
`

// putScript replaces a reminder. KEYS: due, lease, user hash[, new
// bucket]. ARGV: prefix, kind code, member, bucket ms or "" (paused),
// field, value, ... Whatever index held the old reminder lets go of it, so
// a claim on it finds its token gone and is stale.
var putScript = redis.NewScript(prelude + `
local ukey, k, m, at = KEYS[3], ARGV[2], ARGV[3], ARGV[4]
local old = load(ukey, k)
if old then unindex(old, m) end
drop(ukey, k)
redis.call('HSET', ukey, unpack(ARGV, 5))
redis.call('PERSIST', ukey)
if at ~= '' then index_at(tonumber(at), m) end
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
// limit, lease ms, token prefix. It returns now, the lease deadline, and
// for each claim: member, spec, attempts, token, markers.
//
// An index entry that its reminder's state does not vouch for (left by a
// bug or a hand edit) is dropped rather than claimed, so it can neither
// deliver a reminder twice nor block the shard.
var claimScript = redis.NewScript(prelude + `
local limit, leasems, tp = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local now = now_ms()
local deadline = now + leasems
local out = {fmt(now), fmt(deadline)}
local n = 0

local function claim(m, p, ms)
  local sep = string.find(m, '\0', 1, true)
  local ukey, k, r
  if sep then
    ukey, k = PRE .. 'u:' .. string.sub(m, 1, sep - 1), string.sub(m, sep + 1)
    r = load(ukey, k)
  end
  if not r or r.p ~= p or r.ms ~= ms then
    if p == 'l' then
      if r and r.p == 'l' then redis.call('ZADD', LEASE, fmt(r.ms), m) else redis.call('ZREM', LEASE, m) end
    end
    return
  end
  n = n + 1
  local tok = tp .. n
  redis.call('HSET', ukey, 's' .. k, 'l' .. fmt(deadline) .. '|' .. r.att .. '|' .. tok)
  redis.call('ZADD', LEASE, fmt(deadline), m)
  out[#out + 1] = m
  out[#out + 1] = r.spec
  out[#out + 1] = r.att
  out[#out + 1] = tok
  out[#out + 1] = r.mk
end

while n < limit do
  local b = redis.call('ZRANGE', DUE, 0, 0, 'WITHSCORES')
  local l = redis.call('ZRANGE', LEASE, 0, 0, 'WITHSCORES')
  local bs, ls = tonumber(b[2]), tonumber(l[2])
  if bs and bs > now then bs = nil end
  if ls and ls > now then ls = nil end
  if not bs and not ls then break end
  if bs and (not ls or bs <= ls) then
    local bk = PRE .. 'b:' .. b[1]
    local ms = redis.call('LPOP', bk, limit - n)
    if redis.call('EXISTS', bk) == 0 then redis.call('ZREM', DUE, b[1]) end
    if ms then
      for _, m in ipairs(ms) do claim(m, 'b', bs) end
    end
  else
    local ms = redis.call('ZRANGE', LEASE, '-inf', fmt(now), 'BYSCORE', 'LIMIT', 0, limit - n, 'WITHSCORES')
    for i = 1, #ms, 2 do claim(ms[i], 'l', tonumber(ms[i + 1])) end
  end
end
return out
`)

// ackScript finishes an occurrence. KEYS: due, lease, user hash[, bucket
// of next]. ARGV: prefix, kind code, member, token, base-36 due time,
// bucket ms of next or "", then next's field, value, ... (none: delete the
// reminder). The marker is recorded whether or not the lease still holds
// (a late holder did deliver), but only in a hash that exists: a user
// forgotten meanwhile gets nothing written. It returns 0 for a stale claim.
var ackScript = redis.NewScript(prelude + `
local ukey, k, m, tok, due, at = KEYS[3], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local now = now_ms()
local r = load(ukey, k)
if not r or r.p ~= 'l' or r.tok ~= tok or r.ms <= now then
  if r or redis.call('EXISTS', ukey) == 1 then
    local mk = r and r.mk or redis.call('HGET', ukey, 'm' .. k) or ''
    redis.call('HSET', ukey, 'm' .. k, markers(mk, due, now))
    tidy(ukey)
  end
  return 0
end
redis.call('ZREM', LEASE, m)
redis.call('HDEL', ukey, 's' .. k)
if redis.call('HEXISTS', ukey, 'p' .. k) == 1 then drop(ukey, k) end
if #ARGV > 6 then
  redis.call('HSET', ukey, 'm' .. k, markers(r.mk, due, now), unpack(ARGV, 7))
  if at ~= '' then index_at(tonumber(at), m) end
else
  redis.call('HDEL', ukey, 'r' .. k)
  redis.call('HSET', ukey, 'm' .. k, markers(r.mk, due, now))
  tidy(ukey)
end
return 1
`)

// retryScript gives a claim back to be claimed at ARGV[5] with one more
// attempt. KEYS: due, lease, user hash, bucket. ARGV: prefix, kind code,
// member, token, bucket ms. The spec (and so Next, the occurrence) is left
// as it is. It returns 0 for a stale claim.
var retryScript = redis.NewScript(prelude + `
local ukey, k, m, tok, at = KEYS[3], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local now = now_ms()
local r = load(ukey, k)
if not r or r.p ~= 'l' or r.tok ~= tok or r.ms <= now then return 0 end
redis.call('ZREM', LEASE, m)
redis.call('HSET', ukey, 's' .. k, 'b' .. at .. '|' .. ((tonumber(r.att) or 0) + 1) .. '|')
index_at(tonumber(at), m)
return 1
`)

// forgetScript deletes a user: every reminder leaves its index, then the
// hash (record, reminders, claims, markers) goes. KEYS: due, lease, user
// hash. ARGV: prefix, short user id.
var forgetScript = redis.NewScript(prelude + `
local ukey, uid = KEYS[3], ARGV[2]
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

// reindexScript puts one reminder back where its state says it belongs
// (Reconcile found it missing or doubled there). KEYS: due, lease, user
// hash. ARGV: prefix, kind code, member. It returns 1 if it changed
// anything.
var reindexScript = redis.NewScript(prelude + `
local ukey, k, m = KEYS[3], ARGV[2], ARGV[3]
local r = load(ukey, k)
if not r then return 0 end
local fixed = 0
if r.p == 'b' then
  local bk = bucket(r.ms)
  local pos = redis.call('LPOS', bk, m, 'COUNT', 0)
  if #pos == 0 then
    redis.call('RPUSH', bk, m)
    fixed = 1
  elseif #pos > 1 then
    redis.call('LREM', bk, 1 - #pos, m)
    fixed = 1
  end
  if not redis.call('ZSCORE', DUE, fmt(r.ms)) then
    redis.call('ZADD', DUE, fmt(r.ms), fmt(r.ms))
    fixed = 1
  end
  if redis.call('ZREM', LEASE, m) == 1 then fixed = 1 end
elseif r.p == 'l' then
  if tonumber(redis.call('ZSCORE', LEASE, m)) ~= r.ms then
    redis.call('ZADD', LEASE, fmt(r.ms), m)
    fixed = 1
  end
end
return fixed
`)

// orphanScript removes an index entry that no reminder vouches for.
// KEYS: due, lease. ARGV: prefix, member, 'b' or 'l', bucket ms or lease
// deadline. It returns 1 if it removed something.
var orphanScript = redis.NewScript(prelude + `
local m, p, ms = ARGV[2], ARGV[3], tonumber(ARGV[4])
local sep = string.find(m, '\0', 1, true)
local r
if sep then r = load(PRE .. 'u:' .. string.sub(m, 1, sep - 1), string.sub(m, sep + 1)) end
if r and r.p == p and r.ms == ms then return 0 end
if p == 'b' then
  local bk = bucket(ms)
  local n = redis.call('LREM', bk, 0, m)
  if redis.call('EXISTS', bk) == 0 then redis.call('ZREM', DUE, fmt(ms)) end
  if n > 0 then return 1 end
  return 0
end
return redis.call('ZREM', LEASE, m)
`)

// bucketScript makes the due index agree with one bucket list: a list
// that exists is entered, an entry whose list is gone is removed. KEYS:
// due, lease. ARGV: prefix, bucket ms. It returns 1 if it changed anything.
var bucketScript = redis.NewScript(prelude + `
local ms = tonumber(ARGV[2])
local exists = redis.call('EXISTS', bucket(ms)) == 1
local indexed = redis.call('ZSCORE', DUE, fmt(ms))
if exists and not indexed then
  redis.call('ZADD', DUE, fmt(ms), fmt(ms))
  return 1
end
if indexed and not exists then
  redis.call('ZREM', DUE, fmt(ms))
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
