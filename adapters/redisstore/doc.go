// Package redisstore is coachbot's production bot.Store on Redis (go-redis
// v9): one server, a Redis Cluster or a Sentinel-managed master, shared by
// any number of bot replicas. Each user is one record, kept as the opaque
// bytes of bot.EncodeUser and changed by compare-and-set; reminders are
// claimed with leases and fenced tokens in Lua scripts, on Redis's clock,
// so that every occurrence is delivered once while replicas come and go.
//
// It may import bot, go-redis and the standard library; never another
// adapter. Its sub-package redistest starts real Redis servers for tests.
//
// # Using it
//
// Open connects (URL for one server; Addrs for a Cluster, or with
// MasterName for Sentinel), checks that Redis answers and that the data was
// written with the same shard count, migrates the data of the release
// before (below), and returns the Store. Whoever opens it (cmd/coachbot)
// then calls Reconcile once, at start-up, to repair any index entry that
// disagrees with its record.
//
// Every call is bounded: short dial/read/write timeouts (500 ms), one
// retry, deadlines carried through (ContextTimeoutEnabled) and a 2 s cap per
// call, so that with Redis gone a call fails within about a second as
// bot.Unavailable with no message of its own (the user reads the friendly
// "try again" text) and nothing is half-written: every write is one
// script. When Redis comes back, go-redis reconnects by itself; nothing
// needs a restart. go-redis logs each failed dial itself, to stderr: main
// calls RouteLogs once to send those lines to its slog logger at Debug
// instead.
//
// The Store is also the replicas' shared bot.Deduper, bot.Limiter and
// bot.UserGate: a replayed request is refused by every replica, a
// platform's rate limit holds for all of them together, and a chat command
// costs one round trip: Admit checks the request's replay key, takes from
// the user's command bucket and reads their record in one script
// (TestCommandCost; through the real binary, cmd/coachload's
// TestOneRedisCallPerCommand). An idle scheduler
// tick (ClaimDue with nothing due) is one claim script per shard, all in
// one pipeline: one round trip on one server (go-redis splits a pipeline
// by node on a Cluster and sends the parts at once).
//
// The one-command calls (Admit, User, the record writes, Allow and
// FirstSeen) are pipelined automatically under load (pipeline.go): once
// many are in flight, those that arrive while earlier ones wait for Redis
// go to it together, one write and one read for all of them, which more
// than halves the CPU both sides spend per call at 50 in flight
// (BenchmarkHotCalls). There is no timer: below that load a call is sent
// at once, on its own.
//
// # Key layout (version 2)
//
// Users are spread over Shards shards (16 by default), shard s = FNV-1a of
// the user id mod Shards. Every key of a shard carries the hash tag {c<s>},
// so a user's record and the indexes of their shard are in one Cluster slot
// and one script can change them together. A global index would be one key
// on one node; shards spread the index (and the claim work) over the
// Cluster. The shard count is fixed for a dataset: Open records it in
// coachbot:layout and refuses a different one.
//
//	coachbot:layout          hash: version "2", shards "16".
//	{c<s>}:r:<short id>      string: the user's record,
//	                         "<revision>:<bot.EncodeUser bytes>". The
//	                         revision is "<count of writes>.<4 random
//	                         characters>"; no key is revision "". Every
//	                         write names the revision it read and writes
//	                         a new one, so a write that go-redis sends
//	                         again after a lost reply finds its own value
//	                         and is not applied twice.
//	{c<s>}:due               zset: the reminders waiting, member "<short
//	                         id>\x00<kind code>", score the slot
//	                         (bot.Schedule: Next, or RetryAt after a failed
//	                         attempt) in Unix ms.
//	{c<s>}:lease             zset: claimed reminders (same members), scored
//	                         by lease deadline in Unix ms × 1024 + a nonce;
//	                         the claim's token ends in that score, which
//	                         fences Settle. A lease that ran out is
//	                         claimable again: ClaimDue is the reaper, on
//	                         every replica. A reminder is in one of the two
//	                         indexes, or (paused) in neither.
//	{c<s>}:rate:<short id>   string: Admit's command bucket (GCRA's
//	                         theoretical arrival time in Unix µs, on Redis
//	                         TIME); it expires when the bucket is full.
//	{c<s>}:seen:<hash>       string, bot.ReplayWindow: Admit has seen the
//	                         request whose replay key (bot.Inbound.Once)
//	                         hashes to <hash> (16 bytes of SHA-256,
//	                         base64url), from the user of this shard; the
//	                         value is the call's random id, so a resent
//	                         call goes on as the first.
//	{c<s>}:dead              list: the occurrences the scheduler gave up on
//	                         (bot.DeadLetters), newest first, trimmed to
//	                         1000: "<short id>\x00<kind code>\x00<due Unix
//	                         ms>\x00<attempts>\x00<reason, at most 200
//	                         bytes>". DeadLettered reads them all.
//	coachbot:seen:{<k>}      string, the caller's ttl: FirstSeen (bot.Deduper)
//	                         has seen k; the value is the call's random id,
//	                         so a resent call still reports k as new.
//	coachbot:rate:{<k>}      string: Allow's (bot.Limiter) bucket k, as
//	                         Admit's.
//	coachbot:migrate         string, 30 s: held by the replica migrating.
//	coachbot:inst:<team>     string: a workspace's installation
//	                         (bot.Installations), sealed by the adapter:
//	                         AES-GCM under COACH_SECRET_KEY, so no token
//	                         is readable in Redis.
//
// A short id is the user id with its platform shortened: "d:<id>" for
// discord:, "s:<team>:<user>" for slack:, "c:<name>" for console:, and
// "=<user id>" for any other platform. A kind code is "d" (daily), "o"
// (once), or "_" and the kind's name in hex.
//
// The index is derived from the record: every write computes
// bot.Reindex(old, new) in Go and the script applies it with the record,
// so that a reminder whose slot changed leaves both indexes (a claim on it
// becomes stale) and enters the due index at its new slot. Forget deletes
// the record, the user's index entries, their command bucket and their dead
// letters: no key naming the user is left.
//
// A typical user (three roadmap steps done, a streak, a zone, a daily
// reminder) costs about 375 bytes of Redis memory (TestMemoryPerUser,
// 100,000 users): 230 for the record's key and value, 120 for its entry in
// the due index. The release before kept a user in about 260 bytes with a
// field format of its own per field; one opaque record per user costs
// more, and keeps the store ignorant of what a user is.
//
// # Scripts
//
// UpdateUser, Settle, Forget, ClaimDue and Admit are Lua scripts
// (scripts.go), run with EVALSHA and an EVAL fallback. They take every
// time they judge from Redis TIME and list every key they touch in KEYS,
// but for the records ClaimDue finds through the index, which carry the
// same hash tag: Redis Cluster runs each on one node. UpdateUser runs the
// caller's function in Go between a read and a script that writes only if
// the revision is still the one read, and retries otherwise. Settle cannot
// know before its script runs whether the claim still holds its lease, so
// it runs the caller's function for both answers and sends both results;
// the script checks the lease and writes the one that applies.
//
// # Migrating from layout version 1
//
// The release before this one kept each user as a hash of fields in
// formats of its own and reminders in per-millisecond bucket lists. Open
// finds version "1" in coachbot:layout and migrates: under the lock
// coachbot:migrate (SET NX, renewed while it works; replicas that start
// meanwhile wait for version "2"), it moves each user in one script (the
// record and its index entries written, then the old hash and its bucket
// entries removed), removes what is left of the old index, and records
// version "2" last. A migration that stops halfway is finished by the next
// Open. Hashes that held nothing but acked-occurrence markers are dropped;
// a marker of the occurrence a reminder still names becomes its Sent. The
// old release must be stopped before the new one starts: it would keep
// writing hashes no one reads, and refuses to start on version "2".
package redisstore
