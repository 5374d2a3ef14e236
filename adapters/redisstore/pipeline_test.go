package redisstore

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/coachbot/coachbot/bot"
)

// off returns the target with the pipeliner off: every call its own round
// trip, the reference the pipelined answers must equal.
func (tg target) off() target {
	tg.opts.NoAutoPipeline = true
	return tg
}

// limitsAtOnce makes n Allow calls spread over allowKeys buckets (each
// with burst, at a rate too slow to refill during a test) and n FirstSeen
// calls spread over seenKeys keys, all at once, and returns how many were
// allowed and how many were first.
func limitsAtOnce(t *testing.T, s *Store, prefix string, n, allowKeys, burst, seenKeys int) (allowed, first int64) {
	t.Helper()
	var fns []func()
	var a, f atomic.Int64
	for i := range n {
		fns = append(fns, func() {
			ok, _, err := s.Allow(ctxb, fmt.Sprint(prefix, i%allowKeys), 1.0/3600, burst)
			if err != nil {
				t.Error(err)
			} else if ok {
				a.Add(1)
			}
		}, func() {
			ok, err := s.FirstSeen(ctxb, fmt.Sprint(prefix, i%seenKeys), time.Minute)
			if err != nil {
				t.Error(err)
			} else if ok {
				f.Add(1)
			}
		})
	}
	together(fns)
	return a.Load(), f.Load()
}

// together runs every call at the same instant (as far as goroutines
// allow), so that they pile up behind the pipelines in flight.
func together(calls []func()) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Go(func() {
			<-start
			c()
		})
	}
	close(start)
	wg.Wait()
}

// TestAutoPipelineBurst: 200 simultaneous Allows of one bucket with a burst
// of 50 allow exactly 50. The rate is one an hour, so no event comes back
// while the test runs, and every refused call is told to wait about an
// hour.
func TestAutoPipelineBurst(t *testing.T) {
	each(t, func(t *testing.T, tg target) {
		tg.flush(t)
		s := tg.open(t)
		const calls, burst = 200, 50
		var allowed atomic.Int64
		fns := make([]func(), calls)
		for i := range fns {
			fns[i] = func() {
				ok, wait, err := s.Allow(ctxb, "burst", 1.0/3600, burst)
				switch {
				case err != nil:
					t.Error(err)
				case ok:
					allowed.Add(1)
				case wait < 59*time.Minute || wait > time.Hour:
					t.Errorf("refused with wait %v, want about an hour", wait)
				}
			}
		}
		together(fns)
		if n := allowed.Load(); n != burst {
			t.Errorf("%d of %d simultaneous calls allowed, want the burst, %d", n, calls, burst)
		}
		execs, ops := s.pipe.execs.Load(), s.pipe.ops.Load()
		t.Logf("%d calls in %d round trips", ops, execs)
		if execs >= ops {
			t.Errorf("%d calls took %d round trips: nothing was pipelined", ops, execs)
		}
	})
}

