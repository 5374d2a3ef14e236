package boltstore

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/coachbot/coachbot/bot/bottest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	bolt "go.etcd.io/bbolt"

	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/storetest"
)

// The tests live inside the package so that they can check the bucket
// layout directly; they use only the exported API otherwise.

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) bot.Store {
		return openTemp(t)
	})
}

// openTemp opens a store in a fresh folder. Its cleanup checks the layout's
// invariants before closing, so every conformance test also proves that it
// left no orphaned index entry or marker behind.
func openTemp(t testing.TB, opts ...Option) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "coachbot.db"), opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	t.Cleanup(func() { checkLayout(t, s) })
	return s
}

// checkLayout verifies what doc.go promises: each scheduled reminder has
// exactly one schedule entry (at its lease deadline while claimed) and each
// marker exactly one expiry entry.
func checkLayout(t testing.TB, s *Store) {
	t.Helper()
	err := s.db.View(func(tx *bolt.Tx) error {
		wantSched := map[string]bool{}
		err := tx.Bucket(bucketReminders).ForEach(func(k, v []byte) error {
			d, err := decodeReminder(v)
			if err != nil {
				return err
			}
			if !bytes.Equal(k, reminderKey(bot.UserID(d.User), bot.ReminderKind(d.Kind))) {
				t.Errorf("reminder under key %q is %s %s", k, d.User, d.Kind)
			}
			if d.Token != "" && (!d.Scheduled || d.SchedMS != d.LeaseMS) {
				t.Errorf("claimed reminder %q is not scheduled at its lease deadline: %+v", k, d)
			}
			if d.Scheduled {
				wantSched[string(timeKey(d.SchedMS, k))] = true
			}
			return nil
		})
		if err != nil {
			return err
		}
		n := 0
		err = tx.Bucket(bucketSchedule).ForEach(func(k, _ []byte) error {
			n++
			if !wantSched[string(k)] {
				t.Errorf("schedule entry %q matches no reminder", k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if n != len(wantSched) {
			t.Errorf("%d schedule entries for %d scheduled reminders", n, len(wantSched))
		}
		markers := 0
		err = tx.Bucket(bucketMarkers).ForEach(func(k, v []byte) error {
			markers++
			if len(v) != 8 || tx.Bucket(bucketMarkerExpiry).Get(timeKey(keyTime(v), k)) == nil {
				t.Errorf("marker %q has no expiry entry", k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if n := tx.Bucket(bucketMarkerExpiry).Stats().KeyN; n != markers {
			t.Errorf("%d marker expiry entries for %d markers", n, markers)
		}
		return nil
	})
	if err != nil {
		t.Errorf("check layout: %v", err)
	}
}

func TestClaimsFollowTheStoresClock(t *testing.T) {
	// Years in the past: by time.Now every reminder here is long due, so a
	// store that read the system clock would claim too early.
	start := time.Date(2001, 2, 3, 4, 5, 0, 0, time.UTC)
	clock := bottest.NewClock(start)
	s := openTemp(t, WithClock(clock))
	ctx := t.Context()
	r := bot.Reminder{User: bot.DiscordUser("1"), Kind: bot.Daily, At: "05:05", Zone: "UTC", Days: bot.EveryDay, Next: start.Add(time.Hour)}
	if err := s.PutReminder(ctx, r); err != nil {
		t.Fatal(err)
	}
	claim := func() []bot.Claim {
		t.Helper()
		cs, err := s.ClaimDue(ctx, 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}

	if cs := claim(); len(cs) != 0 {
		t.Fatalf("claimed %+v an hour before it is due by the store's clock", cs)
	}
	clock.Advance(time.Hour)
	cs := claim()
	if len(cs) != 1 {
		t.Fatalf("claimed %d when due, want 1", len(cs))
	}
	first := cs[0]
	if !first.Now.Equal(r.Next) || !first.LeaseUntil.Equal(r.Next.Add(time.Minute)) {
		t.Errorf("claim Now %v LeaseUntil %v, want the store's %v and a minute later", first.Now, first.LeaseUntil, r.Next)
	}

	clock.Advance(time.Minute - time.Millisecond)
	if cs := claim(); len(cs) != 0 {
		t.Fatalf("claimed %+v while the lease held", cs)
	}
	clock.Advance(time.Millisecond)
	cs = claim()
	if len(cs) != 1 || cs[0].Token == first.Token {
		t.Fatalf("after the lease ran out claimed %+v, want the reminder under a new token", cs)
	}
	second := cs[0]
	if err := s.Ack(ctx, first, nil); !errors.Is(err, bot.ErrStaleClaim) {
		t.Errorf("Ack of the expired claim = %v, want ErrStaleClaim", err)
	}
	// The stale ack left a marker; scheduling the same occurrence again
	// reports it delivered until the marker expires.
	if err := s.Retry(ctx, second, clock.Now()); err != nil {
		t.Fatal(err)
	}
	if cs := claim(); len(cs) != 1 || !cs[0].Delivered {
		t.Fatalf("claim after a late ack = %+v, want Delivered", cs)
	} else if err := s.Retry(ctx, cs[0], clock.Now().Add(markerTTL)); err != nil {
		t.Fatal(err)
	}
	clock.Advance(markerTTL)
	cs = claim()
	if len(cs) != 1 || cs[0].Delivered {
		t.Fatalf("claim after %s = %+v, want the marker expired", markerTTL, cs)
	}
	if n := bucketLen(t, s, bucketMarkers); n != 0 {
		t.Errorf("%d markers left after they expired, want them pruned", n)
	}
}

func bucketLen(t *testing.T, s *Store, name []byte) int {
	t.Helper()
	n := 0
	if err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(name).Stats().KeyN
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "coachbot.db")
	ctx := t.Context()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	id := bot.SlackUser("T1", "U1")
	u, err := s.UpdateUser(ctx, id, func(u *bot.User) error {
		u.Done, u.Zone, u.Streak = []string{"internet"}, "Asia/Kolkata", bot.Streak{Last: "2025-03-04", Current: 2, Best: 2, Days: 2}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	due := time.Now().UTC().Truncate(time.Second).Add(-time.Minute)
	r := bot.Reminder{User: id, Kind: bot.Daily, At: "09:00", Zone: "Asia/Kolkata", Days: bot.WorkDays, Next: due, Created: due}
	if err := s.PutReminder(ctx, r); err != nil {
		t.Fatal(err)
	}
	cs, err := s.ClaimDue(ctx, 10, time.Hour)
	if err != nil || len(cs) != 1 {
		t.Fatalf("ClaimDue = %v, %v", cs, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); bot.ErrorCode(err) != bot.Unavailable {
		t.Errorf("Ping after Close = %v, want an Unavailable error", err)
	}

	s, err = Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	got, err := s.User(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(u, got); diff != "" {
		t.Errorf("user after reopen (-before +after):\n%s", diff)
	}
	rs, err := s.Reminders(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]bot.Reminder{r}, rs); diff != "" {
		t.Errorf("reminders after reopen (-before +after):\n%s", diff)
	}
	// A claim survives a restart: still leased, and its holder can ack.
	if again, err := s.ClaimDue(ctx, 10, time.Hour); err != nil || len(again) != 0 {
		t.Errorf("ClaimDue after reopen = %v, %v; want the lease to hold", again, err)
	}
	if err := s.Ack(ctx, cs[0], nil); err != nil {
		t.Errorf("Ack after reopen: %v", err)
	}
}

func TestSecondOpenFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coachbot.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })

	other, err := Open(path)
	if err == nil {
		other.Close()
		t.Fatal("a second Open of a file in use succeeded")
	}
	if code := bot.ErrorCode(err); code != bot.Unavailable {
		t.Errorf("code %q, want %q", code, bot.Unavailable)
	}
	want := fmt.Sprintf("another coachbot is using %s; stop it or set COACH_DATA_DIR to another folder", path)
	if got := bot.ErrorMessage(err); got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	// The first store is unharmed.
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping of the first store: %v", err)
	}
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	path := filepath.Join(dir, "coachbot.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, p := range []string{filepath.Dir(dir), dir, path} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %v, want it private to the user", p, perm)
		}
	}
}

func TestOpenUnusablePath(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(filepath.Join(file, "coachbot.db")) // the parent is a file
	if err == nil {
		t.Fatal("Open below a file succeeded")
	}
	if code := bot.ErrorCode(err); code != bot.Unavailable {
		t.Errorf("code %q, want %q: %v", code, bot.Unavailable, err)
	}
}

func TestForgetLeavesNoKeys(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	a, b := bot.SlackUser("T1", "U1"), bot.SlackUser("T1", "U10")
	due := time.Now().UTC().Truncate(time.Second).Add(-time.Minute)
	for _, id := range []bot.UserID{a, b} {
		if _, err := s.UpdateUser(ctx, id, func(u *bot.User) error { u.Zone = "UTC"; return nil }); err != nil {
			t.Fatal(err)
		}
		for _, kind := range []bot.ReminderKind{bot.Daily, bot.Once} {
			if err := s.PutReminder(ctx, bot.Reminder{User: id, Kind: kind, Next: due}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Every user gets a marker (acked daily, rescheduled to the past so it
	// is claimed again) and a claim in flight (once).
	cs, err := s.ClaimDue(ctx, 10, time.Hour)
	if err != nil || len(cs) != 4 {
		t.Fatalf("ClaimDue = %v, %v", cs, err)
	}
	for _, c := range cs {
		if c.Reminder.Kind == bot.Daily {
			next := c.Reminder
			next.Next = due.Add(-time.Hour)
			if err := s.Ack(ctx, c, &next); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := bucketLen(t, s, bucketMarkers); n != 2 {
		t.Fatalf("%d markers, want 2", n)
	}

	if err := s.Forget(ctx, a); err != nil {
		t.Fatal(err)
	}
	names := map[bot.UserID]int{}
	err = s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(bucket []byte, bk *bolt.Bucket) error {
			return bk.ForEach(func(k, v []byte) error {
				for _, id := range []bot.UserID{a, b} {
					if bytes.Equal(k, []byte(id)) || bytes.Contains(k, userPrefix(id)) || bytes.Contains(v, []byte(`"`+id+`"`)) {
						names[id]++
						if id == a {
							t.Errorf("after Forget bucket %s still has %q = %q", bucket, k, v)
						}
					}
				}
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	// b: record, 2 reminders, 2 schedule entries, marker and its expiry.
	if names[b] != 7 {
		t.Errorf("b has %d keys after a was forgotten, want 7", names[b])
	}
}

func TestErrorsAreWrapped(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	r := bot.Reminder{User: bot.DiscordUser("1"), Kind: bot.Once, Next: time.Now().Add(-time.Minute)}
	if err := s.PutReminder(ctx, r); err != nil {
		t.Fatal(err)
	}
	cs, err := s.ClaimDue(ctx, 1, time.Minute)
	if err != nil || len(cs) != 1 {
		t.Fatalf("ClaimDue = %v, %v", cs, err)
	}
	if err := s.DeleteReminder(ctx, r.User, r.Kind); err != nil {
		t.Fatal(err)
	}
	err = s.Ack(ctx, cs[0], nil)
	if !errors.Is(err, bot.ErrStaleClaim) || !strings.Contains(err.Error(), string(r.User)) {
		t.Errorf("stale Ack = %v, want ErrStaleClaim naming the reminder for the log", err)
	}
	if diff := cmp.Diff(bot.ErrStaleClaim.Message, bot.ErrorMessage(err), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("user message (-want +got):\n%s", diff)
	}
}
