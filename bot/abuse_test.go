package bot_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

// limited returns a harness whose users may send burst commands at once and
// perMinute after that, on the harness clock.
func limited(t *testing.T, perMinute float64, burst int, log *bytes.Buffer) *bottest.Harness {
	return bottest.New(t, bottest.WithConfig(func(c *bot.Config) {
		c.Limiter = bot.NewLocalLimits(c.Clock)
		c.CommandRate = bot.Rate{PerMinute: perMinute, Burst: burst}
		if log != nil {
			c.Logger = slog.New(slog.NewTextHandler(log, nil))
		}
	}))
}

func isSlowDown(r bot.Reply) bool { return r.Title == "Slow down a little" }

func TestCommandRateLimit(t *testing.T) {
	var log bytes.Buffer
	h := limited(t, 60, 3, &log)

	for i := range 3 {
		if r := h.Say("salary mid"); isSlowDown(r) {
			t.Fatalf("command %d of the burst was limited: %s", i+1, text(r))
		}
	}
	r := h.Say("roadmap done 1")
	if !isSlowDown(r) {
		t.Fatalf("4th command in the same instant was not limited: %s", text(r))
	}
	wantContains(t, r, "slow down and try again in 1 second.")
	if got, _ := h.Store.Reminders(context.Background(), h.User); len(got) != 0 {
		t.Errorf("a limited command reached the store")
	}
	u, err := h.Store.User(context.Background(), h.User)
	if err != nil && bot.ErrorCode(err) != bot.NotFound {
		t.Fatal(err)
	}
	if len(u.Done) != 0 {
		t.Errorf("limited roadmap done was carried out: %v", u.Done)
	}

	t.Run("other users are not affected", func(t *testing.T) {
		if r := h.SayAs("test:ben", "salary mid"); isSlowDown(r) {
			t.Errorf("another user was limited: %s", text(r))
		}
	})
	t.Run("every line counts, unknown ones too", func(t *testing.T) {
		if r := h.Say("wizardry"); !isSlowDown(r) {
			t.Errorf("an unknown command from a limited user got: %s", text(r))
		}
	})
	t.Run("the allowance comes back with time", func(t *testing.T) {
		h.Clock.Advance(time.Second)
		if r := h.Say("salary mid"); isSlowDown(r) {
			t.Errorf("still limited a second later: %s", text(r))
		}
		if r := h.Say("salary mid"); !isSlowDown(r) {
			t.Errorf("a second command in that second was allowed: %s", text(r))
		}
	})
	t.Run("the log names the outcome, not the text", func(t *testing.T) {
		out := log.String()
		for _, want := range []string{"outcome=ok", "outcome=limited", "command=salary"} {
			if !strings.Contains(out, want) {
				t.Errorf("log lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "wizardry") || strings.Contains(out, "test:ana") {
			t.Errorf("log holds message text or a raw user id:\n%s", out)
		}
	})
}

func TestCommandRateLimitWait(t *testing.T) {
	// Two a minute: after the burst the next command is 30 s away.
	h := limited(t, 2, 1, nil)
	h.Say("tip")
	r := h.Say("tip")
	wantContains(t, r, "try again in 30 seconds.")
}

// brokenLimiter fails, or blocks until its context ends.
type brokenLimiter struct {
	block    bool
	deadline time.Duration // how far away the context's deadline was
}

func (l *brokenLimiter) Allow(ctx context.Context, key string, rate float64, burst int) (bool, time.Duration, error) {
	if d, ok := ctx.Deadline(); ok {
		l.deadline = time.Until(d)
	}
	if l.block {
		<-ctx.Done()
		return false, 0, ctx.Err()
	}
	return false, 0, errors.New("redis: connection refused")
}

func TestCommandRateLimiterFailsOpen(t *testing.T) {
	for _, tc := range []struct {
		name  string
		block bool
	}{
		{"error", false},
		{"hangs", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &brokenLimiter{block: tc.block}
			h := bottest.New(t, bottest.WithConfig(func(c *bot.Config) { c.Limiter = l }))
			r := h.Say("salary mid")
			wantContains(t, r, "₹10 L – ₹14 L")
			// The check has its own short deadline, so a hung limiter leaves
			// the command most of its 2.5 s.
			if l.deadline <= 0 || l.deadline > time.Second {
				t.Errorf("limiter context deadline %v away, want a short one (≤ 1s)", l.deadline)
			}
		})
	}
}

func TestArgumentLengthCap(t *testing.T) {
	h := bottest.New(t)
	long := strings.Repeat("x", bot.MaxArgLength+1)
	for _, tc := range []struct {
		line string
		want string
	}{
		{"skills " + long, "That skill is too long: at most 64 characters."},
		{"roadmap step " + long, "That step is too long"},
		{"salary " + long, "That level is too long"},
		{"remind in " + long, "That delay is too long"},
		{"remind daily 07:00 Europe/" + long, "too long"},
		{"help " + long, "That command is too long"},
	} {
		t.Run(tc.line[:12], func(t *testing.T) {
			r := h.Say(tc.line)
			wantContains(t, r, tc.want)
			if strings.Contains(text(r), long) {
				t.Errorf("the reply echoes the long argument")
			}
		})
	}
	t.Run("the longest real zone is accepted", func(t *testing.T) {
		r := h.Say("remind daily 07:00 America/Argentina/ComodRivadavia")
		wantContains(t, r, "07:00")
	})
}

// TestReminderCap checks that however many reminders a user asks for, the
// store keeps at most one daily, one weekly and one one-off reminder for them.
func TestReminderCap(t *testing.T) {
	h := bottest.New(t)
	for i := range 20 {
		h.Say("remind in " + []string{"1h", "2h", "3h", "45m"}[i%4])
		h.Say("remind daily 0" + string(rune('0'+i%10)) + ":30 Europe/London")
		h.Say("remind weekly " + []string{"sun", "mon", "fri"}[i%3] + " 18:00")
	}
	rs, err := h.Store.Reminders(context.Background(), h.User)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != bot.MaxRemindersPerUser {
		t.Fatalf("user has %d reminders, want %d: %+v", len(rs), bot.MaxRemindersPerUser, rs)
	}
	if rs[0].At != "09:30" {
		t.Errorf("the last daily request did not replace the earlier ones: %+v", rs[0])
	}
}

// TestLogHoldsNoMessageText: the command log line says who (hashed), what
// command and how it went, never what the user typed, even when the
// answer quotes it back.
func TestLogHoldsNoMessageText(t *testing.T) {
	var log bytes.Buffer
	h := bottest.New(t, bottest.WithConfig(func(c *bot.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}))
	for _, line := range []string{
		"skills MARKERskill", "remind daily MARKER:99", "remind daily 07:00 MARKER/Zone",
		"MARKERcommand", "roadmap step MARKERstep", "remind in MARKERdelay",
	} {
		if r := h.Say(line); !strings.Contains(text(r), "MARKER") {
			t.Logf("%q: the reply does not quote the input (fine): %s", line, text(r))
		}
	}
	if strings.Contains(log.String(), "MARKER") {
		t.Errorf("the log holds message text:\n%s", log.String())
	}
	if n := strings.Count(log.String(), `"outcome":"invalid"`); n != 6 {
		t.Errorf("%d invalid outcomes logged, want 6:\n%s", n, log.String())
	}
}
