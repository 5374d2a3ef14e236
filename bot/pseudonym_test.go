package bot_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/coachbot/coachbot/bot"
)

// TestHashUserKeyed: with a key set, a pseudonym is HMAC-SHA256 under a key
// derived from the secret, not the SHA-256 anyone can recompute from a
// member id; another secret gives another pseudonym; no secret goes back
// to the unkeyed hash.
func TestHashUserKeyed(t *testing.T) {
	t.Cleanup(func() { bot.SetPseudonymKey(nil) })
	const id = bot.UserID("slack:T0001:U2147483697")
	sum := sha256.Sum256([]byte(id))
	unkeyed := hex.EncodeToString(sum[:6])
	bot.SetPseudonymKey(nil)
	if got := bot.HashUser(id); got != unkeyed {
		t.Fatalf("unkeyed HashUser = %s, want %s", got, unkeyed)
	}
	keyed := func(secret []byte) string {
		derive := hmac.New(sha256.New, secret)
		derive.Write([]byte("coachbot log pseudonyms"))
		mac := hmac.New(sha256.New, derive.Sum(nil))
		mac.Write([]byte(id))
		return hex.EncodeToString(mac.Sum(nil)[:6])
	}
	a, b := make([]byte, 32), make([]byte, 32)
	b[0] = 1
	bot.SetPseudonymKey(a)
	if got := bot.HashUser(id); got != keyed(a) || got == unkeyed {
		t.Errorf("HashUser under key a = %s, want %s (unkeyed %s)", got, keyed(a), unkeyed)
	}
	bot.SetPseudonymKey(b)
	if got := bot.HashUser(id); got != keyed(b) || got == keyed(a) {
		t.Errorf("HashUser under key b = %s, want %s", got, keyed(b))
	}
	bot.SetPseudonymKey(nil)
	if got := bot.HashUser(id); got != unkeyed {
		t.Errorf("HashUser after the key is removed = %s, want %s", got, unkeyed)
	}
}
