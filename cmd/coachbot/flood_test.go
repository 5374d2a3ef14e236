package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMeasureUnverifiedConnections is a measurement, not a check: it runs
// a coachbot binary (COACH_MEASURE_BINARY) as a Slack server, opens
// COACH_MEASURE_CONNS connections (4000 by default) that each send only
// the headers of a signed-looking POST /slack/commands with
// Content-Length: 65536 and no body, and reports the server's heap (from
// its /metrics) and RSS (from /proc) before and while they are held.
// Issue 11 measured 3 MB → 335 MB of heap this way. Run it against two
// builds to compare:
//
//	go build -o /tmp/coachbot-new ./cmd/coachbot
//	COACH_MEASURE_BINARY=/tmp/coachbot-new go test -run TestMeasureUnverifiedConnections -v ./cmd/coachbot
//
// The binary's COACH_METRICS_ADDR is set, so /metrics answers on its own
// port while the public one is full; a binary without it serves /metrics
// on the public port, which is read instead.
func TestMeasureUnverifiedConnections(t *testing.T) {
	bin := os.Getenv("COACH_MEASURE_BINARY")
	if bin == "" {
		t.Skip("a measurement: set COACH_MEASURE_BINARY to a coachbot binary to run it")
	}
	conns := 4000
	if n, err := strconv.Atoi(os.Getenv("COACH_MEASURE_CONNS")); err == nil && n > 0 {
		conns = n
	}
	httpAddr, metricsAddr := freeLoopbackAddr(t), freeLoopbackAddr(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"COACH_HTTP_ADDR="+httpAddr, "COACH_METRICS_ADDR="+metricsAddr, "COACH_DATA_DIR="+t.TempDir(),
		"COACH_SLACK_BOT_TOKEN=xoxb-measure", "COACH_SLACK_SIGNING_SECRET=measure-secret",
		"COACH_SLACK_API_URL=http://127.0.0.1:9/api/", "COACH_LOG_LEVEL=error")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := client.Get("http://" + httpAddr + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// metrics reads the heap figures: from COACH_METRICS_ADDR, else (an
	// older binary) from the public port.
	metrics := func() map[string]float64 {
		var resp *http.Response
		var err error
		for _, a := range []string{metricsAddr, httpAddr} {
			if resp, err = client.Get("http://" + a + "/metrics"); err == nil && resp.StatusCode == 200 {
				break
			}
			if err == nil {
				resp.Body.Close()
			}
		}
		if err != nil {
			t.Fatalf("GET /metrics: %v", err)
		}
		defer resp.Body.Close()
		out := map[string]float64{}
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			name, value, ok := strings.Cut(sc.Text(), " ")
			if ok && (name == "go_memstats_heap_inuse_bytes" || name == "go_memstats_heap_alloc_bytes" || name == "go_goroutines") {
				out[name], _ = strconv.ParseFloat(value, 64)
			}
		}
		return out
	}
	rss := func() float64 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.Lines(string(b)) {
			if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
				return kb * 1024
			}
		}
		return 0
	}
	report := func(when string) {
		m := metrics()
		t.Logf("%-28s heap in use %6.1f MB, heap alloc %6.1f MB, RSS %6.1f MB, goroutines %5.0f",
			when, m["go_memstats_heap_inuse_bytes"]/1e6, m["go_memstats_heap_alloc_bytes"]/1e6, rss()/1e6, m["go_goroutines"])
	}
	report("before")

	ts := strconv.FormatInt(time.Now().Unix(), 10)
	head := "POST /slack/commands HTTP/1.1\r\nHost: coachbot\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
		"Content-Length: 65536\r\nX-Slack-Request-Timestamp: " + ts + "\r\nX-Slack-Signature: v0=" + strings.Repeat("ab", 32) + "\r\n\r\n"
	var (
		mu      sync.Mutex
		held    []net.Conn
		failed  int
		wg      sync.WaitGroup
		workers = make(chan struct{}, 200)
	)
	start := time.Now()
	for range conns {
		wg.Go(func() {
			workers <- struct{}{}
			defer func() { <-workers }()
			c, err := net.DialTimeout("tcp", httpAddr, 5*time.Second)
			if err == nil {
				_, err = io.WriteString(c, head)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
				if c != nil {
					c.Close()
				}
				return
			}
			held = append(held, c)
		})
	}
	wg.Wait()
	t.Logf("%d connections sent their headers in %s (%d failed)", len(held), time.Since(start).Round(time.Millisecond), failed)
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	// Let the server accept and read what it will; its body read times out
	// 10 s after a request began, so the figures are taken before that.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	<-ctx.Done()
	report(fmt.Sprintf("holding %d connections", len(held)))
	time.Sleep(2 * time.Second)
	report("2 s later")
}
