package card

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/coachbot/coachbot/adapters/internal/seal"
	"github.com/coachbot/coachbot/bot"
)

// TokenTTL is how long a card URL works: a day, so a message's picture
// still loads when it is read later that day, and a leaked URL soon dies.
const TokenTTL = 24 * time.Hour

// ErrToken is returned for a card token that is malformed, tampered with,
// signed under another key or expired: all of them a 404, told apart only
// in tests.
var ErrToken = errors.New("card: bad or expired token")

// macSize is the bytes of HMAC-SHA256 a token keeps: 128 bits.
const macSize = 16

// Tokens makes and opens the tokens of card URLs (COACH_PUBLIC_URL/cards/
// {token}.png). A token holds its expiry and the user id encrypted
// (seal, AES-GCM), so it names no user to whoever sees the URL, and is
// signed with HMAC-SHA256 under a key derived for this purpose only. Any
// replica with the same COACH_SECRET_KEY opens it and draws the card from
// the store, so no replica needs another's memory. It is safe for
// concurrent use.
type Tokens struct {
	mac    []byte
	sealer *seal.Sealer
}

// NewTokens returns Tokens under the secret key (seal.KeySize bytes).
func NewTokens(secret []byte) (*Tokens, error) {
	s, err := seal.New(secret)
	if err != nil {
		return nil, fmt.Errorf("card: tokens: %w", err)
	}
	return &Tokens{mac: seal.Derive(secret, "card-url"), sealer: s}, nil
}

// Make returns a token for the user's card, valid until now + TokenTTL.
func (t *Tokens) Make(user bot.UserID, now time.Time) string {
	exp := binary.BigEndian.AppendUint64(nil, uint64(now.Add(TokenTTL).Unix()))
	raw := append(exp, t.sealer.Seal([]byte(user), t.context(exp))...)
	raw = append(raw, t.sign(raw)...)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// Open returns the user a token names, or ErrToken. It checks the
// signature before anything else, then the expiry, then decrypts.
func (t *Tokens) Open(token string, now time.Time) (bot.UserID, error) {
	if len(token) > 512 {
		return "", ErrToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) < 8+macSize+1 {
		return "", ErrToken
	}
	body, sig := raw[:len(raw)-macSize], raw[len(raw)-macSize:]
	if !hmac.Equal(sig, t.sign(body)) {
		return "", ErrToken
	}
	exp := body[:8]
	if now.Unix() >= int64(binary.BigEndian.Uint64(exp)) {
		return "", ErrToken
	}
	user, err := t.sealer.Open(body[8:], t.context(exp))
	if err != nil {
		return "", ErrToken
	}
	return bot.UserID(user), nil
}

func (t *Tokens) sign(b []byte) []byte {
	m := hmac.New(sha256.New, t.mac)
	m.Write(b)
	return m.Sum(nil)[:macSize]
}

// context binds the sealed user id to card URLs and to its expiry.
func (t *Tokens) context(exp []byte) string { return fmt.Sprintf("card-url:%x", exp) }
