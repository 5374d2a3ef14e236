package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/coachbot/coachbot/bot"
)

// Run runs the conformance suite against the stores newStore makes. Every
// subtest calls newStore for a fresh, empty store of its own; newStore
// registers whatever cleanup the store needs (Close, removing files,
// flushing a server) with the t it is given.
func Run(t *testing.T, newStore func(t *testing.T) bot.Store) {
	t.Helper()
	suites := []struct {
		name string
		run  func(*testing.T, func(*testing.T) bot.Store)
	}{
		{"UnknownUser", testUnknownUser},
		{"EveryField", testEveryField},
		{"Settle", testSettle},
		{"IndexFollowsRecord", testIndexFollowsRecord},
		{"UpdateUser", testUpdateUser},
		{"Reminders", testReminders},
		{"ClaimDue", testClaimDue},
		{"LeaseExpiry", testLeaseExpiry},
		{"Ack", testAck},
		{"OccurrenceMarker", testOccurrenceMarker},
		{"Retry", testRetry},
		{"ChangedWhileClaimed", testChangedWhileClaimed},
		{"ConcurrentClaimers", testConcurrentClaimers},
		{"Release", testRelease},
		{"Forget", testForget},
		{"ForgetDuringDelivery", testForgetDuringDelivery},
		{"DeadLetters", testDeadLetters},
		{"Context", testContext},
		{"InvalidInput", testInvalidInput},
		{"Gate", testGate},
		{"Installations", testInstallations},
	}
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) { s.run(t, newStore) })
	}
}

const (
	// shortLease is long enough for a claim to be acted on in a test, short
	// enough to wait out.
	shortLease = 300 * time.Millisecond
	// longLease outlives any subtest, so a claim made with it holds.
	longLease = time.Minute
	// pollEvery and pollFor bound the wait for a lease to run out: generous,
	// because a loaded CI machine or a remote Redis may be slow, and never
	// an assertion about how long it took.
	pollEvery = 50 * time.Millisecond
	pollFor   = 5 * time.Second
	// clockSkew is how far the store's clock may lag the test's when the
	// suite waits for a lease to run out without claiming it.
	clockSkew = 500 * time.Millisecond
	// opTimeout is how long a call with a cancelled context may take before
	// the suite calls it hung.
	opTimeout = 5 * time.Second
)

// Times are truncated to the second: every store must keep at least
// millisecond precision, so these round-trip exactly and compare with Equal.
func now() time.Time    { return time.Now().UTC().Truncate(time.Second) }
func past() time.Time   { return now().Add(-time.Minute) }
func future() time.Time { return now().Add(24 * time.Hour) }

func daily(id bot.UserID, next time.Time) bot.Reminder {
	return bot.Reminder{
		User:    id,
		Kind:    bot.Daily,
		At:      "09:30",
		Zone:    "Asia/Kolkata",
		Days:    bot.WorkDays,
		Next:    next,
		Created: now().Add(-72 * time.Hour),
	}
}

func once(id bot.UserID, next time.Time) bot.Reminder {
	return bot.Reminder{
		User:    id,
		Kind:    bot.Once,
		Zone:    "UTC",
		Next:    next,
		Created: now().Add(-time.Hour),
	}
}

// rkey names a reminder: a user has at most one of each kind.
type rkey struct {
	User bot.UserID
	Kind bot.ReminderKind
}

func keyOf(r bot.Reminder) rkey { return rkey{r.User, r.Kind} }

// Stores may hand back a nil or an empty slice for "nothing".
var equateEmpty = cmpopts.EquateEmpty()

// storeTimes compares times the store sets itself (Created, Updated), which
// a store may keep to the millisecond only.
var storeTimes = cmpopts.EquateApproxTime(time.Millisecond)

// putReminder sets r as its user's reminder of its kind, as the bot does:
// one UpdateUser.
func putReminder(ctx context.Context, s bot.Store, r bot.Reminder) error {
	_, err := s.UpdateUser(ctx, r.User, func(u *bot.User) error { u.SetReminder(r); return nil })
	return err
}

// deleteReminder removes the user's reminder of the kind, as the bot does.
func deleteReminder(ctx context.Context, s bot.Store, id bot.UserID, kind bot.ReminderKind) error {
	_, err := s.UpdateUser(ctx, id, func(u *bot.User) error { u.DeleteReminder(kind); return nil })
	return err
}

func put(t *testing.T, s bot.Store, rs ...bot.Reminder) {
	t.Helper()
	for _, r := range rs {
		if err := putReminder(t.Context(), s, r); err != nil {
			t.Fatalf("put reminder (%s %s): %v", r.User, r.Kind, err)
		}
	}
}

func claimDue(t *testing.T, s bot.Store, limit int, lease time.Duration) []bot.Claim {
	t.Helper()
	cs, err := s.ClaimDue(t.Context(), limit, lease)
	if err != nil {
		t.Fatalf("ClaimDue(%d, %s): %v", limit, lease, err)
	}
	if len(cs) > limit {
		t.Fatalf("ClaimDue(%d, %s) returned %d claims", limit, lease, len(cs))
	}
	return cs
}

// claimOne claims and expects exactly one claim.
func claimOne(t *testing.T, s bot.Store, lease time.Duration) bot.Claim {
	t.Helper()
	cs := claimDue(t, s, 10, lease)
	if len(cs) != 1 {
		t.Fatalf("ClaimDue claimed %d reminders, want 1: %+v", len(cs), cs)
	}
	return cs[0]
}

func wantNoClaims(t *testing.T, s bot.Store) {
	t.Helper()
	if cs := claimDue(t, s, 10, longLease); len(cs) != 0 {
		t.Fatalf("ClaimDue claimed %d reminders, want none: %+v", len(cs), cs)
	}
}

// pollClaim claims until something comes back, for a lease to run out.
func pollClaim(t *testing.T, s bot.Store, lease time.Duration) []bot.Claim {
	t.Helper()
	deadline := time.Now().Add(pollFor)
	for {
		if cs := claimDue(t, s, 10, lease); len(cs) > 0 {
			return cs
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing became claimable again within %s", pollFor)
		}
		time.Sleep(pollEvery)
	}
}

