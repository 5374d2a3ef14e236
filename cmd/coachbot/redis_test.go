package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coachbot/coachbot/adapters/redisstore"
	"github.com/coachbot/coachbot/adapters/redisstore/redistest"
	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
	"github.com/coachbot/coachbot/content"
)

// These tests run the real bot on real Redis servers and break things:
// replicas with clocks that disagree, a replica that dies holding claims,
// Redis killed and restarted while reminders wait and commands arrive. They
// report what they counted (delivered, duplicates, lost) with t.Log, and
// fail on any loss; they assert no timings.

// go-redis would print every refused dial of the outage tests to stderr.
func init() { redisstore.RouteLogs(nil) }

// countingMessenger counts DMs per user and can fail on demand.
type countingMessenger struct {
	mu   sync.Mutex
	got  map[bot.UserID]int
	fail func(to bot.UserID, attempt int) error
	n    map[bot.UserID]int
}

func newCountingMessenger() *countingMessenger {
	return &countingMessenger{got: map[bot.UserID]int{}, n: map[bot.UserID]int{}}
}

func (m *countingMessenger) SendDM(_ context.Context, to bot.UserID, _ bot.Reply) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.n[to]++
	if m.fail != nil {
		if err := m.fail(to, m.n[to]); err != nil {
			return err
		}
	}
	m.got[to]++
	return nil
}

// tally returns how many users got at least one DM and how many DMs were
// extra (duplicates).
func (m *countingMessenger) tally() (users, duplicates int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range m.got {
		users++
		duplicates += n - 1
	}
	return users, duplicates
}

