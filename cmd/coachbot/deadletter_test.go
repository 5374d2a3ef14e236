package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coachbot/coachbot/adapters/boltstore"
	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

// TestDeadLetterThroughMain runs the real Main (Slack over HTTP, the
// embedded store, the metrics wrapper around it) until a reminder whose
// every send fails is dead-lettered, and finds it in the store. It guards
// the wiring: a wrapper that hid the store's DeadLetters once made the
// real binary drop such reminders without a trace.
func TestDeadLetterThroughMain(t *testing.T) {
	var posts atomic.Int32
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "chat.postMessage") {
			posts.Add(1)
			http.Error(w, "try later", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, `{"ok":true,"channel":{"id":"D024BE91L"},"user":{"tz":"Europe/Berlin"}}`)
	}))
	defer fake.Close()

	dir := t.TempDir()
	clock := bottest.NewClock(time.Now())
	m, _, _ := newMain(dir)
	m.Clock = clock
	m.Config.HTTPAddr = "127.0.0.1:0"
	m.Config.SlackBotToken = "xoxb-test"
	m.Config.SlackSigningSecret = "secret"
	m.Config.SlackApiURL = fake.URL + "/"
	base, stop := startMain(t, m)

	user := bot.SlackUser("T1", "U1")
	if r := m.Bot.Handle(context.Background(), user, "remind in 1m"); !strings.Contains(r.Title, "Reminder set") {
		t.Fatalf("remind in 1m: %+v", r)
	}
	// Each failed send is retried after 30 s, 1 m, 2 m, ...: move the clock
	// past each retry and wait for the scheduler (a real 1 s tick) to try
	// and to record the retry. The clock moves only once the retry is
	// recorded: moved while a send is under way, it would end the claim's
	// lease first, and the retry would rightly be refused as stale.
	const attempts = 6
	for n := 1; n < attempts; n++ {
		clock.Advance(11 * time.Minute)
		waitUntil(t, fmt.Sprintf("retry %d in /metrics", n), func() bool {
			_, metrics := get(t, base+"/metrics")
			return strings.Contains(metrics, fmt.Sprintf(`coachbot_reminders_total{outcome="retry"} %d`, n))
		})
	}
	clock.Advance(11 * time.Minute)
	waitUntil(t, "the dropped reminder in /metrics", func() bool {
		_, metrics := get(t, base+"/metrics")
		return strings.Contains(metrics, `coachbot_reminders_total{outcome="dropped"} 1`)
	})
	if got := posts.Load(); got != attempts {
		t.Errorf("%d sends, want %d", got, attempts)
	}
	stop()

	store, err := boltstore.Open(filepath.Join(dir, "coachbot.db"), boltstore.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	dead, err := store.DeadLettered(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].User != user || dead[0].Kind != bot.Once || dead[0].Attempts != attempts {
		t.Fatalf("dead letters = %+v, want the one-off after %d attempts", dead, attempts)
	}
}

// waitUntil polls cond until it holds, failing the test after
// bottest.WaitLimit: a bound on a hang, not a timing assertion.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bottest.WaitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, bottest.WaitLimit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
