package slack_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	coachslack "github.com/coachbot/coachbot/adapters/slack"
	"github.com/coachbot/coachbot/bot/bottest"
)

// recordingTransport answers every request for hooks.slack.com itself (200
// "ok"), so the test never reaches the real Slack, records the URL of every
// request, and sends the others on to the network (the test's loopback
// servers).
type recordingTransport struct {
	mu   sync.Mutex
	urls []string
	done []string // the URLs whose round trip has returned
}

func (rt *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	u := r.URL.String()
	rt.mu.Lock()
	rt.urls = append(rt.urls, u)
	rt.mu.Unlock()
	defer func() {
		rt.mu.Lock()
		rt.done = append(rt.done, u)
		rt.mu.Unlock()
	}()
	if r.URL.Host == "hooks.slack.com" {
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("ok")), Header: http.Header{}, Request: r}, nil
	}
	return http.DefaultTransport.RoundTrip(r)
}

// all returns the URLs requested.
func (rt *recordingTransport) all() []string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return slices.Clone(rt.urls)
}

// called reports whether a URL starting with prefix was requested.
func (rt *recordingTransport) called(prefix string) bool {
	return slices.ContainsFunc(rt.all(), func(u string) bool { return strings.HasPrefix(u, prefix) })
}

// returned reports whether the round trip of a URL starting with prefix
// has returned.
func (rt *recordingTransport) returned(prefix string) bool {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return slices.ContainsFunc(rt.done, func(u string) bool { return strings.HasPrefix(u, prefix) })
}

// TestResponseURLOnlyToSlack: a signed button press whose response_url
// points anywhere but https://hooks.slack.com/ or the host of the Web API
// URL gets no follow-up there, and a redirect from an allowed host is not
// followed. The target is a loopback server standing for an internal admin
// endpoint: it must never be called. Each case has its own adapter, so a
// late follow-up of one cannot be taken for another's.
func TestResponseURLOnlyToSlack(t *testing.T) {
	var evilCalls atomic.Int64
	evilHit := make(chan struct{}, 100)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		evilCalls.Add(1)
		evilHit <- struct{}{}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(evil.Close)
	const refused, failed = "slack reply refused", "slack reply via response_url failed"

	// press sends a signed press whose response_url is responseURL (a
	// path of the fake Slack when it starts with "/") and waits until its
	// follow-up is over: refused or failed (a log line), or sent (to the
	// loopback server, or anywhere starting with sentTo: "" is anywhere).
	// It returns the adapter's log and its HTTP client's transport.
	press := func(t *testing.T, responseURL, sentTo string) (string, *recordingTransport) {
		t.Helper()
		rt := &recordingTransport{}
		e := newEnv(t, func(c *coachslack.Config) { c.HTTPClient = &http.Client{Transport: rt, Timeout: 5 * time.Second} })
		if strings.HasPrefix(responseURL, "/") {
			// The fake Slack is the Web API's host, so an allowed one; its
			// /hooks/redirect redirects to the loopback server.
			e.fake.Redirect("/hooks/redirect", evil.URL+"/admin/redirected")
			responseURL = strings.TrimSuffix(e.fake.HooksURL(), "/hooks") + responseURL
		}
		payload := strings.ReplaceAll(string(blockActions(t, "{{URL}}", "cmd:0", "tip")), "{{URL}}/actions/T9TK3CUKW/1234567890123/ZwBwC8hPBLqHYEQx6uYFvO3P", responseURL)
		if status, body := e.postSigned("/slack/interactions", []byte("payload="+url.QueryEscape(payload))); status != http.StatusOK {
			t.Fatalf("status %d %s, want 200", status, body)
		}
		deadline := time.Now().Add(bottest.WaitLimit)
		for {
			logs := e.logs.String()
			if strings.Contains(logs, refused) || strings.Contains(logs, failed) || rt.returned(sentTo) {
				return logs, rt
			}
			select {
			case <-evilHit:
				return e.logs.String(), rt
			case <-time.After(5 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("the follow-up had no outcome within %s:\n%s", bottest.WaitLimit, logs)
			}
		}
	}

	for _, tc := range []struct{ name, responseURL string }{
		{"loopback", evil.URL + "/admin/delete"},
		{"loopback, hooks path", evil.URL + "/hooks/actions/T1/2/x"},
		{"hooks.slack.com over http", "http://hooks.slack.com/actions/T1/2/x"},
		{"a longer host", "https://hooks.slack.com.evil.example/actions/T1/2/x"},
		{"another port", "https://hooks.slack.com:8443/actions/T1/2/x"},
		{"user info", "https://admin@hooks.slack.com/actions/T1/2/x"},
		{"not a URL", "::"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs, rt := press(t, tc.responseURL, "")
			if rt.called("") {
				t.Errorf("the adapter sent requests to %q", rt.all())
			}
			if !strings.Contains(logs, refused) {
				t.Errorf("no %q line in the log:\n%s", refused, logs)
			}
		})
	}
	t.Run("redirect from an allowed host", func(t *testing.T) {
		logs, rt := press(t, "/hooks/redirect", evil.URL)
		if got := rt.all(); len(got) != 1 || !strings.HasSuffix(got[0], "/hooks/redirect") {
			t.Errorf("the adapter sent requests to %q, want the response_url alone, its redirect not followed", got)
		}
		if !strings.Contains(logs, failed) {
			t.Errorf("no %q line in the log:\n%s", failed, logs)
		}
	})
	t.Run("hooks.slack.com", func(t *testing.T) {
		const hook = "https://hooks.slack.com/actions/T9TK3CUKW/1/secret"
		logs, rt := press(t, hook, hook)
		if !rt.returned(hook) || strings.Contains(logs, refused) || strings.Contains(logs, failed) {
			t.Errorf("the follow-up to %s was not posted (requests %q):\n%s", hook, rt.all(), logs)
		}
	})
	if n := evilCalls.Load(); n > 0 {
		t.Errorf("the loopback server was called %d times", n)
	}
}
