package bot_test

import (
	"context"
	"testing"
	"time"

	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

func TestLocalDeduper(t *testing.T) {
	clock := bottest.NewClock(bottest.Start)
	l := bot.NewLocalLimits(clock)
	ctx := context.Background()
	first := func(key string) bool {
		t.Helper()
		ok, err := l.FirstSeen(ctx, key, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !first("a") || first("a") || !first("b") {
		t.Fatal("a new key must be first once, and only once")
	}
	clock.Advance(time.Minute)
	if !first("a") {
		t.Error("a key must be forgotten after its ttl")
	}
}

func TestLocalLimiter(t *testing.T) {
	clock := bottest.NewClock(bottest.Start)
	l := bot.NewLocalLimits(clock)
	ctx := context.Background()
	allow := func(key string) (bool, time.Duration) {
		t.Helper()
		ok, wait, err := l.Allow(ctx, key, 2, 3) // 2 per second, bursts of 3
		if err != nil {
			t.Fatal(err)
		}
		return ok, wait
	}
	for i := range 3 {
		if ok, _ := allow("k"); !ok {
			t.Fatalf("event %d of the burst refused", i+1)
		}
	}
	ok, wait := allow("k")
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("fourth event: ok=%v wait=%v, want refused for 500ms", ok, wait)
	}
	if ok, _ := allow("other"); !ok {
		t.Error("buckets are not independent")
	}
	clock.Advance(500 * time.Millisecond)
	if ok, _ := allow("k"); !ok {
		t.Error("refused after waiting as told")
	}
	if ok, _ := allow("k"); ok {
		t.Error("allowed beyond the rate")
	}
	// Over a long run the rate holds: 10 s at 2/s allows 20 plus the burst.
	n := 0
	for range 1000 {
		if ok, _ := allow("long"); ok {
			n++
		}
		clock.Advance(10 * time.Millisecond)
	}
	if n < 20 || n > 23 {
		t.Errorf("%d events allowed in 10 s at 2/s with burst 3, want 20-23", n)
	}
}
