package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/redis/go-redis/v9"

	"github.com/coachbot/coachbot/adapters/redisstore/redistest"
	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/storetest"
)

// The tests live inside the package so that they can break the layout by
// hand and inspect it; they use only the exported API otherwise.

func TestMain(m *testing.M) {
	// go-redis logs every failed dial to stderr; the tests that kill Redis
	// would bury their own output under them.
	redis.SetLogger(quiet{})
	os.Exit(m.Run())
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// target is a Redis for a test: one server or a Cluster.
type target struct {
	opts  Options
	nodes []*redis.Client // every master, to flush and inspect
	srv   *redistest.Server
}

func single(t testing.TB) target {
	srv := redistest.Start(t)
	return target{opts: Options{URL: srv.URL()}, nodes: []*redis.Client{srv.Client()}, srv: srv}
}

func cluster(t testing.TB) target {
	c := redistest.StartCluster(t, 3)
	var nodes []*redis.Client
	for _, n := range c.Nodes() {
		nodes = append(nodes, n.Client())
	}
	return target{opts: Options{Addrs: c.Addrs()}, nodes: nodes}
}

// sentinel is one master behind a Sentinel, reached as COACH_REDIS_ADDRS
// (the Sentinel) plus COACH_REDIS_MASTER.
func sentinel(t testing.TB) target {
	sn := redistest.StartSentinel(t)
	return target{opts: Options{Addrs: []string{sn.Addr()}, MasterName: redistest.SentinelMaster},
		nodes: []*redis.Client{sn.Master().Client()}, srv: sn.Master()}
}

// pause stops the target's server (SIGSTOP) and returns what resumes it;
// a test that fails before resuming has it resumed when it ends.
func (tg target) pause(t testing.TB) (resume func()) {
	t.Helper()
	tg.srv.Pause()
	var once sync.Once
	resume = func() { once.Do(tg.srv.Resume) }
	t.Cleanup(resume)
	return resume
}

// flush empties every master.
func (tg target) flush(t testing.TB) {
	t.Helper()
	for _, n := range tg.nodes {
		if err := n.FlushAll(context.Background()).Err(); err != nil {
			t.Fatalf("FLUSHALL: %v", err)
		}
	}
}

// open opens a store on the target. Its cleanup checks, with Reconcile,
// that the indexes agree with the hashes exactly: every conformance test
// thereby also proves that it left no orphaned or missing index entry.
func (tg target) open(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), tg.opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if n, err := s.Reconcile(context.Background()); n != 0 || err != nil {
			t.Errorf("Reconcile after the test = %d repairs, %v; want 0: the indexes disagreed with the hashes", n, err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// each runs f against one Redis and against a 3-master Cluster.
func each(t *testing.T, f func(t *testing.T, tg target)) {
	t.Run("single", func(t *testing.T) { f(t, single(t)) })
	t.Run("cluster", func(t *testing.T) { f(t, cluster(t)) })
}

func TestStore(t *testing.T) {
	each(t, func(t *testing.T, tg target) {
		storetest.Run(t, func(t *testing.T) bot.Store {
			tg.flush(t)
			return tg.open(t)
		})
	})
	// Sentinel changes only how the master is found, so once is enough.
	t.Run("sentinel", func(t *testing.T) {
		tg := sentinel(t)
		storetest.Run(t, func(t *testing.T) bot.Store {
			tg.flush(t)
			return tg.open(t)
		})
	})
}

// keysOf lists every key on every master.
func (tg target) keys(t testing.TB) []string {
	t.Helper()
	var keys []string
	for _, n := range tg.nodes {
		ks, err := n.Keys(context.Background(), "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, ks...)
	}
	return keys
}

// nodeOf returns the client of the master that holds key.
func (tg target) nodeOf(t testing.TB, key string) *redis.Client {
	t.Helper()
	for _, n := range tg.nodes {
		if n.Exists(context.Background(), key).Val() == 1 {
			return n
		}
	}
	t.Fatalf("no node holds %q", key)
	return nil
}

var (
	ctxb   = context.Background()
	minute = time.Minute
)

func nowSec() time.Time { return time.Now().UTC().Truncate(time.Second) }

func daily(id bot.UserID, next time.Time) bot.Reminder {
	return bot.Reminder{User: id, Kind: bot.Daily, At: "09:30", Zone: "Asia/Kolkata", Days: bot.WorkDays, Next: next, Created: nowSec()}
}

func TestForgetLeavesNoKeys(t *testing.T) {
	each(t, func(t *testing.T, tg target) {
		s := tg.open(t)
		// b's id starts with a's, and c sorts after both.
		a, b, c := bot.SlackUser("T1", "U1"), bot.SlackUser("T1", "U10"), bot.DiscordUser("9")
		due := nowSec().Add(-minute)
		for _, id := range []bot.UserID{a, b, c} {
			_, err := s.UpdateUser(ctxb, id, func(u *bot.User) error {
				u.Zone = "UTC"
				u.Notice = strings.Repeat("a notice long enough to be chunked ", 4)
				for i := range 20 {
					u.Done = append(u.Done, fmt.Sprintf("step-number-%d", i))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, kind := range []bot.ReminderKind{bot.Daily, bot.Once, "weekly"} {
				r := daily(id, due)
				r.Kind = kind
				if err := s.PutReminder(ctxb, r); err != nil {
					t.Fatal(err)
				}
			}
			p := daily(id, due)
			p.Kind, p.Paused = "paused", strings.Repeat("closed DMs ", 10)
			if err := s.PutReminder(ctxb, p); err != nil {
				t.Fatal(err)
			}
		}
		// Every user gets markers (daily acked, rescheduled to the past),
		// a claim in flight (once) and a retry (weekly).
		cs, err := s.ClaimDue(ctxb, 100, time.Hour)
		if err != nil || len(cs) != 9 {
			t.Fatalf("ClaimDue = %d claims, %v; want 9", len(cs), err)
		}
		for _, cl := range cs {
			switch cl.Reminder.Kind {
			case bot.Daily:
				next := cl.Reminder
				next.Next = due.Add(-time.Hour)
				if err := s.Ack(ctxb, cl, &next); err != nil {
					t.Fatal(err)
				}
			case "weekly":
				if err := s.Retry(ctxb, cl, due.Add(time.Hour)); err != nil {
					t.Fatal(err)
				}
			}
		}
		// And dead letters, two of a's among the others'.
		for _, id := range []bot.UserID{a, b, a, c} {
			cl := bot.Claim{Reminder: daily(id, due), Due: due}
			if err := s.DeadLetter(ctxb, cl, "gave up"); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Forget(ctxb, a); err != nil {
			t.Fatal(err)
		}
		dead, err := s.DeadLettered(ctxb)
		if err != nil || len(dead) != 2 {
			t.Errorf("DeadLettered after Forget = %+v, %v; want b's and c's", dead, err)
		}
		for _, d := range dead {
			if d.User == a {
				t.Errorf("dead letter of the forgotten user is left: %+v", d)
			}
		}
		for _, key := range tg.keys(t) {
			if strings.HasSuffix(key, ":u:"+shortID(a)) {
				t.Errorf("key %q of the forgotten user is left", key)
			}
			n := tg.nodeOf(t, key)
			var members []string
			switch typ := n.Type(ctxb, key).Val(); typ {
			case "list":
				members = n.LRange(ctxb, key, 0, -1).Val()
			case "zset":
				members = n.ZRange(ctxb, key, 0, -1).Val()
			case "hash":
				for f, v := range n.HGetAll(ctxb, key).Val() {
					if strings.Contains(v, shortID(a)+"\x00") || strings.Contains(f, shortID(a)+"\x00") {
						t.Errorf("hash %q holds %q=%q, which names the forgotten user", key, f, v)
					}
				}
			}
			for _, m := range members {
				if id, _, _ := strings.Cut(m, "\x00"); id == shortID(a) {
					t.Errorf("%s %q still holds %q", n.Type(ctxb, key).Val(), key, m)
				}
			}
		}
		// The others are whole.
		for _, id := range []bot.UserID{b, c} {
			if u, err := s.User(ctxb, id); err != nil || len(u.Done) != 20 {
				t.Errorf("User(%s) = %+v, %v after Forget(%s)", id, u, err, a)
			}
			if rs, err := s.Reminders(ctxb, id); err != nil || len(rs) != 4 {
				t.Errorf("Reminders(%s) = %d, %v after Forget(%s), want 4", id, len(rs), err, a)
			}
		}
	})
}

func TestDeadLetter(t *testing.T) {
	each(t, func(t *testing.T, tg target) {
		s := tg.open(t)
		due := nowSec().Add(-minute).Add(123 * time.Millisecond)
		id := bot.SlackUser("T1", "U1")
		r := daily(id, due)
		r.Kind, r.Attempts = "weekly", 6
		reason := strings.Repeat("é", 150) // 300 bytes
		if err := s.DeadLetter(ctxb, bot.Claim{Reminder: r, Due: due}, reason); err != nil {
			t.Fatal(err)
		}
		dead, err := s.DeadLettered(ctxb)
		if err != nil {
			t.Fatal(err)
		}
		want := []DeadEntry{{User: id, Kind: "weekly", Due: due, Attempts: 6, Reason: strings.Repeat("é", 100)}}
		if diff := cmp.Diff(want, dead); diff != "" {
			t.Errorf("DeadLettered (-want +got):\n%s", diff)
		}
		prefix, _ := s.userKey(id)
		key := prefix + "dead"
		if got := tg.nodeOf(t, key).LRange(ctxb, key, 0, -1).Val(); len(got) != 1 ||
			got[0] != shortID(id)+"\x00_7765656b6c79\x00"+strconv.FormatInt(due.UnixMilli(), 10)+"\x006\x00"+strings.Repeat("é", 100) {
			t.Errorf("%s = %q", key, got)
		}
	})
}

func TestDeadLetterCapped(t *testing.T) {
	each(t, func(t *testing.T, tg target) {
		s := tg.open(t)
		due := nowSec().Add(-minute)
		id := bot.DiscordUser("1")
		for i := range deadKept + 5 {
			r := daily(id, due)
			r.Attempts = i
			if err := s.DeadLetter(ctxb, bot.Claim{Reminder: r, Due: due}, "x"); err != nil {
				t.Fatal(err)
			}
		}
		dead, err := s.DeadLettered(ctxb)
		if err != nil || len(dead) != deadKept {
			t.Fatalf("DeadLettered = %d entries, %v; want %d", len(dead), err, deadKept)
		}
		if first, last := dead[0].Attempts, dead[len(dead)-1].Attempts; first != deadKept+4 || last != 5 {
			t.Errorf("kept attempts %d..%d, want the newest: %d..5", first, last, deadKept+4)
		}
		if err := s.Forget(ctxb, id); err != nil {
			t.Fatal(err)
		}
		if dead, err := s.DeadLettered(ctxb); err != nil || len(dead) != 0 {
			t.Errorf("DeadLettered after Forget = %d entries, %v; want none", len(dead), err)
		}
	})
}

func TestReconcile(t *testing.T) {
	each(t, func(t *testing.T, tg target) {
		s := tg.open(t)
		due := nowSec().Add(-minute)
		broken, fine, leased := bot.DiscordUser("1"), bot.DiscordUser("2"), bot.DiscordUser("3")
		for _, id := range []bot.UserID{broken, fine, leased} {
			if err := s.PutReminder(ctxb, daily(id, due)); err != nil {
				t.Fatal(err)
			}
		}
		// Take leased's reminder out on a long lease first.
		shardOf := func(id bot.UserID) string { return s.prefixes[s.shard(id)] }
		var held bot.Claim
		for {
			cs, err := s.ClaimDue(ctxb, 1, time.Hour)
			if err != nil || len(cs) != 1 {
				t.Fatalf("ClaimDue = %v, %v", cs, err)
			}
			if cs[0].Reminder.User == leased {
				held = cs[0]
				break
			}
			// Put back anything else.
			if err := s.PutReminder(ctxb, cs[0].Reminder); err != nil {
				t.Fatal(err)
			}
		}

		// Break things by hand:
		p := shardOf(broken)
		bucket := b62(due.UnixMilli())
		m := member(shortID(broken), "d")
		n := tg.nodeOf(t, p+"b:"+bucket)
		// the reminder falls out of its bucket (and the bucket out of the
		// due index, if it was the only one there),
		n.LRem(ctxb, p+"b:"+bucket, 0, m)
		if n.Exists(ctxb, p+"b:"+bucket).Val() == 0 {
			n.ZRem(ctxb, p+"due", bucket)
		}
		// a member nobody vouches for turns up in a bucket, another in the
		// lease index, and a bucket turns up that the due index lacks;
		ghost := member(shortID("console:ghost"), "d")
		n.RPush(ctxb, p+"b:"+bucket, ghost)
		n.ZAdd(ctxb, p+"due", redis.Z{Score: float64(due.UnixMilli()), Member: bucket})
		n.ZAdd(ctxb, p+"lease", redis.Z{Score: float64(due.UnixMilli()), Member: member(shortID("console:ghost"), "o")})
		n.RPush(ctxb, p+"b:G8", member(shortID("console:ghost"), "x"))
		// the leased reminder loses its lease entry (the claim is lost: the
		// reminder must come back rather than vanish), and an empty bucket
		// stays in the due index.
		lp := shardOf(leased)
		ln := tg.nodeOf(t, lp+"lease")
		ln.ZRem(ctxb, lp+"lease", member(shortID(leased), "d"))
		ln.ZAdd(ctxb, lp+"due", redis.Z{Score: 5000, Member: b62(5000)})

		fixed, err := s.Reconcile(ctxb)
		if err != nil {
			t.Fatal(err)
		}
		// re-index broken and leased, drop the two ghosts in buckets and
		// the one in lease, index bucket G8 (then drop its ghost), drop the
		// due entry of 5000
		if fixed < 6 {
			t.Errorf("Reconcile made %d repairs, want at least 6", fixed)
		}
		t.Logf("Reconcile made %d repairs", fixed)
		if again, err := s.Reconcile(ctxb); again != 0 || err != nil {
			t.Errorf("a second Reconcile = %d, %v; want nothing left to repair", again, err)
		}

		cs, err := s.ClaimDue(ctxb, 10, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		got := map[bot.UserID]int{}
		for _, c := range cs {
			got[c.Reminder.User]++
		}
		if want := map[bot.UserID]int{broken: 1, fine: 1, leased: 1}; !cmp.Equal(want, got) {
			t.Errorf("after Reconcile claimed %v, want %v", got, want)
		}
		// The lost claim is stale: its reminder was claimed anew.
		if err := s.Ack(ctxb, held, nil); !errors.Is(err, bot.ErrStaleClaim) {
			t.Errorf("Ack of the claim whose lease entry was lost = %v, want ErrStaleClaim", err)
		}
	})
}

// TestRedisDown kills Redis under a working store: every call fails as
// Unavailable with the friendly message, and once Redis is back (from its
// append-only file) the same store works again, data intact.
func TestRedisDown(t *testing.T) {
	tg := single(t)
	s := tg.open(t)
	id := bot.ConsoleUser("ana")
	before, err := s.UpdateUser(ctxb, id, func(u *bot.User) error {
		u.Done, u.Zone = []string{"internet"}, "Asia/Kolkata"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r := daily(id, nowSec().Add(-minute))
	if err := s.PutReminder(ctxb, r); err != nil {
		t.Fatal(err)
	}
	claim := bot.Claim{Reminder: r, Due: r.Next, Token: "x"}

	tg.srv.Kill()
	calls := []struct {
		name string
		call func(context.Context) error
	}{
		{"Ping", s.Ping},
		{"User", func(ctx context.Context) error { _, err := s.User(ctx, id); return err }},
		{"UpdateUser", func(ctx context.Context) error {
			_, err := s.UpdateUser(ctx, id, func(u *bot.User) error { u.Zone = "UTC"; return nil })
			return err
		}},
		{"PutReminder", func(ctx context.Context) error { return s.PutReminder(ctx, r) }},
		{"DeleteReminder", func(ctx context.Context) error { return s.DeleteReminder(ctx, id, bot.Once) }},
		{"Reminders", func(ctx context.Context) error { _, err := s.Reminders(ctx, id); return err }},
		{"ClaimDue", func(ctx context.Context) error { _, err := s.ClaimDue(ctx, 10, minute); return err }},
		{"Ack", func(ctx context.Context) error { return s.Ack(ctx, claim, nil) }},
		{"Retry", func(ctx context.Context) error { return s.Retry(ctx, claim, time.Now()) }},
		{"Forget", func(ctx context.Context) error { return s.Forget(ctx, id) }},
		{"Reconcile", func(ctx context.Context) error { _, err := s.Reconcile(ctx); return err }},
		{"Allow", func(ctx context.Context) error { _, _, err := s.Allow(ctx, "k", 1, 1); return err }},
		{"FirstSeen", func(ctx context.Context) error { _, err := s.FirstSeen(ctx, "k", minute); return err }},
	}
	friendly := bot.ErrorMessage(bot.WrapError(bot.Unavailable, errors.New("x"), ""))
	for _, c := range calls {
		// One call with a chat command's deadline, one with none: the
		// store bounds the call by itself.
		for _, deadline := range []time.Duration{2500 * time.Millisecond, 0} {
			ctx, cancel := ctxb, context.CancelFunc(func() {})
			if deadline > 0 {
				ctx, cancel = context.WithTimeout(ctxb, deadline)
			}
			start := time.Now()
			err := c.call(ctx)
			took := time.Since(start)
			cancel()
			if code := bot.ErrorCode(err); code != bot.Unavailable {
				t.Errorf("%s with Redis down: %v (code %q), want Unavailable", c.name, err, code)
			}
			if msg := bot.ErrorMessage(err); msg != friendly {
				t.Errorf("%s with Redis down: the user reads %q, want %q", c.name, msg, friendly)
			}
			t.Logf("%s with Redis down (deadline %v): answered in %v: %v", c.name, deadline, took.Round(time.Millisecond), err)
		}
	}

	tg.srv.Restart()
	start := time.Now()
	for {
		err := s.Ping(ctxb)
		if err == nil {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("the store did not answer within 10s of Redis restarting: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("the store answered again %v after Redis restarted", time.Since(start).Round(time.Millisecond))
	got, err := s.User(ctxb, id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, got); diff != "" {
		t.Errorf("the user after the restart (-before +after):\n%s", diff)
	}
	cs, err := s.ClaimDue(ctxb, 10, minute)
	if err != nil || len(cs) != 1 {
		t.Fatalf("ClaimDue after the restart = %v, %v; want the reminder", cs, err)
	}
	if diff := cmp.Diff(r, cs[0].Reminder); diff != "" {
		t.Errorf("the reminder after the restart (-before +after):\n%s", diff)
	}
	// The restarted server knows no scripts: calls pipelined together
	// still answer, and as before (the limiter's and deduper's keys are
	// kept in the append-only file too).
	allowed, first := limitsAtOnce(t, s, "after-restart-", 50, 10, 2, 10)
	if allowed != 20 || first != 10 {
		t.Errorf("after the restart: %d allowed (want 20), %d first (want 10)", allowed, first)
	}
}

// TestRedisHung stops Redis with SIGSTOP, so that connections stay open
// and nothing answers (a hung server, a network partition): every call
// still returns within a chat command's 2.5 s, as Unavailable, and works
// again once Redis continues.
func TestRedisHung(t *testing.T) {
	tg := single(t)
	s := tg.open(t)
	id := bot.ConsoleUser("ana")
	r := daily(id, nowSec().Add(-minute))
	if err := s.PutReminder(ctxb, r); err != nil {
		t.Fatal(err)
	}
	resume := tg.pause(t)
	calls := []struct {
		name string
		call func(context.Context) error
	}{
		{"User", func(ctx context.Context) error { _, err := s.User(ctx, id); return err }},
		{"UpdateUser", func(ctx context.Context) error {
			_, err := s.UpdateUser(ctx, id, func(u *bot.User) error { u.Zone = "UTC"; return nil })
			return err
		}},
		{"PutReminder", func(ctx context.Context) error { return s.PutReminder(ctx, r) }},
		{"ClaimDue", func(ctx context.Context) error { _, err := s.ClaimDue(ctx, 10, minute); return err }},
		{"Ack", func(ctx context.Context) error {
			return s.Ack(ctx, bot.Claim{Reminder: r, Due: r.Next, Token: "x"}, nil)
		}},
		{"Allow", func(ctx context.Context) error { _, _, err := s.Allow(ctx, "k", 1, 1); return err }},
		{"FirstSeen", func(ctx context.Context) error { _, err := s.FirstSeen(ctx, "k", minute); return err }},
	}
	for _, c := range calls {
		// No deadline of the caller's: the store's own bounds must hold.
		start := time.Now()
		err := c.call(ctxb)
		took := time.Since(start)
		if code := bot.ErrorCode(err); code != bot.Unavailable {
			t.Errorf("%s with Redis hung: %v (code %q), want Unavailable", c.name, err, code)
		}
		t.Logf("%s with Redis hung: answered in %v: %v", c.name, took.Round(time.Millisecond), err)
	}
	resume()
	if err := s.Ping(ctxb); err != nil {
		t.Fatalf("Ping after Redis continued: %v", err)
	}
	if rs, err := s.Reminders(ctxb, id); err != nil || len(rs) != 1 {
		t.Errorf("Reminders after Redis continued = %v, %v", rs, err)
	}
}

// TestReplicasClaimOnce has three stores, each with its own client, as
// three replicas would, claim 10,000 reminders due in the same minute
// concurrently: each must be claimed exactly once.
func TestReplicasClaimOnce(t *testing.T) {
	each(t, testReplicasClaimOnce)
}

func testReplicasClaimOnce(t *testing.T, tg target) {
	const reminders, replicas, batch = 10_000, 3, 100
	var stores []*Store
	for range replicas {
		stores = append(stores, tg.open(t))
	}
	minuteStart := time.Now().UTC().Truncate(time.Minute).Add(-minute)
	ids := make(chan int)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := range ids {
				r := daily(bot.DiscordUser(fmt.Sprintf("%018d", i)), minuteStart.Add(time.Duration(i%60)*time.Second))
				if err := stores[i%replicas].PutReminder(ctxb, r); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for i := range reminders {
		ids <- i
	}
	close(ids)
	wg.Wait()

	var (
		mu     sync.Mutex
		counts = map[bot.UserID]int{}
		calls  = make([]int, replicas)
	)
	start := time.Now()
	for i, s := range stores {
		wg.Go(func() {
			for {
				cs, err := s.ClaimDue(ctxb, batch, minute)
				if err != nil {
					t.Errorf("replica %d: ClaimDue: %v", i, err)
					return
				}
				if len(cs) == 0 {
					return
				}
				mu.Lock()
				calls[i]++
				for _, c := range cs {
					counts[c.Reminder.User]++
				}
				mu.Unlock()
				// Ack the batch at once, as the scheduler's workers do, so
				// that acks of several shards share pipelines.
				var acks sync.WaitGroup
				for _, c := range cs {
					acks.Go(func() {
						next := c.Reminder
						next.Next = next.Next.Add(24 * time.Hour)
						if err := s.Ack(ctxb, c, &next); err != nil {
							t.Errorf("replica %d: Ack: %v", i, err)
						}
					})
				}
				acks.Wait()
			}
		})
	}
	wg.Wait()
	duplicates := 0
	for _, n := range counts {
		duplicates += n - 1
	}
	missed := reminders - len(counts)
	t.Logf("%d reminders, %d replicas: claimed %d distinct in %v (ClaimDue calls per replica %v); duplicates %d, missed %d",
		reminders, replicas, len(counts), time.Since(start).Round(time.Millisecond), calls, duplicates, missed)
	if duplicates != 0 || missed != 0 {
		t.Errorf("duplicates %d, missed %d; want 0 and 0", duplicates, missed)
	}
}

func TestOpen(t *testing.T) {
	t.Run("Unreachable", func(t *testing.T) {
		ln := freeAddr(t)
		_, err := Open(ctxb, Options{URL: "redis://coach:s3cret-pw@" + ln + "/0"})
		if code := bot.ErrorCode(err); code != bot.Unavailable {
			t.Fatalf("Open of a Redis that is not there: %v (code %q), want Unavailable", err, code)
		}
		for _, text := range []string{err.Error(), bot.ErrorMessage(err)} {
			if strings.Contains(text, "s3cret") {
				t.Errorf("the error shows the password: %s", text)
			}
			if !strings.Contains(text, ln) {
				t.Errorf("the error does not name the address %s: %s", ln, text)
			}
		}
	})
	t.Run("BadURL", func(t *testing.T) {
		for _, u := range []string{"redis://coach:s3cret-pw@[::1", "http://coach:s3cret-pw@localhost", "redis://coach:s3cret-pw@localhost/notadb"} {
			_, err := Open(ctxb, Options{URL: u})
			if code := bot.ErrorCode(err); code != bot.Invalid {
				t.Errorf("Open(%q): %v (code %q), want Invalid", u, err, code)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("Open(%q): the error shows the password: %v", u, err)
			}
		}
	})
	t.Run("Nothing", func(t *testing.T) {
		if _, err := Open(ctxb, Options{}); bot.ErrorCode(err) != bot.Invalid {
			t.Errorf("Open without an address: %v, want Invalid", err)
		}
		if _, err := Open(ctxb, Options{URL: "redis://localhost", Addrs: []string{"a:1"}}); bot.ErrorCode(err) != bot.Invalid {
			t.Errorf("Open with both a URL and addresses: %v, want Invalid", err)
		}
	})
	t.Run("OtherShardCount", func(t *testing.T) {
		tg := single(t)
		opts := tg.opts
		tg.open(t)
		opts.Shards = 8
		_, err := Open(ctxb, opts)
		if err == nil || !strings.Contains(bot.ErrorMessage(err), "16 shards") && !strings.Contains(bot.ErrorMessage(err), "8 shards") {
			t.Errorf("Open with 8 shards of a Redis laid out with 16: %v, want a refusal that says why", err)
		}
	})
}

// freeAddr returns a loopback address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	srv := redistest.Start(t)
	addr := srv.Addr()
	srv.Kill()
	return addr
}

// TestMarkerOnlyHashExpires: a user with nothing but a marker left keeps
// no key for ever, and a new write makes the hash permanent again.
func TestMarkerOnlyHashExpires(t *testing.T) {
	tg := single(t)
	s := tg.open(t)
	id := bot.DiscordUser("1")
	r := daily(id, nowSec().Add(-minute))
	r.Kind = bot.Once
	if err := s.PutReminder(ctxb, r); err != nil {
		t.Fatal(err)
	}
	cs, err := s.ClaimDue(ctxb, 1, minute)
	if err != nil || len(cs) != 1 {
		t.Fatalf("ClaimDue = %v, %v", cs, err)
	}
	if err := s.Ack(ctxb, cs[0], nil); err != nil {
		t.Fatal(err)
	}
	_, key := s.userKey(id)
	rdb := tg.srv.Client()
	fields := rdb.HGetAll(ctxb, key).Val()
	if _, ok := fields["mo"]; !ok || len(fields) != 1 {
		t.Fatalf("after the ack the hash holds %v, want only the marker", fields)
	}
	if ttl := rdb.PTTL(ctxb, key).Val(); ttl <= 0 || ttl > 48*time.Hour {
		t.Errorf("a hash with only a marker has TTL %v, want up to 24h", ttl)
	}
	if _, err := s.UpdateUser(ctxb, id, func(u *bot.User) error { u.Zone = "UTC"; return nil }); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(ctxb, key).Val(); ttl != -1 {
		t.Errorf("after UpdateUser the hash has TTL %v, want none", ttl)
	}
}

// TestUpdateUserRetriedWrite: a compare-and-set that reaches Redis twice
// (go-redis retries a command whose reply was lost) is not applied twice
// and is reported as done.
func TestUpdateUserRetriedWrite(t *testing.T) {
	tg := single(t)
	s := tg.open(t)
	_, key := s.userKey("console:ana")
	p, _ := s.userKey("console:ana")
	args := []any{0, "u", "a|b", "ud", "x,y"}
	for i, want := range []int{1, 2} {
		got, err := casScript.Run(ctxb, s.rdb, []string{key, p + "w:1"}, args...).Int()
		if err != nil || got != want {
			t.Errorf("cas call %d = %d, %v; want %d", i+1, got, err, want)
		}
	}
	// Another writer with the same old record and the same new one is not
	// mistaken for the retried write: its update would be lost.
	got, err := casScript.Run(ctxb, s.rdb, []string{key, p + "w:2"}, args...).Int()
	if err != nil || got != 0 {
		t.Errorf("cas from a stale read that writes the same = %d, %v; want 0", got, err)
	}
	got, err = casScript.Run(ctxb, s.rdb, []string{key, p + "w:3"}, 0, "u", "c|d").Int()
	if err != nil || got != 0 {
		t.Errorf("cas from a stale read = %d, %v; want 0", got, err)
	}
}

// TestLayout pins what doc.go promises about one user's keys.
func TestLayout(t *testing.T) {
	tg := single(t)
	s := tg.open(t)
	id := bot.DiscordUser("123456789012345678")
	if _, err := s.UpdateUser(ctxb, id, func(u *bot.User) error {
		u.Done, u.Zone = []string{"choose-a-language", "fundamentals"}, "Asia/Kolkata"
		u.Streak = bot.Streak{Last: "2026-11-23", Current: 3, Best: 9, Days: 41}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	next := time.Date(2026, 11, 24, 4, 0, 0, 0, time.UTC)
	if err := s.PutReminder(ctxb, daily(id, next)); err != nil {
		t.Fatal(err)
	}
	p, key := s.userKey(id)
	if !strings.HasPrefix(p, "{c") || key != p+"u:d:123456789012345678" {
		t.Errorf("user key %q", key)
	}
	rdb := tg.srv.Client()
	fields := rdb.HGetAll(ctxb, key).Val()
	names := sortedKeys(fields)
	if want := []string{"rd", "u"}; !cmp.Equal(want, names) {
		t.Errorf("hash fields %v, want %v", names, want)
	}
	if enc := rdb.ObjectEncoding(ctxb, key).Val(); enc != "listpack" {
		t.Errorf("the user hash is a %s, want a listpack", enc)
	}
	bucket := b62(next.UnixMilli())
	if got := rdb.LRange(ctxb, p+"b:"+bucket, 0, -1).Val(); !cmp.Equal([]string{member(shortID(id), "d")}, got) {
		t.Errorf("bucket holds %q", got)
	}
	if got := rdb.ZRange(ctxb, p+"due", 0, -1).Val(); !cmp.Equal([]string{bucket}, got) {
		t.Errorf("due index holds %q", got)
	}
	t.Logf("fields: %q; MEMORY USAGE of the hash: %d bytes", fields, rdb.MemoryUsage(ctxb, key).Val())
}

func TestCodec(t *testing.T) {
	weird := "a|b\\c,d~1\x00é" + strings.Repeat("x", 150)
	users := []bot.User{
		{ID: "console:ana"},
		{ID: "console:ana", Created: time.UnixMilli(1), Updated: time.UnixMilli(2)},
		{
			ID: "slack:T1:U1", Done: []string{"a", weird, "", "c,d"}, Zone: weird, Notice: weird,
			Streak:  bot.Streak{Last: weird, Current: 1, Best: 2, Days: 3},
			Created: time.Date(1960, 1, 1, 0, 0, 0, 1e6, time.UTC), Updated: time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC),
		},
	}
	for _, u := range users {
		fields := userFields(u)
		for f, v := range fields {
			// Free text is chunked; a reminder's spec is not (the scripts
			// read it whole), which costs memory, not correctness, for
			// absurdly long zone names.
			if len(v) > chunkSize {
				t.Errorf("field %s is %d bytes, over %d", f, len(v), chunkSize)
			}
		}
		got, err := decodeUser(u.ID, fields)
		if err != nil {
			t.Fatal(err)
		}
		if u.Created.IsZero() {
			// A user that was never written has no "u" field at all to
			// read back; userFields is only called on written users.
			continue
		}
		if diff := cmp.Diff(u, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("user round trip (-want +got):\n%s", diff)
		}
	}
	reminders := []bot.Reminder{
		{User: "u", Kind: bot.Daily, Next: time.UnixMilli(1234567890123).UTC()},
		{User: "u", Kind: "k|\\~", At: weird, Zone: weird, Days: bot.EveryDay, Next: time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC), Attempts: 7, Created: time.UnixMilli(5).UTC()},
		{User: "u", Kind: bot.Once, Paused: weird, Attempts: 2},
	}
	for _, r := range reminders {
		w := encodeReminder(r)
		fields := map[string]string{}
		for i := 0; i < len(w.fields); i += 2 {
			fields[w.fields[i]] = w.fields[i+1]
		}
		got, err := decodeReminders(r.User, fields)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]bot.Reminder{r}, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("reminder round trip (-want +got):\n%s", diff)
		}
	}
	for _, id := range []bot.UserID{"discord:1", "slack:T1:U1", "console:ana", "telegram:7", "=x", "d:1", ""} {
		if got, err := longID(shortID(id)); err != nil || got != id {
			t.Errorf("longID(shortID(%q)) = %q, %v", id, got, err)
		}
	}
	for _, z := range []string{"", "UTC", "Asia/Kolkata", "Etc/GMT", "Mars/Olympus", "#1", "=x", "#"} {
		if got, ok := expandZone(compactZone(z)); !ok || got != z {
			t.Errorf("expandZone(compactZone(%q)) = %q, %v", z, got, ok)
		}
	}
	for _, n := range []int64{0, 1, 61, 62, -1, 1763880000000, -62135596800000, 1<<63 - 1} {
		if got, err := unb62(b62(n)); err != nil || got != n {
			t.Errorf("unb62(b62(%d)) = %d, %v", n, got, err)
		}
	}
	for _, d := range []string{"2026-11-23", "1969-12-31", "0001-01-01", "2026-02-30", "2026-13-01", "2026-1-01", "+026-01-01", "2026-11-230", "yesterday", "=x", ""} {
		if got, err := expandDate(compactDate(d)); err != nil || got != d {
			t.Errorf("expandDate(compactDate(%q)) = %q, %v", d, got, err)
		}
	}
	for _, c := range []string{"00:00", "09:30", "23:59", "24:00", "09:60", "9:30", "09:300", "-9:30", "=x", "noon", ""} {
		if got, err := expandClock(compactClock(c)); err != nil || got != c {
			t.Errorf("expandClock(compactClock(%q)) = %q, %v", c, got, err)
		}
	}
	for _, items := range [][]string{{""}, {"a"}, {"", ""}, {"a\\", "|b"}, {"\\|", "\\"}} {
		if got := split('|', join('|', items...)); !cmp.Equal(items, got) {
			t.Errorf("split(join(%q)) = %q", items, got)
		}
	}
}

// pinnedZones entries of zoneCodes are pinned by their digest: they are
// stored in Redis by position. Append new zones after them and leave this
// test as it is.
const (
	pinnedZones      = 117
	pinnedZoneDigest = "509965d9262400691679a8929810d1aae3f239426dae610aa356d5a16ee88b1d"
)

func TestZoneCodesAppendOnly(t *testing.T) {
	if len(zoneCodes) < pinnedZones {
		t.Fatalf("zoneCodes has %d entries, fewer than the %d pinned: entries were removed", len(zoneCodes), pinnedZones)
	}
	sum := sha256.Sum256([]byte(strings.Join(zoneCodes[:pinnedZones], "\n")))
	if got := hex.EncodeToString(sum[:]); got != pinnedZoneDigest {
		t.Errorf("the first %d zone codes changed (digest %s): stored zones would read back as other zones; only append", pinnedZones, got)
	}
	seen := map[string]bool{}
	for _, z := range zoneCodes {
		if seen[z] {
			t.Errorf("zone %q is listed twice", z)
		}
		seen[z] = true
		if _, err := time.LoadLocation(z); err != nil {
			t.Errorf("zone %q: %v", z, err)
		}
	}
}

// TestMarkers checks the scripts' marker bookkeeping directly: expired
// markers go, the last four stay, an occurrence is listed once.
func TestMarkers(t *testing.T) {
	rdb := single(t).srv.Client()
	script := redis.NewScript(prelude + `return markers(ARGV[2], ARGV[3], tonumber(ARGV[4]))`)
	const day = 24 * time.Hour
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	id := func(d time.Duration) string { return markerID(now.Add(-d)) }
	cases := []struct {
		name, mk, due, want string
	}{
		{"first", "", id(0), id(0)},
		{"same again", id(0), id(0), id(0)},
		{"a recent one stays", id(time.Hour), id(0), id(time.Hour) + "," + id(0)},
		{"yesterday's goes", id(day), id(0), id(0)},
		{"older than a day goes", id(day + time.Minute), id(0), id(0)},
		{"of several, the expired go", id(2*day) + "," + id(3*time.Hour) + "," + id(2*time.Hour), id(0),
			id(3*time.Hour) + "," + id(2*time.Hour) + "," + id(0)},
		{"at most four", strings.Join([]string{id(5 * time.Hour), id(4 * time.Hour), id(3 * time.Hour), id(2 * time.Hour)}, ","), id(0),
			strings.Join([]string{id(4 * time.Hour), id(3 * time.Hour), id(2 * time.Hour), id(0)}, ",")},
		{"listed once", id(time.Hour) + "," + id(0), id(0), id(time.Hour) + "," + id(0)},
		{"a narrower one (1970s) is parsed", markerID(time.UnixMilli(5)), id(0), id(0)},
	}
	for _, c := range cases {
		got, err := script.Run(ctxb, rdb, nil, "{c0}:", c.mk, c.due, now.UnixMilli()).Text()
		if err != nil || got != c.want {
			t.Errorf("%s: markers(%q, %q) = %q, %v; want %q", c.name, c.mk, c.due, got, err, c.want)
		}
	}
}
