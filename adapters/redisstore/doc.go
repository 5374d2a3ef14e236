// Package redisstore is coachbot's production bot.Store on Redis (go-redis
// v9): one server, a Redis Cluster or a Sentinel-managed master, shared by
// any number of bot replicas. Reminders are claimed with leases and fenced
// tokens in Lua scripts, on Redis's clock, so that every occurrence is
// delivered once while replicas come and go.
//
// It may import bot, go-redis and the standard library; never another
// adapter. Its sub-package redistest starts real Redis servers for tests.
//
// # Using it
//
// Open connects (URL for one server; Addrs for a Cluster, or with
// MasterName for Sentinel), checks that Redis answers and that the data was
// written with the same shard count, and returns the Store. Whoever opens
// it (cmd/coachbot) then calls Reconcile once, at start-up, to repair any
// reminder that fell out of the indexes.
//
// Every call is bounded: short dial/read/write timeouts (500 ms), one
// retry, deadlines carried through (ContextTimeoutEnabled) and a 2 s cap per
// call, so that with Redis gone a call fails within about a second as
// bot.Unavailable with no message of its own (the user reads the friendly
// "try again" text) and nothing is half-written: every write is one script
// or one compare-and-set. When Redis comes back, go-redis reconnects by
// itself; nothing needs a restart. go-redis logs each failed dial itself,
// to stderr: main calls RouteLogs once to send those lines to its slog
// logger at Debug instead.
//
// The calls every chat command makes, each one command (User's HGETALL,
// also UpdateUser's and Reminders' read; Allow's and FirstSeen's scripts),
// are pipelined automatically under load (pipeline.go): once many are in
// flight, those that arrive while earlier ones wait for Redis go to it
// together, one write and one read for all of them, which about halves the
// CPU both sides spend per command (BenchmarkHotCalls). There is no timer:
// below that load a call is sent at once, on its own, as it always was.
//
// The Store is also the replicas' shared bot.Deduper and bot.Limiter, so
// that a replayed interaction is refused by every replica and a platform's
// rate limit holds for all of them together.
//
// # Key layout
//
// Users are spread over Shards shards (16 by default), shard s = FNV-1a of
// the user id mod Shards. Every key of a shard carries the hash tag {c<s>},
// so a user's hash and the indexes of their shard are in one Cluster slot
// and one script can change them together. A global index would be one key
// on one node; shards spread the indexes (and the claim work) over the
// Cluster. The shard count is fixed for a dataset: Open records it in
// coachbot:layout and refuses a different one.
//
//	coachbot:layout      hash: version "1", shards "16".
//	{c<s>}:u:<short id>  hash: everything kept about one user (below).
//	{c<s>}:due           zset: the due buckets of the shard; member: the
//	                     bucket's time in base-62 Unix ms, score: the same
//	                     time as a number.
//	{c<s>}:b:<ms>        list: the reminders due at exactly ms (base 62, the
//	                     same string as in their spec), as members
//	                     "<short id>\x00<kind code>". Waiting reminders live
//	                     here: a few bytes of a compact list each, where a
//	                     sorted-set entry costs over 100; daily reminders
//	                     share the buckets of their minute.
//	{c<s>}:lease         zset: claimed reminders (same members), scored by
//	                     lease deadline in Unix ms × 1024 + a nonce; the
//	                     claim's token ends in that score, which fences ack
//	                     and retry. A lease that ran out is claimable again:
//	                     ClaimDue is the reaper, on every replica.
//	{c<s>}:dead          list: the occurrences the scheduler gave up on
//	                     (bot.DeadLetters), newest first, trimmed to 1000:
//	                     "<short id>\x00<kind code>\x00<due Unix ms, base
//	                     10>\x00<attempts>\x00<reason, at most 200 bytes>".
//	                     Forget removes the user's entries; DeadLettered
//	                     reads them all.
//	{c<s>}:w:<random>    string, 5 s: UpdateUser's record that one write
//	                     happened, so a resent write is not applied twice.
//	coachbot:seen:{<k>}  string, the caller's ttl: FirstSeen (bot.Deduper)
//	                     has seen k; the value is the call's random id, so
//	                     a resent call still reports k as new.
//	coachbot:rate:{<k>}  string: Allow's (bot.Limiter) theoretical arrival
//	                     time of bucket k in Unix µs (GCRA, on Redis TIME);
//	                     it expires when the bucket is full again.
//
// A short id is the user id with its platform shortened: "d:<id>" for
// discord:, "s:<team>:<user>" for slack:, "c:<name>" for console:, and
// "=<user id>" for any other platform. It keeps a typical key within a
// 32-byte allocation. A kind code is "d" (daily), "o" (once), or "_" and
// the kind's name in hex.
//
// The user's hash is a small listpack: short field names, compact values,
// and no value over 64 bytes (a longer one is split over name, name~1, ...),
// because one longer value makes Redis store the whole hash as a hash table
// at several times the memory. Times are base-62 Unix ms, a streak date is
// base-36 days since 1970, a time of day base-36 minutes, a common zone a
// code from the fixed, append-only list in zones.go:
//
//	u        created|updated|zone|streak last|current|best|days|done steps
//	un       the notice to show next
//	r<kind>  the reminder: next|at|zone|days|created
//	s<kind>  its state: the bucket it waits in ("b<ms>"; "-" none: paused)
//	         and its failed attempts; absent in the common case (the bucket
//	         of next, no failed attempts), which saves a field per user.
//	         Claiming does not touch the hash: a claimed reminder is the
//	         one with an entry in the lease index
//	p<kind>  why it is paused; absent when it is not
//	m<kind>  markers: the due times of the last (up to 4, at most 24 hours
//	         old) occurrences acked, so that a claim of one reports
//	         Delivered. A marker only has to outlive the leases and retries
//	         of its occurrence, which end within the scheduler's grace
//	         period of a few hours; keeping one day means a daily reminder
//	         carries one marker, not two.
//
// A typical user (three roadmap steps done, a streak, a zone, a daily
// reminder) costs about 260 bytes of Redis memory, 290 once a delivery has
// left its marker (TestMemoryPerUser, 100,000 users). A hash left with
// nothing but markers (no record, no reminder) expires 24 hours after the
// last one is written.
// Forget deletes the hash, the user's index entries and their dead
// letters: no key naming the user is left, markers included.
//
// # Scripts
//
// Claim, ack, retry, put, delete and forget are Lua scripts (scripts.go),
// run with EVALSHA and an EVAL fallback. They take every time they judge
// from Redis TIME. Each is routed by its shard's due key and lists the keys
// it knows in advance in KEYS; the keys it finds through data (the hash of
// a user named by a bucket member, the bucket named by a reminder's spec)
// carry the same hash tag, so they are in the same slot and Redis Cluster
// runs the script on one node. A claim moves the reminder from its bucket
// to the lease index under a fresh score; ack and retry succeed only while
// that score is still there and its deadline (by TIME) has not passed; put,
// delete and forget remove the entry, so a claim on the reminder they
// change is stale. Acks made at the same time are sent together: one
// script call per shard, in one pipeline.
//
// UpdateUser runs the caller's fn in Go, between a read and a
// compare-and-set script that writes only if the user's record fields are
// still as read (a reminder changing meanwhile does not count), and retries
// otherwise.
package redisstore