// waitPast waits until the store's clock has passed deadline, for a test
// that must see a lease run out without claiming the reminder.
func waitPast(deadline time.Time) {
	time.Sleep(time.Until(deadline.Add(clockSkew)))
}

func wantStale(t *testing.T, err error, call string) {
	t.Helper()
	if !errors.Is(err, bot.ErrStaleClaim) {
		t.Errorf("%s = %v, want ErrStaleClaim", call, err)
		return
	}
	if code := bot.ErrorCode(err); code != bot.Conflict {
		t.Errorf("%s: code %q, want %q", call, code, bot.Conflict)
	}
}

// deliveryMarks are the fields the scheduler's Ack writes to mark an
// occurrence sent; tests of Delivered check them, the others ignore them.
var deliveryMarks = cmpopts.IgnoreFields(bot.Reminder{}, "Sent", "RetryAt")

func wantReminders(t *testing.T, s bot.Store, id bot.UserID, want ...bot.Reminder) {
	t.Helper()
	got := getUser(t, s, id).Reminders
	if diff := cmp.Diff(want, got, equateEmpty, deliveryMarks); diff != "" {
		t.Errorf("Reminders(%s) mismatch (-want +got):\n%s", id, diff)
	}
}

func getUser(t *testing.T, s bot.Store, id bot.UserID) bot.User {
	t.Helper()
	u, err := s.User(t.Context(), id)
	if err != nil {
		t.Fatalf("User(%s): %v", id, err)
	}
	return u
}

func near(t *testing.T, what string, got time.Time) {
	t.Helper()
	if d := time.Since(got); got.IsZero() || d > time.Minute || d < -time.Minute {
		t.Errorf("%s = %v, want within a minute of now (%v)", what, got, time.Now())
	}
}

// Ids with colons, and pairs where one is a prefix of the other, catch key
// layouts that split on ":" or select by a bare prefix.
var userIDs = []bot.UserID{"slack:T1:U1", "slack:T1:U10", "slack:T2:U1", "discord:123", "discord:1234", "console:ana"}

func testUnknownUser(t *testing.T, newStore func(*testing.T) bot.Store) {
	s := newStore(t)
	for _, id := range userIDs {
		t.Run(string(id), func(t *testing.T) {
			ctx := t.Context()
			u := getUser(t, s, id)
			if diff := cmp.Diff(bot.User{ID: id}, u, equateEmpty, deliveryMarks); diff != "" {
				t.Errorf("User mismatch (-want +got):\n%s", diff)
			}
			if !u.IsZero() {
				t.Errorf("User(%s).IsZero() = false for an unknown user", id)
			}
			wantReminders(t, s, id)
			if err := s.Forget(ctx, id); err != nil {
				t.Errorf("Forget(%s) = %v, want nil", id, err)
			}
			if u := getUser(t, s, id); !u.IsZero() {
				t.Errorf("after Forget, User(%s) = %+v, want an unknown user", id, u)
			}
		})
	}
	wantNoClaims(t, s)
}

