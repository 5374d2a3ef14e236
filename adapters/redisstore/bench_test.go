package redisstore

import (
	"context"
	"flag"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/coachbot/coachbot/adapters/redisstore/redistest"
	"github.com/coachbot/coachbot/bot"
)

// memory turns on TestMemoryPerUser, which writes 100,000 users: too slow
// for the normal suite.
var memory = flag.Bool("memory", false, "run TestMemoryPerUser (100,000 users in a fresh Redis; reports bytes per user)")

// BenchmarkClaimAck is the store's side of delivering reminders: claim a
// batch, then ack (bot.Ack: Settle) every claim with its next occurrence, all at once
// (workers=8 acks 8 at a time, as the scheduler's default 8 delivery
// workers do; schedulers=2 runs two such loops at once, as two replicas
// would). The next occurrence is kept due, so every claim finds work. Its baseline, in the same run and on the same server, is
// redis-benchmark running the smallest possible EVAL, 16 to a pipeline:
// the ceiling of what any script can do on this machine.
func BenchmarkClaimAck(b *testing.B) {
	srv := redistest.Start(b)
	if path, err := exec.LookPath("redis-benchmark"); err == nil {
		var once sync.Once
		b.Run("baseline=redis-benchmark-eval", func(b *testing.B) {
			once.Do(func() {
				line, _ := redisBenchmark(b, path, srv.Port(), 100_000)
				b.Logf("redis-benchmark -p %d -n 100000 -P 16 -q eval \"return 1\" 0: %s", srv.Port(), line)
			})
			_, rps := redisBenchmark(b, path, srv.Port(), max(b.N, 1000))
			b.ReportMetric(rps, "evals/s")
		})
	} else {
		b.Log("redis-benchmark not found: no baseline (apt-get install redis-tools)")
	}
	tg := target{opts: Options{URL: srv.URL()}, nodes: []*redis.Client{srv.Client()}}
	for _, c := range []struct {
		batch, workers, schedulers int
	}{{1, 1, 1}, {10, 10, 1}, {100, 100, 1}, {100, 8, 1}, {100, 100, 2}} {
		name := fmt.Sprintf("batch=%d", c.batch)
		if c.workers != c.batch {
			name += fmt.Sprintf("/workers=%d", c.workers)
		}
		if c.schedulers != 1 {
			name += fmt.Sprintf("/schedulers=%d", c.schedulers)
		}
		b.Run(name, func(b *testing.B) {
			tg.flush(b)
			s, err := Open(context.Background(), tg.opts)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			seedDue(b, s, 10_000)
			ctx := context.Background()
			var claimed atomic.Int64
			// deliver is one scheduler's pass: claim a batch, ack it.
			deliver := func() {
				cs, err := s.ClaimDue(ctx, c.batch, time.Minute)
				if err != nil || len(cs) != c.batch {
					b.Errorf("ClaimDue(%d) = %d claims, %v", c.batch, len(cs), err)
					return
				}
				var wg sync.WaitGroup
				sem := make(chan struct{}, c.workers)
				for _, cl := range cs {
					sem <- struct{}{}
					wg.Go(func() {
						defer func() { <-sem }()
						next := cl.Reminder
						if err := bot.Ack(ctx, s, cl, &next); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
				claimed.Add(int64(len(cs)))
			}
			cpu0, self0 := redisCPU(b, srv.Client()), selfCPU(b)
			for b.Loop() {
				// Several schedulers (replicas, or one replica's loop
				// overlapping) claim at the same time.
				var wg sync.WaitGroup
				for range c.schedulers {
					wg.Go(deliver)
				}
				wg.Wait()
			}
			n := claimed.Load()
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "reminders/s")
			// Redis's own CPU time per reminder (INFO cpu, user + sys):
			// what the scripts cost, whatever else the machine is doing.
			b.ReportMetric((redisCPU(b, srv.Client())-cpu0).Seconds()*1e6/float64(n), "redis-cpu-µs/reminder")
			b.ReportMetric((selfCPU(b)-self0).Seconds()*1e6/float64(n), "client-cpu-µs/reminder")
		})
	}
}

// selfCPU returns the CPU time this process (the store's client side) has
// used.
func selfCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// redisCPU returns the CPU time the server has used.
func redisCPU(tb testing.TB, rdb *redis.Client) time.Duration {
	tb.Helper()
	var total float64
	for line := range strings.SplitSeq(rdb.Info(context.Background(), "cpu").Val(), "\n") {
		line = strings.TrimSpace(line)
		for _, f := range []string{"used_cpu_user:", "used_cpu_sys:"} {
			if v, ok := strings.CutPrefix(line, f); ok {
				sec, err := strconv.ParseFloat(v, 64)
				if err != nil {
					tb.Fatal(err)
				}
				total += sec
			}
		}
	}
	return time.Duration(total * float64(time.Second))
}

var rpsLine = regexp.MustCompile(`([0-9.]+) requests per second`)

// redisBenchmark runs redis-benchmark's EVAL of "return 1", 16 commands
// per pipeline, and returns its summary line and requests per second.
func redisBenchmark(b *testing.B, path string, port, n int) (string, float64) {
	b.Helper()
	out, err := exec.Command(path, "-p", strconv.Itoa(port), "-n", strconv.Itoa(n), "-P", "16", "-q",
		"eval", "return 1", "0").CombinedOutput()
	if err != nil {
		b.Fatalf("redis-benchmark: %v\n%s", err, out)
	}
	// -q prints progress with carriage returns before the final line.
	text := string(out)
	if i := strings.LastIndexByte(strings.TrimSpace(text), '\r'); i >= 0 {
		text = text[i+1:]
	}
	text = strings.TrimSpace(text)
	m := rpsLine.FindStringSubmatch(text)
	if m == nil {
		b.Fatalf("redis-benchmark printed no rate:\n%s", out)
	}
	rps, _ := strconv.ParseFloat(m[1], 64)
	return text, rps
}

// seedDue puts n daily reminders, due within one past minute, for n users.
func seedDue(tb testing.TB, s *Store, n int) {
	tb.Helper()
	due := time.Now().UTC().Truncate(time.Minute).Add(-time.Minute)
	ids := make(chan int)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := range ids {
				r := daily(bot.DiscordUser(fmt.Sprintf("%018d", 100000000000000000+i)), due.Add(time.Duration(i%60)*time.Second))
				_, err := s.UpdateUser(context.Background(), r.User, func(u *bot.User) error { u.SetReminder(r); return nil })
				if err != nil {
					tb.Error(err)
				}
			}
		})
	}
	for i := range n {
		ids <- i
	}
	close(ids)
	wg.Wait()
}

