package boltstore

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	bolt "go.etcd.io/bbolt"

	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

// fixtureClock is when the v1 fixture is opened: after it was written
// (2026-12-04) and before its occurrence markers expire (48 hours after
// their acks, the first on 2026-12-04T15:38Z), as its README advises.
var fixtureClock = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// copyFixture copies the v1 fixture, because Open writes to the file it
// opens and the committed one must stay as the old release left it.
func copyFixture(t testing.TB) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "v1", "coachbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "coachbot.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// wantJSON is testdata/v1/want.json: what the old store returned.
type wantJSON struct {
	Users []struct {
		ID     bot.UserID `json:"id"`
		Done   []string   `json:"done"`
		Streak struct {
			Last    string `json:"last"`
			Current int    `json:"current"`
			Best    int    `json:"best"`
			Days    int    `json:"days"`
		} `json:"streak"`
		Zone      string    `json:"zone"`
		Notice    string    `json:"notice"`
		DMChannel string    `json:"dm_channel"`
		Created   time.Time `json:"created"`
		Updated   time.Time `json:"updated"`
		Reminders []struct {
			Kind bot.ReminderKind `json:"kind"`
			At   string           `json:"at"`
			Zone string           `json:"zone"`
			Days struct {
				Value bot.Weekdays `json:"value"`
			} `json:"days"`
			Next     time.Time `json:"next"`
			Paused   string    `json:"paused"`
			Attempts int       `json:"attempts"`
			Created  time.Time `json:"created"`
		} `json:"reminders"`
	} `json:"users"`
}

// wantUsers reads want.json as the users the new store must return. The
// record codec keeps times to the millisecond (for every store), so the
// old store's nanoseconds are truncated here.
func wantUsers(t testing.TB) []bot.User {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "v1", "want.json"))
	if err != nil {
		t.Fatal(err)
	}
	var w wantJSON
	if err := json.Unmarshal(data, &w); err != nil {
		t.Fatal(err)
	}
	ms := func(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }
	var users []bot.User
	for _, wu := range w.Users {
		u := bot.User{
			ID: wu.ID, Done: wu.Done, Streak: bot.Streak(wu.Streak), Zone: wu.Zone, Notice: wu.Notice,
			DMChannel: wu.DMChannel, Created: ms(wu.Created), Updated: ms(wu.Updated),
		}
		for _, r := range wu.Reminders {
			u.Reminders = append(u.Reminders, bot.Reminder{
				User: wu.ID, Kind: r.Kind, At: r.At, Zone: r.Zone, Days: r.Days.Value, Next: ms(r.Next),
				Paused: r.Paused, Attempts: r.Attempts, Created: ms(r.Created),
			})
		}
		users = append(users, u)
	}
	if len(users) != 8 {
		t.Fatalf("want.json has %d users, want the 8 of the README", len(users))
	}
	return users
}

// The delivery state layout 1 kept outside the reminder (its schedule
// entry and its markers), which want.json cannot show: the old API had no
// field for it.
var (
	uAll    = bot.DiscordUser("111111111111111111")
	uPaused = bot.DiscordUser("222222222222222222")
	uRetry  = bot.SlackUser("T01ABCDEF", "U02ZYXWVUT")
)