func testUpdateUser(t *testing.T, newStore func(*testing.T) bot.Store) {
	t.Run("RoundTrip", func(t *testing.T) {
		s := newStore(t)
		id := bot.SlackUser("T1", "U1")
		var want bot.User
		// Each step changes fields of the last record; fn assigns rather
		// than accumulates because a store may call it more than once.
		steps := []struct {
			name   string
			change func(*bot.User)
		}{
			{"first write", func(u *bot.User) {
				u.Done = []string{"internet", "os-basics"}
				u.Streak = bot.Streak{Last: "2025-03-04", Current: 3, Best: 7, Days: 12}
				u.Zone = "Asia/Kolkata"
				u.Notice = "I couldn't send you a reminder: your DMs are closed."
			}},
			{"Done", func(u *bot.User) { u.Done = []string{"internet", "os-basics", "git"} }},
			{"Streak", func(u *bot.User) { u.Streak = bot.Streak{Last: "2025-03-05", Current: 4, Best: 7, Days: 13} }},
			{"Zone", func(u *bot.User) { u.Zone = "America/Argentina/Buenos_Aires" }},
			{"Notice cleared", func(u *bot.User) { u.Notice = "" }},
			{"Done cleared", func(u *bot.User) { u.Done = nil }},
		}
		var first bot.User
		for i, step := range steps {
			wantBefore := want
			step.change(&want)
			got, err := s.UpdateUser(t.Context(), id, func(u *bot.User) error {
				if diff := cmp.Diff(wantBefore, *u, equateEmpty, cmpopts.IgnoreFields(bot.User{}, "ID", "Created", "Updated")); diff != "" {
					t.Errorf("%s: fn got a record that differs from the last write (-want +got):\n%s", step.name, diff)
				}
				if u.ID != id {
					t.Errorf("%s: fn got ID %q, want %q", step.name, u.ID, id)
				}
				step.change(u)
				return nil
			})
			if err != nil {
				t.Fatalf("%s: UpdateUser: %v", step.name, err)
			}
			want.ID = id
			if diff := cmp.Diff(want, got, equateEmpty, cmpopts.IgnoreFields(bot.User{}, "Created", "Updated")); diff != "" {
				t.Errorf("%s: UpdateUser returned (-want +got):\n%s", step.name, diff)
			}
			near(t, step.name+": Created", got.Created)
			near(t, step.name+": Updated", got.Updated)
			if i == 0 {
				first = got
			} else if !got.Created.Round(time.Millisecond).Equal(first.Created.Round(time.Millisecond)) {
				t.Errorf("%s: Created = %v, want it kept from the first write (%v)", step.name, got.Created, first.Created)
			}
			if diff := cmp.Diff(got, getUser(t, s, id), equateEmpty, storeTimes, deliveryMarks); diff != "" {
				t.Errorf("%s: User after UpdateUser (-returned +read):\n%s", step.name, diff)
			}
		}
	})

	t.Run("FnError", func(t *testing.T) {
		errs := []struct {
			name string
			err  error
		}{
			{"plain", errors.New("boom")},
			{"coded", bot.Errorf(bot.Invalid, "There is no step 42.")},
		}
		for _, e := range errs {
			t.Run(e.name, func(t *testing.T) {
				s := newStore(t)
				ctx := t.Context()
				fail := func(u *bot.User) error {
					u.Zone = "Asia/Tokyo"
					u.Streak.Days = 99
					u.Done = append(u.Done, "never")
					return e.err
				}

				unknown := bot.DiscordUser("1")
				if _, err := s.UpdateUser(ctx, unknown, fail); !errors.Is(err, e.err) {
					t.Errorf("UpdateUser of an unknown user = %v, want fn's error %v", err, e.err)
				}
				if u := getUser(t, s, unknown); !u.IsZero() {
					t.Errorf("a failed UpdateUser wrote %+v", u)
				}

				known := bot.DiscordUser("2")
				before, err := s.UpdateUser(ctx, known, func(u *bot.User) error { u.Zone = "UTC"; return nil })
				if err != nil {
					t.Fatal(err)
				}
				_, err = s.UpdateUser(ctx, known, fail)
				if !errors.Is(err, e.err) {
					t.Errorf("UpdateUser = %v, want fn's error %v", err, e.err)
				}
				if want := bot.ErrorCode(e.err); bot.ErrorCode(err) != want {
					t.Errorf("UpdateUser error code %q, want fn's %q", bot.ErrorCode(err), want)
				}
				if diff := cmp.Diff(before, getUser(t, s, known), equateEmpty, storeTimes, deliveryMarks); diff != "" {
					t.Errorf("a failed UpdateUser changed the record (-before +after):\n%s", diff)
				}
			})
		}
	})

	t.Run("Isolation", func(t *testing.T) {
		s := newStore(t)
		want := map[bot.UserID]bot.User{}
		for i, id := range userIDs {
			u, err := s.UpdateUser(t.Context(), id, func(u *bot.User) error {
				u.Done = []string{"step-of-" + string(id)}
				u.Streak.Days = i + 1
				u.Zone = fmt.Sprintf("Etc/GMT+%d", i+1)
				return nil
			})
			if err != nil {
				t.Fatalf("UpdateUser(%s): %v", id, err)
			}
			want[id] = u
		}
		for _, id := range userIDs {
			if diff := cmp.Diff(want[id], getUser(t, s, id), equateEmpty, storeTimes, deliveryMarks); diff != "" {
				t.Errorf("User(%s) mismatch (-want +got):\n%s", id, diff)
			}
		}
	})

	t.Run("Atomic", func(t *testing.T) {
		s := newStore(t)
		id := bot.ConsoleUser("ana")
		const workers, increments = 20, 10
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for range increments {
					_, err := s.UpdateUser(t.Context(), id, func(u *bot.User) error {
						u.Streak.Days++
						return nil
					})
					if err != nil {
						t.Errorf("UpdateUser: %v", err)
						return
					}
				}
			})
		}
		wg.Wait()
		if got := getUser(t, s, id).Streak.Days; got != workers*increments {
			t.Errorf("after %d concurrent increments Streak.Days = %d: updates were lost", workers*increments, got)
		}
	})
}

func testReminders(t *testing.T, newStore func(*testing.T) bot.Store) {
	t.Run("RoundTrip", func(t *testing.T) {
		paused := daily(bot.DiscordUser("3"), past())
		paused.Paused = "I can't send you direct messages: open them and say `remind daily` again."
		retried := once(bot.DiscordUser("4"), future())
		retried.Attempts = 3
		oneDay := daily(bot.DiscordUser("5"), future())
		oneDay.Days = 1 << time.Wednesday
		cases := []struct {
			name string
			r    bot.Reminder
		}{
			{"daily on workdays", daily(bot.DiscordUser("1"), future())},
			{"daily on one day", oneDay},
			{"daily every day", func() bot.Reminder { r := daily(bot.DiscordUser("6"), future()); r.Days = bot.EveryDay; return r }()},
			{"once", once(bot.DiscordUser("2"), future())},
			{"paused", paused},
			{"with attempts", retried},
		}
		s := newStore(t)
		for _, c := range cases {
			put(t, s, c.r)
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) { wantReminders(t, s, c.r.User, c.r) })
		}
	})

	t.Run("OrderedByKind", func(t *testing.T) {
		s := newStore(t)
		id := bot.SlackUser("T1", "U1")
		d, o := daily(id, future()), once(id, future().Add(time.Hour))
		put(t, s, o, d) // put in the other order: the order is the store's job
		wantReminders(t, s, id, d, o)
	})

	t.Run("Isolation", func(t *testing.T) {
		s := newStore(t)
		for i, id := range userIDs {
			put(t, s, daily(id, future().Add(time.Duration(i)*time.Minute)))
		}
		for i, id := range userIDs {
			wantReminders(t, s, id, daily(id, future().Add(time.Duration(i)*time.Minute)))
		}
	})

	t.Run("Replace", func(t *testing.T) {
		s := newStore(t)
		id := bot.DiscordUser("1")
		d, o := daily(id, future()), once(id, future())
		put(t, s, d, o)
		d2 := d
		d2.At, d2.Zone, d2.Days = "18:45", "Europe/Berlin", bot.Weekend
		d2.Next = future().Add(2 * time.Hour)
		d2.Created = now()
		put(t, s, d2)
		wantReminders(t, s, id, d2, o)
	})

	t.Run("Delete", func(t *testing.T) {
		s := newStore(t)
		id := bot.DiscordUser("1")
		d, o := daily(id, future()), once(id, future())
		put(t, s, d, o)
		steps := []struct {
			kind bot.ReminderKind
			want []bot.Reminder
		}{
			{bot.Once, []bot.Reminder{d}},
			{bot.Once, []bot.Reminder{d}}, // deleting what is gone is not an error
			{bot.Daily, nil},
		}
		for _, step := range steps {
			if err := deleteReminder(t.Context(), s, id, step.kind); err != nil {
				t.Fatalf("DeleteReminder(%s): %v", step.kind, err)
			}
			wantReminders(t, s, id, step.want...)
		}
	})
}

