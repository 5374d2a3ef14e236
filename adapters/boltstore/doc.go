// Package boltstore is coachbot's embedded bot.Store: one bbolt file on the
// local disk, the zero-setup default when no Redis is configured. It suits a
// single bot process; replicas that share state need adapters/redisstore.
//
// It may import bot, go.etcd.io/bbolt and the standard library only, never
// another adapter.
//
// # Why it is correct without locks of its own
//
// Every write method is one bbolt Update transaction. bbolt runs one writer
// at a time and commits or discards a transaction as a whole, so each call is
// atomic and serialised with every other: UpdateUser needs no retries, and a
// claim, an ack and a user's change to the same reminder cannot interleave.
// Reads (User, Reminders, Ping) are View transactions that see the last
// commit. ClaimDue first looks in a View and opens its Update only when
// something is due, because every bbolt commit costs an fsync and the
// scheduler polls often. Only one process can open the file: a second one waits one second
// for bbolt's file lock and then gets a bot.Unavailable error that says what
// to do.
//
// # Layout
//
// All times in keys are 8-byte big-endian Unix milliseconds, so byte order is
// time order and a cursor scan from the first key visits the earliest first.
// A user id never contains "\x00", which makes "<user id>\x00" a prefix that
// selects exactly one user's keys (ids such as "slack:T1:U1" and
// "slack:T1:U10" stay apart).
//
//	meta          "version" → "1": the layout version, checked on Open.
//	users         <user id> → JSON user record.
//	reminders     <user id> "\x00" <kind> → JSON: the reminder, the claim token
//	              and lease deadline while it is claimed, and the time under
//	              which it is entered in schedule (if it is).
//	schedule      <ms> <reminder key> → empty. The one time-ordered index:
//	              a scheduled reminder is entered at its due time (or its retry
//	              time), a claimed one at its lease deadline, a paused one not
//	              at all. ClaimDue scans it from the start up to now, so due
//	              work and expired leases are found the same way.
//	markers       <reminder key> <due ms> → <expiry ms>: "this occurrence was
//	              acked once", kept 48 hours so that a claim of an occurrence
//	              already delivered reports Delivered.
//	marker_expiry <expiry ms> <marker key> → empty: lets ClaimDue prune
//	              expired markers with a short scan instead of a full one.
//
// A reminder key's kind is followed by the fixed-width due time in a marker
// key, so the reminder key of a marker is its key minus the last 8 bytes.
//
// # Clock
//
// Due times and leases are judged by the store's clock (WithClock; the system
// clock by default), never by the caller's, as bot.Store requires.
package boltstore