// TestAutoPipelineSameAnswers runs a mix of User, FirstSeen and Allow calls
// all at once through the pipeliner, and the same calls one by one without
// it: the answers must be the same.
func TestAutoPipelineSameAnswers(t *testing.T) {
	each(t, func(t *testing.T, tg target) {
		tg.flush(t)
		on, off := tg.open(t), tg.off().open(t)
		const users = 20
		want := make([]bot.User, users)
		for i := range users {
			u, err := off.UpdateUser(ctxb, bot.ConsoleUser(fmt.Sprintf("u%d", i)), func(u *bot.User) error {
				u.Zone = []string{"UTC", "Asia/Kolkata", "Europe/Berlin"}[i%3]
				u.Done = []string{"step-" + fmt.Sprint(i)}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			want[i] = u
		}
		// answers makes the calls on s (all at once, or one by one), with
		// its own keys, and counts what they answered.
		answers := func(s *Store, name string, concurrent bool) map[string]int {
			var mu sync.Mutex
			got := map[string]int{}
			count := func(k string) {
				mu.Lock()
				got[k]++
				mu.Unlock()
			}
			var fns []func()
			for i := range 300 {
				fns = append(fns,
					func() {
						u, err := s.User(ctxb, want[i%users].ID)
						if err != nil {
							t.Error(err)
						} else if diff := cmp.Diff(want[i%users], u); diff != "" {
							t.Errorf("User (-want +got):\n%s", diff)
						}
					},
					// 100 keys, each seen three times: first once.
					func() {
						k := fmt.Sprintf("%s-seen-%d", name, i%100)
						first, err := s.FirstSeen(ctxb, k, time.Minute)
						if err != nil {
							t.Error(err)
						} else if first {
							count(strings.TrimPrefix(k, name))
						}
					},
					// 60 buckets of 3, each asked five times.
					func() {
						k := fmt.Sprintf("%s-rate-%d", name, i%60)
						ok, _, err := s.Allow(ctxb, k, 1.0/3600, 3)
						if err != nil {
							t.Error(err)
						} else if ok {
							count(strings.TrimPrefix(k, name))
						}
					})
			}
			if concurrent {
				together(fns)
			} else {
				for _, f := range fns {
					f()
				}
			}
			return got
		}
		seq := answers(off, "seq", false)
		conc := answers(on, "conc", true)
		if diff := cmp.Diff(seq, conc); diff != "" {
			t.Errorf("answers one by one (-) and pipelined (+):\n%s", diff)
		}
		for k, n := range seq {
			if (strings.Contains(k, "seen") && n != 1) || (strings.Contains(k, "rate") && n != 3) {
				t.Errorf("%s: %d", k, n)
			}
		}
		t.Logf("%d calls in %d round trips", on.pipe.ops.Load(), on.pipe.execs.Load())
	})
}

// TestAutoPipelineCancel: while Redis is stalled, a caller that gives up
// returns at once, and its call, still waiting for a pipeline, is never
// sent; the other callers get their answers once Redis continues.
func TestAutoPipelineCancel(t *testing.T) {
	tg := single(t)
	s := tg.open(t)
	resume := tg.pause(t)
	// Calls that keep every direct slot and every pipeline busy, waiting
	// for Redis: one at a time, each in a round trip of its own.
	var wg sync.WaitGroup
	for i := range directMax + autoPipelines {
		n := s.pipe.execs.Load()
		wg.Go(func() {
			if ok, _, err := s.Allow(ctxb, fmt.Sprint("other-", i), 10, 1); err != nil || !ok {
				t.Errorf("a call that did not give up: %v, %v", ok, err)
			}
		})
		for deadline := time.Now().Add(time.Second); s.pipe.execs.Load() == n; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("a call was not sent within 1s")
			}
		}
	}

	ctx, cancel := context.WithCancel(ctxb)
	gaveUp := make(chan error, 1)
	go func() {
		_, err := s.FirstSeen(ctx, "given-up", time.Minute)
		gaveUp <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	start := time.Now()
	select {
	case err := <-gaveUp:
		if !errors.Is(err, context.Canceled) || bot.ErrorCode(err) != bot.Unavailable {
			t.Errorf("the cancelled call: %v (code %q), want context.Canceled, Unavailable", err, bot.ErrorCode(err))
		}
		t.Logf("the cancelled call returned %v after its cancel", time.Since(start))
	case <-time.After(5 * time.Second):
		// Only a hang detector: that the call returned because of its
		// cancel, not of a timeout, the error above says.
		t.Error("the cancelled call did not return after its cancel")
	}
	// Well within the client's 500 ms read timeout: the calls in flight
	// get their answers.
	resume()
	wg.Wait()
	if first, err := s.FirstSeen(ctxb, "given-up", time.Minute); err != nil || !first {
		t.Errorf("FirstSeen of the key the cancelled call named = %v, %v; want true: the call was never sent", first, err)
	}
}

// TestAutoPipelineHung: with Redis stopped, a crowd of calls each fails as
// Unavailable (the slowest is logged: it should be within a chat
// command's deadline), and calls work again once Redis continues.
func TestAutoPipelineHung(t *testing.T) {
	tg := single(t)
	s := tg.open(t)
	resume := tg.pause(t)
	const deadline = 2500 * time.Millisecond
	var fns []func()
	var slowest atomic.Int64
	for i := range 100 {
		fns = append(fns, func() {
			ctx, cancel := context.WithTimeout(ctxb, deadline)
			defer cancel()
			start := time.Now()
			var err error
			switch i % 3 {
			case 0:
				_, _, err = s.Allow(ctx, fmt.Sprint("k", i), 1, 1)
			case 1:
				_, err = s.FirstSeen(ctx, fmt.Sprint("k", i), time.Minute)
			default:
				_, err = s.User(ctx, bot.ConsoleUser(fmt.Sprint("u", i)))
			}
			took := time.Since(start)
			for {
				old := slowest.Load()
				if int64(took) <= old || slowest.CompareAndSwap(old, int64(took)) {
					break
				}
			}
			if bot.ErrorCode(err) != bot.Unavailable {
				t.Errorf("call %d with Redis hung: %v, want Unavailable", i, err)
			}
		})
	}
	together(fns)
	t.Logf("the slowest of %d calls with Redis hung answered in %v", len(fns), time.Duration(slowest.Load()).Round(time.Millisecond))
	resume()
	if _, _, err := s.Allow(ctxb, "after", 1, 1); err != nil {
		t.Errorf("Allow after Redis continued: %v", err)
	}
}

// TestAutoPipelineNoScript: after Redis forgets the scripts (SCRIPT FLUSH,
// as after a restart or a failover), pipelined script calls still answer
// (sent again as EVAL), and the calls after them find the scripts loaded;
// so do ClaimDue's pipeline and the write scripts.
func TestAutoPipelineNoScript(t *testing.T) {
	each(t, func(t *testing.T, tg target) {
		tg.flush(t)
		s := tg.open(t)
		flushScripts := func() {
			for _, n := range tg.nodes {
				if err := n.ScriptFlush(ctxb).Err(); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := s.UpdateUser(ctxb, "console:ana", func(u *bot.User) error { u.Zone = "UTC"; return nil }); err != nil {
			t.Fatal(err)
		}
		_, _, userKey := s.userKeys("console:ana")

		// One batch, by hand, so that it is certainly one pipeline: ten
		// buckets, ten dedupe keys and a user read.
		flushScripts()
		var batch []*pipeOp
		for i := range 10 {
			batch = append(batch,
				&pipeOp{script: allowScript, keys: []string{ratePrefix + fmt.Sprint("b", i) + "}"}, args: []any{1000, 0}},
				&pipeOp{script: seenScript, keys: []string{seenPrefix + fmt.Sprint("s", i) + "}"}, args: []any{"x", 60000}})
		}
		batch = append(batch, &pipeOp{cmd: func(ctx context.Context, c redis.Cmdable) redis.Cmder { return c.Get(ctx, userKey) }})
		for _, op := range batch {
			op.ctx, op.done = ctxb, make(chan struct{})
		}
		s.pipe.exec(batch)
		for i, op := range batch {
			<-op.done
			if err := op.res.Err(); err != nil {
				t.Errorf("op %d after SCRIPT FLUSH: %v", i, err)
			}
		}
		if got := batch[0].res.(*redis.Cmd).Val(); fmt.Sprint(got) != "[1 0]" {
			t.Errorf("allow = %v, want [1 0]", got)
		}
		if got := batch[1].res.(*redis.Cmd).Val(); fmt.Sprint(got) != "1" {
			t.Errorf("seen = %v, want 1", got)
		}
		if _, u, err := decodeRecord("console:ana", batch[len(batch)-1].res.(*redis.StringCmd).Val()); err != nil || u.Zone != "UTC" {
			t.Errorf("GET = %+v, %v; want the user's record", u, err)
		}

		// And through the API, all at once.
		flushScripts()
		allowed, first := limitsAtOnce(t, s, "after-flush-", 100, 10, 5, 25)
		if allowed != 50 || first != 25 {
			t.Errorf("after SCRIPT FLUSH: %d allowed (want 50), %d first (want 25)", allowed, first)
		}

		// ClaimDue sends its scripts in a pipeline of its own, and the
		// write scripts go through the pipeliner: each, sent first after
		// a flush, still does its work.
		put(t, s, daily("console:ana", nowSec().Add(-minute)))
		flushScripts()
		cs := claim(t, s, 10)
		if len(cs) != 1 {
			t.Fatalf("ClaimDue after SCRIPT FLUSH claimed %d, want 1", len(cs))
		}
		flushScripts()
		if err := bot.Ack(ctxb, s, cs[0], nil); err != nil {
			t.Errorf("Ack after SCRIPT FLUSH: %v", err)
		}
		flushScripts()
		if ad, err := s.Admit(ctxb, "console:ana", "once", bot.Rate{PerMinute: 60, Burst: 1}); err != nil || ad.User.Zone != "UTC" || len(ad.User.Reminders) != 0 {
			t.Errorf("Admit after SCRIPT FLUSH = %+v, %v", ad, err)
		}
	})
}

// TestAutoPipelineClose: Close, with calls in flight, stops the workers;
// calls in flight and after answer or fail as Unavailable.
func TestAutoPipelineClose(t *testing.T) {
	tg := single(t)
	before := pipeWorkers(t, -1)
	s, err := Open(ctxb, tg.opts)
	if err != nil {
		t.Fatal(err)
	}
	pipeWorkers(t, before+autoPipelines)
	var wg sync.WaitGroup
	var calls atomic.Int64
	for i := range 50 {
		wg.Go(func() {
			for {
				_, _, err := s.Allow(ctxb, fmt.Sprint("k", i), 1000, 1000)
				if err == nil {
					_, err = s.User(ctxb, bot.ConsoleUser(fmt.Sprint("u", i)))
				}
				if err != nil {
					if bot.ErrorCode(err) != bot.Unavailable {
						t.Errorf("a call as the store closed: %v, want Unavailable", err)
					}
					return
				}
				calls.Add(1)
			}
		})
	}
	time.Sleep(100 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	t.Logf("%d calls made before Close", calls.Load())
	if _, _, err := s.Allow(ctxb, "k", 1, 1); bot.ErrorCode(err) != bot.Unavailable {
		t.Errorf("Allow after Close: %v, want Unavailable", err)
	}
	if _, err := s.User(ctxb, "console:ana"); bot.ErrorCode(err) != bot.Unavailable {
		t.Errorf("User after Close: %v, want Unavailable", err)
	}
	pipeWorkers(t, before)
}

// pipeWorkers waits for the goroutines running an autoPipe's worker to
// number want, or (want < 0) to stop changing, and returns their number.
// It waits because a worker of a store closed just before may still be
// returning.
func pipeWorkers(t *testing.T, want int) int {
	t.Helper()
	count := func() int {
		buf := make([]byte, 1<<20)
		for {
			n := runtime.Stack(buf, true)
			if n < len(buf) {
				return strings.Count(string(buf[:n]), "redisstore.(*autoPipe).run(")
			}
			buf = make([]byte, 2*len(buf))
		}
	}
	n := count()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		if n == want {
			return n
		}
		time.Sleep(10 * time.Millisecond)
		m := count()
		if want < 0 && m == n {
			return n
		}
		n = m
	}
	if want >= 0 {
		t.Errorf("%d pipeline workers, want %d", n, want)
	}
	return n
}