func testClaimDue(t *testing.T, newStore func(*testing.T) bot.Store) {
	t.Run("OnlyDue", func(t *testing.T) {
		s := newStore(t)
		due := daily(bot.DiscordUser("1"), past())
		dueOnce := once(bot.DiscordUser("1"), past().Add(-time.Hour))
		later := daily(bot.DiscordUser("2"), future())
		paused := daily(bot.DiscordUser("3"), past())
		paused.Paused = "Your DMs are closed."
		put(t, s, due, dueOnce, later, paused)

		cs := claimDue(t, s, 10, longLease)
		want := map[rkey]bot.Reminder{keyOf(due): due, keyOf(dueOnce): dueOnce}
		if len(cs) != len(want) {
			t.Fatalf("ClaimDue claimed %d reminders, want the %d due ones: %+v", len(cs), len(want), cs)
		}
		seen := map[rkey]bool{}
		for _, c := range cs {
			k := keyOf(c.Reminder)
			r, ok := want[k]
			if !ok || seen[k] {
				t.Errorf("claimed %v, which is not due or was claimed twice", k)
				continue
			}
			seen[k] = true
			if diff := cmp.Diff(r, c.Reminder, equateEmpty, deliveryMarks); diff != "" {
				t.Errorf("Claim.Reminder mismatch (-want +got):\n%s", diff)
			}
			if !c.Due.Equal(r.Next) {
				t.Errorf("Claim.Due = %v, want Reminder.Next %v", c.Due, r.Next)
			}
			if c.Token == "" {
				t.Error("Claim.Token is empty")
			}
			near(t, "Claim.Now", c.Now)
			if !c.LeaseUntil.After(c.Now) {
				t.Errorf("Claim.LeaseUntil %v is not after Claim.Now %v", c.LeaseUntil, c.Now)
			}
			if d := c.LeaseUntil.Sub(c.Now) - longLease; d > time.Second || d < -time.Second {
				t.Errorf("lease of %s, asked for %s", c.LeaseUntil.Sub(c.Now), longLease)
			}
			if c.Delivered {
				t.Error("Claim.Delivered = true for an occurrence never acked")
			}
		}
		if len(cs) == 2 && cs[0].Token == cs[1].Token {
			t.Errorf("two claims share the token %q", cs[0].Token)
		}
		// A claim leaves the reminder as the user sees it.
		wantReminders(t, s, due.User, due, dueOnce)
		// The lease holds, the future one is not due, the paused one never is.
		wantNoClaims(t, s)
	})

	t.Run("Limit", func(t *testing.T) {
		s := newStore(t)
		const n = 5
		for i := range n {
			put(t, s, daily(bot.DiscordUser(fmt.Sprint(i)), past().Add(-time.Duration(i)*time.Minute)))
		}
		seen := map[rkey]int{}
		for _, step := range []struct{ limit, want int }{{2, 2}, {2, 2}, {10, 1}, {10, 0}} {
			cs := claimDue(t, s, step.limit, longLease)
			if len(cs) != step.want {
				t.Fatalf("ClaimDue(%d) claimed %d, want %d", step.limit, len(cs), step.want)
			}
			for _, c := range cs {
				seen[keyOf(c.Reminder)]++
			}
		}
		if len(seen) != n {
			t.Errorf("claimed %d distinct reminders, want %d: %v", len(seen), n, seen)
		}
		for k, times := range seen {
			if times != 1 {
				t.Errorf("%v claimed %d times", k, times)
			}
		}
	})
}

func testLeaseExpiry(t *testing.T, newStore func(*testing.T) bot.Store) {
	s := newStore(t)
	ctx := t.Context()
	r := daily(bot.SlackUser("T1", "U1"), past())
	put(t, s, r)

	first := claimOne(t, s, shortLease)
	// Nobody acks: the lease runs out and the reminder comes back.
	cs := pollClaim(t, s, longLease)
	if len(cs) != 1 {
		t.Fatalf("after the lease ran out ClaimDue claimed %d, want 1", len(cs))
	}
	second := cs[0]
	if second.Token == first.Token {
		t.Errorf("the new claim reuses the old token %q", first.Token)
	}
	if !second.Due.Equal(first.Due) {
		t.Errorf("the new claim is of occurrence %v, want the same %v", second.Due, first.Due)
	}
	if diff := cmp.Diff(first.Reminder, second.Reminder, equateEmpty, deliveryMarks); diff != "" {
		t.Errorf("the reclaimed reminder changed (-first +second):\n%s", diff)
	}

	next := r
	next.Next = future()
	wantStale(t, bot.Ack(ctx, s, first, &next), "Ack with the expired claim")
	wantStale(t, bot.Retry(ctx, s, first, past()), "Retry with the expired claim")
	wantReminders(t, s, r.User, r)
	wantNoClaims(t, s) // the second claim still holds

	if err := bot.Ack(ctx, s, second, nil); err != nil {
		t.Fatalf("Ack with the live claim: %v", err)
	}
	wantReminders(t, s, r.User)
}

