package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/coachbot/coachbot/bot"
)

// storeOwned are the fields a store sets itself on every write.
var storeOwned = cmpopts.IgnoreFields(bot.User{}, "Created", "Updated")

// testEveryField round-trips a user with every field of the record set
// (Filled), through every path that reads or writes a record: UpdateUser's
// answer, User, the record fn is handed next time, a claim, and Settle.
func testEveryField(t *testing.T, newStore func(*testing.T) bot.Store) {
	s := newStore(t)
	ctx := t.Context()
	for _, id := range userIDs {
		want := Filled(id)
		got, err := s.UpdateUser(ctx, id, func(u *bot.User) error { *u = want; return nil })
		if err != nil {
			t.Fatalf("UpdateUser(%s): %v", id, err)
		}
		if diff := cmp.Diff(want, got, storeOwned); diff != "" {
			t.Errorf("UpdateUser(%s) returned (-want +got):\n%s", id, diff)
		}
		if diff := cmp.Diff(want, getUser(t, s, id), storeOwned); diff != "" {
			t.Errorf("User(%s) after writing every field (-want +got):\n%s", id, diff)
		}
		if _, err := s.UpdateUser(ctx, id, func(u *bot.User) error {
			if diff := cmp.Diff(want, *u, storeOwned); diff != "" {
				t.Errorf("UpdateUser(%s) handed fn (-want +got):\n%s", id, diff)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}

	// A claim carries the whole record, and Settle hands it on whole.
	id := userIDs[0]
	want := getUser(t, s, id)
	r := daily(id, past())
	want.SetReminder(r)
	put(t, s, r)
	c := claimOne(t, s, longLease)
	if diff := cmp.Diff(want, c.User, storeOwned, deliveryMarks); diff != "" {
		t.Errorf("Claim.User (-want +got):\n%s", diff)
	}
	err := s.Settle(ctx, c, func(u *bot.User, held bool) error {
		if diff := cmp.Diff(want, *u, storeOwned, deliveryMarks); diff != "" {
			t.Errorf("Settle handed fn (-want +got):\n%s", diff)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Settle: %v", err)
	}
}

// testSettle covers what Settle itself promises, beside the Ack and Retry
// tests that go through it.
func testSettle(t *testing.T, newStore func(*testing.T) bot.Store) {
	setup := func(t *testing.T) (bot.Store, bot.Claim) {
		s := newStore(t)
		put(t, s, daily(bot.DiscordUser("1"), past()))
		return s, claimOne(t, s, longLease)
	}

	t.Run("HeldWritesAndReleases", func(t *testing.T) {
		s, c := setup(t)
		var sawHeld bool
		err := s.Settle(t.Context(), c, func(u *bot.User, held bool) error {
			sawHeld = sawHeld || held // Redis calls fn for both answers
			if held {
				u.Notice = "settled"
			}
			return nil
		})
		if err != nil || !sawHeld {
			t.Fatalf("Settle of a live claim = %v (held %v), want nil and held", err, sawHeld)
		}
		if got := getUser(t, s, c.Reminder.User).Notice; got != "settled" {
			t.Errorf("Notice = %q, want fn's write", got)
		}
		// The lease was given up and the reminder is indexed at its slot,
		// which is still due.
		if again := claimOne(t, s, longLease); !again.Due.Equal(c.Due) {
			t.Errorf("reclaimed Due %v, want %v", again.Due, c.Due)
		}
		wantStale(t, s.Settle(t.Context(), c, func(*bot.User, bool) error { return nil }), "Settle of a released claim")
	})

	t.Run("FnError", func(t *testing.T) {
		s, c := setup(t)
		boom := errors.New("boom")
		before := getUser(t, s, c.Reminder.User)
		err := s.Settle(t.Context(), c, func(u *bot.User, _ bool) error {
			u.Notice, u.Reminders = "never", nil
			return boom
		})
		if !errors.Is(err, boom) {
			t.Errorf("Settle = %v, want fn's error", err)
		}
		if diff := cmp.Diff(before, getUser(t, s, c.Reminder.User), storeTimes); diff != "" {
			t.Errorf("a failed Settle changed the record (-before +after):\n%s", diff)
		}
		// The claim still holds: nothing else can take it.
		wantNoClaims(t, s)
	})

	t.Run("NotHeldWritesOnlyFn", func(t *testing.T) {
		s := newStore(t)
		put(t, s, daily(bot.DiscordUser("1"), past()))
		a := claimOne(t, s, shortLease)
		b := pollClaim(t, s, longLease)[0]
		err := s.Settle(t.Context(), a, func(u *bot.User, held bool) error {
			if !held {
				u.Notice = "late"
			}
			return nil
		})
		wantStale(t, err, "Settle of an expired claim")
		if got := getUser(t, s, a.Reminder.User).Notice; got != "late" {
			t.Errorf("Notice = %q, want the not-held write", got)
		}
		// b's lease is untouched by a's settle.
		wantNoClaims(t, s)
		if err := bot.Ack(t.Context(), s, b, nil); err != nil {
			t.Errorf("Ack of the live claim: %v", err)
		}
	})

	t.Run("SameSlotChangeKeepsTheClaim", func(t *testing.T) {
		s, c := setup(t)
		// The user changes the days but not when it next fires: the claim
		// on this occurrence stays valid.
		r := c.Reminder
		r.Days = bot.EveryDay
		put(t, s, r)
		next := r
		next.Next = future()
		if err := bot.Ack(t.Context(), s, c, &next); err != nil {
			t.Fatalf("Ack: %v", err)
		}
		// The user's change wins over the next computed from the old days;
		// the occurrence is marked sent, so its reclaim is not sent again.
		got := getUser(t, s, r.User).Reminders
		if len(got) != 1 || got[0].Days != bot.EveryDay {
			t.Fatalf("reminders = %+v, want the user's change kept", got)
		}
		if again := claimOne(t, s, longLease); !again.Delivered {
			t.Error("the occurrence acked once was not reported Delivered")
		}
	})

	t.Run("ForgottenUser", func(t *testing.T) {
		s, c := setup(t)
		if err := s.Forget(t.Context(), c.Reminder.User); err != nil {
			t.Fatal(err)
		}
		called := false
		err := s.Settle(t.Context(), c, func(u *bot.User, _ bool) error { called = true; u.Notice = "x"; return nil })
		wantStale(t, err, "Settle for a forgotten user")
		if u := getUser(t, s, c.Reminder.User); !u.IsZero() {
			t.Errorf("Settle re-created a forgotten user: %+v (fn called: %v)", u, called)
		}
	})
}

// testIndexFollowsRecord: what ClaimDue finds is exactly Schedule of the
// records, whatever wrote them.
func testIndexFollowsRecord(t *testing.T, newStore func(*testing.T) bot.Store) {
	s := newStore(t)
	ctx := t.Context()
	id := bot.DiscordUser("1")
	d, o := daily(id, past()), once(id, past().Add(-time.Hour))
	// Both reminders and an unrelated field in one write.
	if _, err := s.UpdateUser(ctx, id, func(u *bot.User) error {
		u.Zone = "Europe/Berlin"
		u.Reminders = []bot.Reminder{d, o}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	cs := claimDue(t, s, 10, shortLease)
	if len(cs) != 2 || cs[0].Reminder.Kind != bot.Once {
		t.Fatalf("claimed %+v, want the once (earlier) then the daily", cs)
	}
	for _, c := range cs {
		waitPast(c.LeaseUntil)
	}
	// Pausing one and clearing the other in one write unschedules both,
	// lapsed leases included.
	if _, err := s.UpdateUser(ctx, id, func(u *bot.User) error {
		r, _ := u.Reminder(bot.Daily)
		r.Paused = "paused by a test"
		u.Reminders = []bot.Reminder{r}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	wantNoClaims(t, s)
	// A write that changes no reminder keeps the index as it is.
	r := daily(id, past())
	put(t, s, r)
	if _, err := s.UpdateUser(ctx, id, func(u *bot.User) error { u.Notice = "hello"; return nil }); err != nil {
		t.Fatal(err)
	}
	if c := claimOne(t, s, longLease); !c.Due.Equal(r.Next) {
		t.Errorf("claimed Due %v, want %v", c.Due, r.Next)
	}
}
