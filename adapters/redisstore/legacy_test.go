package redisstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/redis/go-redis/v9"

	"github.com/coachbot/coachbot/bot"
)

// The fixtures of testdata/v1 were written by the release before this
// layout (see its README): redis.json is every key it left in Redis,
// want.json what it read back.

// v1Key is one key of redis.json.
type v1Key struct {
	Key  string           `json:"key"`
	Type string           `json:"type"`
	Hash map[string]v1Val `json:"hash"`
	ZSet []struct {
		Member v1Val   `json:"member"`
		Score  float64 `json:"score"`
	} `json:"zset"`
	List   []v1Val `json:"list"`
	String *v1Val  `json:"string"`
	TTLMS  int64   `json:"ttl_ms"`
}

// v1Val is a value of redis.json: a string, or {"base64": ...} for bytes
// that are not UTF-8.
type v1Val string

func (v *v1Val) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*v = v1Val(s)
		return nil
	}
	var raw struct{ Base64 string }
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	d, err := base64.StdEncoding.DecodeString(raw.Base64)
	*v = v1Val(d)
	return err
}

// v1Want is want.json.
type v1Want struct {
	Users []struct {
		ID     bot.UserID `json:"id"`
		Done   []string   `json:"done"`
		Streak struct {
			Last                string
			Current, Best, Days int
		} `json:"streak"`
		Zone      string    `json:"zone"`
		Notice    string    `json:"notice"`
		DMChannel string    `json:"dm_channel"`
		Created   time.Time `json:"created"`
		Updated   time.Time `json:"updated"`
		Reminders []struct {
			Kind     bot.ReminderKind `json:"kind"`
			At       string           `json:"at"`
			Zone     string           `json:"zone"`
			Days     struct{ Value bot.Weekdays }
			Next     time.Time `json:"next"`
			Paused   string    `json:"paused"`
			Attempts int       `json:"attempts"`
			Created  time.Time `json:"created"`
		} `json:"reminders"`
		Acked []struct {
			Kind bot.ReminderKind `json:"kind"`
			Due  time.Time        `json:"due"`
		} `json:"acked"`
	} `json:"users"`
	DeadLetters []struct {
		User     bot.UserID       `json:"user"`
		Kind     bot.ReminderKind `json:"kind"`
		Due      time.Time        `json:"due"`
		Attempts int              `json:"attempts"`
		Reason   string           `json:"reason"`
	} `json:"dead_letters"`
}

func readJSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "v1", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// loadV1 fills the (empty) target with redis.json.
func loadV1(t testing.TB, tg target) {
	t.Helper()
	var keys []v1Key
	readJSON(t, "redis.json", &keys)
	rdb := tg.client(t)
	for _, k := range keys {
		var err error
		switch k.Type {
		case "hash":
			var args []any
			for f, v := range k.Hash {
				args = append(args, f, string(v))
			}
			err = rdb.HSet(ctxb, k.Key, args...).Err()
		case "zset":
			var zs []redis.Z
			for _, z := range k.ZSet {
				zs = append(zs, redis.Z{Score: z.Score, Member: string(z.Member)})
			}
			err = rdb.ZAdd(ctxb, k.Key, zs...).Err()
		case "list":
			var items []any
			for _, v := range k.List {
				items = append(items, string(v))
			}
			err = rdb.RPush(ctxb, k.Key, items...).Err()
		case "string":
			err = rdb.Set(ctxb, k.Key, string(*k.String), 0).Err()
		default:
			t.Fatalf("key %s: unknown type %s", k.Key, k.Type)
		}
		if err == nil && k.TTLMS > 0 {
			err = rdb.PExpire(ctxb, k.Key, time.Duration(k.TTLMS)*time.Millisecond).Err()
		}
		if err != nil {
			t.Fatalf("load %s: %v", k.Key, err)
		}
	}
}

// v1Retried is the one reminder of the fixtures that a Retry left in
// another bucket than its Next's (the README's table): this layout keeps
// that as RetryAt.
var v1Retried = map[bot.UserID]time.Time{"slack:T01ABCDEF:U02ZYXWVUT": time.Date(2026, 12, 3, 8, 0, 30, 0, time.UTC)}