func TestMigrateV1Fixture(t *testing.T) {
	path := copyFixture(t)
	s := openAt(t, path, WithClock(bottest.NewClock(fixtureClock)))
	ctx := t.Context()

	// retryAt and sent are what the fixture's schedule and live markers
	// say, per user (daily reminders only carry any).
	retryAt := map[bot.UserID]time.Time{uRetry: time.Date(2026, 12, 3, 8, 0, 30, 0, time.UTC)}
	sent := map[bot.UserID]time.Time{
		uAll:    time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC), // an earlier occurrence: informative only
		uPaused: time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC), // Next itself
	}
	for _, want := range wantUsers(t) {
		got, err := s.User(ctx, want.ID)
		if err != nil {
			t.Fatalf("User(%s): %v", want.ID, err)
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(bot.Reminder{}, "RetryAt", "Sent")); diff != "" {
			t.Errorf("%s after migration (-old store +new):\n%s", want.ID, diff)
		}
		for _, r := range got.Reminders {
			if r.Kind != bot.Daily && (!r.RetryAt.IsZero() || !r.Sent.IsZero()) {
				t.Errorf("%s %s: RetryAt %v, Sent %v; want neither", want.ID, r.Kind, r.RetryAt, r.Sent)
				continue
			}
			if r.Kind == bot.Daily && (!r.RetryAt.Equal(retryAt[want.ID]) || !r.Sent.Equal(sent[want.ID])) {
				t.Errorf("%s daily: RetryAt %v, Sent %v; want %v, %v", want.ID, r.RetryAt, r.Sent, retryAt[want.ID], sent[want.ID])
			}
		}
		t.Log(describe(got))
	}

	// Only the new layout's buckets are left.
	var names []string
	if err := s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error { names = append(names, string(name)); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"dead", "meta", "records", "schedule", "slots"}, names); diff != "" {
		t.Errorf("buckets after migration (-want +got):\n%s", diff)
	}

	// The retry the old store had scheduled is the one thing due, still of
	// its occurrence (Next 08:00) and with its failed attempt.
	cs := claim(t, s, time.Minute)
	if len(cs) != 1 || cs[0].Reminder.User != uRetry || cs[0].Reminder.Attempts != 1 || cs[0].Delivered ||
		!cs[0].Due.Equal(time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("first claim after migration = %+v, want %s's retry of 08:00, attempt 1", cs, uRetry)
	}

	// The check the fixture's README made of the old store: an acked
	// occurrence, put back, is claimed as Delivered; one never acked is not.
	for _, tc := range []struct {
		id        bot.UserID
		due       time.Time
		delivered bool
	}{
		{uAll, time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC), true},
		{uPaused, time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC), true},
		{bot.ConsoleUser("ghost"), time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), false},
	} {
		_, err := s.UpdateUser(ctx, tc.id, func(u *bot.User) error {
			r, _ := u.Reminder(bot.Daily)
			r.Next, r.Paused = tc.due, ""
			u.SetReminder(r)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		cs := claim(t, s, time.Minute)
		if len(cs) != 1 || cs[0].Reminder.User != tc.id || !cs[0].Due.Equal(tc.due) || cs[0].Delivered != tc.delivered {
			t.Errorf("%s put back at %v: claimed %+v, want it with Delivered %v", tc.id, tc.due, cs, tc.delivered)
		}
	}
}

// describe is the line a migrated user gets in -v output.
func describe(u bot.User) string {
	count := func(n int, what string) string {
		if n == 1 {
			return "1 " + what
		}
		return fmt.Sprintf("%d %ss", n, what)
	}
	parts := []string{count(len(u.Done), "step"), fmt.Sprintf("streak %d", u.Streak.Current), count(len(u.Reminders), "reminder")}
	if u.DMChannel != "" {
		parts = append(parts, "dm channel")
	}
	if u.Created.IsZero() {
		parts = append(parts, "no user record (reminders only)")
	}
	return fmt.Sprintf("migrated %s: %s", u.ID, strings.Join(parts, ", "))
}

// TestMigrateV1ExpiredMarkers: markers that had expired by the store's
// clock meant nothing to layout 1 (its claims reported them not
// delivered), so they mark nothing sent.
func TestMigrateV1ExpiredMarkers(t *testing.T) {
	path := copyFixture(t)
	s := openAt(t, path, WithClock(bottest.NewClock(time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC))))
	for _, want := range wantUsers(t) {
		u, err := s.User(t.Context(), want.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range u.Reminders {
			if !r.Sent.IsZero() {
				t.Errorf("%s %s: Sent %v from an expired marker", u.ID, r.Kind, r.Sent)
			}
		}
	}
}

// TestMigratedFileReopens: a migrated file is layout 2 and opens again
// without being rewritten.
func TestMigratedFileReopens(t *testing.T) {
	path := copyFixture(t)
	s, err := Open(path, WithClock(bottest.NewClock(fixtureClock)))
	if err != nil {
		t.Fatal(err)
	}
	before := dumpStore(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path, WithClock(bottest.NewClock(fixtureClock)))
	if diff := cmp.Diff(before, dumpStore(t, s)); diff != "" {
		t.Errorf("reopening a layout 2 file changed it (-before +after):\n%s", diff)
	}
}

// TestOpenV2DoesNotMigrate: a file this release wrote opens as it is.
func TestOpenV2DoesNotMigrate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coachbot.db")
	clock := bottest.NewClock(fixtureClock)
	s, err := Open(path, WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.UpdateUser(t.Context(), uRetry, func(u *bot.User) error {
		u.Zone = "UTC"
		u.SetReminder(bot.Reminder{Kind: bot.Daily, At: "08:00", Zone: "UTC", Days: bot.EveryDay, Next: fixtureClock.Add(time.Hour)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	before := dumpStore(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path, WithClock(clock))
	if diff := cmp.Diff(before, dumpStore(t, s)); diff != "" {
		t.Errorf("opening a layout 2 file changed it (-before +after):\n%s", diff)
	}
}

func TestOpenRefusesNewerLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coachbot.db")
	writeBolt(t, path, func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		if _, err := tx.CreateBucket([]byte("records")); err != nil {
			return err
		}
		return meta.Put(keyVersion, []byte("3"))
	})
	before := dumpFile(t, path)
	s, err := Open(path)
	if err == nil {
		s.Close()
		t.Fatal("Open of a layout 3 file succeeded")
	}
	want := fmt.Sprintf("the data file %s was written by a newer coachbot (layout 3; this one reads up to 2); run that release or a newer one", path)
	if got := bot.ErrorMessage(err); got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if diff := cmp.Diff(before, dumpFile(t, path)); diff != "" {
		t.Errorf("the refused file changed (-before +after):\n%s", diff)
	}
}

// TestMigrateV1Lease: a claim outstanding when the old release stopped
// stays leased until its deadline, then is claimed again, not delivered.
func TestMigrateV1Lease(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coachbot.db")
	now := fixtureClock
	next := now.Add(-time.Minute)
	until := now.Add(time.Minute)
	writeV1(t, path, nil, []v1Reminder{{
		User: "console:bo", Kind: "once", Zone: "UTC", Next: next, Created: next,
		Token: "old-holder", LeaseMS: until.UnixMilli(), Scheduled: true, SchedMS: until.UnixMilli(),
	}})
	clock := bottest.NewClock(now)
	s := openAt(t, path, WithClock(clock))
	if cs := claim(t, s, time.Minute); len(cs) != 0 {
		t.Fatalf("claimed %+v while the old lease held", cs)
	}
	clock.Set(until)
	cs := claim(t, s, time.Minute)
	if len(cs) != 1 || !cs[0].Due.Equal(next) || cs[0].Delivered || cs[0].Token == "old-holder" {
		t.Errorf("claim after the old lease = %+v, want the occurrence %v under a new token", cs, next)
	}
}

// TestMigrateV1Invalid: a record the new store would refuse stops Open and
// leaves the file as it was, because migration is one transaction.
func TestMigrateV1Invalid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coachbot.db")
	writeV1(t, path, []v1User{{ID: "console:bo", Zone: "UTC"}},
		[]v1Reminder{{User: "console:bo", Kind: "daily", At: "09:00"}}) // neither paused nor timed
	before := dumpFile(t, path)
	s, err := Open(path, WithClock(bottest.NewClock(fixtureClock)))
	if err == nil {
		s.Close()
		t.Fatal("Open migrated a reminder without a time")
	}
	// Named by pseudonym: the error goes to stderr, with the log.
	if msg := err.Error(); !strings.Contains(msg, bot.HashUser("console:bo")) || strings.Contains(msg, "console:bo") || bot.ErrorCode(err) != bot.Internal {
		t.Errorf("Open = %v, want an Internal error naming the user by pseudonym", err)
	}
	if diff := cmp.Diff(before, dumpFile(t, path)); diff != "" {
		t.Errorf("a failed migration changed the file (-before +after):\n%s", diff)
	}
}

// writeV1 writes a layout 1 file as the old release would have.
func writeV1(t testing.TB, path string, users []v1User, reminders []v1Reminder) {
	t.Helper()
	writeBolt(t, path, func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		if err := meta.Put(keyVersion, []byte("1")); err != nil {
			return err
		}
		bk := map[string]*bolt.Bucket{}
		for _, name := range [][]byte{v1Users, v1Reminders, v1Schedule, v1Markers, v1MarkerExpiry} {
			if bk[string(name)], err = tx.CreateBucket(name); err != nil {
				return err
			}
		}
		for _, u := range users {
			v, _ := json.Marshal(u)
			if err := bk["users"].Put([]byte(u.ID), v); err != nil {
				return err
			}
		}
		for _, r := range reminders {
			v, _ := json.Marshal(r)
			m := member(bot.UserID(r.User), bot.ReminderKind(r.Kind))
			if err := bk["reminders"].Put(m, v); err != nil {
				return err
			}
			if r.Scheduled {
				if err := bk["schedule"].Put(timeKey(r.SchedMS, m), nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func writeBolt(t testing.TB, path string, fn func(*bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

// dump is every bucket's keys and values, hex-encoded: a bbolt file's
// bytes differ between equal contents (free pages, transaction ids).
type dump map[string]map[string]string

func dumpTx(tx *bolt.Tx) (dump, error) {
	d := dump{}
	err := tx.ForEach(func(name []byte, bk *bolt.Bucket) error {
		items := map[string]string{}
		d[string(name)] = items
		return bk.ForEach(func(k, v []byte) error {
			items[hex.EncodeToString(k)] = hex.EncodeToString(v)
			return nil
		})
	})
	return d, err
}

func dumpStore(t testing.TB, s *Store) dump {
	t.Helper()
	var d dump
	if err := s.db.View(func(tx *bolt.Tx) (err error) { d, err = dumpTx(tx); return err }); err != nil {
		t.Fatal(err)
	}
	return d
}

func dumpFile(t testing.TB, path string) dump {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var d dump
	if err := db.View(func(tx *bolt.Tx) (err error) { d, err = dumpTx(tx); return err }); err != nil {
		t.Fatal(err)
	}
	return d
}