func testAck(t *testing.T, newStore func(*testing.T) bot.Store) {
	setup := func(t *testing.T) (bot.Store, bot.Reminder, bot.Claim) {
		s := newStore(t)
		r := daily(bot.DiscordUser("1"), past())
		r.Attempts = 2
		put(t, s, r)
		return s, r, claimOne(t, s, longLease)
	}

	t.Run("NextInFuture", func(t *testing.T) {
		s, r, c := setup(t)
		next := r
		next.Next, next.Attempts = future(), 0
		if err := bot.Ack(t.Context(), s, c, &next); err != nil {
			t.Fatalf("Ack: %v", err)
		}
		wantReminders(t, s, r.User, next)
		wantNoClaims(t, s)
		// The ack ended the lease: the same claim cannot ack twice.
		wantStale(t, bot.Ack(t.Context(), s, c, &next), "a second Ack of the same claim")
		wantReminders(t, s, r.User, next)
	})

	t.Run("NextInPast", func(t *testing.T) {
		s, r, c := setup(t)
		next := r
		next.Next, next.Attempts = r.Next.Add(-time.Hour), 0
		if err := bot.Ack(t.Context(), s, c, &next); err != nil {
			t.Fatalf("Ack: %v", err)
		}
		again := claimOne(t, s, longLease)
		if diff := cmp.Diff(next, again.Reminder, equateEmpty, deliveryMarks); diff != "" {
			t.Errorf("claimed reminder mismatch (-want +got):\n%s", diff)
		}
		if !again.Due.Equal(next.Next) {
			t.Errorf("Due = %v, want %v", again.Due, next.Next)
		}
		if again.Delivered {
			t.Error("Delivered = true for an occurrence never acked")
		}
	})

	t.Run("Nil", func(t *testing.T) {
		s, r, c := setup(t)
		if err := bot.Ack(t.Context(), s, c, nil); err != nil {
			t.Fatalf("Ack: %v", err)
		}
		wantReminders(t, s, r.User)
		wantNoClaims(t, s)
	})

	t.Run("Paused", func(t *testing.T) {
		s, r, c := setup(t)
		next := r
		next.Next = r.Next.Add(-time.Hour) // due, were it not paused
		next.Paused = "I can't send you direct messages."
		next.Attempts = 0 // an ack ends the occurrence's attempts
		if err := bot.Ack(t.Context(), s, c, &next); err != nil {
			t.Fatalf("Ack: %v", err)
		}
		wantReminders(t, s, r.User, next)
		wantNoClaims(t, s)

		// Unpausing is a write of the reminder; then it is due again.
		next.Paused = ""
		put(t, s, next)
		if got := claimOne(t, s, longLease); !got.Due.Equal(next.Next) {
			t.Errorf("after unpausing claimed Due %v, want %v", got.Due, next.Next)
		}
	})
}

func testOccurrenceMarker(t *testing.T, newStore func(*testing.T) bot.Store) {
	t.Run("LateAck", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		r := daily(bot.DiscordUser("1"), past())
		put(t, s, r)

		a := claimOne(t, s, shortLease)
		if a.Delivered {
			t.Error("Delivered = true for a fresh occurrence")
		}
		// A delivers, but too slowly: its lease runs out before it acks.
		waitPast(a.LeaseUntil)
		next := r
		next.Next = future()
		wantStale(t, bot.Ack(ctx, s, a, &next), "Ack after the lease ran out")
		wantReminders(t, s, r.User, r) // a stale ack changes nothing but the marker

		b := pollClaim(t, s, longLease)
		if len(b) != 1 {
			t.Fatalf("claimed %d, want 1", len(b))
		}
		if !b[0].Due.Equal(a.Due) {
			t.Fatalf("B claimed occurrence %v, want A's %v", b[0].Due, a.Due)
		}
		if !b[0].Delivered {
			t.Error("B's claim has Delivered = false, but A acked this occurrence")
		}
		if err := bot.Ack(ctx, s, b[0], &next); err != nil {
			t.Fatalf("B's Ack: %v", err)
		}
		wantReminders(t, s, r.User, next)
	})

	t.Run("PerOccurrence", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		r := daily(bot.DiscordUser("1"), past())
		put(t, s, r)

		first := claimOne(t, s, longLease)
		other := r
		other.Next = r.Next.Add(-time.Hour)
		if err := bot.Ack(ctx, s, first, &other); err != nil {
			t.Fatal(err)
		}
		c := claimOne(t, s, longLease)
		if c.Delivered {
			t.Errorf("occurrence %v: Delivered = true, but only %v was acked", c.Due, first.Due)
		}
	})
}

func testRetry(t *testing.T, newStore func(*testing.T) bot.Store) {
	setup := func(t *testing.T) (bot.Store, bot.Reminder, bot.Claim) {
		s := newStore(t)
		r := daily(bot.DiscordUser("1"), past())
		put(t, s, r)
		return s, r, claimOne(t, s, longLease)
	}

	t.Run("AtInPast", func(t *testing.T) {
		s, r, c := setup(t)
		ctx := t.Context()
		if err := bot.Retry(ctx, s, c, now().Add(-time.Second)); err != nil {
			t.Fatalf("Retry: %v", err)
		}
		// Not Ack: a stale ack still records the occurrence as delivered.
		wantStale(t, bot.Retry(ctx, s, c, past()), "a second Retry of the same claim")

		for attempts := 1; attempts <= 2; attempts++ {
			again := claimOne(t, s, longLease)
			want := r
			want.Attempts = attempts
			if diff := cmp.Diff(want, again.Reminder, equateEmpty, deliveryMarks); diff != "" {
				t.Errorf("retried reminder mismatch (-want +got):\n%s", diff)
			}
			if !again.Due.Equal(c.Due) {
				t.Errorf("a retry is of the same occurrence: Due = %v, want %v", again.Due, c.Due)
			}
			if again.Token == c.Token {
				t.Error("the retried claim reuses the old token")
			}
			if again.Delivered {
				t.Error("Delivered = true for an occurrence never acked")
			}
			if attempts == 1 {
				if err := bot.Retry(ctx, s, again, past()); err != nil {
					t.Fatalf("Retry: %v", err)
				}
			}
		}
	})

	t.Run("AtInFuture", func(t *testing.T) {
		s, r, c := setup(t)
		if err := bot.Retry(t.Context(), s, c, future()); err != nil {
			t.Fatalf("Retry: %v", err)
		}
		wantNoClaims(t, s)
		want := r
		want.Attempts = 1
		wantReminders(t, s, r.User, want)
	})
}