// checkV1 compares every user of want.json, and the dead letters, with
// what the store reads, and (verbose) says in the test's log what each
// user became.
func checkV1(t *testing.T, s *Store, verbose bool) {
	t.Helper()
	var want v1Want
	readJSON(t, "want.json", &want)
	for _, w := range want.Users {
		u := bot.User{
			ID: w.ID, Done: w.Done, Zone: w.Zone, Notice: w.Notice, DMChannel: w.DMChannel,
			Streak:  bot.Streak{Last: w.Streak.Last, Current: w.Streak.Current, Best: w.Streak.Best, Days: w.Streak.Days},
			Created: w.Created, Updated: w.Updated,
		}
		for _, r := range w.Reminders {
			rem := bot.Reminder{
				User: w.ID, Kind: r.Kind, At: r.At, Zone: r.Zone, Days: r.Days.Value, Next: r.Next,
				Paused: r.Paused, Attempts: r.Attempts, Created: r.Created, RetryAt: v1Retried[w.ID],
			}
			// An acked occurrence that is still the reminder's Next is
			// marked Sent, so that a claim of it reports Delivered.
			for _, a := range w.Acked {
				if a.Kind == r.Kind && a.Due.Equal(r.Next) {
					rem.Sent = a.Due
				}
			}
			u.Reminders = append(u.Reminders, rem)
		}
		got := getUser(t, s, w.ID)
		if diff := cmp.Diff(u, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s after the migration (-want +got):\n%s", w.ID, diff)
		}
		var rs []string
		for _, r := range got.Reminders {
			d := fmt.Sprintf("%s next %s", r.Kind, r.Next.Format(time.RFC3339))
			if r.Paused != "" {
				d += " paused"
			}
			if r.Attempts > 0 {
				d += fmt.Sprintf(" %d attempts, retry %s", r.Attempts, r.RetryAt.Format(time.RFC3339))
			}
			if !r.Sent.IsZero() {
				d += " sent"
			}
			rs = append(rs, d)
		}
		if verbose {
			t.Logf("migrated %s: %d steps, streak %d, zone %q, notice of %d bytes, %d reminders [%s]",
				w.ID, len(got.Done), got.Streak.Current, got.Zone, len(got.Notice), len(got.Reminders), strings.Join(rs, "; "))
		}
	}
	dead, err := s.DeadLettered(ctxb)
	if err != nil {
		t.Fatal(err)
	}
	var wantDead []DeadEntry
	for _, d := range want.DeadLetters {
		wantDead = append(wantDead, DeadEntry{User: d.User, Kind: d.Kind, Due: d.Due, Attempts: d.Attempts, Reason: d.Reason})
	}
	if diff := cmp.Diff(wantDead, dead); diff != "" {
		t.Errorf("dead letters after the migration (-want +got):\n%s", diff)
	}
}

// checkMigrated checks that nothing of layout 1 is left.
func checkMigrated(t *testing.T, tg target) {
	t.Helper()
	rdb := tg.client(t)
	if v := rdb.HGet(ctxb, metaKey, "version").Val(); v != layoutVersion {
		t.Errorf("layout version %q after the migration", v)
	}
	for _, key := range tg.keys(t) {
		_, rest, _ := (&Store{prefixes: make([]string, DefaultShards)}).parseKey(key)
		switch {
		case strings.HasPrefix(rest, "u:"), strings.HasPrefix(rest, "b:"), strings.HasPrefix(rest, "w:"), key == migrateLock:
			t.Errorf("key %q is left", key)
		case rest == "due":
			for _, m := range rdb.ZRange(ctxb, key, 0, -1).Val() {
				if !strings.Contains(m, "\x00") {
					t.Errorf("%s holds the bucket %q", key, m)
				}
			}
		}
	}
}

// TestMigrateV1 opens the store on the data of the release before: every
// user, reminder and dead letter is there, in this layout. (The cleanup
// of open runs Reconcile: the index the migration wrote is exact.)
func TestMigrateV1(t *testing.T) {
	each(t, func(t *testing.T, tg target) {
		loadV1(t, tg)
		var log bytes.Buffer
		tg.opts.Logger = slog.New(slog.NewTextHandler(&log, nil))
		s := tg.open(t)
		t.Logf("the store logged:\n%s", log.String())
		checkV1(t, s, true)
		checkMigrated(t, tg)

		// The paused reminder's occurrence was acked: unpaused, its claim
		// reports Delivered; no other does.
		paused := bot.DiscordUser("222222222222222222")
		if _, err := s.UpdateUser(ctxb, paused, func(u *bot.User) error {
			r, _ := u.Reminder(bot.Daily)
			r.Paused = ""
			u.SetReminder(r)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, c := range claim(t, s, 100) {
			if c.Delivered != (c.Reminder.User == paused) {
				t.Errorf("claim of %s %s: Delivered = %v", c.Reminder.User, c.Reminder.Kind, c.Delivered)
			}
			found = found || c.Reminder.User == paused
		}
		if !found {
			t.Error("the unpaused reminder was not claimed")
		}
	})
}

// TestMigrateResumes: a migration that stopped halfway (the replica died
// after moving some users) is finished by the next Open, with nothing
// lost or moved twice.
func TestMigrateResumes(t *testing.T) {
	tg := single(t)
	loadV1(t, tg)
	half := New(tg.srv.Client(), Options{})
	var users []string
	if err := half.scan(ctxb, "{c*}:u:*", func(k string) { users = append(users, k) }); err != nil {
		t.Fatal(err)
	}
	if moved, dropped, err := half.migrateUsers(ctxb, users[:len(users)/2]); err != nil || moved+dropped != len(users)/2 {
		t.Fatalf("migrateUsers = %d moved, %d dropped, %v", moved, dropped, err)
	}
	if v := tg.srv.Client().HGet(ctxb, metaKey, "version").Val(); v != legacyVersion {
		t.Fatalf("layout version %q halfway", v)
	}
	s := tg.open(t)
	checkV1(t, s, false)
	checkMigrated(t, tg)
}

// TestMigrateOnce: replicas that start together migrate once: one holds
// the lock, the others wait for the layout to say version 2.
func TestMigrateOnce(t *testing.T) {
	tg := single(t)
	loadV1(t, tg)
	var log bytes.Buffer
	var mu sync.Mutex
	tg.opts.Logger = slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return log.Write(p)
	}), nil))
	stores := make([]*Store, 4)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() {
			s, err := Open(ctxb, tg.opts)
			if err != nil {
				t.Errorf("Open %d: %v", i, err)
				return
			}
			t.Cleanup(func() { s.Close() })
			stores[i] = s
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if n := strings.Count(log.String(), "migrated to layout version 2"); n != 1 {
		t.Errorf("%d migrations ran, want 1:\n%s", n, log.String())
	}
	checkV1(t, stores[3], false)
	checkMigrated(t, tg)
}

