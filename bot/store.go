package bot

import (
	"context"
	"strings"
	"time"
)

// Store keeps user records and schedules their reminders. Implementations:
// adapters/boltstore (embedded, the default), adapters/redisstore
// (production, shared by replicas) and bottest.MemStore. Every one must pass
// bot/storetest.
//
// A store keeps each user's record as the opaque bytes of EncodeUser, with a
// revision, and changes it by compare-and-set; it knows no field of User.
// What it indexes for ClaimDue it learns from Schedule(user), and it changes
// the index in the same atomic step as the record, by one rule: a reminder
// whose Slot changed leaves the index (a claim held on it becomes stale)
// and, if it has a new slot, enters it there.
//
// Forget is final: only a user's own command creates a record (UpdateUser
// from a handler). Everything the bot writes on its own, while a delivery
// is out, writes nothing for a user the store keeps no record of: Settle
// (ErrStaleClaim), DeadLetters.DeadLetter, and UpdateKept, which the
// adapters' DM-channel cache uses. UpdateKept can tell because a record the
// store keeps is never zero (User.IsZero: UpdateUser sets Created on the
// first write), and fn is handed User{ID: id}, which is, when there is
// none. So a "forget confirm" that lands in the
// middle of a delivery leaves nothing behind: no tombstone is needed, and
// the user who comes back starts fresh.
//
// Errors are coded: Unavailable when the store does not answer (so the user
// reads a friendly "try again" and nothing is half-written), Conflict for
// ErrStaleClaim, Internal otherwise.
type Store interface {
	// User returns the user's record, or User{ID: id} when there is none.
	User(ctx context.Context, id UserID) (User, error)

	// UpdateUser atomically reads the user's record (User{ID: id} when there
	// is none), applies fn and writes the result back, setting Created (on
	// the first write; it never changes after) and Updated, and changes the
	// reminder index as the record's reminders changed. If fn returns an
	// error nothing is written and that error is returned. fn may be called
	// more than once (optimistic retries); it must not have side effects
	// and must not call the store. It creates a record for an unknown user:
	// writes that must not (see above) go through UpdateKept.
	UpdateUser(ctx context.Context, id UserID, fn func(*User) error) (User, error)

	// ClaimDue leases up to limit (>= 1) reminders whose slot is due by the
	// store's own clock, or whose earlier lease expired, for the lease
	// duration (>= 1ms), earliest first. A reminder is held by at most one
	// unexpired claim at a time. Each claim carries its user's record as it
	// was when claimed (NewClaim makes it), so a delivery reads nothing
	// more.
	ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]Claim, error)

	// Settle finishes claim c in one atomic step: it reads the user's
	// record, applies fn(u, held), where held reports whether c still holds
	// its lease, and writes the result. When held, the lease is released
	// and the reminder of c's kind enters the index at its new slot, if it
	// has one. When not held, only what fn changed is written and the
	// result is ErrStaleClaim. For a user the store keeps nothing about
	// (forgotten while the claim was out) nothing is written and the result
	// is ErrStaleClaim, so Forget stays complete. fn may be called more
	// than once and, on Redis, for both values of held.
	Settle(ctx context.Context, c Claim, fn func(u *User, held bool) error) error

	// Forget deletes everything kept about the user: record, index entries,
	// claims and (DeadLetters) dead letters.
	Forget(ctx context.Context, id UserID) error

	// Ping reports whether the store answers.
	Ping(ctx context.Context) error

	// Close releases the store's resources.
	Close() error
}

// DeadLetters is implemented by stores that keep the occurrences the
// scheduler gave up on, so an operator can see what was never delivered.
// It is optional: the scheduler uses it when the store has it, resolved
// once at wiring (Config.DeadLetters).
//
// DeadLetter records the occurrence of claim c, whose Reminder.Attempts
// counts every failed send of it (the last one included), and why the last
// one failed; for a user the store keeps no record of (forgotten while the
// claim was out) it writes nothing. A store keeps a bounded number of
// entries, the newest, and Forget removes the user's. The scheduler drops
// the occurrence whether or not DeadLetter succeeds.
//
// DeadLettersOf returns the entries kept about one user, newest first:
// they are part of what export shows the user.
type DeadLetters interface {
	DeadLetter(ctx context.Context, c Claim, reason string) error
	DeadLettersOf(ctx context.Context, id UserID) ([]DeadEntry, error)
}

// ErrNotKept is returned by UpdateKept for a user the store keeps no
// record of: forgotten, or never seen.
var ErrNotKept = &Error{Code: NotFound, Message: "nothing is kept about that user"}

// UpdateKept is UpdateUser for writes the bot makes on its own (a cached
// DM channel, a cleared notice): it changes a record the store keeps and
// never creates one, so it cannot bring back a user who was forgotten
// meanwhile. For a user without a record it writes nothing and returns
// ErrNotKept.
func UpdateKept(ctx context.Context, s Store, id UserID, fn func(*User) error) (User, error) {
	return s.UpdateUser(ctx, id, func(u *User) error {
		if !u.Kept() {
			return ErrNotKept
		}
		return fn(u)
	})
}

// Kept reports whether u is a record a store keeps (it has been written),
// as opposed to the User{ID: id} a store hands out for an unknown user.
func (u User) Kept() bool { return !u.IsZero() }