func testChangedWhileClaimed(t *testing.T, newStore func(*testing.T) bot.Store) {
	id := bot.DiscordUser("1")
	r := daily(id, past())
	replacement := r
	replacement.At, replacement.Days, replacement.Created = "07:15", bot.EveryDay, now()
	// Each time is taken once: past() and future() move with the clock, and
	// an expectation computed a second later would differ from the write.
	later, earlier := future(), past().Add(-time.Hour)

	cases := []struct {
		name   string
		change func(context.Context, bot.Store) error
		want   []bot.Reminder // the user's reminders after the change
		due    bool           // the change left a due reminder to claim
	}{
		{"PutFuture", func(ctx context.Context, s bot.Store) error {
			r := replacement
			r.Next = later
			return putReminder(ctx, s, r)
		}, []bot.Reminder{func() bot.Reminder { r := replacement; r.Next = later; return r }()}, false},
		{"PutDue", func(ctx context.Context, s bot.Store) error {
			r := replacement
			r.Next = earlier
			return putReminder(ctx, s, r)
		}, []bot.Reminder{func() bot.Reminder { r := replacement; r.Next = earlier; return r }()}, true},
		{"Delete", func(ctx context.Context, s bot.Store) error {
			return deleteReminder(ctx, s, id, bot.Daily)
		}, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			ctx := t.Context()
			put(t, s, r)
			c := claimOne(t, s, longLease)
			if err := tc.change(ctx, s); err != nil {
				t.Fatal(err)
			}
			next := r
			next.Next = future().Add(time.Hour)
			wantStale(t, bot.Ack(ctx, s, c, &next), "Ack of a claim on a changed reminder")
			wantStale(t, bot.Retry(ctx, s, c, past()), "Retry of a claim on a changed reminder")
			wantStale(t, bot.Ack(ctx, s, c, nil), "Ack(nil) of a claim on a changed reminder")
			wantReminders(t, s, id, tc.want...)
			if !tc.due {
				wantNoClaims(t, s)
				return
			}
			// The old claim's lease does not hold up the new reminder.
			nc := claimOne(t, s, longLease)
			if diff := cmp.Diff(tc.want[0], nc.Reminder, equateEmpty, deliveryMarks); diff != "" {
				t.Errorf("claimed reminder mismatch (-want +got):\n%s", diff)
			}
			if err := bot.Ack(ctx, s, nc, nil); err != nil {
				t.Errorf("Ack of the new claim: %v", err)
			}
		})
	}
}

