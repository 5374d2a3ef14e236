package card_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coachbot/coachbot/adapters/internal/card"
	"github.com/coachbot/coachbot/bot"
)

func TestTokens(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	tk, err := card.NewTokens(key)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := card.NewTokens(bytes.Repeat([]byte{8}, 32))
	user := bot.SlackUser("T0123", "U0456")
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	tok := tk.Make(user, now)
	if strings.Contains(tok, "U0456") || strings.Contains(tok, "T0123") {
		t.Fatalf("token %s names the user", tok)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	if bytes.Contains(raw, []byte("U0456")) {
		t.Fatal("token holds the user id in clear")
	}
	flip := func(i int) string {
		b := bytes.Clone(raw)
		b[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	tests := []struct {
		name  string
		tk    *card.Tokens
		token string
		at    time.Time
		want  bot.UserID
	}{
		{"fresh", tk, tok, now, user},
		{"just before expiry", tk, tok, now.Add(card.TokenTTL - time.Second), user},
		{"expired", tk, tok, now.Add(card.TokenTTL), ""},
		{"expiry changed", tk, flip(7), now, ""},
		{"sealed id changed", tk, flip(20), now, ""},
		{"signature changed", tk, flip(len(raw) - 1), now, ""},
		{"another key", other, tok, now, ""},
		{"empty", tk, "", now, ""},
		{"not base64", tk, "%%%.png", now, ""},
		{"too short", tk, "AAAA", now, ""},
		{"too long", tk, strings.Repeat("A", 600), now, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.tk.Open(tt.token, tt.at)
			if got != tt.want {
				t.Errorf("Open = %q, %v; want %q", got, err, tt.want)
			}
			if tt.want == "" && !errors.Is(err, card.ErrToken) {
				t.Errorf("err %v, want ErrToken", err)
			}
		})
	}
	if tk.Make(user, now) == tok {
		t.Error("two tokens for one user are the same: the URL would link the user's messages")
	}
}
