package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coachbot/coachbot/adapters/redisstore/redistest"
)

// The end-to-end test builds the real coachbot, starts it with Slack (HTTP)
// and Discord (HTTP interactions) configured against a local fake of the
// platforms' APIs, and runs coachload against it as an operator would,
// briefly. It checks what was counted (no errors, only 200s, percentiles in
// order), never how fast anything was.

const e2eSecret = "e2e-signing-secret-0123456789abcdef"

// moduleRoot is the directory of go.mod, from `go env GOMOD`.
func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		t.Fatal("not in a module")
	}
	return filepath.Dir(gomod)
}

// buildCoachbot builds cmd/coachbot into a temp dir.
func buildCoachbot(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "coachbot")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/coachbot")
	cmd.Dir = moduleRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/coachbot: %v\n%s", err, out)
	}
	return bin
}

// syncBuffer is a bytes.Buffer that a child process writes to while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startCoachbot runs bin as a server with both platforms on a fake API and
// the given store settings, waits until /readyz says 200, and stops it
// with SIGTERM when the test ends. It returns the base URL and the pid.
func startCoachbot(t *testing.T, bin string, pub ed25519.PublicKey, store []string) (string, int) {
	t.Helper()
	fake := httptest.NewServer(&fakeAPI{})
	t.Cleanup(fake.Close)
	addr := freeAddr(t)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "COACH_") { // only this test configures coachbot
			env = append(env, kv)
		}
	}
	env = append(env,
		"COACH_HTTP_ADDR="+addr,
		"COACH_LOG_LEVEL=warn",
		"COACH_SLACK_BOT_TOKEN=xoxb-test",
		"COACH_SLACK_SIGNING_SECRET="+e2eSecret,
		"COACH_SLACK_API_URL="+fake.URL+"/api/",
		"COACH_DISCORD_TOKEN=test",
		"COACH_DISCORD_APP_ID=123",
		"COACH_DISCORD_MODE=http",
		"COACH_DISCORD_PUBLIC_KEY="+hex.EncodeToString(pub),
		"COACH_DISCORD_API_URL="+fake.URL+"/api/v10",
	)
	env = append(env, store...)
	cmd := exec.Command(bin)
	cmd.Env = env
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("coachbot after SIGTERM: %v", err)
			}
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Error("coachbot did not exit after SIGTERM")
		}
		if s := logs.String(); s != "" {
			t.Logf("coachbot's log (warnings and errors):\n%s", s)
		}
	})

	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return base, cmd.Process.Pid
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("coachbot exited: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("coachbot never got ready (%v)\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the coachbot binary")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := buildCoachbot(t)
	key := ed25519.NewKeyFromSeed(testSeed)
	pub := key.Public().(ed25519.PublicKey)

	stores := []struct {
		name string
		env  func(t *testing.T) []string
	}{
		// Redis is what production runs; redistest skips (or, under
		// COACH_TEST_REQUIRE_REDIS=1, fails) without a redis-server.
		{"redis", func(t *testing.T) []string {
			srv := redistest.Start(t)
			return []string{"COACH_REDIS_URL=" + srv.URL(), "COACH_DATA_DIR=" + t.TempDir()}
		}},
		// The embedded store needs nothing, so this runs everywhere.
		{"embedded", func(t *testing.T) []string { return []string{"COACH_DATA_DIR=" + t.TempDir()} }},
	}
	platforms := []struct {
		platform string
		rounds   int
		json     bool
		answers  bool // -baseline-answers
	}{
		{"slack", 2, false, false},
		{"discord", 1, true, false},
		{"slack", 1, false, true},
		{"discord", 1, false, true},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			base, pid := startCoachbot(t, bin, pub, st.env(t))
			for _, pt := range platforms {
				name := pt.platform
				if pt.answers {
					name += "/baseline-answers"
				}
				t.Run(name, func(t *testing.T) {
					cfg := DefaultConfig()
					cfg.URL, cfg.Platform, cfg.SlackSecret, cfg.DiscordKey = base, pt.platform, e2eSecret, key
					cfg.Concurrency, cfg.Duration, cfg.Warmup = 4, time.Second, 200*time.Millisecond
					cfg.Rounds, cfg.JSON, cfg.Self = pt.rounds, pt.json, self
					if pt.answers {
						// One line, which reads no state that the run
						// changes: every user gets the probe's answer.
						cfg.BaselineAnswers, cfg.Commands = true, []string{"roadmap next"}
					}

					checkAnswers(t, cfg)

					var out bytes.Buffer
					rep, err := Run(context.Background(), cfg, &out)
					t.Logf("coachload's output:\n%s", out.String())
					if err != nil {
						t.Fatal(err)
					}
					if pt.json {
						var got struct {
							Rounds []struct {
								Coachbot map[string]any
								Ratio    map[string]any
							}
						}
						if err := json.Unmarshal(out.Bytes(), &got); err != nil {
							t.Errorf("-json output is not JSON: %v", err)
						} else if len(got.Rounds) != pt.rounds || got.Rounds[0].Coachbot["p99_ms"] == nil || got.Rounds[0].Ratio["rps"] == nil {
							t.Errorf("-json output lacks the rounds, p99_ms or the ratio:\n%s", out.String())
						}
					} else if !strings.Contains(out.String(), "ratio     rps ") {
						t.Error("the text report has no ratio line")
					}
					checkReport(t, rep, pt.rounds)
					for _, r := range rep.Rounds {
						b, c := r.Baseline.AnswerBytes, r.Coachbot.AnswerBytes
						if pt.answers && (b != c || b < 1000) {
							t.Errorf("round %d: with -baseline-answers the baseline answered %d bytes, coachbot %d; want the same, a step's answer", r.Round, b, c)
						}
						if !pt.answers && b >= c {
							t.Errorf("round %d: the fixed baseline answered %d bytes, coachbot %d", r.Round, b, c)
						}
					}
					if runtime.GOOS == "linux" && rep.CoachbotPID != pid {
						t.Errorf("the report's coachbot is pid %d, want %d (the process listening on -url)", rep.CoachbotPID, pid)
					}
				})
			}
		})
	}
}

