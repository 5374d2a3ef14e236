package redisstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
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

func single(t testing.TB, opts ...redistest.Option) target {
	srv := redistest.Start(t, opts...)
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
// that the index agrees with the records exactly: every conformance test
// thereby also proves that it left no orphaned or missing index entry.
func (tg target) open(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), tg.opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if n, err := s.Reconcile(context.Background()); n != 0 || err != nil {
			t.Errorf("Reconcile after the test = %d repairs, %v; want 0: the index disagreed with the records", n, err)
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

// client returns a client of the target that routes keys to their node,
// for a test to change what the store wrote.
func (tg target) client(t testing.TB) redis.UniversalClient {
	t.Helper()
	c, _, err := newClient(tg.opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
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

// put sets reminders as the bot does: in one UpdateUser.
func put(t testing.TB, s bot.Store, rs ...bot.Reminder) {
	t.Helper()
	for _, r := range rs {
		if _, err := s.UpdateUser(ctxb, r.User, func(u *bot.User) error { u.SetReminder(r); return nil }); err != nil {
			t.Fatalf("put %s %s: %v", r.User, r.Kind, err)
		}
	}
}

// claim claims up to limit with a long lease.
func claim(t testing.TB, s bot.Store, limit int) []bot.Claim {
	t.Helper()
	cs, err := s.ClaimDue(ctxb, limit, time.Hour)
	if err != nil {
		t.Fatalf("ClaimDue: %v", err)
	}
	return cs
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
				u.Notice = strings.Repeat("a long notice ", 10)
				for i := range 20 {
					u.Done = append(u.Done, fmt.Sprintf("step-number-%d", i))
				}
				for _, kind := range []bot.ReminderKind{bot.Daily, bot.Once, "weekly"} {
					r := daily(id, due)
					r.Kind = kind
					u.SetReminder(r)
				}
				p := daily(id, due)
				p.Kind, p.Paused = "paused", "closed DMs"
				u.SetReminder(p)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Admit(ctxb, id, "", bot.Rate{PerMinute: 60, Burst: 5}); err != nil {
				t.Fatal(err)
			}
		}
		// Every user gets a delivered daily (its next in the past, due
		// again), a claim in flight (once) and a retry (weekly).
		cs := claim(t, s, 100)
		if len(cs) != 9 {
			t.Fatalf("ClaimDue = %d claims; want 9", len(cs))
		}
		for _, cl := range cs {
			switch cl.Reminder.Kind {
			case bot.Daily:
				next := cl.Reminder
				next.Next = due.Add(-time.Hour)
				if err := bot.Ack(ctxb, s, cl, &next); err != nil {
					t.Fatal(err)
				}
			case "weekly":
				if err := bot.Retry(ctxb, s, cl, due.Add(time.Hour)); err != nil {
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
		short := shortID(a)
		for _, key := range tg.keys(t) {
			if strings.HasSuffix(key, ":"+short) {
				t.Errorf("key %q of the forgotten user is left", key)
			}
			n := tg.nodeOf(t, key)
			var members []string
			switch typ := n.Type(ctxb, key).Val(); typ {
			case "list":
				members = n.LRange(ctxb, key, 0, -1).Val()
			case "zset":
				members = n.ZRange(ctxb, key, 0, -1).Val()
			}
			for _, m := range members {
				if id, _, _ := strings.Cut(m, "\x00"); id == short {
					t.Errorf("%s %q still holds %q", n.Type(ctxb, key).Val(), key, m)
				}
			}
		}
		// The others are whole.
		for _, id := range []bot.UserID{b, c} {
			if u, err := s.User(ctxb, id); err != nil || len(u.Done) != 20 || len(u.Reminders) != 4 {
				t.Errorf("User(%s) = %+v, %v after Forget(%s)", id, u, err, a)
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
		keep(t, s, id)                     // a user forgotten meanwhile gets no dead letter
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
		prefix, _, _ := s.userKeys(id)
		key := prefix + "dead"
		if got := tg.nodeOf(t, key).LRange(ctxb, key, 0, -1).Val(); len(got) != 1 ||
			got[0] != shortID(id)+"\x00_7765656b6c79\x00"+strconv.FormatInt(due.UnixMilli(), 10)+"\x006\x00"+strings.Repeat("é", 100) {
			t.Errorf("%s = %q", key, got)
		}
	})
}

// keep writes a record for id: dead letters are kept only about users
// the store keeps.
func keep(t *testing.T, s *Store, id bot.UserID) {
	t.Helper()
	if _, err := s.UpdateUser(ctxb, id, func(u *bot.User) error { u.Zone = "UTC"; return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestDeadLetterCapped(t *testing.T) {
	each(t, func(t *testing.T, tg target) {
		s := tg.open(t)
		due := nowSec().Add(-minute)
		id := bot.DiscordUser("1")
		keep(t, s, id)
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

// TestReconcile breaks the index by hand in every way it can be wrong and
// checks that Reconcile puts it right, and that a second one finds
// nothing to do.
func TestReconcile(t *testing.T) {
	each(t, func(t *testing.T, tg target) {
		s := tg.open(t)
		due := nowSec().Add(-minute)
		lost, fine, moved, both, leased := bot.DiscordUser("1"), bot.DiscordUser("2"), bot.DiscordUser("3"), bot.DiscordUser("4"), bot.DiscordUser("5")
		for _, id := range []bot.UserID{lost, fine, moved, both, leased} {
			put(t, s, daily(id, due))
		}
		// Claim leased's reminder on a long lease, and give back the rest.
		var held bot.Claim
		for _, c := range claim(t, s, 10) {
			if c.Reminder.User == leased {
				held = c
			} else if err := bot.Release(ctxb, s, c); err != nil {
				t.Fatal(err)
			}
		}
		m := func(id bot.UserID, code string) string { return member(shortID(id), code) }
		rdb := tg.client(t)
		node := func(id bot.UserID) (redis.UniversalClient, string) {
			p, _, _ := s.userKeys(id)
			return rdb, p
		}
		ms := float64(due.UnixMilli())
		// lost falls out of the index; moved waits at the wrong time;
		// both is also in the lease index; leased's lease entry is lost
		// (the claim is lost: the reminder must come back, not vanish);
		// entries nobody vouches for turn up: a user without a record, a
		// kind the record does not have.
		n, p := node(lost)
		n.ZRem(ctxb, p+"due", m(lost, "d"))
		n, p = node(moved)
		n.ZAdd(ctxb, p+"due", redis.Z{Score: ms + float64(time.Hour.Milliseconds()), Member: m(moved, "d")})
		n, p = node(both)
		n.ZAdd(ctxb, p+"lease", redis.Z{Score: ms * fence, Member: m(both, "d")})
		n, p = node(leased)
		n.ZRem(ctxb, p+"lease", m(leased, "d"))
		n.ZAdd(ctxb, p+"due", redis.Z{Score: ms, Member: m("console:ghost", "d")})
		n.ZAdd(ctxb, p+"lease", redis.Z{Score: ms * fence, Member: m("console:ghost", "o")})
		n, p = node(fine)
		n.ZAdd(ctxb, p+"due", redis.Z{Score: ms, Member: m(fine, "o")})

		fixed, err := s.Reconcile(ctxb)
		if err != nil {
			t.Fatal(err)
		}
		if fixed != 7 {
			t.Errorf("Reconcile made %d repairs, want 7", fixed)
		}
		if again, err := s.Reconcile(ctxb); again != 0 || err != nil {
			t.Errorf("a second Reconcile = %d, %v; want nothing left to repair", again, err)
		}
		got := map[bot.UserID]int{}
		for _, c := range claim(t, s, 10) {
			got[c.Reminder.User]++
		}
		if want := map[bot.UserID]int{lost: 1, fine: 1, moved: 1, both: 1, leased: 1}; !cmp.Equal(want, got) {
			t.Errorf("after Reconcile claimed %v, want %v", got, want)
		}
		// The lost claim is stale: its reminder was claimed anew.
		if err := bot.Ack(ctxb, s, held, nil); !errors.Is(err, bot.ErrStaleClaim) {
			t.Errorf("Ack of the claim whose lease entry was lost = %v, want ErrStaleClaim", err)
		}
	})
}

// TestRedisDown kills Redis under a working store: every call fails as
// Unavailable with the friendly message, and once Redis is back (from its
// append-only file) the same store works again, data intact.
func TestRedisDown(t *testing.T) {
	// What the store wrote before the kill is checked after the restart.
	tg := single(t, redistest.KeepAcknowledged())
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
	put(t, s, r)
	held := claim(t, s, 1)[0]
	before = getUser(t, s, id)

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
		{"ClaimDue", func(ctx context.Context) error { _, err := s.ClaimDue(ctx, 10, minute); return err }},
		{"Ack", func(ctx context.Context) error { return bot.Ack(ctx, s, held, nil) }},
		{"Retry", func(ctx context.Context) error { return bot.Retry(ctx, s, held, time.Now()) }},
		{"Forget", func(ctx context.Context) error { return s.Forget(ctx, id) }},
		{"Reconcile", func(ctx context.Context) error { _, err := s.Reconcile(ctx); return err }},
		{"Allow", func(ctx context.Context) error { _, _, err := s.Allow(ctx, "k", 1, 1); return err }},
		{"FirstSeen", func(ctx context.Context) error { _, err := s.FirstSeen(ctx, "k", minute); return err }},
		{"Admit", func(ctx context.Context) error {
			_, err := s.Admit(ctx, id, "k", bot.Rate{PerMinute: 60, Burst: 1})
			return err
		}},
		{"DeadLetter", func(ctx context.Context) error { return s.DeadLetter(ctx, held, "x") }},
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
	// The claim made before the crash still holds.
	if err := bot.Ack(ctxb, s, held, nil); err != nil {
		t.Errorf("Ack after the restart of the claim made before: %v", err)
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
	put(t, s, r)
	held := claim(t, s, 1)[0]
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
		{"ClaimDue", func(ctx context.Context) error { _, err := s.ClaimDue(ctx, 10, minute); return err }},
		{"Ack", func(ctx context.Context) error { return bot.Ack(ctx, s, held, nil) }},
		{"Admit", func(ctx context.Context) error {
			_, err := s.Admit(ctx, id, "k", bot.Rate{PerMinute: 60, Burst: 1})
			return err
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
	if err := bot.Ack(ctxb, s, held, nil); err != nil {
		t.Errorf("Ack after Redis continued: %v", err)
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
	seedDue(t, stores[0], reminders)
	var (
		mu     sync.Mutex
		counts = map[bot.UserID]int{}
		calls  = make([]int, replicas)
		wg     sync.WaitGroup
	)
	for i, s := range stores {
		wg.Go(func() {
			for {
				cs, err := s.ClaimDue(ctxb, batch, minute)
				if err != nil {
					t.Errorf("replica %d: ClaimDue: %v", i, err)
					return
				}
				if len(cs) > batch {
					t.Errorf("replica %d: ClaimDue(%d) returned %d", i, batch, len(cs))
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
				// Ack the batch as the scheduler does: its default 8
				// workers at a time. (A goroutine per claim, 300 Settles at
				// once on a loaded 2-core machine under -race, once ran
				// past a call's 2 s deadline: a test of how Redis queues,
				// not of who claims what.)
				var acks sync.WaitGroup
				workers := make(chan struct{}, 8)
				for _, c := range cs {
					workers <- struct{}{}
					acks.Go(func() {
						defer func() { <-workers }()
						next := c.Reminder
						next.Next = next.Next.Add(24 * time.Hour)
						if err := bot.Ack(ctxb, s, c, &next); err != nil {
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
	t.Logf("%d reminders, %d replicas: claimed %d distinct (ClaimDue calls per replica %v); duplicates %d, missed %d",
		reminders, replicas, len(counts), calls, duplicates, missed)
	if duplicates != 0 || missed != 0 {
		t.Errorf("duplicates %d, missed %d; want 0 and 0", duplicates, missed)
	}
}

// TestClaimDueLimit: whatever the limit, against due reminders spread over
// every shard, ClaimDue returns at most limit, and what it claimed but did
// not return is given back at once: claiming on until nothing is left
// finds every reminder exactly once.
func TestClaimDueLimit(t *testing.T) {
	tg := single(t)
	for _, limit := range []int{1, 5, 16, 17, 40} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			tg.flush(t)
			s := tg.open(t)
			const reminders = 100
			seedDue(t, s, reminders)
			seen := map[bot.UserID]int{}
			for rounds := 0; ; rounds++ {
				cs, err := s.ClaimDue(ctxb, limit, time.Hour)
				if err != nil {
					t.Fatal(err)
				}
				if len(cs) > limit {
					t.Fatalf("ClaimDue(%d) returned %d", limit, len(cs))
				}
				if len(cs) == 0 {
					break
				}
				if rounds > reminders {
					t.Fatal("ClaimDue keeps returning claims")
				}
				for _, c := range cs {
					seen[c.Reminder.User]++
				}
			}
			if len(seen) != reminders {
				t.Errorf("claimed %d distinct reminders, want %d", len(seen), reminders)
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("%s claimed %d times", id, n)
				}
			}
		})
	}
}

// TestClaimDueDropsOrphans: an index entry that its record does not
// vouch for (no record, or a kind the record does not have) is dropped,
// not claimed, and does not hold up the shard.
func TestClaimDueDropsOrphans(t *testing.T) {
	each(t, func(t *testing.T, tg target) {
		s := tg.open(t)
		id := bot.DiscordUser("1")
		due := nowSec().Add(-minute)
		put(t, s, daily(id, due))
		p, short, _ := s.userKeys(id)
		n := tg.nodeOf(t, p+"due")
		early := float64(due.Add(-time.Hour).UnixMilli())
		n.ZAdd(ctxb, p+"due", redis.Z{Score: early, Member: member(short, "o")}, redis.Z{Score: early, Member: member("c:ghost", "d")})
		cs := claim(t, s, 1)
		if len(cs) != 0 && (len(cs) != 1 || cs[0].Reminder.Kind != bot.Daily) {
			t.Fatalf("claimed %+v, want the daily or nothing", cs)
		}
		if len(cs) == 0 {
			cs = claim(t, s, 1)
		}
		if len(cs) != 1 || cs[0].Reminder.Kind != bot.Daily {
			t.Fatalf("claimed %+v, want the daily", cs)
		}
		for _, key := range []string{p + "due", p + "lease"} {
			if got := n.ZRange(ctxb, key, 0, -1).Val(); len(got) > 1 || len(got) == 1 && got[0] != member(short, "d") {
				t.Errorf("%s holds %q, want the orphans gone", key, got)
			}
		}
	})
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
	t.Run("WrongPassword", func(t *testing.T) {
		// A real server with requirepass, and a user of its own with a
		// password (ACL): a wrong password, none at all, and a wrong one
		// for the user are each an authentication failure, not "cannot
		// reach", and no message quotes the password tried.
		srv := redistest.Start(t)
		if srv.Port() == 0 {
			t.Skip("a COACH_TEST_REDIS_URL server is shared: its password is not changed")
		}
		c := srv.Client()
		if err := c.Do(ctxb, "ACL", "SETUSER", "coach", "on", ">right-user-pw", "~*", "&*", "+@all").Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.ConfigSet(ctxb, "requirepass", "right-pw").Err(); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ name, url, tried string }{
			{"wrong password", "redis://:s3cret-wrong@" + srv.Addr() + "/0", "s3cret-wrong"},
			{"no password", "redis://" + srv.Addr() + "/0", ""},
			{"wrong user password", "redis://coach:s3cret-wrong@" + srv.Addr() + "/0", "s3cret-wrong"},
			{"unknown user", "redis://nobody:s3cret-wrong@" + srv.Addr() + "/0", "s3cret-wrong"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := Open(ctxb, Options{URL: tc.url})
				if code := bot.ErrorCode(err); code != bot.Invalid {
					t.Errorf("Open: %v (code %q), want Invalid", err, code)
				}
				msg := bot.ErrorMessage(err)
				want := "Redis at " + srv.Addr() + " refused the credentials (authentication failed): check the user name and password in COACH_REDIS_URL (or COACH_REDIS_ADDRS)"
				if msg != want {
					t.Errorf("message %q, want %q", msg, want)
				}
				if tc.tried != "" && err != nil && (strings.Contains(err.Error(), tc.tried) || strings.Contains(msg, tc.tried)) {
					t.Errorf("the error shows the password: %v", err)
				}
			})
		}
		// The right password still opens it.
		s, err := Open(ctxb, Options{URL: "redis://:right-pw@" + srv.Addr() + "/0"})
		if err != nil {
			t.Fatalf("Open with the right password: %v", err)
		}
		s.Close()
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

// TestWriteSentTwice: a write script that reaches Redis twice (go-redis
// sends a command again when its reply was lost) is recognised by its own
// value: it is reported as done, and applied once.
func TestWriteSentTwice(t *testing.T) {
	tg := single(t)
	s := tg.open(t)
	id := bot.ConsoleUser("ana")
	p, short, key := s.userKeys(id)
	keys := []string{key, p + "due", p + "lease"}
	u := bot.User{ID: id, Zone: "UTC"}
	first := recordValue(nextRevision(""), u)
	for i := range 2 {
		got, err := casScript.Run(ctxb, s.rdb, keys, "", first, 0, 0).Int()
		if err != nil || got != 1 {
			t.Errorf("cas call %d = %d, %v; want 1", i+1, got, err)
		}
	}
	// Another writer with the same read and the same record, but its own
	// revision, is not mistaken for the first: its update would be lost.
	other := recordValue(nextRevision(""), u)
	if got, err := casScript.Run(ctxb, s.rdb, keys, "", other, 0, 0).Int(); err != nil || got != 0 {
		t.Errorf("cas of another writer from the same read = %d, %v; want 0", got, err)
	}
	if v := tg.srv.Client().Get(ctxb, key).Val(); v != first {
		t.Errorf("record = %q, want %q", v, first)
	}

	// Settle: the held write, sent twice, is held both times.
	r := daily(id, nowSec().Add(-minute))
	put(t, s, r)
	c := claim(t, s, 1)[0]
	rev, old, err := decodeRecord(id, tg.srv.Client().Get(ctxb, key).Val())
	if err != nil {
		t.Fatal(err)
	}
	next := old
	next.Notice = "settled"
	args := []any{rev, member(short, "d"), leaseScore(c.Token), "w", recordValue(nextRevision(rev), next)}
	args = append(args, reindexArgs(short, old, next, bot.Daily)...)
	args = append(args, "n", "", 0, 0)
	for i := range 2 {
		if got, err := settleScript.Run(ctxb, s.rdb, keys, args...).Text(); err != nil || got != "held" {
			t.Errorf("settle call %d = %q, %v; want held", i+1, got, err)
		}
	}
	if got := getUser(t, s, id); got.Notice != "settled" {
		t.Errorf("Notice = %q after the settle", got.Notice)
	}
}

// TestLayout pins what doc.go promises about one user's keys.
func TestLayout(t *testing.T) {
	tg := single(t)
	s := tg.open(t)
	id := bot.DiscordUser("123456789012345678")
	next := time.Date(2026, 11, 24, 4, 0, 0, 0, time.UTC)
	u, err := s.UpdateUser(ctxb, id, func(u *bot.User) error {
		u.Done, u.Zone = []string{"choose-a-language", "fundamentals"}, "Asia/Kolkata"
		u.Streak = bot.Streak{Last: "2026-11-23", Current: 3, Best: 9, Days: 41}
		u.SetReminder(daily(id, next))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	p, short, key := s.userKeys(id)
	if !strings.HasPrefix(p, "{c") || short != "d:123456789012345678" || key != p+"r:"+short {
		t.Errorf("record key %q", key)
	}
	rdb := tg.srv.Client()
	v := rdb.Get(ctxb, key).Val()
	rev, rec, _ := strings.Cut(v, ":")
	if count, tag, _ := strings.Cut(rev, "."); count != "1" || len(tag) != 4 {
		t.Errorf("revision %q, want 1.<tag>", rev)
	}
	if rec != string(bot.EncodeUser(u)) {
		t.Errorf("record bytes %q, want bot.EncodeUser's", rec)
	}
	want := []redis.Z{{Score: float64(next.UnixMilli()), Member: member(short, "d")}}
	if got := rdb.ZRangeWithScores(ctxb, p+"due", 0, -1).Val(); !cmp.Equal(want, got) {
		t.Errorf("due index holds %v, want %v", got, want)
	}
	if got := rdb.Exists(ctxb, p+"lease").Val(); got != 0 {
		t.Error("a lease index without claims")
	}
	t.Logf("record %d bytes (%d of them the record); MEMORY USAGE of the key: %d bytes, of the due index: %d",
		len(v), len(rec), rdb.MemoryUsage(ctxb, key).Val(), rdb.MemoryUsage(ctxb, p+"due").Val())
}

func getUser(t testing.TB, s bot.Store, id bot.UserID) bot.User {
	t.Helper()
	u, err := s.User(ctxb, id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
