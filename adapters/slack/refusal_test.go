package slack_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRefusalLogIsBounded: forged requests are refused with a line that
// holds a fixed reason, never what the request sent (a 19 KB timestamp
// header was logged whole, 1 MB of log for 51 requests), and a flood of
// them logs a burst of lines and then counts (the log's rate goes by the
// bot's fake clock, which does not move here).
func TestRefusalLogIsBounded(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("9", 19<<10)
	body := commandForm(t, "/coach", "progress", e.fake.HooksURL()+"/commands/T0001/1/x")
	now := strconv.FormatInt(time.Now().Unix(), 10)
	valid := signedHeader(signingSecret, time.Now(), body)
	for _, tc := range []struct {
		name, timestamp, signature, reason string
	}{
		{"19 KB timestamp", long, "v0=" + strings.Repeat("ab", 32), "malformed timestamp"},
		{"timestamp with words", "1e9 " + long, "v0=" + strings.Repeat("ab", 32), "malformed timestamp"},
		{"stale timestamp", "1000000000", "v0=" + strings.Repeat("ab", 32), "timestamp outside the 5-minute window"},
		{"no signature", now, "", "missing signature headers"},
		{"signature not hex", now, "v0=" + long, "bad signature"},
		{"wrong signature", valid.Get("X-Slack-Request-Timestamp"), "v0=" + strings.Repeat("ab", 32), "bad signature"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			h.Set("X-Slack-Request-Timestamp", tc.timestamp)
			if tc.signature != "" {
				h.Set("X-Slack-Signature", tc.signature)
			}
			before := len(e.logs.String())
			if status, _ := e.post("/slack/commands", body, h); status != http.StatusUnauthorized {
				t.Errorf("status %d, want 401", status)
			}
			line := e.logs.String()[before:]
			want := `msg="slack request refused" route="POST /slack/commands" reason="` + tc.reason + `"` + "\n"
			if !strings.HasSuffix(line, want) || strings.Count(line, "\n") != 1 {
				t.Errorf("log line %.300q, want one ending %q", line, want)
			}
		})
	}
	// A flood: 51 more forged requests with the long header. Four lines
	// are left of the burst of ten; the rest are counted, not logged.
	before := len(e.logs.String())
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", long)
	h.Set("X-Slack-Signature", "v0="+strings.Repeat("ab", 32))
	for range 51 {
		if status, _ := e.post("/slack/interactions", body, h); status != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", status)
		}
	}
	flood := e.logs.String()[before:]
	want := strings.Repeat(`msg="slack request refused" route="POST /slack/interactions" reason="malformed timestamp"`+"\n", 4)
	if got := stripTimes(flood); got != want {
		t.Errorf("51 forged requests logged %d bytes in %d lines, want the 4 left of the burst:\n%.600s", len(flood), strings.Count(flood, "\n"), flood)
	}
	// A second later by the bot's clock a line says how many went unlogged.
	e.h.Clock.Advance(time.Second)
	before = len(e.logs.String())
	e.post("/slack/interactions", body, h)
	if line := e.logs.String()[before:]; !strings.HasSuffix(line, `reason="malformed timestamp" unlogged=47`+"\n") {
		t.Errorf("the line after the flood is %.300q, want one with unlogged=47", line)
	}
}

// stripTimes removes the time and level of each text log line.
func stripTimes(log string) string {
	var b strings.Builder
	for line := range strings.Lines(log) {
		if _, rest, ok := strings.Cut(line, " level=INFO "); ok {
			line = rest
		}
		b.WriteString(line)
	}
	return b.String()
}
