package slack_test

import (
	"bytes"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coachbot/coachbot/adapters/internal/card"
	coachslack "github.com/coachbot/coachbot/adapters/slack"
)

// cardImage returns the URL of the answer's progress-card image block, ""
// when it has none.
func cardImage(m map[string]any) string {
	blocks, _ := m["blocks"].([]any)
	for _, b := range blocks {
		b, _ := b.(map[string]any)
		if b["type"] == "image" && b["block_id"] == "progress-card" {
			u, _ := b["image_url"].(string)
			return u
		}
	}
	return ""
}

// get fetches path from the adapter's running server.
func (e *env) get(path string) (*http.Response, []byte) {
	e.t.Helper()
	res, err := e.srv.Client().Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return res, b
}

// TestProgressCardImage: over HTTP with a public URL and a secret key,
// `progress` carries an image block whose URL is
// COACH_PUBLIC_URL/cards/{token}.png; the running server serves the PNG
// there with cache headers, until the token expires a day later; a
// tampered or foreign token is a 404. The token names no user.
func TestProgressCardImage(t *testing.T) {
	e := newEnv(t, func(c *coachslack.Config) { c.PublicURL, c.SecretKey = "https://coach.example.com/", secretKey })
	e.h.User = formUserID
	e.h.MakeLearner()
	m := e.slash("/coach", "progress")
	u := cardImage(m)
	if !strings.HasPrefix(u, "https://coach.example.com/cards/") || !strings.HasSuffix(u, ".png") {
		t.Fatalf("image block URL %q, want https://coach.example.com/cards/{token}.png; answer %v", u, m)
	}
	if strings.Contains(u, formUser) || strings.Contains(u, formTeam) {
		t.Errorf("card URL %s names the user", u)
	}
	parsed, _ := url.Parse(u)
	path := parsed.Path

	res, body := e.get(path)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", "/cards/…", res.StatusCode, body)
	}
	for k, want := range map[string]string{"Content-Type": "image/png", "Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"} {
		if got := res.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != card.Width || b.Dy() != card.Height {
		t.Errorf("card is %v", b)
	}
	t.Logf("GET /cards/{token}.png: %d, %s, %d bytes", res.StatusCode, res.Header.Get("Content-Type"), len(body))

	tok := strings.TrimSuffix(strings.TrimPrefix(path, "/cards/"), ".png")
	tampered := []byte(tok)
	tampered[len(tampered)/2] ^= 1 // stays base64url: flips a letter's case or a digit
	other, _ := card.NewTokens(bytes.Repeat([]byte{9}, 32))
	for name, p := range map[string]string{
		"tampered":    "/cards/" + string(tampered) + ".png",
		"another key": "/cards/" + other.Make(formUserID, e.h.Clock.Now()) + ".png",
		"no .png":     "/cards/" + tok,
		"garbage":     "/cards/..%2f..%2fetc.png",
		"empty":       "/cards/.png",
	} {
		if res, _ := e.get(p); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s token: status %d, want 404", name, res.StatusCode)
		}
	}
	e.h.Clock.Advance(card.TokenTTL - time.Minute)
	if res, _ := e.get(path); res.StatusCode != http.StatusOK {
		t.Errorf("a minute before expiry: status %d, want 200", res.StatusCode)
	}
	e.h.Clock.Advance(time.Minute)
	if res, _ := e.get(path); res.StatusCode != http.StatusNotFound {
		t.Errorf("expired token: status %d, want 404", res.StatusCode)
	}
	// A user who asked to be forgotten has no card either.
	e.h.Clock.Set(e.h.Clock.Now().Add(-time.Hour))
	e.h.SayAs(formUserID, "forget")
	e.h.SayAs(formUserID, "forget confirm")
	if u, _ := e.h.Store.User(t.Context(), formUserID); !u.IsZero() {
		t.Fatal("forget kept the user")
	}
	if res, _ := e.get(path); res.StatusCode != http.StatusNotFound {
		t.Errorf("after forget: status %d, want 404", res.StatusCode)
	}
}

// TestProgressCardImageOff: without a public URL there is no image block,
// and no /cards endpoint.
func TestProgressCardImageOff(t *testing.T) {
	e := newEnv(t)
	e.h.User = formUserID
	e.h.MakeLearner()
	if u := cardImage(e.slash("/coach", "progress")); u != "" {
		t.Errorf("image block %q without COACH_PUBLIC_URL", u)
	}
	if res, _ := e.get("/cards/x.png"); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /cards/x.png: %d, want 404", res.StatusCode)
	}
}
