package boltstore

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
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
// left the index exactly as the records say.
func openTemp(t testing.TB, opts ...Option) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "coachbot.db"), opts...)
}

func openAt(t testing.TB, path string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(path, opts...)
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

// checkLayout verifies what doc.go promises: slots and schedule name each
// other one to one, and the reminders indexed are exactly bot.Schedule of
// the records, a waiting one at its slot's time.
func checkLayout(t testing.TB, s *Store) {
	t.Helper()
	err := s.db.View(func(tx *bolt.Tx) error {
		b, err := bucketsOf(tx)
		if err != nil {
			return err
		}
		if v := string(tx.Bucket(bucketMeta).Get(keyVersion)); v != layoutVersion {
			t.Errorf("layout version %q, want %q", v, layoutVersion)
		}
		slots := map[string][]byte{}
		err = b.slots.ForEach(func(m, k []byte) error {
			if len(k) < 8 || !bytes.Equal(k[8:], m) || b.schedule.Get(k) == nil {
				t.Errorf("slot %q points to %q, which is not its schedule entry", m, k)
			}
			slots[string(m)] = bytes.Clone(k)
			return nil
		})
		if err != nil {
			return err
		}
		entries := 0
		err = b.schedule.ForEach(func(k, _ []byte) error {
			entries++
			if len(k) < 8 || !bytes.Equal(slots[string(k[8:])], k) {
				t.Errorf("schedule entry %q is not its member's slot", k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if entries != len(slots) {
			t.Errorf("%d schedule entries for %d slots", entries, len(slots))
		}
		want := map[string]time.Time{}
		err = b.records.ForEach(func(k, v []byte) error {
			u, err := bot.DecodeUser(bot.UserID(k), v)
			if err != nil {
				return err
			}
			for _, sl := range bot.Schedule(u) {
				want[string(member(u.ID, sl.Kind))] = sl.At
			}
			return nil
		})
		if err != nil {
			return err
		}
		for m, k := range slots {
			at, ok := want[m]
			if !ok {
				t.Errorf("%q is indexed, but its record schedules no such reminder", m)
			} else if len(b.schedule.Get(k)) == 0 && keyTime(k) != millis(at) {
				t.Errorf("%q waits at %d, its record says %d", m, keyTime(k), millis(at))
			}
		}
		for m := range want {
			if _, ok := slots[m]; !ok {
				t.Errorf("%q is scheduled by its record but not indexed", m)
			}
		}
		return nil
	})
	if err != nil {
		t.Errorf("check layout: %v", err)
	}
}

func setReminder(t testing.TB, s *Store, r bot.Reminder) {
	t.Helper()
	if _, err := s.UpdateUser(t.Context(), r.User, func(u *bot.User) error { u.SetReminder(r); return nil }); err != nil {
		t.Fatalf("set reminder %s %s: %v", r.User, r.Kind, err)
	}
}

func claim(t testing.TB, s *Store, lease time.Duration) []bot.Claim {
	t.Helper()
	cs, err := s.ClaimDue(t.Context(), 10, lease)
	if err != nil {
		t.Fatalf("ClaimDue: %v", err)
	}
	return cs
}

func TestClaimsFollowTheStoresClock(t *testing.T) {
	// Years in the past: by time.Now every reminder here is long due, so a
	// store that read the system clock would claim too early.
	start := time.Date(2001, 2, 3, 4, 5, 0, 0, time.UTC)
	clock := bottest.NewClock(start)
	s := openTemp(t, WithClock(clock))
	ctx := t.Context()
	r := bot.Reminder{User: bot.DiscordUser("1"), Kind: bot.Daily, At: "05:05", Zone: "UTC", Days: bot.EveryDay, Next: start.Add(time.Hour)}
	setReminder(t, s, r)

	if cs := claim(t, s, time.Minute); len(cs) != 0 {
		t.Fatalf("claimed %+v an hour before it is due by the store's clock", cs)
	}
	clock.Advance(time.Hour)
	cs := claim(t, s, time.Minute)
	if len(cs) != 1 {
		t.Fatalf("claimed %d when due, want 1", len(cs))
	}
	first := cs[0]
	if !first.Now.Equal(r.Next) || !first.LeaseUntil.Equal(r.Next.Add(time.Minute)) {
		t.Errorf("claim Now %v LeaseUntil %v, want the store's %v and a minute later", first.Now, first.LeaseUntil, r.Next)
	}

	clock.Advance(time.Minute - time.Millisecond)
	if cs := claim(t, s, time.Minute); len(cs) != 0 {
		t.Fatalf("claimed %+v while the lease held", cs)
	}
	clock.Advance(time.Millisecond)
	cs = claim(t, s, time.Minute)
	if len(cs) != 1 || cs[0].Token == first.Token {
		t.Fatalf("after the lease ran out claimed %+v, want the reminder under a new token", cs)
	}
	second := cs[0]
	next := r
	next.Next = r.Next.Add(24 * time.Hour)
	if err := bot.Ack(ctx, s, first, &next); !errors.Is(err, bot.ErrStaleClaim) {
		t.Errorf("Ack of the expired claim = %v, want ErrStaleClaim", err)
	}
	// The late ack marked the occurrence sent; handed back, it is claimed
	// again as Delivered, so the scheduler does not send it twice.
	if err := bot.Release(ctx, s, second); err != nil {
		t.Fatal(err)
	}
	if cs := claim(t, s, time.Minute); len(cs) != 1 || !cs[0].Delivered || !cs[0].Due.Equal(r.Next) {
		t.Fatalf("claim after a late ack = %+v, want the occurrence, Delivered", cs)
	}
}

// committed returns the id of the file's last commit: a View transaction
// sees it, and every Update that commits raises it by one.
func committed(t testing.TB, s *Store) int {
	t.Helper()
	var id int
	if err := s.db.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil }); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestClaimDueIdleDoesNotCommit: the scheduler polls often and most polls
// find nothing, so such a poll must cost no commit (an fsync each).
func TestClaimDueIdleDoesNotCommit(t *testing.T) {
	clock := bottest.NewClock(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC))
	s := openTemp(t, WithClock(clock))
	r := bot.Reminder{User: bot.DiscordUser("1"), Kind: bot.Once, Zone: "UTC", Next: clock.Now().Add(time.Hour)}
	setReminder(t, s, r)

	before := committed(t, s)
	for range 3 {
		if cs := claim(t, s, time.Minute); len(cs) != 0 {
			t.Fatalf("claimed %+v before it was due", cs)
		}
	}
	if after := committed(t, s); after != before {
		t.Errorf("three idle ClaimDue calls committed %d transactions, want none", after-before)
	}
	// The measure works: a poll that claims does commit.
	clock.Advance(time.Hour)
	if cs := claim(t, s, time.Minute); len(cs) != 1 {
		t.Fatalf("claimed %d when due, want 1", len(cs))
	}
	if after := committed(t, s); after != before+1 {
		t.Errorf("a claiming ClaimDue committed %d transactions, want 1", after-before)
	}
}

// TestOrphanEntriesAreDropped: an index entry that its slot or record does
// not vouch for (which the layout never leaves behind, but a bug might) is
// removed by the scan instead of claimed or left to block it.
func TestOrphanEntriesAreDropped(t *testing.T) {
	clock := bottest.NewClock(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC))
	s := openTemp(t, WithClock(clock))
	id := bot.DiscordUser("1")
	r := bot.Reminder{User: id, Kind: bot.Once, Zone: "UTC", Next: clock.Now().Add(-time.Minute)}
	setReminder(t, s, r)
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, _ := bucketsOf(tx)
		early := millis(clock.Now().Add(-time.Hour))
		// A second entry of the same member, which its slot does not name,
		// and a member with no record, slot and all.
		if err := b.schedule.Put(timeKey(early, member(id, bot.Once)), nil); err != nil {
			return err
		}
		return b.enter(member(bot.DiscordUser("2"), bot.Daily), early, "")
	})
	if err != nil {
		t.Fatal(err)
	}
	cs := claim(t, s, time.Minute)
	if len(cs) != 1 || cs[0].Reminder.User != id || !cs[0].Due.Equal(r.Next) {
		t.Errorf("claimed %+v, want only %s's reminder", cs, id)
	}
	// checkLayout, at cleanup, finds the orphans gone.
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "coachbot.db")
	ctx := t.Context()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	id := bot.SlackUser("T1", "U1")
	due := time.Now().UTC().Truncate(time.Second).Add(-time.Minute)
	r := bot.Reminder{User: id, Kind: bot.Daily, At: "09:00", Zone: "Asia/Kolkata", Days: bot.WorkDays, Next: due, Created: due}
	u, err := s.UpdateUser(ctx, id, func(u *bot.User) error {
		u.Done, u.Zone, u.Streak = []string{"internet"}, "Asia/Kolkata", bot.Streak{Last: "2025-03-04", Current: 2, Best: 2, Days: 2}
		u.SetReminder(r)
		return nil
	})
	if err != nil {
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

	s = openAt(t, path)
	got, err := s.User(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(u, got); diff != "" {
		t.Errorf("user after reopen (-before +after):\n%s", diff)
	}
	// A claim survives a restart: still leased, and its holder can ack.
	if again, err := s.ClaimDue(ctx, 10, time.Hour); err != nil || len(again) != 0 {
		t.Errorf("ClaimDue after reopen = %v, %v; want the lease to hold", again, err)
	}
	if err := bot.Ack(ctx, s, cs[0], nil); err != nil {
		t.Errorf("Ack after reopen: %v", err)
	}
}

func TestSecondOpenFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coachbot.db")
	s := openAt(t, path)

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
	openAt(t, path)
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
	clock := bottest.NewClock(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC))
	s := openTemp(t, WithClock(clock))
	ctx := t.Context()
	a, b := bot.SlackUser("T1", "U1"), bot.SlackUser("T1", "U10")
	due := clock.Now().Add(-time.Minute)
	for _, id := range []bot.UserID{a, b} {
		_, err := s.UpdateUser(ctx, id, func(u *bot.User) error {
			u.Zone = "UTC"
			u.SetReminder(bot.Reminder{Kind: bot.Daily, Next: due})
			u.SetReminder(bot.Reminder{Kind: bot.Once, Next: due})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Every user gets a dead letter and a claim in flight on each reminder.
	cs := claim(t, s, time.Hour)
	if len(cs) != 4 {
		t.Fatalf("claimed %d, want 4", len(cs))
	}
	for _, c := range cs {
		if c.Reminder.Kind == bot.Once {
			if err := s.DeadLetter(ctx, c, "gave up"); err != nil {
				t.Fatal(err)
			}
		}
	}

	if err := s.Forget(ctx, a); err != nil {
		t.Fatal(err)
	}
	names := map[bot.UserID]int{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(bucket []byte, bk *bolt.Bucket) error {
			return bk.ForEach(func(k, v []byte) error {
				for _, id := range []bot.UserID{a, b} {
					if bytes.Equal(k, []byte(id)) || bytes.Contains(k, userPrefix(id)) || bytes.Contains(v, userPrefix(id)) {
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
	// b: record, 2 schedule entries, 2 slots, 1 dead letter.
	if names[b] != 6 {
		t.Errorf("b has %d keys after a was forgotten, want 6", names[b])
	}
}

func TestErrorsAreWrapped(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	id := bot.DiscordUser("1")
	setReminder(t, s, bot.Reminder{User: id, Kind: bot.Once, Next: time.Now().Add(-time.Minute)})
	cs, err := s.ClaimDue(ctx, 1, time.Minute)
	if err != nil || len(cs) != 1 {
		t.Fatalf("ClaimDue = %v, %v", cs, err)
	}
	if _, err := s.UpdateUser(ctx, id, func(u *bot.User) error { u.DeleteReminder(bot.Once); return nil }); err != nil {
		t.Fatal(err)
	}
	err = bot.Ack(ctx, s, cs[0], nil)
	if !errors.Is(err, bot.ErrStaleClaim) || bot.ErrorCode(err) != bot.Conflict {
		t.Errorf("stale Ack = %v, want ErrStaleClaim, a Conflict", err)
	}
	// The log gets the user's hash, never the id itself.
	if msg := err.Error(); !strings.Contains(msg, bot.HashUser(id)) || strings.Contains(msg, string(id)) {
		t.Errorf("stale Ack = %q, want it to name the user by hash only", msg)
	}
	if got := bot.ErrorMessage(err); got != bot.ErrStaleClaim.Message {
		t.Errorf("user message %q, want %q", got, bot.ErrStaleClaim.Message)
	}
}

func TestDeadLetters(t *testing.T) {
	clock := bottest.NewClock(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC))
	s := openTemp(t, WithClock(clock))
	s.db.NoSync = true // a thousand commits; the file's durability is not under test
	ctx := t.Context()
	a, b, gone := bot.DiscordUser("1"), bot.DiscordUser("2"), bot.DiscordUser("3")
	for _, id := range []bot.UserID{a, b} {
		if _, err := s.UpdateUser(ctx, id, func(u *bot.User) error { u.Zone = "UTC"; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	due := time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC)
	letter := func(id bot.UserID, i int) bot.Claim {
		return bot.Claim{Reminder: bot.Reminder{User: id, Kind: bot.Once, Attempts: 6}, Due: due.Add(time.Duration(i) * time.Minute)}
	}
	long := strings.Repeat("é", 150) // 300 bytes, cut to 200 at a rune boundary
	if err := s.DeadLetter(ctx, letter(a, -1), long); err != nil {
		t.Fatal(err)
	}
	if err := s.DeadLetter(ctx, letter(gone, 0), "no record"); err != nil {
		t.Fatal(err)
	}
	got, err := s.DeadLettered(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []DeadEntry{{User: a, Kind: bot.Once, Due: due.Add(-time.Minute), Attempts: 6, Reason: strings.Repeat("é", 100)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DeadLettered (-want +got):\n%s", diff)
	}

	// b fills the bucket past its bound: the newest deadKept stay, newest
	// first, and a's (the oldest) is dropped.
	for i := range deadKept + 5 {
		if err := s.DeadLetter(ctx, letter(b, i), fmt.Sprint("send failed ", i)); err != nil {
			t.Fatal(err)
		}
	}
	got, err = s.DeadLettered(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != deadKept {
		t.Fatalf("kept %d dead letters, want %d", len(got), deadKept)
	}
	if got[0].Reason != fmt.Sprint("send failed ", deadKept+4) || got[len(got)-1].Reason != "send failed 5" {
		t.Errorf("kept %q … %q, want the newest first and the oldest dropped", got[0].Reason, got[len(got)-1].Reason)
	}

	if err := s.Forget(ctx, b); err != nil {
		t.Fatal(err)
	}
	if got, err := s.DeadLettered(ctx); err != nil || len(got) != 0 {
		t.Errorf("after Forget DeadLettered = %d entries, %v; want none", len(got), err)
	}
}

// TestStaleSettleWithoutChangeDoesNotCommit: a settle that no longer holds
// its lease and changes nothing (a late Retry) writes nothing, not even a
// commit.
func TestStaleSettleWithoutChangeDoesNotCommit(t *testing.T) {
	clock := bottest.NewClock(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC))
	s := openTemp(t, WithClock(clock))
	setReminder(t, s, bot.Reminder{User: bot.DiscordUser("1"), Kind: bot.Once, Zone: "UTC", Next: clock.Now()})
	cs := claim(t, s, time.Minute)
	if len(cs) != 1 {
		t.Fatalf("claimed %d, want 1", len(cs))
	}
	clock.Advance(time.Minute)
	before := committed(t, s)
	if err := bot.Retry(t.Context(), s, cs[0], clock.Now()); !errors.Is(err, bot.ErrStaleClaim) {
		t.Fatalf("Retry after the lease = %v, want ErrStaleClaim", err)
	}
	if after := committed(t, s); after != before {
		t.Errorf("a stale Retry committed %d transactions, want none", after-before)
	}
	// The measure works: a stale Ack marks the occurrence sent, a write.
	if err := bot.Ack(t.Context(), s, cs[0], nil); !errors.Is(err, bot.ErrStaleClaim) {
		t.Fatalf("Ack after the lease = %v, want ErrStaleClaim", err)
	}
	if after := committed(t, s); after != before+1 {
		t.Errorf("a stale Ack committed %d transactions, want 1", after-before)
	}
}
