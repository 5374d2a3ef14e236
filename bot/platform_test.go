package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

func TestReadBody(t *testing.T) {
	tests := []struct {
		name   string
		size   int
		status int
	}{
		{"small", 100, http.StatusOK},
		{"at the cap", bot.MaxBodyBytes, http.StatusOK},
		{"over the cap", bot.MaxBodyBytes + 1, http.StatusRequestEntityTooLarge},
		{"100 KiB", 100 << 10, http.StatusRequestEntityTooLarge},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := bot.ReadBody(w, r)
		if !ok {
			return
		}
		io.WriteString(w, string(rune('0'+len(body)%10)))
	}))
	defer srv.Close()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(srv.URL, "text/plain", strings.NewReader(strings.Repeat("x", tt.size)))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
}

func TestDMChannelIsCached(t *testing.T) {
	store := bottest.NewMemStore(bot.SystemClock{})
	ctx := context.Background()
	opens := 0
	open := func(context.Context) (string, error) { opens++; return "D123", nil }
	for range 3 {
		ch, err := bot.DMChannel(ctx, store, "test:a", open)
		if err != nil || ch != "D123" {
			t.Fatalf("DMChannel = %q, %v", ch, err)
		}
	}
	if opens != 1 {
		t.Errorf("opened %d times, want once", opens)
	}
	if err := bot.ForgetDMChannel(ctx, store, "test:a"); err != nil {
		t.Fatal(err)
	}
	bot.DMChannel(ctx, store, "test:a", open)
	if opens != 2 {
		t.Errorf("after ForgetDMChannel opened %d times, want 2", opens)
	}
	boom := errors.New("platform down")
	if _, err := bot.DMChannel(ctx, store, "test:b", func(context.Context) (string, error) { return "", boom }); !errors.Is(err, boom) {
		t.Errorf("err = %v, want the platform's", err)
	}
	if u, _ := store.User(ctx, "test:b"); !u.IsZero() {
		t.Error("a failed open wrote a record")
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
				bot.WriteJSON(w, tc.v)
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
		if err := bot.WriteCachedJSON(w, &cache, key, v); err != nil {
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
}
