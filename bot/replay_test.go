package bot_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

// brokenDeduper fails every check, as a store that does not answer.
type brokenDeduper struct{}

func (brokenDeduper) FirstSeen(context.Context, string, time.Duration) (bool, error) {
	return false, errors.New("redis: connection refused")
}

// brokenGate fails every admission, as a store that does not answer.
type brokenGate struct{}

func (brokenGate) Admit(context.Context, bot.UserID, string, bot.Rate) (bot.Admission, error) {
	return bot.Admission{}, errors.New("redis: connection refused")
}

// TestServeRefusesReplays: a request whose Once was seen is refused with
// ErrReplayed and runs nothing, through a Deduper or a Gate alike; a
// request without one is never refused. When the check fails, a request
// with a key is refused as Unavailable (a replay cannot be ruled out) and
// one without runs (the limit fails open).
func TestServeRefusesReplays(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  func(*bot.Config)
	}{
		{"deduper", func(*bot.Config) {}}, // New's default: in-process
		{"gate", func(c *bot.Config) { c.Gate = c.Store.(bot.UserGate) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := bottest.New(t, bottest.WithConfig(tc.cfg))
			ctx := context.Background()
			serve := func(once, line string) error {
				t.Helper()
				r, err := h.Serve(ctx, bot.Inbound{User: h.User, Line: line, Once: once})
				if err == nil && r.Title == "Something went wrong" {
					t.Fatalf("%s: %+v", line, r)
				}
				return err
			}
			for i, st := range []struct {
				once, line string
				want       error
			}{
				{"discord:1", "roadmap done 1", nil},
				{"discord:1", "roadmap done 2", bot.ErrReplayed},
				{"discord:2", "roadmap done 3", nil},
				{"", "roadmap done 4", nil},
				{"", "roadmap done 5", nil},
			} {
				if err := serve(st.once, st.line); !errors.Is(err, st.want) || (st.want == nil && err != nil) {
					t.Errorf("request %d (%q, %s): %v, want %v", i+1, st.once, st.line, err, st.want)
				}
			}
			u, err := h.Store.User(ctx, h.User)
			if err != nil || len(u.Done) != 4 {
				t.Errorf("steps done = %v (%v), want 4: the replay ran", u.Done, err)
			}
		})
	}
	for _, tc := range []struct {
		name string
		cfg  func(*bot.Config)
	}{
		{"deduper down", func(c *bot.Config) { c.Deduper = brokenDeduper{} }},
		{"gate down", func(c *bot.Config) { c.Gate = brokenGate{} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := bottest.New(t, bottest.WithConfig(tc.cfg))
			ctx := context.Background()
			r, err := h.Serve(ctx, bot.Inbound{User: h.User, Line: "roadmap done 1", Once: "slack:v0=1"})
			if bot.ErrorCode(err) != bot.Unavailable || r.Title != "I can't reach my memory" {
				t.Errorf("with a key: %v, %+v; want refused as Unavailable", err, r)
			}
			if u, _ := h.Store.User(ctx, h.User); len(u.Done) != 0 {
				t.Errorf("the refused request ran: %v", u.Done)
			}
			if r, err := h.Serve(ctx, bot.Inbound{User: h.User, Line: "roadmap done 1"}); err != nil || len(r.Title) == 0 {
				t.Errorf("without a key: %v, %+v; want answered", err, r)
			}
			if u, _ := h.Store.User(ctx, h.User); len(u.Done) != 1 {
				t.Errorf("the request without a key did not run: %v", u.Done)
			}
		})
	}
}
