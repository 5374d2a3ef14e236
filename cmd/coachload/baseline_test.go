package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coachbot/coachbot/adapters/redisstore/redistest"
)

// TestBaselineHandler: the Slack baseline answers whatever it is sent; the
// Discord baseline answers only a request signed with its key, fresh.
func TestBaselineHandler(t *testing.T) {
	key := ed25519.NewKeyFromSeed(testSeed)
	pub := key.Public().(ed25519.PublicKey)
	dg, err := newDiscordGen(key, "", []string{"tip"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sg := newSlackGen("s", []string{"tip"})
	signed := func(g generator, at time.Time) func() (string, []byte, http.Header) {
		return func() (string, []byte, http.Header) {
			body, h := g.newBuilder().build(1, 1, 0, at)
			return g.path(), body, h
		}
	}
	tests := []struct {
		name     string
		platform string
		req      func() (path string, body []byte, h http.Header)
		want     int
		wantBody []byte
	}{
		{"slack", "slack", signed(sg, time.Now()), 200, slackBaselineAnswer},
		{"slack unsigned", "slack", func() (string, []byte, http.Header) { return slackPath, []byte("text=tip"), http.Header{} }, 200, slackBaselineAnswer},
		{"slack too large", "slack", func() (string, []byte, http.Header) {
			return slackPath, bytes.Repeat([]byte("x"), maxBody+1), http.Header{}
		}, 413, nil},
		{"discord signed", "discord", signed(dg, time.Now()), 200, discordBaselineAnswer},
		{"discord stale", "discord", signed(dg, time.Now().Add(-6*time.Minute)), 401, nil},
		{"discord forged", "discord", func() (string, []byte, http.Header) {
			p, body, h := signed(dg, time.Now())()
			h.Set("X-Signature-Ed25519", strings.Repeat("00", ed25519.SignatureSize))
			return p, body, h
		}, 401, nil},
		{"discord unsigned", "discord", func() (string, []byte, http.Header) { return discordPath, []byte(`{}`), http.Header{} }, 401, nil},
		{"discord wrong path", "discord", func() (string, []byte, http.Header) { _, b, h := signed(dg, time.Now())(); return slackPath, b, h }, 404, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := baselineHandler(tt.platform, pub, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			path, body, hdr := tt.req()
			r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
			for k, v := range hdr {
				r.Header[k] = v
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.want, w.Body)
			}
			if tt.wantBody != nil && !bytes.Equal(w.Body.Bytes(), tt.wantBody) {
				t.Errorf("body %s, want %s", w.Body, tt.wantBody)
			}
		})
	}
	if _, err := baselineHandler("discord", nil, nil, nil); err == nil {
		t.Error("a Discord baseline without a key started")
	}
}

// TestBaselineAnswers: with canned answers (-baseline-answers) a request
// that names its command line gets coachbot's answer to it, with its
// content type; one that names none, or a line that is not there, gets the
// fixed answer.
func TestBaselineAnswers(t *testing.T) {
	pub := ed25519.NewKeyFromSeed(testSeed).Public().(ed25519.PublicKey)
	gens := map[string]generator{"slack": newSlackGen("s", []string{"tip"}), "discord": newTestDiscordGen(t, "tip")}
	fixed := map[string][]byte{"slack": slackBaselineAnswer, "discord": discordBaselineAnswer}
	answers := []cannedAnswer{
		{ContentType: "application/json", Body: []byte(`{"text":"line 0"}`)},
		{ContentType: "multipart/form-data; boundary=b", Body: []byte("--b\r\nline 1")},
	}
	tests := []struct {
		line     string // lineHeader's value; "" sends none
		wantType string
		wantBody func(platform string) []byte
	}{
		{"0", "application/json", func(string) []byte { return answers[0].Body }},
		{"1", answers[1].ContentType, func(string) []byte { return answers[1].Body }},
		{"", "application/json", func(p string) []byte { return fixed[p] }},
		{"2", "application/json", func(p string) []byte { return fixed[p] }},
		{"-1", "application/json", func(p string) []byte { return fixed[p] }},
		{"x", "application/json", func(p string) []byte { return fixed[p] }},
	}
	for platform, g := range gens {
		h, err := baselineHandler(platform, pub, nil, answers)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range tests {
			body, hdr := g.newBuilder().build(1, 1, 0, time.Now())
			r := httptest.NewRequest(http.MethodPost, g.path(), bytes.NewReader(body))
			r.Header = hdr
			if tt.line != "" {
				r.Header.Set(lineHeader, tt.line)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), tt.wantBody(platform)) || w.Header().Get("Content-Type") != tt.wantType {
				t.Errorf("%s, line %q: %d %q %s, want 200 %q %s", platform, tt.line, w.Code, w.Header().Get("Content-Type"), w.Body, tt.wantType, tt.wantBody(platform))
			}
		}
	}
}

