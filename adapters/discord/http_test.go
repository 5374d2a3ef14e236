package discord_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coachbot/coachbot/adapters/discord"
	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

// TestVerification: a request that fails verification is refused before
// anything is parsed or touched: no command runs, no user record is
// written, and the interaction id is not used up.
func TestVerification(t *testing.T) {
	const id = "1280000000000000001"
	body := payload(t, "interaction-command-guild.json", id, commandData([]string{"roadmap", "done"}, opt{"step", "1"}))
	sign := func(ts string, b []byte) string {
		return hex.EncodeToString(ed25519.Sign(privateKey, append([]byte(ts), b...)))
	}
	_, otherKey, _ := ed25519.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{9}, 64)))

	tests := []struct {
		name string
		req  func(e *env) *http.Request
		want int
	}{
		{"bad signature", func(e *env) *http.Request {
			r := signed(body, e.h.Clock.Now())
			sig := []byte(r.Header.Get("X-Signature-Ed25519"))
			if sig[10] == '0' { // still hex, no longer the signature
				sig[10] = '1'
			} else {
				sig[10] = '0'
			}
			r.Header.Set("X-Signature-Ed25519", string(sig))
			return r
		}, http.StatusUnauthorized},
		{"signed by another key", func(e *env) *http.Request {
			r := signed(body, e.h.Clock.Now())
			ts := r.Header.Get("X-Signature-Timestamp")
			r.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(otherKey, append([]byte(ts), body...))))
			return r
		}, http.StatusUnauthorized},
		{"signature over another body", func(e *env) *http.Request {
			r := signed(body, e.h.Clock.Now())
			ts := r.Header.Get("X-Signature-Timestamp")
			r.Header.Set("X-Signature-Ed25519", sign(ts, bytes.Replace(body, []byte(`"1"`), []byte(`"2"`), 1)))
			return r
		}, http.StatusUnauthorized},
		{"timestamp changed after signing", func(e *env) *http.Request {
			r := signed(body, e.h.Clock.Now())
			r.Header.Set("X-Signature-Timestamp", strconv.FormatInt(e.h.Clock.Now().Unix()-1, 10))
			return r
		}, http.StatusUnauthorized},
		{"stale timestamp", func(e *env) *http.Request { return signed(body, e.h.Clock.Now().Add(-6*time.Minute)) }, http.StatusUnauthorized},
		{"timestamp from the future", func(e *env) *http.Request { return signed(body, e.h.Clock.Now().Add(6*time.Minute)) }, http.StatusUnauthorized},
		{"timestamp not a number", func(e *env) *http.Request {
			ts := e.h.Clock.Now().Format(time.RFC3339)
			r := signed(body, e.h.Clock.Now())
			r.Header.Set("X-Signature-Timestamp", ts)
			r.Header.Set("X-Signature-Ed25519", sign(ts, body))
			return r
		}, http.StatusUnauthorized},
		{"missing signature", func(e *env) *http.Request {
			r := signed(body, e.h.Clock.Now())
			r.Header.Del("X-Signature-Ed25519")
			return r
		}, http.StatusUnauthorized},
		{"missing timestamp", func(e *env) *http.Request {
			r := signed(body, e.h.Clock.Now())
			r.Header.Del("X-Signature-Timestamp")
			return r
		}, http.StatusUnauthorized},
		{"missing headers", func(e *env) *http.Request {
			return httptest.NewRequest(http.MethodPost, "/discord/interactions", bytes.NewReader(body))
		}, http.StatusUnauthorized},
		{"signature not hex", func(e *env) *http.Request {
			r := signed(body, e.h.Clock.Now())
			r.Header.Set("X-Signature-Ed25519", strings.Repeat("zz", ed25519.SignatureSize))
			return r
		}, http.StatusUnauthorized},
		{"100 KiB body", func(e *env) *http.Request {
			big := append(bytes.TrimSuffix(body, []byte("}")), []byte(`,"padding":"`+strings.Repeat("x", 100<<10)+`"}`)...)
			return signed(big, e.h.Clock.Now())
		}, http.StatusRequestEntityTooLarge},
		{"GET", func(e *env) *http.Request {
			r := signed(body, e.h.Clock.Now())
			r.Method = http.MethodGet
			return r
		}, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			w := httptest.NewRecorder()
			e.a.ServeHTTP(w, tt.req(e))
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d (body %q)", w.Code, tt.want, w.Body)
			}
			checkUntouched(t, e)

			// The refused request did not use up the id: the real one works.
			if got := e.postOK(t, body); got.Data == nil || len(got.Data.Embeds) == 0 {
				t.Errorf("the genuine request after a refused one got %+v", got)
			}
			if n := e.commands.Load(); n != 1 {
				t.Errorf("%d commands ran, want 1", n)
			}
		})
	}
}

// checkUntouched fails if the bot ran a command or wrote a user record.
func checkUntouched(t *testing.T, e *env) {
	t.Helper()
	if n := e.commands.Load(); n != 0 {
		t.Errorf("the bot ran %d commands", n)
	}
	u, err := e.h.Store.User(context.Background(), bot.DiscordUser(guildUser))
	if err != nil {
		t.Fatal(err)
	}
	if !u.IsZero() {
		t.Errorf("the user's record was written: %+v", u)
	}
}

// TestReplay: the same interaction id is answered once; a replay, even
// correctly signed and fresh, gets 401 and runs nothing.
func TestReplay(t *testing.T) {
	e := newEnv(t)
	body := payload(t, "interaction-command-guild.json", "1280000000000000002", commandData([]string{"roadmap", "done"}, opt{"step", "1"}))
	e.postOK(t, body)
	e.h.Clock.Advance(time.Minute)
	w := e.post(t, body)
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("replay: status %d, want 401", w.Code)
	}
	if n := e.commands.Load(); n != 1 {
		t.Errorf("%d commands ran, want 1", n)
	}
	// A replay with a new signature and timestamp is still the same id.
	e.h.Clock.Advance(time.Minute)
	if w := e.post(t, body); w.Code != http.StatusUnauthorized {
		t.Errorf("re-signed replay: status %d, want 401", w.Code)
	}
}

// TestMalformed: a verified body that is no interaction is a bad request.
func TestMalformed(t *testing.T) {
	for _, body := range []string{`not json`, `{}`, `{"type": 2}`, `{"id": "1", "type": 0}`} {
		t.Run(body, func(t *testing.T) {
			e := newEnv(t)
			if w := e.post(t, []byte(body)); w.Code != http.StatusBadRequest {
				t.Errorf("status %d, want 400", w.Code)
			}
			checkUntouched(t, e)
		})
	}
}

// TestRefusalLogIsBounded: anyone can post forged requests; each refusal
// is a line of fixed strings, and a flood of them is a few lines.
func TestRefusalLogIsBounded(t *testing.T) {
	logs := bottest.NewBuffer()
	e := newEnv(t, func(c *discord.Config) { c.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
	body := payload(t, "interaction-command-guild.json", "1280000000000000009", commandData([]string{"salary"}, opt{"level", "mid"}))
	for range 51 {
		r := signed(body, e.h.Clock.Now())
		r.Header.Set("X-Signature-Ed25519", strings.Repeat("ab", ed25519.SignatureSize)) // hex, but not the signature
		w := httptest.NewRecorder()
		e.a.ServeHTTP(w, r)
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("forged request: status %d, want 401", w.Code)
		}
	}
	lines := strings.Count(logs.String(), "discord request refused")
	if lines == 0 || lines > 11 {
		t.Errorf("51 forged requests logged %d lines, want 1 to 11:\n%s", lines, logs)
	}
}
