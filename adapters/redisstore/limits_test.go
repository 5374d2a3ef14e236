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

// TestAdmit: the user's command bucket is the same GCRA as Allow's,
// shared by every store, and the record comes back whether or not the
// command is allowed. A replay key is refused on every store once seen,
// without taking from the bucket, and lives beside the record.
func TestAdmit(t *testing.T) {
	each(t, func(t *testing.T, tg target) {
		a, b := tg.open(t), tg.open(t)
		id := bot.DiscordUser("1")
		if _, err := a.UpdateUser(ctxb, id, func(u *bot.User) error { u.Zone = "UTC"; return nil }); err != nil {
			t.Fatal(err)
		}
		rate := bot.Rate{PerMinute: 120, Burst: 3} // 2 per second, bursts of 3
		admit := func(s *Store, once string) bot.Admission {
			t.Helper()
			ad, err := s.Admit(ctxb, id, once, rate)
			if err != nil {
				t.Fatal(err)
			}
			if !ad.Replayed && (ad.User.ID != id || ad.User.Zone != "UTC") {
				t.Errorf("Admit returned the user %+v", ad.User)
			}
			return ad
		}
		if ad := admit(a, "discord:100"); !ad.Allowed || ad.Replayed {
			t.Fatalf("first request = %+v, want allowed", ad)
		}
		// The same request again, on either replica: refused, and the
		// bucket keeps its two commands.
		for _, s := range []*Store{a, b} {
			if ad := admit(s, "discord:100"); !ad.Replayed || ad.Allowed {
				t.Fatalf("replay = %+v, want Replayed", ad)
			}
		}
		for i, s := range []*Store{b, a} {
			if ad := admit(s, ""); !ad.Allowed {
				t.Fatalf("command %d of the burst refused: the replays took from it", i+2)
			}
		}
		if ad := admit(b, "discord:101"); ad.Allowed || ad.Replayed || ad.Wait <= 0 || ad.Wait > 500*time.Millisecond {
			t.Fatalf("fourth command = %+v, want refused for up to 500ms", ad)
		}
		// Refused for its rate, the request was still seen.
		if ad := admit(a, "discord:101"); !ad.Replayed {
			t.Errorf("a request refused for its rate, sent again = %+v, want Replayed", ad)
		}
		// Another user has a bucket of their own, and no record.
		ad, err := a.Admit(ctxb, bot.DiscordUser("2"), "discord:200", rate)
		if err != nil || !ad.Allowed || !ad.User.IsZero() || ad.User.ID != bot.DiscordUser("2") {
			t.Errorf("Admit of an unknown user = %+v, %v", ad, err)
		}
		// The bucket and the replay key sit beside the record, in the same
		// slot; the bucket expires once it is full again, the key after
		// the replay window.
		p, short, _ := a.userKeys(id)
		key := p + "rate:" + short
		if ttl := tg.nodeOf(t, key).PTTL(ctxb, key).Val(); ttl <= 0 || ttl > 1500*time.Millisecond {
			t.Errorf("bucket PTTL = %v, want within the burst window (1.5s)", ttl)
		}
		seen := p + "seen:" + onceKey("discord:100")
		if ttl := tg.nodeOf(t, seen).PTTL(ctxb, seen).Val(); ttl <= bot.ReplayWindow-time.Minute || ttl > bot.ReplayWindow {
			t.Errorf("replay key PTTL = %v, want about %v", ttl, bot.ReplayWindow)
		}
		if _, err := a.Admit(ctxb, id, "", bot.Rate{}); bot.ErrorCode(err) != bot.Internal {
			t.Errorf("rate 0: %v, want Internal", err)
		}
		if _, err := a.Admit(ctxb, "", "", rate); bot.ErrorCode(err) != bot.Invalid {
			t.Errorf("no id: %v, want Invalid", err)
		}
	})
}

// TestAdmitResent: a gate call that go-redis sends again after a lost
// reply finds the replay key holding its own value, and is not taken for
// a replay of itself.
func TestAdmitResent(t *testing.T) {
	each(t, func(t *testing.T, tg target) {
		s := tg.open(t)
		id := bot.SlackUser("T1", "U1")
		p, short, key := s.userKeys(id)
		keys := []string{p + "rate:" + short, key, p + "seen:" + onceKey("slack:v0=ab")}
		interval, tolerance := gcraArgs(1, 5)
		for i, want := range []int{3, 3, 1} {
			value := "call-1"
			if i == 2 {
				value = "call-2" // another call with the same key: a replay
			}
			res, err := s.runScript(ctxb, gateScript, keys, interval, tolerance, value, 60000).Slice()
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != want {
				t.Errorf("call %d (%s) returned %v, want %d values", i+1, value, res, want)
			}
		}
	})
}
