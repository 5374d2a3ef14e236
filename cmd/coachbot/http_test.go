package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coachbot/coachbot/adapters/redisstore/redistest"
	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

// serveMain runs m as a server on a free loopback port and returns its
// base URL; the server stops when the test ends.
func serveMain(t *testing.T, m *Main) string {
	t.Helper()
	m.Config.HTTPAddr = "127.0.0.1:0"
	base, _ := startMain(t, m)
	return base
}

// startMain runs m as a server and returns its base URL and a function
// that stops it and waits until it has (it is also a cleanup).
func startMain(t *testing.T, m *Main) (base string, stop func()) {
	t.Helper()
	ready := make(chan string, 1)
	m.httpReady = ready
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, nil) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run = %v", err)
				}
			case <-time.After(bottest.WaitLimit):
				t.Error("Run did not stop")
			}
			if err := m.Close(); err != nil {
				t.Errorf("Close = %v", err)
			}
		})
	}
	t.Cleanup(stop)
	select {
	case addr := <-ready:
		return "http://" + addr, stop
	case err := <-done:
		t.Fatalf("Run = %v", err)
	case <-time.After(bottest.WaitLimit):
		t.Fatal("the HTTP server did not start")
	}
	return "", stop
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestHTTPEndpoints(t *testing.T) {
	m, _, stderr := newMain(t.TempDir())
	base := serveMain(t, m)
	// The log names the address really bound, not the configured ":0".
	stderr.WaitFor(t, "http="+strings.TrimPrefix(base, "http://"))

	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz = %d %q", code, body)
	}
	m.Bot.Handle(context.Background(), "console:ana", "roadmap next")
	m.Bot.Handle(context.Background(), "console:ana", "salary wizard")
	code, metrics := get(t, base+"/metrics")
	for _, want := range []string{
		`coachbot_commands_total{command="roadmap next",outcome="ok"} 1`,
		`coachbot_commands_total{command="salary",outcome="invalid"} 1`,
		`coachbot_command_duration_seconds_count{command="roadmap next"} 1`,
		`coachbot_reminders_total{outcome="sent"} 0`,
		`coachbot_reminders_total{outcome="dropped"} 0`,
		"# TYPE coachbot_reminder_lag_seconds histogram",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics (%d) lacks %q", code, want)
		}
	}
	// A delivered reminder is counted, with its lag.
	m.Bot.SetMessenger("console", newCountingMessenger())
	m.Bot.Handle(context.Background(), "console:ana", "remind in 1m")
	if err := putReminder(context.Background(), m.Store, bot.Reminder{User: "console:ana", Kind: bot.Once, Zone: "UTC", Next: time.Now().Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	if st, err := m.Bot.DeliverDue(context.Background()); err != nil || st.Sent != 1 {
		t.Fatalf("DeliverDue = %+v, %v", st, err)
	}
	_, metrics = get(t, base+"/metrics")
	for _, want := range []string{`coachbot_reminders_total{outcome="sent"} 1`, "coachbot_reminder_lag_seconds_count 1"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q after a delivery", want)
		}
	}
	if strings.Contains(metrics, "ana") {
		t.Error("/metrics names a user")
	}
	if code, _ := get(t, base+"/nope"); code != http.StatusNotFound {
		t.Errorf("/nope = %d", code)
	}
	resp, err := http.Post(base+"/healthz", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz = %d, want 405", resp.StatusCode)
	}
}

// TestReadyzFollowsTheStore: /readyz says 503 while Redis is down and 200
// again once it is back, without a restart; /healthz stays 200 throughout.
func TestReadyzFollowsTheStore(t *testing.T) {
	srv := redistest.Start(t)
	m, _, _ := newMain(t.TempDir())
	m.Config.RedisURL = srv.URL()
	base := serveMain(t, m)

	if code, _ := get(t, base+"/readyz"); code != 200 {
		t.Fatalf("/readyz = %d with Redis up", code)
	}
	srv.Kill()
	// An answer is reused for up to readyFor: wait for the next ping.
	deadline := time.Now().Add(bottest.WaitLimit)
	for {
		code, body := get(t, base+"/readyz")
		if code == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz = %d %q with Redis down, want 503", code, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d with Redis down: the process itself is fine", code)
	}
	code, metrics := get(t, base+"/metrics")
	if !strings.Contains(metrics, `coachbot_store_errors_total{code="unavailable",op="ping"}`) {
		t.Errorf("/metrics (%d) does not count the failed pings", code)
	}
	srv.Restart()
	deadline = time.Now().Add(bottest.WaitLimit)
	for {
		code, _ := get(t, base+"/readyz")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d after Redis came back", code)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSIGTERM runs the real binary as a server and stops it with SIGTERM:
// it exits 0, promptly.
func TestSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the coachbot binary")
	}
	bin := filepath.Join(t.TempDir(), "coachbot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "COACH_HTTP_ADDR="+addr, "COACH_DATA_DIR="+t.TempDir(), "COACH_REDIS_URL=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	deadline := time.Now().Add(bottest.WaitLimit)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server never answered: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		t.Logf("exited %v after SIGTERM", time.Since(start).Round(time.Millisecond))
		if err != nil {
			t.Errorf("exit after SIGTERM: %v, want status 0", err)
		}
	case <-time.After(bottest.WaitLimit):
		t.Fatal("coachbot did not exit after SIGTERM")
	}
}