func testConcurrentClaimers(t *testing.T, newStore func(*testing.T) bot.Store) {
	const reminders, limit = 300, 7
	for _, claimers := range []int{2, 4} {
		t.Run(fmt.Sprintf("%dClaimers", claimers), func(t *testing.T) {
			s := newStore(t)
			for i := range reminders {
				put(t, s, daily(bot.ConsoleUser(fmt.Sprintf("user-%03d", i)), past().Add(-time.Duration(i)*time.Second)))
			}
			var (
				mu     sync.Mutex
				counts = map[rkey]int{}
				wg     sync.WaitGroup
			)
			for range claimers {
				wg.Go(func() {
					for {
						cs, err := s.ClaimDue(t.Context(), limit, longLease)
						if err != nil {
							t.Errorf("ClaimDue: %v", err)
							return
						}
						if len(cs) > limit {
							t.Errorf("ClaimDue(%d) returned %d claims", limit, len(cs))
						}
						if len(cs) == 0 {
							return
						}
						mu.Lock()
						for _, c := range cs {
							counts[keyOf(c.Reminder)]++
						}
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if len(counts) != reminders {
				t.Errorf("%d distinct reminders claimed, want %d", len(counts), reminders)
			}
			for k, n := range counts {
				if n != 1 {
					t.Errorf("%v claimed %d times while its lease held", k, n)
				}
			}
		})
	}
}

func testForget(t *testing.T, newStore func(*testing.T) bot.Store) {
	s := newStore(t)
	ctx := t.Context()
	// b's id starts with a's: forgetting a must not reach b.
	a, b := bot.SlackUser("T1", "U1"), bot.SlackUser("T1", "U10")
	var users []bot.User
	for _, id := range []bot.UserID{a, b} {
		u, err := s.UpdateUser(ctx, id, func(u *bot.User) error {
			u.Done, u.Zone = []string{"internet"}, "Asia/Kolkata"
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}

	// a's daily is claimed with a lease that outlives the test, a's once and
	// b's daily with short ones that the test waits out.
	put(t, s, daily(a, past()))
	held := claimOne(t, s, longLease)
	bDaily, bOnce := daily(b, past()), once(b, future())
	put(t, s, once(a, past()), bDaily, bOnce)
	short := claimDue(t, s, 10, shortLease)
	if len(short) != 2 {
		t.Fatalf("claimed %d, want a's once and b's daily", len(short))
	}

	if err := s.Forget(ctx, a); err != nil {
		t.Fatalf("Forget: %v", err)
	}
	if u := getUser(t, s, a); !u.IsZero() {
		t.Errorf("after Forget User = %+v, want an unknown user", u)
	}
	wantReminders(t, s, a)
	wantStale(t, bot.Ack(ctx, s, held, nil), "Ack of a forgotten user's claim")
	wantStale(t, bot.Retry(ctx, s, held, past()), "Retry of a forgotten user's claim")

	// Once the short leases run out only b's reminder comes back.
	for _, c := range short {
		waitPast(c.LeaseUntil)
	}
	back := pollClaim(t, s, longLease)
	if len(back) != 1 || back[0].Reminder.User != b {
		t.Errorf("after the leases ran out claimed %+v, want only b's daily", back)
	}
	wantNoClaims(t, s)

	if diff := cmp.Diff(users[1], getUser(t, s, b), equateEmpty, storeTimes, cmpopts.IgnoreFields(bot.User{}, "Reminders", "Updated")); diff != "" {
		t.Errorf("Forget(a) changed b (-before +after):\n%s", diff)
	}
	wantReminders(t, s, b, bDaily, bOnce)
}

func testContext(t *testing.T, newStore func(*testing.T) bot.Store) {
	t.Run("Ping", func(t *testing.T) {
		if err := newStore(t).Ping(t.Context()); err != nil {
			t.Errorf("Ping = %v, want nil", err)
		}
	})

	t.Run("Cancelled", func(t *testing.T) {
		s := newStore(t)
		id := bot.DiscordUser("1")
		r := daily(id, past())
		put(t, s, r)
		c := claimOne(t, s, longLease)

		cancelled, cancel := context.WithCancel(t.Context())
		cancel()
		calls := []struct {
			name string
			call func(context.Context) error
		}{
			{"User", func(ctx context.Context) error { _, err := s.User(ctx, id); return err }},
			{"UpdateUser", func(ctx context.Context) error {
				_, err := s.UpdateUser(ctx, id, func(u *bot.User) error { u.Zone = "UTC"; return nil })
				return err
			}},
			{"Settle", func(ctx context.Context) error {
				return s.Settle(ctx, c, func(u *bot.User, _ bool) error { u.Zone = "UTC"; return nil })
			}},
			{"ClaimDue", func(ctx context.Context) error { _, err := s.ClaimDue(ctx, 10, longLease); return err }},
			{"Ack", func(ctx context.Context) error { return bot.Ack(ctx, s, c, nil) }},
			{"Retry", func(ctx context.Context) error { return bot.Retry(ctx, s, c, past()) }},
			{"Forget", func(ctx context.Context) error { return s.Forget(ctx, id) }},
			{"Ping", func(ctx context.Context) error { return s.Ping(ctx) }},
		}
		for _, call := range calls {
			t.Run(call.name, func(t *testing.T) {
				done := make(chan error, 1)
				go func() { done <- call.call(cancelled) }()
				select {
				case err := <-done:
					if err == nil {
						t.Errorf("%s with a cancelled context = nil, want an error", call.name)
					}
				case <-time.After(opTimeout):
					t.Fatalf("%s with a cancelled context did not return within %s", call.name, opTimeout)
				}
			})
		}

		// Nothing the cancelled calls asked for happened.
		if u := getUser(t, s, id); u.Zone != "" {
			t.Errorf("User = %+v, want the zone unset", u)
		}
		wantReminders(t, s, id, r)
		if err := bot.Ack(t.Context(), s, c, nil); err != nil {
			t.Errorf("Ack of the claim the cancelled calls left alone: %v", err)
		}
	})
}

// testInvalidInput: ids and kinds that would break a key layout, reminders
// without a time, nonsense limits and an ack that names another reminder
// are refused as Invalid, by every store alike.
func testInvalidInput(t *testing.T, newStore func(*testing.T) bot.Store) {
	s := newStore(t)
	ctx := t.Context()
	due := time.Now().Add(-time.Minute)
	good := bot.Reminder{User: bot.DiscordUser("1"), Kind: bot.Once, Next: due}
	if err := putReminder(ctx, s, good); err != nil {
		t.Fatal(err)
	}
	cs, err := s.ClaimDue(ctx, 1, time.Minute)
	if err != nil || len(cs) != 1 {
		t.Fatalf("ClaimDue = %v, %v", cs, err)
	}
	with := func(f func(*bot.Reminder)) bot.Reminder { r := good; f(&r); return r }
	calls := []struct {
		name string
		err  error
	}{
		{"User with NUL", func() error { _, err := s.User(ctx, "console:a\x00b"); return err }()},
		{"User empty", func() error { _, err := s.User(ctx, ""); return err }()},
		{"UpdateUser with NUL", func() error {
			_, err := s.UpdateUser(ctx, "console:\x00", func(*bot.User) error { return nil })
			return err
		}()},
		{"reminder without kind", putReminder(ctx, s, with(func(r *bot.Reminder) { r.Kind = "" }))},
		{"reminder without time", putReminder(ctx, s, with(func(r *bot.Reminder) { r.Next = time.Time{} }))},
		{"reminder kind with NUL", putReminder(ctx, s, with(func(r *bot.Reminder) { r.Kind = "once\x00" }))},
		{"two reminders of one kind", func() error {
			_, err := s.UpdateUser(ctx, good.User, func(u *bot.User) error {
				u.Reminders = append(u.Reminders, good, good)
				return nil
			})
			return err
		}()},
		{"Forget empty", s.Forget(ctx, "")},
		{"ClaimDue limit 0", func() error { _, err := s.ClaimDue(ctx, 0, time.Minute); return err }()},
		{"ClaimDue lease 0", func() error { _, err := s.ClaimDue(ctx, 1, 0); return err }()},
	}
	for _, c := range calls {
		if code := bot.ErrorCode(c.err); code != bot.Invalid {
			t.Errorf("%s: %v, want an Invalid error", c.name, c.err)
		}
	}
	// A next with User and Kind left empty is the claimed reminder's.
	if err := bot.Ack(ctx, s, cs[0], &bot.Reminder{Next: due.Add(time.Hour)}); err != nil {
		t.Errorf("Ack with an unnamed next: %v", err)
	}
	rs := getUser(t, s, good.User).Reminders
	if len(rs) != 1 || rs[0].Kind != bot.Once {
		t.Errorf("Reminders = %+v; want the once reminder", rs)
	}
	if err := putReminder(ctx, s, with(func(r *bot.Reminder) { r.Next, r.Paused = time.Time{}, "paused" })); err != nil {
		t.Errorf("a paused reminder needs no time: %v", err)
	}
}

// testRelease: a claim given back unsent (a shutdown, a lease about to run
// out) is claimable again at once and is not a failed attempt, however
// often it happens; Retry is one.
func testRelease(t *testing.T, newStore func(*testing.T) bot.Store) {
	s := newStore(t)
	ctx := t.Context()
	r := daily(bot.DiscordUser("1"), past())
	put(t, s, r)
	c := claimOne(t, s, longLease)
	for i := range 6 { // six rolling restarts
		if err := bot.Release(ctx, s, c); err != nil {
			t.Fatalf("Release %d: %v", i+1, err)
		}
		c = claimOne(t, s, longLease)
		if c.Reminder.Attempts != 0 || !c.Due.Equal(r.Next) || c.Delivered {
			t.Fatalf("after %d releases claimed attempts %d, due %v, delivered %v; want 0, %v, false",
				i+1, c.Reminder.Attempts, c.Due, c.Delivered, r.Next)
		}
	}
	if err := bot.Retry(ctx, s, c, past()); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	c = claimOne(t, s, longLease)
	if err := bot.Release(ctx, s, c); err != nil {
		t.Fatalf("Release after Retry: %v", err)
	}
	if c = claimOne(t, s, longLease); c.Reminder.Attempts != 1 {
		t.Errorf("after a Retry and a Release attempts = %d, want 1", c.Reminder.Attempts)
	}
	wantStale(t, bot.Release(ctx, s, acked(t, s, c)), "Release of a claim acked meanwhile")
}

// acked acks c and returns it: a claim that no longer holds its lease.
func acked(t *testing.T, s bot.Store, c bot.Claim) bot.Claim {
	t.Helper()
	if err := bot.Ack(t.Context(), s, c, nil); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	return c
}

// testForgetDuringDelivery: a user forgotten while a claim of theirs is
// out stays forgotten, whatever the delivery writes after: its ack, retry,
// release or pause (Settle), the DM channel the adapter caches
// (UpdateKept) and its dead letter. Nothing re-creates the record.
func testForgetDuringDelivery(t *testing.T, newStore func(*testing.T) bot.Store) {
	s := newStore(t)
	ctx := t.Context()
	id := bot.SlackUser("T1", "U1")
	if _, err := s.UpdateUser(ctx, id, func(u *bot.User) error { u.Zone = "Asia/Kolkata"; return nil }); err != nil {
		t.Fatal(err)
	}
	r := daily(id, past())
	put(t, s, r)
	c := claimOne(t, s, longLease)
	if !c.User.Kept() {
		t.Fatalf("the claim's record is not kept: %+v", c.User)
	}
	if err := s.Forget(ctx, id); err != nil {
		t.Fatalf("Forget: %v", err)
	}

	next := r
	next.Next = future()
	wantStale(t, bot.Ack(ctx, s, c, &next), "Ack after Forget")
	wantStale(t, bot.Retry(ctx, s, c, future()), "Retry after Forget")
	wantStale(t, bot.Release(ctx, s, c), "Release after Forget")
	wantStale(t, s.Settle(ctx, c, func(u *bot.User, held bool) error {
		u.Notice = "Your reminders are paused."
		u.SetReminder(next)
		return nil
	}), "a pause's Settle after Forget")
	if _, err := bot.UpdateKept(ctx, s, id, func(u *bot.User) error { u.DMChannel = "D1"; return nil }); !errors.Is(err, bot.ErrNotKept) {
		t.Errorf("UpdateKept after Forget = %v, want ErrNotKept", err)
	}
	if dl, ok := s.(bot.DeadLetters); ok {
		dead := c
		dead.Reminder.Attempts = 6
		if err := dl.DeadLetter(ctx, dead, "platform down"); err != nil {
			t.Errorf("DeadLetter after Forget: %v", err)
		}
		if got, err := dl.DeadLettersOf(ctx, id); err != nil || len(got) != 0 {
			t.Errorf("after Forget DeadLettersOf = %+v, %v; want none", got, err)
		}
	}
	if u := getUser(t, s, id); !u.IsZero() {
		t.Errorf("the forgotten user came back: %+v", u)
	}
	wantNoClaims(t, s)

	// UpdateKept changes a record that is kept, and a new command of the
	// user's (UpdateUser) starts a new one.
	if _, err := s.UpdateUser(ctx, id, func(u *bot.User) error { return nil }); err != nil {
		t.Fatal(err)
	}
	u, err := bot.UpdateKept(ctx, s, id, func(u *bot.User) error { u.DMChannel = "D2"; return nil })
	if err != nil || u.DMChannel != "D2" || !getUser(t, s, id).Kept() {
		t.Errorf("UpdateKept of a kept user = %+v, %v", u, err)
	}
}

// testDeadLetters, for a store that keeps them (bot.DeadLetters): each
// user's entries read back newest first, and Forget deletes them, only
// theirs.
func testDeadLetters(t *testing.T, newStore func(*testing.T) bot.Store) {
	s := newStore(t)
	dl, ok := s.(bot.DeadLetters)
	if !ok {
		t.Skip("the store keeps no dead letters")
	}
	ctx := t.Context()
	// b's id starts with a's: reading or forgetting a's must not reach b's.
	a, b := bot.SlackUser("T1", "U1"), bot.SlackUser("T1", "U10")
	want := map[bot.UserID][]bot.DeadEntry{}
	for _, id := range []bot.UserID{a, b} {
		put(t, s, daily(id, past()))
		c := claimOne(t, s, longLease)
		for i, reason := range []string{"first", "second"} {
			dead := c
			dead.Due = c.Due.Add(time.Duration(i) * time.Hour)
			dead.Reminder.Attempts = 6 + i
			if err := dl.DeadLetter(ctx, dead, reason+" "+string(id)); err != nil {
				t.Fatalf("DeadLetter: %v", err)
			}
			want[id] = append([]bot.DeadEntry{{User: id, Kind: bot.Daily, Due: dead.Due, Attempts: 6 + i, Reason: reason + " " + string(id)}}, want[id]...)
		}
		if err := bot.Ack(ctx, s, c, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []bot.UserID{a, b} {
		got, err := dl.DeadLettersOf(ctx, id)
		if err != nil {
			t.Fatalf("DeadLettersOf(%s): %v", id, err)
		}
		if diff := cmp.Diff(want[id], got); diff != "" {
			t.Errorf("DeadLettersOf(%s) mismatch (-want +got):\n%s", id, diff)
		}
	}
	if err := s.Forget(ctx, a); err != nil {
		t.Fatal(err)
	}
	if got, err := dl.DeadLettersOf(ctx, a); err != nil || len(got) != 0 {
		t.Errorf("after Forget DeadLettersOf = %+v, %v; want none", got, err)
	}
	if got, err := dl.DeadLettersOf(ctx, b); err != nil || !cmp.Equal(want[b], got) {
		t.Errorf("Forget(a) changed b's dead letters: %+v, %v", got, err)
	}
}
