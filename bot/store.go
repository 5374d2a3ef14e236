package bot

import (
	"context"
	"strings"
	"time"
)

// Store keeps users and their reminders. Implementations: adapters/boltstore
// (embedded, the default) and adapters/redisstore (production, shared by
// replicas). Every implementation must pass bot/storetest.
//
// Errors are coded: Unavailable when the store does not answer (so the user
// reads a friendly "try again" and nothing is half-written), Conflict for
// ErrStaleClaim, Internal otherwise.
type Store interface {
	// User returns the user's record, or User{ID: id} when there is none.
	User(ctx context.Context, id UserID) (User, error)

	// UpdateUser atomically reads the user's record (User{ID: id} when there
	// is none), applies fn and writes the result back, setting Created and
	// Updated. If fn returns an error nothing is written and that error is
	// returned. fn may be called more than once (optimistic retries); it
	// must not have side effects and must not call the store (it may run
	// inside the store's write transaction).
	UpdateUser(ctx context.Context, id UserID, fn func(*User) error) (User, error)

	// PutReminder creates or replaces the user's reminder of r.Kind and
	// schedules it at r.Next, unless r.Paused is set. Any claim held on the
	// reminder it replaces becomes stale.
	PutReminder(ctx context.Context, r Reminder) error

	// DeleteReminder removes the user's reminder of that kind, if any. Any
	// claim held on it becomes stale.
	DeleteReminder(ctx context.Context, id UserID, kind ReminderKind) error

	// Reminders returns the user's reminders ordered by Kind.
	Reminders(ctx context.Context, id UserID) ([]Reminder, error)

	// ClaimDue leases up to limit (>= 1) reminders that are due by the
	// store's own clock (Next <= now), or whose earlier lease expired, for
	// the lease duration (>= 1ms), earliest first. A reminder is held by at
	// most one unexpired claim at a time.
	ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]Claim, error)

	// Ack finishes the occurrence c.Due: it records the occurrence marker
	// (so a later claim of the same occurrence reports Delivered) and, if c
	// still holds the lease, replaces the reminder with next (nil deletes
	// it; a paused next is kept but not scheduled). If the lease was lost it
	// returns ErrStaleClaim and changes nothing but the marker. No marker is
	// written for a user the store keeps nothing about (forgotten while the
	// claim was out), so Forget stays complete.
	Ack(ctx context.Context, c Claim, next *Reminder) error

	// Retry gives the claim back to be claimed again at the time at, with
	// the reminder's Attempts increased by one. Reminder.Next keeps naming
	// the occurrence (so lag and grace are measured from it); only the time
	// it may next be claimed moves. It returns ErrStaleClaim if c no longer
	// holds the lease.
	Retry(ctx context.Context, c Claim, at time.Time) error

	// Forget deletes everything kept about the user: record, reminders,
	// claims, occurrence markers and (DeadLetters) dead letters.
	Forget(ctx context.Context, id UserID) error

	// Ping reports whether the store answers.
	Ping(ctx context.Context) error

	// Close releases the store's resources.
	Close() error
}

// DeadLetters is implemented by stores that keep the occurrences the
// scheduler gave up on, so an operator can see what was never delivered.
// It is optional: the scheduler uses it when the store has it.
//
// DeadLetter records the occurrence of claim c, whose Reminder.Attempts
// counts every failed send of it (the last one included), and why the last
// one failed. A store keeps a bounded number of entries, the newest, and
// Forget removes the user's. The scheduler drops the occurrence whether or
// not DeadLetter succeeds.
type DeadLetters interface {
	DeadLetter(ctx context.Context, c Claim, reason string) error
}

// ReminderKind names a user's reminder slot. A user has at most one reminder
// of each kind, which keeps what one user can schedule bounded.
type ReminderKind string

// The reminder kinds.
const (
	Daily ReminderKind = "daily" // repeats at a local time on chosen weekdays
	Once  ReminderKind = "once"  // fires once: "remind in 2h", snooze
)

// MaxRemindersPerUser is the most reminders one user can have: one of each
// kind. A new request replaces the old one of its kind, so no sequence of
// commands can make a user's schedule grow.
const MaxRemindersPerUser = 2

// Reminder is a scheduled study reminder.
type Reminder struct {
	User     UserID
	Kind     ReminderKind
	At       string    // local time of day "HH:MM" (Daily)
	Zone     string    // IANA zone of At (Daily); the zone shown for Once
	Days     Weekdays  // the days a Daily reminder fires on
	Next     time.Time // the next occurrence, in UTC
	Paused   string    // non-empty: not scheduled, and why (user-safe)
	Attempts int       // failed deliveries of the occurrence Next
	Created  time.Time
}

// Claim is a lease on one due occurrence of a reminder.
type Claim struct {
	Reminder   Reminder  // the reminder as it was when claimed
	Due        time.Time // the occurrence claimed (Reminder.Next at claim time)
	Token      string    // fences Ack and Retry: only the holder's succeed
	Now        time.Time // the store's clock when claimed
	LeaseUntil time.Time // the claim is released to others after this
	Delivered  bool      // this occurrence was already acked once: do not send it again
}

// Validate reports whether a store can keep the id: not empty and without
// NUL, which stores use as a separator in keys.
func (u UserID) Validate() error {
	if u == "" || strings.IndexByte(string(u), 0) >= 0 {
		return Errorf(Invalid, "That user id can't be stored.")
	}
	return nil
}

// Validate reports whether a store can keep the kind (see UserID.Validate).
func (k ReminderKind) Validate() error {
	if k == "" || strings.IndexByte(string(k), 0) >= 0 {
		return Errorf(Invalid, "That reminder kind can't be stored.")
	}
	return nil
}

// Validate reports whether a store can keep the reminder: a valid user and
// kind, and a time unless it is paused. Every Store checks it the same way.
func (r Reminder) Validate() error {
	if err := r.User.Validate(); err != nil {
		return err
	}
	if err := r.Kind.Validate(); err != nil {
		return err
	}
	if r.Paused == "" && r.Next.IsZero() {
		return Errorf(Invalid, "A reminder that is not paused needs a time.")
	}
	return nil
}
