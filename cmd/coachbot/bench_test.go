package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coachbot/coachbot/adapters/redisstore/redistest"
	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/content"
)

// openBench opens a Main on a fresh data directory, exactly as start-up
// does (content, embedded store, bot), with its logs discarded.
func openBench(b *testing.B) *Main {
	b.Helper()
	cfg := validConfig()
	cfg.DataDir = b.TempDir()
	m := &Main{Config: cfg, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, User: "bench"}
	if err := m.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	return m
}

// reportPercentiles reports the 50th and 99th percentile of the durations
// in µs, beside the mean that ns/op gives.
func reportPercentiles(b *testing.B, took []time.Duration) {
	b.Helper()
	if len(took) == 0 {
		return
	}
	slices.Sort(took)
	at := func(q float64) float64 {
		i := min(int(q*float64(len(took))), len(took)-1)
		return float64(took[i]) / float64(time.Microsecond)
	}
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}

// BenchmarkRoundTrip measures one command through bot.Bot.Handle, the path
// every platform takes, on the embedded store in a temp dir. "help" touches
// no store and is the baseline the others compare to.
func BenchmarkRoundTrip(b *testing.B) {
	tests := []struct {
		name  string
		lines []string // cycled through, one per op
		want  string   // in every reply's title: the command did not fail
	}{
		{"help", []string{"help"}, "What I can do"},
		{"roadmap-next", []string{"roadmap next"}, "Step "},
		{"roadmap-done-undo", []string{"roadmap done 1", "roadmap undo 1"}, "Step "},
		{"checkin", []string{"checkin"}, "hecked in"},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			m := openBench(b)
			ctx := context.Background()
			user := bot.ConsoleUser("bench")
			// One warm-up so that the user's record exists and the first
			// write's page allocation is not in the numbers.
			if r := m.Bot.Handle(ctx, user, tt.lines[0]); !strings.Contains(r.Title, tt.want) {
				b.Fatalf("%q answered %q: %s", tt.lines[0], r.Title, r.Text)
			}
			if len(tt.lines) > 1 {
				m.Bot.Handle(ctx, user, tt.lines[1])
			}
			var took []time.Duration
			var last bot.Reply
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				start := time.Now()
				last = m.Bot.Handle(ctx, user, tt.lines[i%len(tt.lines)])
				took = append(took, time.Since(start))
			}
			if !strings.Contains(last.Title, tt.want) {
				b.Fatalf("the last reply was %q: %s", last.Title, last.Text)
			}
			reportPercentiles(b, took)
		})
	}
}

// BenchmarkStartup measures what start-up costs before the first command:
// "main" is Main.Open (loading and validating the content pack, opening the
// bolt file, building the bot) then Close, on a data directory that is
// reused as a restarted process would; "content" is the pack alone, to
// tell the two costs apart.
func BenchmarkStartup(b *testing.B) {
	b.Run("main", func(b *testing.B) {
		cfg := validConfig()
		cfg.DataDir = b.TempDir()
		ctx := context.Background()
		var took []time.Duration
		b.ReportAllocs()
		for b.Loop() {
			start := time.Now()
			m := &Main{Config: cfg, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, User: "bench"}
			if err := m.Open(ctx); err != nil {
				b.Fatal(err)
			}
			if err := m.Close(); err != nil {
				b.Fatal(err)
			}
			took = append(took, time.Since(start))
		}
		reportPercentiles(b, took)
	})
	b.Run("content", func(b *testing.B) {
		var took []time.Duration
		b.ReportAllocs()
		for b.Loop() {
			start := time.Now()
			if _, err := content.Default(); err != nil {
				b.Fatal(err)
			}
			took = append(took, time.Since(start))
		}
		reportPercentiles(b, took)
	})
}

// BenchmarkConcurrentRoundTrip runs 50 users at once, each alternating a
// read (progress) and a write (roadmap done/undo), on the embedded store
// and on a Redis started for the run, so the two are measured side by side.
// Each op is one command; p50/p99 are over every command of the run.
func BenchmarkConcurrentRoundTrip(b *testing.B) {
	const users = 50
	stores := []struct {
		name string
		open func(b *testing.B) *Main
	}{
		{"embedded", openBench},
		{"redis", func(b *testing.B) *Main {
			srv := redistest.Start(b)
			cfg := validConfig()
			cfg.DataDir, cfg.RedisURL = b.TempDir(), srv.URL()
			m := &Main{Config: cfg, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, User: "bench"}
			if err := m.Open(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { m.Close() })
			return m
		}},
	}
	lines := []string{"progress", "roadmap done 1", "progress", "roadmap undo 1"}
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			m := st.open(b)
			ctx := context.Background()
			var (
				mu     sync.Mutex
				took   []time.Duration
				failed atomic.Int64
				next   atomic.Int64
			)
			b.SetParallelism(users / runtime.GOMAXPROCS(0))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				user := bot.ConsoleUser(fmt.Sprintf("bench-%d", next.Add(1)))
				var mine []time.Duration
				for i := 0; pb.Next(); i++ {
					start := time.Now()
					r := m.Bot.Handle(ctx, user, lines[i%len(lines)])
					mine = append(mine, time.Since(start))
					if strings.HasPrefix(r.Title, "I can't") || strings.HasPrefix(r.Title, "Something") {
						failed.Add(1)
					}
				}
				mu.Lock()
				took = append(took, mine...)
				mu.Unlock()
			})
			b.StopTimer()
			if failed.Load() > 0 {
				b.Fatalf("%d commands failed", failed.Load())
			}
			reportPercentiles(b, took)
		})
	}
}