// TestMigrateAfterLostLock: a replica that died while migrating leaves
// its lock; it expires, and the next Open migrates.
func TestMigrateAfterLostLock(t *testing.T) {
	tg := single(t)
	loadV1(t, tg)
	if err := tg.srv.Client().Set(ctxb, migrateLock, "a replica that died", time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	s := tg.open(t)
	checkV1(t, s, false)
	checkMigrated(t, tg)
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestDecodeLegacy covers the formats of layout 1 that the fixtures do
// not: escapes, raw values, a state with attempts but no other bucket,
// and broken values, which stop the migration rather than lose data.
func TestDecodeLegacy(t *testing.T) {
	id := bot.UserID("slack:T1:U1")
	u, entries, keep, err := decodeLegacy(id, map[string]string{
		// Steps "a,b", "c|d", `e\f`: escaped in the list, then again in
		// the record.
		"u":  `VcqENVQ|VcqENWE|=#odd|=someday|1|2|3|a\\,b,c\|d,e\\\\f`,
		"ro": "VeOkn1j|=noon|Mars/Olympus||VeOGZyh",
		"so": "bVeOkn1j|4",
		"mo": "Vciir5M,VeOkn1j",
	})
	if err != nil || !keep {
		t.Fatalf("decodeLegacy = %v, keep %v", err, keep)
	}
	want := bot.User{
		ID: id, Zone: "#odd", Done: []string{"a,b", "c|d", `e\f`},
		Streak:  bot.Streak{Last: "someday", Current: 1, Best: 2, Days: 3},
		Created: mustMS(t, "VcqENVQ"), Updated: mustMS(t, "VcqENWE"),
		Reminders: []bot.Reminder{{
			User: id, Kind: bot.Once, At: "noon", Zone: "Mars/Olympus", Next: mustMS(t, "VeOkn1j"),
			Created: mustMS(t, "VeOGZyh"), Attempts: 4, Sent: mustMS(t, "VeOkn1j"),
		}},
	}
	if diff := cmp.Diff(want, u); diff != "" {
		t.Errorf("decodeLegacy (-want +got):\n%s", diff)
	}
	if want := []legacyEntry{{member: "s:T1:U1\x00o", bucket: "VeOkn1j"}}; !cmp.Equal(want, entries, cmp.AllowUnexported(legacyEntry{})) {
		t.Errorf("entries = %+v", entries)
	}
	if _, _, keep, err := decodeLegacy(id, map[string]string{"md": "Vciir5M"}); err != nil || keep {
		t.Errorf("a hash of markers only: keep %v, %v; want dropped", keep, err)
	}
	for _, bad := range []map[string]string{
		{"u": "VcqENVQ|VcqENWE|#zz"},
		{"u": "VcqENVQ|VcqENWE||g1i|x"},
		{"u": "Vcq!"},
		{"rd": "VeOkn1j|zzz"},
		{"rd": "VeOkn1j", "sd": "q|1"},
		{"r!": "VeOkn1j"},
	} {
		if _, _, _, err := decodeLegacy(id, bad); err == nil {
			t.Errorf("decodeLegacy(%q) = nil error", bad)
		}
	}
}

func mustMS(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := parseMS(s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// TestLegacyZones pins the zone dictionary layout 1 wrote: its positions
// are what the old hashes hold.
func TestLegacyZones(t *testing.T) {
	// The digests of the first 117 entries (pinned by that release's own
	// test) and of all of them, as eef6856 wrote them.
	pins := []struct {
		n      int
		digest string
	}{
		{117, "509965d9262400691679a8929810d1aae3f239426dae610aa356d5a16ee88b1d"},
		{119, "784d09b0a1cfdd43b9c559f68fefad8db0d7b0508e42f3496bd4fce42fda6ea2"},
	}
	for _, p := range pins {
		sum := sha256.Sum256([]byte(strings.Join(legacyZones[:min(p.n, len(legacyZones))], "\n")))
		if got := hex.EncodeToString(sum[:]); got != p.digest {
			t.Errorf("the first %d of legacyZones changed (digest %s): old zones would read back as others", p.n, got)
		}
	}
	if len(legacyZones) != 119 {
		t.Errorf("legacyZones has %d entries; the release before wrote 119", len(legacyZones))
	}
}