// checkAnswers sends each command line of the default mix once and checks
// that coachbot understood it: the requests are the platform's real shape.
func checkAnswers(t *testing.T, cfg Config) {
	t.Helper()
	var gen generator = newSlackGen(cfg.SlackSecret, cfg.Commands)
	if cfg.Platform == "discord" {
		g, err := newDiscordGen(cfg.DiscordKey, "", cfg.Commands, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		gen = g
	}
	var seq atomic.Uint64
	for _, a := range probe(context.Background(), cfg.URL+gen.path(), gen, &mix{lines: cfg.Commands, users: 1}, &seq, cfg.Timeout) {
		if a.Err != nil || a.Status != 200 {
			t.Errorf("%q: %d %v %s", a.Line, a.Status, a.Err, a.Body)
			continue
		}
		if ok, _ := gen.check(a.Body); !ok || bytes.Contains(a.Body, []byte("not quite")) {
			t.Errorf("%q: coachbot did not answer the command: %s", a.Line, a.Body)
		}
		if a.Line == "salary mid" && !bytes.Contains(a.Body, []byte("₹10 L – ₹14 L")) {
			t.Errorf("%q: the answer lacks the mid-level band: %s", a.Line, a.Body)
		}
	}
}

func checkReport(t *testing.T, rep *Report, rounds int) {
	t.Helper()
	if len(rep.Rounds) != rounds {
		t.Fatalf("%d rounds reported, want %d", len(rep.Rounds), rounds)
	}
	if rounds > 1 && (rep.Best == nil || rep.Median == nil) {
		t.Error("several rounds, but no best and median")
	}
	for _, w := range rep.Warnings {
		t.Errorf("warning: %s", w)
	}
	for _, r := range rep.Rounds {
		if r.Ratio == nil || r.Ratio.RPS <= 0 {
			t.Errorf("round %d: ratio %+v", r.Round, r.Ratio)
		}
		for _, res := range []*Result{r.Baseline, r.Coachbot} {
			if res == nil {
				t.Errorf("round %d: a phase is missing", r.Round)
				continue
			}
			what := fmt.Sprintf("%s round %d", res.Name, r.Round)
			if res.Requests == 0 || res.OK != res.Requests {
				t.Errorf("%s: %d requests, %d answered", what, res.Requests, res.OK)
			}
			if res.Errors() != 0 || res.Deferred != 0 || res.RateLimited != 0 {
				t.Errorf("%s: %d errors (%d non-2xx, %d bad bodies, %d timeouts, %d transport), %d deferred, %d rate-limited",
					what, res.Errors(), res.BadStatus, res.BadBody, res.Timeouts, res.Transport, res.Deferred, res.RateLimited)
			}
			if len(res.Statuses) != 1 || res.Statuses[200] != res.Requests {
				t.Errorf("%s: statuses %v, want only 200", what, res.Statuses)
			}
			if !(0 < res.P50 && res.P50 <= res.P90 && res.P90 <= res.P99 && res.P99 <= res.Max) {
				t.Errorf("%s: p50 %v p90 %v p99 %v max %v out of order", what, res.P50, res.P90, res.P99, res.Max)
			}
			if res.RPS <= 0 || res.Elapsed < res.Duration {
				t.Errorf("%s: %v req/s over %v", what, res.RPS, res.Elapsed)
			}
		}
	}
}