// DeadEntry is an occurrence the scheduler gave up on, as a store that
// keeps dead letters reads it back for an operator.
type DeadEntry struct {
	User     UserID
	Kind     ReminderKind
	Due      time.Time // the occurrence, in UTC
	Attempts int       // failed sends of it
	Reason   string    // why the last one failed (at most 200 bytes)
}

// ReminderKind names a user's reminder slot. A user has at most one reminder
// of each kind, which keeps what one user can schedule bounded.
type ReminderKind string

// The reminder kinds.
const (
	Daily ReminderKind = "daily" // repeats at a local time on chosen weekdays
	Once  ReminderKind = "once"  // fires once: "remind in 2h", snooze
	// Weekly sends the weekly digest at a local time on one weekday (its
	// Days), DST-safe like Daily.
	Weekly ReminderKind = "weekly"
)

// MaxRemindersPerUser is the most reminders one user can have: one of each
// kind. A new request replaces the old one of its kind, so no sequence of
// commands can make a user's schedule grow.
const MaxRemindersPerUser = 3

// Slot is one entry of a store's reminder index: the user's reminder of
// Kind may be claimed from At on.
type Slot struct {
	Kind ReminderKind
	At   time.Time
}

// Schedule returns the index entries of u's reminders, ordered by kind:
// one for each reminder that is not paused, at its ClaimAt. Stores index
// exactly these.
func Schedule(u User) []Slot {
	var slots []Slot
	for _, r := range u.Reminders {
		if at := r.ClaimAt(); !at.IsZero() {
			slots = append(slots, Slot{Kind: r.Kind, At: at.UTC().Truncate(time.Millisecond)})
		}
	}
	return slots
}

// Claim is a lease on one due occurrence of a reminder.
type Claim struct {
	User       User      // the user's record when claimed
	Reminder   Reminder  // the reminder claimed, as it was then
	Due        time.Time // the occurrence claimed (Reminder.Next at claim time)
	Token      string    // fences Settle: only the holder's is held
	Now        time.Time // the store's clock when claimed
	LeaseUntil time.Time // the claim is released to others after this
	Delivered  bool      // this occurrence was sent once already: do not send it again
}

// NewClaim makes the claim of u's reminder of kind, as stores return it
// from ClaimDue. It reports false when u has no such reminder or it is
// paused: an index entry left behind, which the store drops instead.
func NewClaim(u User, kind ReminderKind, token string, now, until time.Time) (Claim, bool) {
	r, ok := u.Reminder(kind)
	if !ok || r.Paused != "" {
		return Claim{}, false
	}
	return Claim{
		User: u, Reminder: r, Due: r.Next, Token: token, Now: now, LeaseUntil: until,
		Delivered: !r.Sent.IsZero() && r.Sent.Equal(r.Next),
	}, true
}

// Validate reports whether a store can keep the id: not empty and without
// NUL, which stores use as a separator in keys.
func (u UserID) Validate() error {
	if u == "" || strings.IndexByte(string(u), 0) >= 0 {
		return Errorf(Invalid, "That user id can't be stored.")
	}
	return nil
}

// Validate reports whether a store can act on the claim: a valid user and
// kind (see UserID.Validate).
func (c Claim) Validate() error {
	if err := c.Reminder.User.Validate(); err != nil {
		return err
	}
	return c.Reminder.Kind.Validate()
}

// Validate reports whether a store can keep the kind (see UserID.Validate).
func (k ReminderKind) Validate() error {
	if k == "" || strings.IndexByte(string(k), 0) >= 0 {
		return Errorf(Invalid, "That reminder kind can't be stored.")
	}
	return nil
}

// Validate reports whether a store can keep the user's record: a valid id,
// and reminders of valid, distinct kinds, each with a time unless it is
// paused. Every Store checks it before writing.
func (u User) Validate() error {
	if err := u.ID.Validate(); err != nil {
		return err
	}
	seen := map[ReminderKind]bool{}
	for _, r := range u.Reminders {
		if err := r.Kind.Validate(); err != nil {
			return err
		}
		if seen[r.Kind] {
			return Errorf(Invalid, "A user has one reminder of each kind.")
		}
		seen[r.Kind] = true
		if r.Paused == "" && r.Next.IsZero() {
			return Errorf(Invalid, "A reminder that is not paused needs a time.")
		}
	}
	return nil
}

// Reindex says how a store's index changes when the user's record goes from
// old to new: the kinds that leave it (their index entry and any claim on
// them go: the claim is stale) and the slots that enter it. A reminder whose
// slot did not change is in neither, so a claim on it survives the user's
// other changes. released names the kind of a claim Settle found held (""
// for none): it always leaves, giving its lease up, and enters again at its
// new slot if it has one.
func Reindex(old, new User, released ReminderKind) (leave []ReminderKind, enter []Slot) {
	left := map[ReminderKind]bool{}
	out := func(k ReminderKind) {
		if !left[k] {
			left[k] = true
			leave = append(leave, k)
		}
	}
	if released != "" {
		out(released)
	}
	was := map[ReminderKind]time.Time{}
	for _, s := range Schedule(old) {
		was[s.Kind] = s.At
	}
	is := map[ReminderKind]bool{}
	for _, s := range Schedule(new) {
		is[s.Kind] = true
		at, ok := was[s.Kind]
		if ok && at.Equal(s.At) && s.Kind != released {
			continue
		}
		if ok {
			out(s.Kind)
		}
		enter = append(enter, s)
	}
	for _, s := range Schedule(old) {
		if !is[s.Kind] {
			out(s.Kind)
		}
	}
	return leave, enter
}
