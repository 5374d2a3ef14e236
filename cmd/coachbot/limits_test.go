package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coachbot/coachbot/adapters/redisstore/redistest"
)

const limitSecret = "0c4e7f3b9d0a41f2a8c6e5d7b1f3a9e2"

// slackSays sends a signed /coach command as Slack user to the server at
// base and returns the answer's body.
func slackSays(t *testing.T, base, user, text string) string {
	t.Helper()
	body := url.Values{"command": {"/coach"}, "text": {text}, "team_id": {"T1"}, "user_id": {user},
		"response_url": {"http://127.0.0.1:1/hook"}, "trigger_id": {"1.2." + randomHex(t, 4)}}.Encode()
	status, got := postSlack(t, base+"/slack/commands", body, limitSecret)
	if status != 200 {
		t.Fatalf("status %d: %s", status, got)
	}
	return got
}

// slackMain returns a server Main for Slack over HTTP with a limit of
// three commands at once and one a minute after that (slow enough that a
// loaded test machine cannot earn a fourth by being slow).
func slackMain(t *testing.T, api string) *Main {
	m, _, _ := newMain(t.TempDir())
	m.Config.SlackBotToken, m.Config.SlackSigningSecret, m.Config.SlackApiURL = "xoxb-test", limitSecret, api+"/api/"
	m.Config.RateLimit, m.Config.RateBurst = 1, 3
	return m
}

// TestRateLimitWired checks that a server holds each user to
// COACH_RATE_LIMIT, that replicas on one Redis share the allowance (a user
// cannot multiply it by being spread over replicas), and that the console
// is not limited.
func TestRateLimitWired(t *testing.T) {
	api := httptest.NewServer(&fakePlatformAPI{})
	defer api.Close()
	const slow = "Slow down a little"

	t.Run("embedded store", func(t *testing.T) {
		base := serveMain(t, slackMain(t, api.URL))
		for i := range 3 {
			if got := slackSays(t, base, "U1", "salary mid"); strings.Contains(got, slow) {
				t.Fatalf("command %d of the burst was limited: %s", i+1, got)
			}
		}
		if got := slackSays(t, base, "U1", "salary mid"); !strings.Contains(got, slow) {
			t.Errorf("4th command at once was answered: %s", got)
		}
		if got := slackSays(t, base, "U2", "salary mid"); strings.Contains(got, slow) {
			t.Errorf("another user was limited: %s", got)
		}
	})

	t.Run("replicas share Redis", func(t *testing.T) {
		srv := redistest.Start(t)
		var bases []string
		for range 2 {
			m := slackMain(t, api.URL)
			m.Config.RedisURL = srv.URL()
			bases = append(bases, serveMain(t, m))
		}
		// Three commands spread over both replicas use up the burst...
		for i := range 3 {
			if got := slackSays(t, bases[i%2], "U1", "salary mid"); strings.Contains(got, slow) {
				t.Fatalf("command %d of the burst was limited: %s", i+1, got)
			}
		}
		// ...so the fourth is refused whichever replica gets it.
		for i, base := range bases {
			if got := slackSays(t, base, "U1", "salary mid"); !strings.Contains(got, slow) {
				t.Errorf("replica %d answered a 4th command at once: %s", i+1, got)
			}
		}
	})

	t.Run("console is not limited", func(t *testing.T) {
		m, out, _ := newMain(t.TempDir())
		m.Config.RateBurst = 1
		m.Stdin = strings.NewReader(strings.Repeat("salary mid\n", 15))
		if err := m.Run(t.Context(), nil); err != nil {
			t.Fatal(err)
		}
		m.Close()
		if strings.Contains(out.String(), slow) {
			t.Errorf("the console limited its own user:\n%s", out.String())
		}
		if n := strings.Count(out.String(), "₹10 L – ₹14 L"); n != 15 {
			t.Errorf("%d of 15 piped commands answered", n)
		}
	})
}

// TestReplayRefusedByEveryReplica: the same signed Slack request, sent to
// a second replica on the same Redis, is refused: the replay key is in
// Redis, not in the replica that answered first.
func TestReplayRefusedByEveryReplica(t *testing.T) {
	api := httptest.NewServer(&fakePlatformAPI{})
	defer api.Close()
	srv := redistest.Start(t)
	var bases []string
	for range 2 {
		m := slackMain(t, api.URL)
		m.Config.RedisURL = srv.URL()
		bases = append(bases, serveMain(t, m))
	}
	body := url.Values{"command": {"/coach"}, "text": {"roadmap done 1"}, "team_id": {"T1"}, "user_id": {"U1"},
		"response_url": {"http://127.0.0.1:1/hook"}, "trigger_id": {"1.2." + randomHex(t, 4)}}.Encode()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	sig := slackSignature(limitSecret, ts, body)
	for i, want := range []int{http.StatusOK, http.StatusUnauthorized, http.StatusUnauthorized} {
		req, err := http.NewRequest("POST", bases[i%2]+"/slack/commands", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", sig)
		if status, got := roundTrip(t, req); status != want {
			t.Errorf("copy %d, to replica %d: status %d (%s), want %d", i+1, i%2+1, status, got, want)
		}
	}
}