// TestHealthcheckVerb: `coachbot healthcheck` (the image's HEALTHCHECK)
// succeeds against a live server, whichever way COACH_HTTP_ADDR names it,
// and fails when nothing listens.
func TestHealthcheckVerb(t *testing.T) {
	m, _, _ := newMain(t.TempDir())
	base := serveMain(t, m)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(base, "http://"))

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()

	for _, tc := range []struct {
		addr   string
		wantOK bool
	}{
		{"127.0.0.1:" + port, true},
		{":" + port, true},
		{"0.0.0.0:" + port, true},
		{closed, false},
		{"no-port", false},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			hc, _, _ := newMain(t.TempDir())
			hc.Config.HTTPAddr = tc.addr
			err := hc.Run(t.Context(), []string{"healthcheck"})
			if (err == nil) != tc.wantOK {
				t.Errorf("healthcheck on %s = %v, want ok=%v", tc.addr, err, tc.wantOK)
			}
		})
	}
}

// TestMetricsAddr: with COACH_METRICS_ADDR set, /metrics is served there
// (with /healthz and /readyz, for probes and scrapers on a private port)
// and not on COACH_HTTP_ADDR, the public port.
func TestMetricsAddr(t *testing.T) {
	clearEnv(t)
	metricsAddr := freeLoopbackAddr(t)
	t.Setenv("COACH_HTTP_ADDR", "127.0.0.1:0")
	t.Setenv("COACH_METRICS_ADDR", metricsAddr)
	t.Setenv("COACH_DATA_DIR", t.TempDir())
	cfg, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	m := &Main{Config: cfg, Stdin: strings.NewReader(""), Stdout: bottest.NewBuffer(), Stderr: bottest.NewBuffer(), User: "ana"}
	base, _ := startMain(t, m)
	if code, body := get(t, base+"/metrics"); code != http.StatusNotFound {
		t.Errorf("the public port answers /metrics with %d, want 404:\n%.200s", code, body)
	}
	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("the public port's /healthz = %d %q", code, body)
	}
	// The metrics server may start a moment after the public one.
	var resp *http.Response
	deadline := time.Now().Add(bottest.WaitLimit)
	for {
		resp, err = http.Get("http://" + metricsAddr + "/metrics")
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("GET /metrics on COACH_METRICS_ADDR: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "coachbot_reminders_total") {
		t.Errorf("COACH_METRICS_ADDR /metrics = %d:\n%.200s", resp.StatusCode, body)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, _ := get(t, "http://"+metricsAddr+path); code != 200 {
			t.Errorf("COACH_METRICS_ADDR %s = %d, want 200", path, code)
		}
	}
	if code, _ := get(t, "http://"+metricsAddr+"/slack/commands"); code != http.StatusNotFound {
		t.Errorf("COACH_METRICS_ADDR /slack/commands = %d, want 404: the private port serves no platform", code)
	}
}

// freeLoopbackAddr returns a loopback address that was free a moment ago.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestMaxConns: with COACH_MAX_CONNS=2, two connections that are still
// sending their headers hold both places, and a third is served only once
// one of them is gone (it waits in the listen queue meanwhile), so a flood
// of idle connections cannot hold more than the cap's memory.
func TestMaxConns(t *testing.T) {
	clearEnv(t)
	t.Setenv("COACH_HTTP_ADDR", "127.0.0.1:0")
	t.Setenv("COACH_MAX_CONNS", "2")
	t.Setenv("COACH_DATA_DIR", t.TempDir())
	cfg, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	m := &Main{Config: cfg, Stdin: strings.NewReader(""), Stdout: bottest.NewBuffer(), Stderr: bottest.NewBuffer(), User: "ana"}
	base, _ := startMain(t, m)
	addr := strings.TrimPrefix(base, "http://")
	dial := func() net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// Two slow senders: headers begun, never finished.
	slow := []net.Conn{dial(), dial()}
	for _, c := range slow {
		if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: coachbot\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	third := dial()
	if _, err := io.WriteString(third, "GET /healthz HTTP/1.1\r\nHost: coachbot\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	// While both places are held the third gets no answer. (A wait that
	// can only make this check weaker on a slow machine, never fail it.)
	third.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	var b [64]byte
	if n, err := third.Read(b[:]); err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the third connection was served while two held the places: %q, %v", b[:n], err)
	}
	slow[0].Close()
	third.SetReadDeadline(time.Now().Add(bottest.WaitLimit))
	answer, err := io.ReadAll(third)
	if err != nil || !strings.HasPrefix(string(answer), "HTTP/1.1 200 OK") {
		t.Errorf("the third connection after a place came free: %q, %v; want 200 OK", answer, err)
	}
}

// pingCounter counts the store pings /readyz makes.
type pingCounter struct {
	bot.Store
	n atomic.Int64
}

func (p *pingCounter) Ping(ctx context.Context) error { p.n.Add(1); return p.Store.Ping(ctx) }

// TestReadyzPingsAtMostOnceASecond: /readyz may be public, and a flood of
// calls costs Redis at most one PING per readyFor.
func TestReadyzPingsAtMostOnceASecond(t *testing.T) {
	store := &pingCounter{Store: bottest.NewMemStore(nil)}
	srv := httptest.NewServer(newHTTPHandler(store, newMetrics(), false))
	defer srv.Close()
	start := time.Now()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 25 {
				if code, _ := get(t, srv.URL+"/readyz"); code != 200 {
					t.Errorf("/readyz = %d", code)
				}
			}
		})
	}
	wg.Wait()
	allowed := 1 + int64(time.Since(start)/readyFor)
	if n := store.n.Load(); n < 1 || n > allowed {
		t.Errorf("200 calls to /readyz pinged the store %d times, want 1 to %d", n, allowed)
	}
}