func openRedis(t *testing.T, url string) *redisstore.Store {
	t.Helper()
	s, err := redisstore.Open(context.Background(), redisstore.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newRedisBot(t *testing.T, store bot.Store, clock bot.Clock, m bot.Messenger, sched bot.SchedulerConfig) *bot.Bot {
	t.Helper()
	b, err := bot.New(bot.Config{Store: store, Content: content.MustDefault(), Clock: clock, Reminders: sched,
		Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	b.SetMessenger("test", m)
	return b
}

// seedDue writes n once-reminders for users test:<prefix><i>, all due
// within the last minute by Redis's clock.
func seedDue(t *testing.T, s bot.Store, prefix string, n int) []bot.UserID {
	t.Helper()
	due := time.Now().Add(-30 * time.Second).Truncate(time.Minute)
	ids := make([]bot.UserID, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	var failed atomic.Int32
	for i := range n {
		ids[i] = bot.UserID(fmt.Sprintf("test:%s%d", prefix, i))
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			r := bot.Reminder{User: ids[i], Kind: bot.Once, Zone: "UTC", Next: due, Created: due}
			if err := putReminder(context.Background(), s, r); err != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d reminders could not be written", failed.Load())
	}
	return ids
}

// TestReplicasWithSkewedClocks: three schedulers, each with its own Redis
// client and a clock minutes off from the others, deliver 10,000 reminders
// due in the same minute: every one exactly once, because claims use
// Redis's clock.
func TestReplicasWithSkewedClocks(t *testing.T) {
	srv := redistest.Start(t)
	const n = 10000
	seedDue(t, openRedis(t, srv.URL()), "u", n)

	m := newCountingMessenger()
	var wg sync.WaitGroup
	for _, skew := range []time.Duration{-5 * time.Minute, 0, 7 * time.Minute} {
		clock := bottest.NewClock(time.Now().Add(skew))
		b := newRedisBot(t, openRedis(t, srv.URL()), clock, m, bot.SchedulerConfig{Batch: 100})
		wg.Go(func() {
			for {
				st, err := b.DeliverDue(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				if st.Claimed == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	users, dups := m.tally()
	t.Logf("10,000 reminders, 3 replicas with clocks -5m/0/+7m: delivered to %d users, %d duplicates, %d lost", users, dups, n-users)
	if users != n || dups != 0 {
		t.Errorf("delivered to %d of %d users with %d duplicates; want all, exactly once", users, n, dups)
	}
}

// TestReplicaDiesHoldingClaims: a replica claims reminders and dies without
// acknowledging; once the lease runs out another replica delivers them all.
func TestReplicaDiesHoldingClaims(t *testing.T) {
	srv := redistest.Start(t)
	dead := openRedis(t, srv.URL())
	seedDue(t, dead, "d", 300)
	held, err := dead.ClaimDue(context.Background(), 200, time.Second) // and then it dies
	if err != nil || len(held) != 200 {
		t.Fatalf("ClaimDue = %d claims, %v", len(held), err)
	}
	dead.Close()

	m := newCountingMessenger()
	b := newRedisBot(t, openRedis(t, srv.URL()), bot.SystemClock{}, m, bot.SchedulerConfig{})
	deadline := time.Now().Add(bottest.WaitLimit)
	for {
		if _, err := b.DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		if users, _ := m.tally(); users == 300 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond) // waiting for the dead replica's leases
	}
	users, dups := m.tally()
	t.Logf("a replica died holding 200 of 300 claims: delivered %d, duplicates %d, lost %d", users, dups, 300-users)
	if users != 300 || dups != 0 {
		t.Errorf("delivered to %d of 300 with %d duplicates", users, dups)
	}
}

// TestFailingMessengerOnRedis: a rate limit is retried after Retry-After and
// delivered; a recipient who cannot get DMs is paused and told why.
func TestFailingMessengerOnRedis(t *testing.T) {
	srv := redistest.Start(t)
	store := openRedis(t, srv.URL())
	ctx := context.Background()
	ids := seedDue(t, store, "f", 2)
	limited, closed := ids[0], ids[1]
	m := newCountingMessenger()
	m.fail = func(to bot.UserID, attempt int) error {
		switch {
		case to == limited && attempt == 1:
			return &bot.DeliveryError{RetryAfter: 300 * time.Millisecond, Err: errors.New("429")}
		case to == closed:
			return &bot.DeliveryError{Permanent: true, Reason: "your direct messages are closed", Err: errors.New("50007")}
		}
		return nil
	}
	b := newRedisBot(t, store, bot.SystemClock{}, m, bot.SchedulerConfig{})

	var total bot.DeliveryStats
	deadline := time.Now().Add(bottest.WaitLimit)
	for total.Sent == 0 && time.Now().Before(deadline) {
		st, err := b.DeliverDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		total.Retried += st.Retried
		total.Paused += st.Paused
		total.Sent += st.Sent
		time.Sleep(50 * time.Millisecond) // waiting out Retry-After
	}
	if total.Retried != 1 || total.Sent != 1 || total.Paused != 1 {
		t.Errorf("stats = %+v, want 1 retried then sent, 1 paused", total)
	}
	if got := b.Handle(ctx, closed, "progress"); !strings.Contains(got.Text, "direct messages are closed") {
		t.Errorf("the paused user was not told why: %+v", got)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestRedisKilledAndRestarted: Redis is SIGKILLed while reminders wait and
// commands keep arriving. Commands during the outage get the friendly
// answer (and come back within the command deadline); once Redis restarts
// from its AOF, commands work again without a restart of ours and every
// reminder is delivered.
func TestRedisKilledAndRestarted(t *testing.T) {
	// The reminders written just before the kill must survive it: with
	// appendfsync everysec a busy disk can keep them in Redis's memory
	// past the kill (seen once in CI: 199 of 200 delivered).
	srv := redistest.Start(t, redistest.KeepAcknowledged())
	store := openRedis(t, srv.URL())
	m := newCountingMessenger()
	b := newRedisBot(t, store, bot.SystemClock{}, m, bot.SchedulerConfig{Interval: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// 200 users ask for a reminder a few seconds from now.
	const users = 200
	for i := range users {
		id := bot.UserID(fmt.Sprintf("test:k%d", i))
		if r := b.Handle(ctx, id, "remind in 1m"); !strings.Contains(r.Title, "Reminder set") {
			t.Fatalf("remind: %+v", r)
		}
	}
	// Bring them due now by rewriting them one minute earlier.
	for i := range users {
		id := bot.UserID(fmt.Sprintf("test:k%d", i))
		u, err := store.User(ctx, id)
		if err != nil || len(u.Reminders) != 1 {
			t.Fatalf("reminders of %s: %v %v", id, u.Reminders, err)
		}
		r := u.Reminders[0]
		r.Next = r.Next.Add(-time.Minute - 2*time.Second)
		if err := putReminder(ctx, store, r); err != nil {
			t.Fatal(err)
		}
	}

	srv.Kill()
	done := make(chan struct{})
	go func() { b.RunReminders(ctx); close(done) }()

	var slowest time.Duration
	friendly := 0
	for i := range 20 {
		start := time.Now()
		r := b.Handle(ctx, bot.UserID(fmt.Sprintf("test:k%d", i)), "roadmap done 1")
		slowest = max(slowest, time.Since(start))
		if r.Text == "I can't reach my memory right now, try again in a minute." {
			friendly++
		}
	}
	if friendly != 20 {
		t.Errorf("%d of 20 commands during the outage got the friendly answer", friendly)
	}

	restarted := time.Now()
	srv.Restart()
	var back time.Duration
	for {
		r := b.Handle(ctx, "test:k0", "roadmap done 1")
		if strings.Contains(r.Title, "Step done") || strings.Contains(r.Title, "Already done") {
			back = time.Since(restarted)
			break
		}
		if time.Since(restarted) > bottest.WaitLimit {
			t.Fatalf("commands still fail %v after Redis restarted: %q", bottest.WaitLimit, r.Text)
		}
		time.Sleep(50 * time.Millisecond)
	}

	deadline := time.Now().Add(bottest.WaitLimit)
	for {
		if got, _ := m.tally(); got == users || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
	got, dups := m.tally()
	t.Logf("Redis SIGKILLed with %d reminders due: outage commands answered friendly %d/20 (slowest %v); "+
		"commands back %v after the restart; reminders delivered %d, duplicates %d, lost %d",
		users, friendly, slowest.Round(time.Millisecond), back.Round(time.Millisecond), got, dups, users-got)
	if got != users {
		t.Errorf("%d of %d reminders delivered after the outage", got, users)
	}
}

// TestProcessKilledMidDelivery runs the real coachbot binary on Redis,
// SIGKILLs it while it is printing reminders, and starts another: once the
// dead process's leases run out the second delivers the rest. Nothing is
// lost; what the dead one printed but never acknowledged is printed again
// (at least once), and the test reports how many.
func TestProcessKilledMidDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the coachbot binary")
	}
	srv := redistest.Start(t)
	const n = 2000
	store := openRedis(t, srv.URL())
	due := time.Now().Add(-30 * time.Second)
	for i := range n {
		r := bot.Reminder{User: bot.ConsoleUser(fmt.Sprintf("p%d", i)), Kind: bot.Once, Zone: "UTC", Next: due, Created: due}
		if err := putReminder(context.Background(), store, r); err != nil {
			t.Fatal(err)
		}
	}

	bin := filepath.Join(t.TempDir(), "coachbot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	seen := map[string]int{}
	var mu sync.Mutex
	logs := bottest.NewBuffer() // both processes' logs: why a send failed
	run := func(untilKill func(total int) bool) *exec.Cmd {
		cmd := exec.Command(bin)
		cmd.Stderr = logs
		cmd.Env = append(os.Environ(), "COACH_REDIS_URL="+srv.URL(), "COACH_REMINDER_LEASE=2s", "COACH_DATA_DIR="+t.TempDir(), "COACH_HTTP_ADDR=")
		stdin, _ := cmd.StdinPipe() // held open: the console runs until killed
		t.Cleanup(func() { stdin.Close() })
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// If output stops short, the kill ends the read below.
		stop := time.AfterFunc(bottest.WaitLimit, func() { cmd.Process.Kill() })
		defer stop.Stop()
		// Read to the end even after the kill: what the process printed
		// before dying is still in the pipe, and it was delivered.
		lines := bufio.NewScanner(out)
		killed := false
		for lines.Scan() {
			name, ok := strings.CutPrefix(lines.Text(), "🔔 Reminder for ")
			if !ok {
				continue
			}
			mu.Lock()
			seen[name]++
			total := len(seen)
			mu.Unlock()
			if !killed && untilKill(total) {
				cmd.Process.Kill() // SIGKILL: no graceful anything
				killed = true
			}
		}
		cmd.Process.Kill() // SIGKILL: no graceful anything
		cmd.Wait()
		return cmd
	}

	run(func(total int) bool { return total >= 150 }) // killed mid-stream
	killedAt := len(seen)
	run(func(total int) bool { return total == n })

	dups := 0
	for _, c := range seen {
		dups += c - 1
	}
	// A user never printed is either still scheduled (delayed: a send
	// failed and waits out its retry, which is what the flakes of issue
	// #11 were: claims made before the console's messenger was
	// registered) or not (lost: acked without being printed).
	var lost, delayed []string
	for i := range n {
		name := fmt.Sprintf("p%d", i)
		if seen[name] > 0 {
			continue
		}
		u, err := store.User(context.Background(), bot.ConsoleUser(name))
		if err != nil {
			t.Fatal(err)
		}
		if len(u.Reminders) == 0 {
			lost = append(lost, name)
			continue
		}
		r := u.Reminders[0]
		delayed = append(delayed, fmt.Sprintf("%s (attempts %d, retry at %s)", name, r.Attempts, r.RetryAt.Format(time.RFC3339Nano)))
	}
	t.Logf("coachbot SIGKILLed after printing %d of %d reminders; a second process delivered the rest: %d users reached, %d printed twice, %d lost, %d delayed",
		killedAt, n, len(seen), dups, len(lost), len(delayed))
	if len(lost) > 0 {
		t.Errorf("%d reminders acked but never printed: %v", len(lost), lost)
	}
	if len(delayed) > 0 {
		var failed []string
		for line := range strings.Lines(logs.String()) {
			if strings.Contains(line, "will retry") && len(failed) < 3 {
				failed = append(failed, line)
			}
		}
		t.Errorf("%d reminders not delivered within %s, still scheduled: %v\nfailed sends (the first 3):\n%s",
			len(delayed), bottest.WaitLimit, delayed, strings.Join(failed, ""))
	}
}

// TestSentinelWired: with COACH_REDIS_ADDRS naming a Sentinel and
// COACH_REDIS_MASTER its master, coachbot finds the master through the
// Sentinel and keeps progress there, across processes.
func TestSentinelWired(t *testing.T) {
	sn := redistest.StartSentinel(t)
	say := func(line string) string {
		t.Helper()
		m, out, _ := newMain(t.TempDir())
		m.Config.RedisAddrs, m.Config.RedisMaster = []string{sn.Addr()}, redistest.SentinelMaster
		if err := m.Config.Validate(); err != nil {
			t.Fatal(err)
		}
		err := m.Run(context.Background(), []string{"ask", line})
		if cerr := m.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatalf("coachbot ask %q: %v", line, err)
		}
		return out.String()
	}
	say("roadmap done 1")
	if got := say("roadmap next"); !strings.Contains(got, "Step 2 of 8") {
		t.Errorf("roadmap next after done 1, through the Sentinel:\n%s", got)
	}
	keys, err := sn.Master().Client().Keys(context.Background(), "*").Result()
	if err != nil || len(keys) == 0 {
		t.Errorf("the master holds no keys (%v): the data went elsewhere", err)
	}
}
