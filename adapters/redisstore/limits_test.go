package redisstore

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/coachbot/coachbot/bot"
)

func TestCloseTwice(t *testing.T) {
	tg := single(t)
	s, err := Open(ctxb, tg.opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v, want nil", err)
	}
	if _, err := s.FirstSeen(ctxb, "k", time.Minute); bot.ErrorCode(err) != bot.Unavailable {
		t.Errorf("FirstSeen after Close: %v, want Unavailable", err)
	}
}

func TestDeduper(t *testing.T) {
	each(t, func(t *testing.T, tg target) {
		tg.flush(t)
		a, b := tg.open(t), tg.open(t)
		first := func(s *Store, key string, ttl time.Duration) bool {
			t.Helper()
			ok, err := s.FirstSeen(ctxb, key, ttl)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !first(a, "i1", minute) || first(a, "i1", minute) || first(b, "i1", minute) {
			t.Fatal("a key must be first once, and only once, across stores")
		}
		if !first(b, "i2", minute) || !first(a, "{odd}key}", minute) || first(b, "{odd}key}", minute) {
			t.Fatal("keys are not independent")
		}
		if !first(a, "short", 50*time.Millisecond) {
			t.Fatal("short: not first")
		}
		deadline := time.Now().Add(5 * time.Second)
		for !first(b, "short", 50*time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("a key was not forgotten after its ttl")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if _, err := a.FirstSeen(ctxb, "k", 0); bot.ErrorCode(err) != bot.Internal {
			t.Errorf("ttl 0: %v, want Internal", err)
		}
	})
}

func TestLimiter(t *testing.T) {
	each(t, func(t *testing.T, tg target) {
		tg.flush(t)
		a, b := tg.open(t), tg.open(t)
		allow := func(s *Store, key string) (bool, time.Duration) {
			t.Helper()
			ok, wait, err := s.Allow(ctxb, key, 2, 3) // 2 per second, bursts of 3
			if err != nil {
				t.Fatal(err)
			}
			return ok, wait
		}
		// The burst is shared: three events from two stores use it up.
		for i, s := range []*Store{a, b, a} {
			if ok, _ := allow(s, "k"); !ok {
				t.Fatalf("event %d of the burst refused", i+1)
			}
		}
		ok, wait := allow(b, "k")
		if ok || wait <= 0 || wait > 500*time.Millisecond {
			t.Fatalf("fourth event: ok=%v wait=%v, want refused for up to 500ms", ok, wait)
		}
		if ok, _ := allow(a, "other"); !ok {
			t.Error("buckets are not independent")
		}
		time.Sleep(wait)
		deadline := time.Now().Add(5 * time.Second)
		for {
			ok, wait := allow(a, "k")
			if ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("still refused long after the wait it was told")
			}
			time.Sleep(wait)
		}
		// The bucket's key expires once it is full again.
		key := ratePrefix + "k}"
		node := tg.nodeOf(t, key)
		if ttl := node.PTTL(ctxb, key).Val(); ttl <= 0 || ttl > 1500*time.Millisecond {
			t.Errorf("bucket PTTL = %v, want within the burst window (1.5s)", ttl)
		}
		if _, _, err := a.Allow(ctxb, "k", 0, 1); bot.ErrorCode(err) != bot.Internal {
			t.Errorf("rate 0: %v, want Internal", err)
		}
	})
}

func TestRouteLogs(t *testing.T) {
	t.Cleanup(func() { redis.SetLogger(quiet{}) })
	RouteLogs(nil) // discards, without panicking
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	RouteLogs(l)
	redisLog{l}.Printf(context.Background(), "redis: dial %s: refused\n", "x")
	if out := buf.String(); !strings.Contains(out, "level=DEBUG") || !strings.Contains(out, `msg="redis: dial x: refused"`) {
		t.Errorf("log output %q", out)
	}
}

// TestAllowUser: the user's command bucket is the same GCRA as Allow's,
// shared by every store, and the record comes back whether or not the
// command is allowed.
func TestAllowUser(t *testing.T) {
	each(t, func(t *testing.T, tg target) {
		a, b := tg.open(t), tg.open(t)
		id := bot.DiscordUser("1")
		if _, err := a.UpdateUser(ctxb, id, func(u *bot.User) error { u.Zone = "UTC"; return nil }); err != nil {
			t.Fatal(err)
		}
		allow := func(s *Store) (bool, time.Duration) {
			t.Helper()
			ok, wait, u, err := s.AllowUser(ctxb, id, 2, 3) // 2 per second, bursts of 3
			if err != nil {
				t.Fatal(err)
			}
			if u.ID != id || u.Zone != "UTC" {
				t.Errorf("AllowUser returned the user %+v", u)
			}
			return ok, wait
		}
		for i, s := range []*Store{a, b, a} {
			if ok, _ := allow(s); !ok {
				t.Fatalf("command %d of the burst refused", i+1)
			}
		}
		if ok, wait := allow(b); ok || wait <= 0 || wait > 500*time.Millisecond {
			t.Fatalf("fourth command: ok=%v wait=%v, want refused for up to 500ms", ok, wait)
		}
		// Another user has a bucket of their own, and no record.
		ok, _, u, err := a.AllowUser(ctxb, bot.DiscordUser("2"), 2, 3)
		if err != nil || !ok || !u.IsZero() || u.ID != bot.DiscordUser("2") {
			t.Errorf("AllowUser of an unknown user = %v, %+v, %v", ok, u, err)
		}
		// The bucket sits beside the record, in the same slot, and expires
		// once it is full again.
		p, short, _ := a.userKeys(id)
		key := p + "rate:" + short
		if ttl := tg.nodeOf(t, key).PTTL(ctxb, key).Val(); ttl <= 0 || ttl > 1500*time.Millisecond {
			t.Errorf("bucket PTTL = %v, want within the burst window (1.5s)", ttl)
		}
		if _, _, _, err := a.AllowUser(ctxb, id, 0, 1); bot.ErrorCode(err) != bot.Internal {
			t.Errorf("rate 0: %v, want Internal", err)
		}
		if _, _, _, err := a.AllowUser(ctxb, "", 1, 1); bot.ErrorCode(err) != bot.Invalid {
			t.Errorf("no id: %v, want Invalid", err)
		}
	})
}