// TestBaselineChild starts the baseline as Run does, in a child process
// (this test binary, see TestMain), sends it a signed request, and stops
// it.
func TestBaselineChild(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	key := ed25519.NewKeyFromSeed(testSeed)
	tests := []struct {
		platform string
		gen      generator
		pub      ed25519.PublicKey
	}{
		{"slack", newSlackGen("s", []string{"tip"}), nil},
		{"discord", func() generator { g, _ := newDiscordGen(key, "", []string{"tip"}, time.Now()); return g }(), key.Public().(ed25519.PublicKey)},
	}
	for _, tt := range tests {
		t.Run(tt.platform, func(t *testing.T) {
			c, err := startBaseline(self, baselineOptions{platform: tt.platform, pub: tt.pub})
			if err != nil {
				t.Fatal(err)
			}
			stopped := false
			defer func() {
				if !stopped {
					c.stop()
				}
			}()
			if c.cmd.Process.Pid == os.Getpid() {
				t.Fatal("the baseline runs in this process")
			}
			body, h := tt.gen.newBuilder().build(1, 1, 0, time.Now())
			req, _ := http.NewRequest(http.MethodPost, c.URL()+tt.gen.path(), bytes.NewReader(body))
			req.Header = h
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if ok, _ := tt.gen.check(got); res.StatusCode != 200 || !ok {
				t.Errorf("status %d, body %s", res.StatusCode, got)
			}
			c.stop()
			stopped = true
			select {
			case <-c.done:
			default:
				t.Error("the child still runs after stop")
			}
			if c.cmd.ProcessState == nil || !c.cmd.ProcessState.Exited() {
				t.Errorf("the child did not exit by itself when its stdin closed: %v", c.cmd.ProcessState)
			}
		})
	}
}

// TestBaselineReplayCheck: with -baseline-redis the baseline, a child
// process as in a run, checks every request on a real Redis: a request
// is answered once, its copy is refused, and each left one key.
func TestBaselineReplayCheck(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	srv := redistest.Start(t)
	key := ed25519.NewKeyFromSeed(testSeed)
	dg, err := newDiscordGen(key, "", []string{"tip"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		platform string
		gen      generator
		pub      ed25519.PublicKey
	}{
		{"slack", newSlackGen("s", []string{"tip"}), nil},
		{"discord", dg, key.Public().(ed25519.PublicKey)},
	}
	for i, tt := range tests {
		t.Run(tt.platform, func(t *testing.T) {
			c, err := startBaseline(self, baselineOptions{platform: tt.platform, pub: tt.pub, redisURL: srv.URL()})
			if err != nil {
				t.Fatal(err)
			}
			defer c.stop()
			body, h := tt.gen.newBuilder().build(uint64(i), 1, 0, time.Now())
			for n, want := range []int{http.StatusOK, http.StatusUnauthorized} {
				req, _ := http.NewRequest(http.MethodPost, c.URL()+tt.gen.path(), bytes.NewReader(body))
				req.Header = h.Clone()
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != want {
					t.Errorf("send %d: status %d (%s), want %d", n+1, res.StatusCode, got, want)
				}
			}
			keys, err := srv.Client().Keys(t.Context(), "coachload:seen:*").Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != i+1 {
				t.Errorf("Redis holds %d replay keys after %d requests, want %d", len(keys), i+1, i+1)
			}
		})
	}
}

// TestBaselineReplayCheckFails: when the replay check cannot be made the
// baseline answers 503: it has no answer that needs no check.
func TestBaselineReplayCheckFails(t *testing.T) {
	broken := func(context.Context, string) (bool, error) { return false, errors.New("no Redis") }
	h, err := baselineHandler("slack", nil, broken, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, slackPath, strings.NewReader("text=tip")))
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", w.Code)
	}
}

// TestBaselineChildFailure: a baseline that cannot start says why.
func TestBaselineChildFailure(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	_, err = startBaseline(self, baselineOptions{platform: "teams"})
	if err == nil || !strings.Contains(err.Error(), "unknown platform") {
		t.Errorf("error %v, want the child's complaint about the platform", err)
	}
}

// TestFakeAPI: the stand-in platform API answers the Discord command sync
// with a list and everything else with Slack's ok.
func TestFakeAPI(t *testing.T) {
	srv := httptest.NewServer(&fakeAPI{})
	defer srv.Close()
	tests := []struct{ method, path, want string }{
		{http.MethodPut, "/api/v10/applications/123/commands", "[]"},
		{http.MethodPost, "/api/conversations.open", `{"ok":true}`},
		{http.MethodPatch, "/api/v10/webhooks/123/tok/messages/@original", `{"ok":true}`},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader("{}"))
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(got) != tt.want {
			t.Errorf("%s %s = %d %s, want 200 %s", tt.method, tt.path, res.StatusCode, got, tt.want)
		}
	}
}
