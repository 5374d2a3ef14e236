package webhook_test

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/coachbot/coachbot/adapters/internal/webhook"
	"github.com/coachbot/coachbot/bot/bottest"
)

// TestRefusalsAreRateLimited: a burst of ten lines, then one a second on
// the given clock, each saying how many refusals went unlogged before it.
func TestRefusalsAreRateLimited(t *testing.T) {
	clock := bottest.NewClock(bottest.Start)
	logs := bottest.NewBuffer()
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	r := webhook.NewRefusals(log, "test request refused", clock.Now)
	for range 51 {
		r.Refused("POST /test", "bad signature")
	}
	clock.Advance(time.Second)
	r.Refused("POST /test", "stale timestamp")
	r.Refused("POST /test", "stale timestamp") // over the rate again
	clock.Advance(10 * time.Second)
	r.Refused("POST /test", "bad signature")

	line := `level=INFO msg="test request refused" route="POST /test" reason="bad signature"`
	want := slices.Repeat([]string{line}, 10)
	want = append(want,
		`level=INFO msg="test request refused" route="POST /test" reason="stale timestamp" unlogged=41`,
		`level=INFO msg="test request refused" route="POST /test" reason="bad signature" unlogged=1`,
	)
	got := strings.Split(strings.TrimSuffix(logs.String(), "\n"), "\n")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log lines (-want +got):\n%s", diff)
	}
}
