package bot_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
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
