package webhook_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/coachbot/coachbot/adapters/internal/webhook"
	"github.com/coachbot/coachbot/bot"
)

// failingReader gives some bytes, then a network error.
type failingReader struct{ sent bool }

func (f *failingReader) Read(p []byte) (int, error) {
	if !f.sent {
		f.sent = true
		return copy(p, "team_id=T1&"), nil
	}
	return 0, errors.New("connection reset by peer")
}

// TestReadBody covers both ways a body can be too big (declared, or
// streamed without a length) and a body that breaks off.
func TestReadBody(t *testing.T) {
	tests := []struct {
		name   string
		body   io.Reader
		length int64 // Content-Length; -1 for unknown (chunked)
		status int
		want   int // bytes read, when status is 200
	}{
		{"small", strings.NewReader(strings.Repeat("x", 100)), 100, http.StatusOK, 100},
		{"empty", strings.NewReader(""), 0, http.StatusOK, 0},
		{"at the cap", strings.NewReader(strings.Repeat("x", webhook.MaxBodyBytes)), webhook.MaxBodyBytes, http.StatusOK, webhook.MaxBodyBytes},
		{"declared over the cap", strings.NewReader("x"), webhook.MaxBodyBytes + 1, http.StatusRequestEntityTooLarge, 0},
		{"at the cap, unknown length", strings.NewReader(strings.Repeat("x", webhook.MaxBodyBytes)), -1, http.StatusOK, webhook.MaxBodyBytes},
		{"over the cap, unknown length", strings.NewReader(strings.Repeat("x", webhook.MaxBodyBytes+1)), -1, http.StatusRequestEntityTooLarge, 0},
		{"100 KiB, unknown length", strings.NewReader(strings.Repeat("x", 100<<10)), -1, http.StatusRequestEntityTooLarge, 0},
		{"broken off", &failingReader{}, -1, http.StatusBadRequest, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", tt.body)
			r.ContentLength = tt.length
			w := httptest.NewRecorder()
			body, ok := webhook.ReadBody(w, r)
			if ok != (tt.status == http.StatusOK) {
				t.Fatalf("ok = %v, want it for status %d", ok, tt.status)
			}
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d", w.Code, tt.status)
			}
			if ok && len(body) != tt.want {
				t.Errorf("read %d bytes, want %d", len(body), tt.want)
			}
		})
	}
}

// TestWriteJSON: answers are whole, with their length (no chunking), and
// a value that cannot be encoded is a 500, not half a body.
func TestWriteJSON(t *testing.T) {
	big := strings.Repeat("é<&>", 2000) // larger than net/http's chunking threshold
	for _, tc := range []struct {
		name   string
		v      any
		status int
		body   string
	}{
		{"small", map[string]int{"type": 1}, 200, "{\"type\":1}\n"},
		{"big", map[string]string{"text": big}, 200, ""},
		{"unencodable", map[string]any{"c": make(chan int)}, 500, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				webhook.WriteJSON(w, tc.v)
			}))
			defer srv.Close()
			resp, err := http.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.status != 200 {
				return
			}
			if resp.ContentLength != int64(len(body)) || len(resp.TransferEncoding) != 0 {
				t.Errorf("Content-Length %d, transfer encoding %v, body %d bytes: want a whole answer with its length",
					resp.ContentLength, resp.TransferEncoding, len(body))
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if tc.body != "" && string(body) != tc.body {
				t.Errorf("body %q, want %q", body, tc.body)
			}
			var back map[string]string
			if tc.name == "big" {
				if err := json.Unmarshal(body, &back); err != nil || back["text"] != big {
					t.Errorf("the big answer does not decode to what was sent: %v", err)
				}
			}
		})
	}
}

// TestWriteCachedJSON: under a key the first encoding is kept and sent
// again; without one every answer is encoded afresh.
func TestWriteCachedJSON(t *testing.T) {
	var cache bot.Cache[[]byte]
	answer := func(key string, v any) string {
		w := httptest.NewRecorder()
		if err := webhook.WriteCachedJSON(w, &cache, key, v); err != nil {
			t.Fatal(err)
		}
		if w.Header().Get("Content-Length") != strconv.Itoa(w.Body.Len()) {
			t.Errorf("Content-Length %q for %d bytes", w.Header().Get("Content-Length"), w.Body.Len())
		}
		return strings.TrimSpace(w.Body.String())
	}
	for _, tc := range []struct {
		key  string
		v    any
		want string
	}{
		{"salary mid", map[string]int{"n": 1}, `{"n":1}`},
		{"salary mid", map[string]int{"n": 2}, `{"n":1}`}, // kept
		{"", map[string]int{"n": 3}, `{"n":3}`},
		{"", map[string]int{"n": 4}, `{"n":4}`},
	} {
		if got := answer(tc.key, tc.v); got != tc.want {
			t.Errorf("key %q: answer %s, want %s", tc.key, got, tc.want)
		}
	}
	w := httptest.NewRecorder()
	if err := webhook.WriteCachedJSON(w, &cache, "broken", map[string]any{"c": make(chan int)}); err == nil || w.Code != http.StatusInternalServerError {
		t.Errorf("an unencodable answer: err %v, status %d; want an error and 500", err, w.Code)
	}
	if got := answer("broken", map[string]int{"n": 5}); got != `{"n":5}` {
		t.Errorf("after a failed encoding the key kept %s; want nothing kept", got)
	}
}

// TestReadBodyHoldsWhatArrived: the buffer of an unverified body grows with
// the bytes that arrive, not with the Content-Length the sender claims.
// 4,000 connections that declared 64 KiB and sent nothing took the heap
// from 3 MB to 335 MB when it was sized from the header.
func TestReadBodyHoldsWhatArrived(t *testing.T) {
	for _, tc := range []struct {
		name     string
		declared int64
		sent     int
	}{
		{"nothing of 64 KiB", webhook.MaxBodyBytes, 0},
		{"10 bytes of 64 KiB", webhook.MaxBodyBytes, 10},
		{"10 bytes of 8 KiB", 8 << 10, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", tc.sent)))
			r.ContentLength = tc.declared
			body, ok := webhook.ReadBody(httptest.NewRecorder(), r)
			if !ok || len(body) != tc.sent {
				t.Fatalf("ReadBody = %d bytes, %v; want %d, true", len(body), ok, tc.sent)
			}
			const most = 4 << 10 // DESIGN §6: a few KiB
			if c := cap(body); c > most {
				t.Errorf("the buffer holds %d bytes for %d sent (%d declared), want at most %d", c, tc.sent, tc.declared, most)
			}
		})
	}
}
