package bot

import (
	"context"
	"time"
)

// This file is what finishing a claim does to the user's record. The
// scheduler and the store conformance suite both go through these, so the
// rules live in one place and every store only has to implement Settle.

// Ack finishes the occurrence c.Due. If c still holds its lease and the
// user has not changed the reminder since it was claimed, the reminder
// becomes next (nil deletes it). Otherwise the occurrence is only marked
// sent (Reminder.Sent), so that a later claim of it reports Delivered, and
// the result is ErrStaleClaim.
func Ack(ctx context.Context, s Store, c Claim, next *Reminder) error {
	kind := c.Reminder.Kind
	return s.Settle(ctx, c, func(u *User, held bool) error {
		r, ok := u.Reminder(kind)
		if !ok {
			return nil
		}
		if held && sameReminder(r, c.Reminder) {
			if next == nil {
				u.DeleteReminder(kind)
				return nil
			}
			n := *next
			n.Kind, n.Attempts, n.RetryAt, n.Sent = kind, 0, time.Time{}, c.Due
			u.SetReminder(n)
			return nil
		}
		r.Sent = c.Due
		u.SetReminder(r)
		return nil
	})
}

// Retry gives the claim back to be claimed again at the time at, counting
// a failed attempt. Reminder.Next keeps naming the occurrence (so lag and
// grace are measured from it); only its slot moves. It returns
// ErrStaleClaim if c no longer holds the lease.
func Retry(ctx context.Context, s Store, c Claim, at time.Time) error {
	return settleAgain(ctx, s, c, at, 1)
}

// Release gives an unsent claim back at once, for another replica: a
// shutdown, not a failed attempt.
func Release(ctx context.Context, s Store, c Claim) error {
	return settleAgain(ctx, s, c, c.Now, 0)
}

func settleAgain(ctx context.Context, s Store, c Claim, at time.Time, failed int) error {
	kind := c.Reminder.Kind
	return s.Settle(ctx, c, func(u *User, held bool) error {
		r, ok := u.Reminder(kind)
		if !held || !ok {
			return nil
		}
		r.Attempts += failed
		r.RetryAt = at.UTC()
		u.SetReminder(r)
		return nil
	})
}

// sameReminder reports whether r is the reminder c claimed, as the user
// set it: what the scheduler wrote since (attempts, retry, sent) aside.
func sameReminder(r, claimed Reminder) bool {
	return r.Kind == claimed.Kind && r.At == claimed.At && r.Zone == claimed.Zone && r.Days == claimed.Days &&
		r.Next.Equal(claimed.Next) && r.Paused == claimed.Paused && r.Created.Equal(claimed.Created)
}