// TestMemoryPerUser measures the Redis memory one user costs, as the
// growth of INFO memory's used_memory over 100,000 users of one kind,
// written as the bot writes them (one UpdateUser each: record and
// reminders together), then again after each reminder was delivered once
// (claimed and acked with its next occurrence, which marks it Sent):
//
//   - typical: a Discord id, three roadmap steps done, a streak, a common
//     zone, and a daily reminder at one of a few popular times;
//   - fuller: all eight steps done, a long zone name, the DM channel
//     cached, a daily and a once reminder;
//   - coached: 10 topics marked, a plan, 30 check-ins with minutes and a
//     daily reminder (DESIGN §9's target, 512 bytes).
//
// Run it with:
//
//	go test -run MemoryPerUser -v ./adapters/redisstore -args -memory
func TestMemoryPerUser(t *testing.T) {
	if !*memory {
		t.Skip("writes 100,000 users: run it with -run MemoryPerUser ./adapters/redisstore -args -memory")
	}
	zones := []string{"Asia/Kolkata", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", "America/Sao_Paulo"}
	times := [][2]int{{7, 0}, {8, 30}, {9, 0}, {12, 0}, {18, 0}, {19, 30}, {20, 0}, {21, 0}}
	steps := []string{"languages", "databases", "frameworks", "apis", "servers", "security", "version-control", "projects"}
	now := time.Now()
	// dailyOf returns user i's daily reminder at its latest occurrence
	// before now: due, so that the delivery has it to claim.
	dailyOf := func(i int, zone string) bot.Reminder {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		hm := times[i%len(times)]
		days := bot.EveryDay
		if i%3 == 0 {
			days = bot.WorkDays
		}
		next := bot.NextDaily(now.Add(-8*24*time.Hour), hm[0], hm[1], loc, days)
		for n := next; n.Before(now); n = bot.NextDaily(n, hm[0], hm[1], loc, days) {
			next = n
		}
		return bot.Reminder{Kind: bot.Daily, At: fmt.Sprintf("%02d:%02d", hm[0], hm[1]), Zone: zone, Days: days, Next: next, Created: now}
	}
	var kinds0 func(i int, u *bot.User) // the coached user, which coached+100 cards builds on
	kinds := []struct {
		name string
		user func(i int, u *bot.User)
	}{
		{"typical", func(i int, u *bot.User) {
			zone := zones[i%len(zones)]
			u.Done = steps[:3]
			u.Streak = bot.Streak{Last: "2026-11-23", Current: 3, Best: 9, Days: 41}
			u.Zone = zone
			u.SetReminder(dailyOf(i, zone))
		}},
		{"fuller", func(i int, u *bot.User) {
			zone := "America/Argentina/Buenos_Aires"
			u.Done = steps
			u.Streak = bot.Streak{Last: "2026-11-23", Current: 12, Best: 30, Days: 85}
			u.Zone = zone
			u.DMChannel = fmt.Sprintf("11800000%011d", i)
			u.SetReminder(dailyOf(i, zone))
			u.SetReminder(bot.Reminder{Kind: bot.Once, Zone: zone, Next: now.Add(-time.Minute), Created: now})
		}},
		// The daily coaching loop (DESIGN §9's target): 10 topics marked
		// (in the first two steps, on days of the last month), a plan, 30
		// check-ins with minutes, a daily reminder.
		{"coached", func(i int, u *bot.User) {
			zone := zones[i%len(zones)]
			today := bot.DayOf(now, time.UTC)
			u.Topics = map[bot.TopicNum]bot.TopicMark{}
			for j := range 10 { // topics 1-10: step 1 and the start of step 2
				st := bot.TopicDone
				if j == 9 {
					st = bot.TopicLearning
				}
				u.Topics[bot.TopicNum(j+1)] = bot.Mark(st, today-bot.Day(30-3*j))
			}
			// The log as checkin builds it: one a day for 30 days, with minutes.
			u.Checkins = bot.CheckinLog{First: today - 30, Days: []byte{0xff, 0xff, 0xff, 0x3f}}
			for j := range 30 {
				u.Checkins.Minutes = append(u.Checkins.Minutes, uint16(30+(i+j)%4*15))
			}
			u.Plan = bot.Plan{Hours: 8, Started: now.Add(-30 * 24 * time.Hour), Left: 262}
			u.Streak = bot.Streak{Last: "2026-11-23", Current: 12, Best: 30, Days: 30}
			u.Zone = zone
			u.SetReminder(dailyOf(i, zone))
		}},
		// The coached user with 100 quiz cards (DESIGN §9: ≤ 32 bytes a
		// card): its bytes a user less coached's, over 100, is a card's.
		{"coached+100 cards", func(i int, u *bot.User) {
			kinds0(i, u)
			u.Cards = map[bot.CardKey]bot.QuizCard{}
			for j := range 100 {
				last := now.Add(-time.Duration((i+j)%30) * 24 * time.Hour)
				u.Cards[bot.CardKey((j/3+1)*100+j%3+1)] = bot.QuizCard{
					Due: bot.CardMinutes(last.Add(time.Duration(1+j%20) * 24 * time.Hour)), Last: bot.CardMinutes(last),
					Stability: 2.5 + float32((i+j)%40)*0.731, Difficulty: uint16(450 + (i+j)%400), Reps: uint16(1 + j%6),
					Lapses: uint16(j % 7 / 6), StateRating: 2<<3 | 3, Wrong: uint16(j % 5 / 4),
				}
			}
		}},
	}
	kinds0 = kinds[2].user
	const users = 100_000
	for _, kind := range kinds {
		t.Run(kind.name, func(t *testing.T) {
			srv := redistest.Start(t)
			s, err := Open(context.Background(), Options{URL: srv.URL()})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			rdb := srv.Client()
			ctx := context.Background()
			before := usedMemory(t, rdb)
			ids := make(chan int)
			var wg sync.WaitGroup
			start := time.Now()
			for range 32 {
				wg.Go(func() {
					for i := range ids {
						id := bot.DiscordUser(fmt.Sprintf("%018d", 300000000000000000+i*7919))
						if _, err := s.UpdateUser(ctx, id, func(u *bot.User) error { kind.user(i, u); return nil }); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			for i := range users {
				ids <- i
			}
			close(ids)
			wg.Wait()
			t.Logf("%d users written in %v", users, time.Since(start).Round(time.Millisecond))
			fresh := usedMemory(t, rdb)
			report(t, s, rdb, kind.name+", fresh", before, fresh, users)

			// One delivery of each reminder, as the scheduler does it.
			start = time.Now()
			var delivered atomic.Int64
			for range 8 {
				wg.Go(func() {
					for {
						cs, err := s.ClaimDue(ctx, 100, time.Minute)
						if err != nil {
							t.Error(err)
							return
						}
						if len(cs) == 0 {
							return
						}
						for _, c := range cs {
							var next *bot.Reminder
							if r := c.Reminder; r.Kind == bot.Daily {
								loc, _ := time.LoadLocation(r.Zone)
								h, m, _ := bot.ParseClock(r.At)
								r.Next = bot.NextDaily(c.Now, h, m, loc, r.Days)
								next = &r
							}
							if err := bot.Ack(ctx, s, c, next); err != nil {
								t.Error(err)
								return
							}
						}
						delivered.Add(int64(len(cs)))
					}
				})
			}
			wg.Wait()
			t.Logf("%d reminders delivered in %v", delivered.Load(), time.Since(start).Round(time.Millisecond))
			steady := usedMemory(t, rdb)
			report(t, s, rdb, kind.name+", after one delivery", before, steady, users)
			// DESIGN §9's budget is for the typical user; the fuller one
			// is reported, to show what the record's size costs.
			for _, m := range []int64{fresh, steady} {
				if per := float64(m-before) / users; kind.name == "typical" && per > 512 {
					t.Errorf("%.1f bytes per user, over the 512-byte target", per)
				}
			}
		})
	}
}

func report(t *testing.T, s *Store, rdb *redis.Client, what string, before, after int64, users int) {
	t.Helper()
	ctx := context.Background()
	t.Logf("%s: used_memory (less client and AOF buffers) %d -> %d bytes: %.1f bytes per user", what, before, after, float64(after-before)/float64(users))
	var sample string
	if iter := rdb.Scan(ctx, 0, "{c*}:r:*", 1).Iterator(); iter.Next(ctx) {
		sample = iter.Val()
	}
	t.Logf("  one record %q: %d bytes, MEMORY USAGE %d bytes, encoding %s", sample,
		len(rdb.Get(ctx, sample).Val()), rdb.MemoryUsage(ctx, sample).Val(), rdb.ObjectEncoding(ctx, sample).Val())
	// Where it goes, by kind of key (MEMORY USAGE, which counts the key
	// and its value but not the keyspace's own tables).
	sums := map[string]int64{}
	counts := map[string]int{}
	keys := rdb.Keys(ctx, "*").Val()
	for i := 0; i < len(keys); i += 1000 {
		batch := keys[i:min(i+1000, len(keys))]
		pipe := rdb.Pipeline()
		cmds := make([]*redis.IntCmd, len(batch))
		for j, k := range batch {
			cmds[j] = pipe.MemoryUsage(ctx, k, 0)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		for j, k := range batch {
			class := "other"
			if _, rest, ok := s.parseKey(k); ok {
				class, _, _ = strings.Cut(rest, ":")
			}
			sums[class] += cmds[j].Val()
			counts[class]++
		}
	}
	for _, class := range sortedKeys(sums) {
		t.Logf("  %-5s keys: %6d, MEMORY USAGE %9d bytes, %6.1f bytes per user", class, counts[class], sums[class], float64(sums[class])/float64(users))
	}
	if stats, err := rdb.Do(ctx, "MEMORY", "STATS").Result(); err == nil {
		if m, ok := stats.(map[any]any); ok {
			t.Logf("  MEMORY STATS: keys.count %v, keys.bytes-per-key %v", m["keys.count"], m["keys.bytes-per-key"])
		}
	}
}

// usedMemory returns INFO memory's used_memory less what the server spends
// on its clients' buffers and on the append-only file's buffer: those
// depend on the connections the test keeps open and on the moment, not on
// the data (the test's 32 writers alone hold about 1 MB of query buffers).
func usedMemory(t *testing.T, rdb *redis.Client) int64 {
	t.Helper()
	fields := infoInts(t, rdb, "memory")
	used, ok := fields["used_memory"]
	if !ok {
		t.Fatal("INFO memory has no used_memory")
	}
	return used - fields["mem_clients_normal"] - fields["mem_aof_buffer"]
}

// infoInts returns the numeric fields of an INFO section.
func infoInts(t testing.TB, rdb *redis.Client, section string) map[string]int64 {
	t.Helper()
	info, err := rdb.Info(context.Background(), section).Result()
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]int64{}
	for line := range strings.SplitSeq(info, "\n") {
		name, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			fields[name] = n
		}
	}
	return fields
}

// BenchmarkHotCalls is the store's share of chat commands: each command
// takes from the user's rate limit and reads the user in one call
// (Admit), with inflight commands at a time (one: an idle bot; 50:
// overloaded), with the pipeliner off and on, in the same run and on the
// same server. ns/op is wall time per command (at inflight=1 its latency;
// at 50 the inverse of throughput); redis-cpu-µs/op is what the server
// spent on it, client-cpu-µs/op what this process did (the benchmark's own
// work included), calls/roundtrip how many calls one round trip carried.
func BenchmarkHotCalls(b *testing.B) {
	const users = 1000
	srv := redistest.Start(b)
	ids := make([]bot.UserID, users)
	seed, err := Open(context.Background(), Options{URL: srv.URL()})
	if err != nil {
		b.Fatal(err)
	}
	for i := range ids {
		ids[i] = bot.SlackUser("T0001", fmt.Sprintf("U%08d", i))
		_, err := seed.UpdateUser(context.Background(), ids[i], func(u *bot.User) error {
			u.Zone, u.Done = "Asia/Kolkata", []string{"languages", "databases"}
			u.Streak = bot.Streak{Last: "2026-11-23", Current: 3, Best: 9, Days: 41}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	seed.Close()
	for _, inflight := range []int{1, 8, 24, 50} {
		for _, off := range []bool{true, false} {
			name := fmt.Sprintf("inflight=%d/pipeline=on", inflight)
			if off {
				name = fmt.Sprintf("inflight=%d/pipeline=off", inflight)
			}
			b.Run(name, func(b *testing.B) {
				s, err := Open(context.Background(), Options{URL: srv.URL(), NoAutoPipeline: off})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				ctx := context.Background()
				var next atomic.Int64
				var wg sync.WaitGroup
				cpu0, self0 := redisCPU(b, srv.Client()), selfCPU(b)
				b.ResetTimer()
				for range inflight {
					wg.Go(func() {
						for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
							// A Slack-like limit: 1 a second, bursts of 5.
							if _, err := s.Admit(ctx, ids[i%users], "", bot.Rate{PerMinute: 60, Burst: 5}); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				b.StopTimer()
				n := float64(b.N)
				b.ReportMetric((redisCPU(b, srv.Client())-cpu0).Seconds()*1e6/n, "redis-cpu-µs/op")
				b.ReportMetric((selfCPU(b)-self0).Seconds()*1e6/n, "client-cpu-µs/op")
				if s.pipe != nil {
					b.ReportMetric(float64(s.pipe.ops.Load())/float64(max(s.pipe.execs.Load(), 1)), "calls/roundtrip")
				}
			})
		}
	}
}

// roundTrips counts what a client sends: commands sent alone (each a
// round trip) and pipelines (one round trip each on one server).
type roundTrips struct{ commands, pipelines, pipelined atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.commands.Add(1)
		return next(ctx, cmd)
	}
}

func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.pipelines.Add(1)
		r.pipelined.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

func (r *roundTrips) reset() {
	r.commands.Store(0)
	r.pipelines.Store(0)
	r.pipelined.Store(0)
}

// TestCommandCost measures what the hot paths cost Redis, on one server:
// the commands the client sent and the round trips they took (a hook on
// the client), and the INFO commandstats deltas, which count both the
// calls a client made and the commands the scripts ran. A chat command
// (Admit: the replay check, the rate limit and the user's record) is one
// call in one
// round trip; an idle scheduler tick (ClaimDue with nothing due) is one
// claim script per shard, all in one pipeline: one round trip.
func TestCommandCost(t *testing.T) {
	srv := redistest.Start(t)
	hook := &roundTrips{}
	client := redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true})
	client.AddHook(hook)
	s := New(client, Options{})
	defer s.Close()
	if err := s.checkLayout(ctxb); err != nil {
		t.Fatal(err)
	}
	rdb := srv.Client()
	id := bot.DiscordUser("123456789012345678")
	if _, err := s.UpdateUser(ctxb, id, func(u *bot.User) error {
		u.Done, u.Zone = []string{"languages", "databases", "frameworks"}, "Asia/Kolkata"
		u.SetReminder(daily(id, nowSec().Add(24*time.Hour)))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	n := 0 // each chat command is a new request
	calls := []struct {
		name                string
		call                func() error
		scripts, roundTrips int64
	}{
		{"Admit (a chat command, with its replay key)", func() error {
			n++
			ad, err := s.Admit(ctxb, id, fmt.Sprint("discord:", n), bot.Rate{PerMinute: 60, Burst: 5})
			if err == nil && (!ad.Allowed || len(ad.User.Done) != 3) {
				err = fmt.Errorf("Admit = %+v", ad)
			}
			return err
		}, 1, 1},
		{"ClaimDue, nothing due (an idle scheduler tick)", func() error {
			cs, err := s.ClaimDue(ctxb, 100, time.Minute)
			if err == nil && len(cs) != 0 {
				err = fmt.Errorf("claimed %d", len(cs))
			}
			return err
		}, DefaultShards, 1},
		{"User", func() error { _, err := s.User(ctxb, id); return err }, 0, 1},
	}
	for _, c := range calls {
		if err := c.call(); err != nil { // loads the scripts
			t.Fatal(err)
		}
		if err := rdb.ConfigResetStat(ctxb).Err(); err != nil {
			t.Fatal(err)
		}
		hook.reset()
		if err := c.call(); err != nil {
			t.Fatal(err)
		}
		trips := hook.commands.Load() + hook.pipelines.Load()
		stats := commandStats(t, rdb)
		t.Logf("%s: %d round trip(s) (%d commands alone, %d pipelines of %d); commandstats: %v",
			c.name, trips, hook.commands.Load(), hook.pipelines.Load(), hook.pipelined.Load(), stats)
		if trips != c.roundTrips || stats["evalsha"] != c.scripts {
			t.Errorf("%s: %d round trips and %d scripts, want %d and %d", c.name, trips, stats["evalsha"], c.roundTrips, c.scripts)
		}
	}
}

// commandStats returns INFO commandstats' calls per command, leaving out
// the INFO that reads them and the CONFIG RESETSTAT that zeroed them.
func commandStats(t *testing.T, rdb *redis.Client) map[string]int64 {
	t.Helper()
	info, err := rdb.Info(ctxb, "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for line := range strings.SplitSeq(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		name, isCmd := strings.CutPrefix(name, "cmdstat_")
		if !ok || !isCmd || name == "info" || strings.HasPrefix(name, "config") {
			continue
		}
		calls, _, _ := strings.Cut(strings.TrimPrefix(rest, "calls="), ",")
		n, err := strconv.ParseInt(calls, 10, 64)
		if err != nil {
			t.Fatalf("commandstats line %q", line)
		}
		out[name] = n
	}
	return out
}
