// Package boltstore is coachbot's embedded bot.Store: one bbolt file on the
// local disk, the zero-setup default when no Redis is configured. It suits a
// single bot process; replicas that share state need adapters/redisstore.
// It also keeps dead letters (bot.DeadLetters), which DeadLettered reads.
//
// It may import bot, go.etcd.io/bbolt and the standard library only, never
// another adapter.
//
// # Why it is correct without locks of its own
//
// Every write method is one bbolt Update transaction. bbolt runs one writer
// at a time and commits or discards a transaction as a whole, so each call is
// atomic and serialised with every other: the transaction is the
// compare-and-set that the record needs, UpdateUser needs no retries and
// keeps no revision, and a claim, a settle and a user's change to the same
// reminder cannot interleave. Reads (User, Ping, DeadLettered) are View
// transactions that see the last commit. ClaimDue first looks in a View and
// opens its Update only when something is due, because every bbolt commit
// costs an fsync and the scheduler polls often. Only one process can open
// the file: a second one waits one second for bbolt's file lock and then
// gets a bot.Unavailable error that says what to do.
//
// # Layout (version 2)
//
// The store keeps each user's record as the opaque bytes of bot.EncodeUser
// and never names a field of bot.User; what it indexes it learns from
// bot.Schedule and moves as bot.Reindex says, in the transaction that writes
// the record. A member names one reminder: <user id> "\x00" <kind>. No id
// contains NUL, so "<user id>\x00" selects exactly one user's members (ids
// such as "slack:T1:U1" and "slack:T1:U10" stay apart). Times in keys are
// 8-byte big-endian Unix milliseconds, so byte order is time order.
//
//	meta      "version" → "2": the layout version, checked on Open.
//	records   <user id> → the record (bot.EncodeUser).
//	schedule  <ms> <member> → the lease token, or empty. The one time-ordered
//	          index: a waiting reminder is entered at its slot (Next, or
//	          RetryAt after a failed attempt), a claimed one at its lease
//	          deadline with the token of its claim, a paused one not at all.
//	          ClaimDue scans it from the start up to now, so due work and
//	          expired leases are found the same way.
//	slots     <member> → its key in schedule, so that a reminder's entry can
//	          be found and moved without a scan; each member has one entry.
//	dead      <8-byte sequence> → <member> "\x00" <due ms> "\x00" <attempts>
//	          "\x00" <reason>: dead letters, the newest 1000.
//
// Whether an occurrence was delivered is the record's Reminder.Sent, so a
// settle, the occurrence marker and the next slot are written together.
//
// # Layout version 1
//
// The release before the one-record codec kept JSON user records, JSON
// reminder records with their claim state, the schedule index in another
// format and expiring occurrence markers. Open migrates such a file in one
// write transaction (legacy.go): every user, reminders of ids that had no
// user record included. A retry time becomes RetryAt, a lease still out
// stays leased to its deadline, and a live marker becomes Reminder.Sent
// (Next when Next was acked, so its reclaim is still Delivered). Open
// refuses a version it does not know, written by a newer coachbot.
//
// # Clock
//
// Due times and leases are judged by the store's clock (WithClock; the system
// clock by default), never by the caller's, as bot.Store requires.
package boltstore
