package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// KeySize is the size of COACH_SECRET_KEY: 32 random bytes.
const KeySize = 32

// version is the first byte of every sealed value, so that a later format
// (another cipher, a rotated key) can be told apart.
const version = 1

// ErrOpen is returned for a sealed value that does not open: damaged,
// sealed under another key or for another context.
var ErrOpen = errors.New("seal: the value does not open under this key")

// Sealer seals and opens values under a key derived from the secret key.
// It is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

// New returns a Sealer for the secret key (KeySize bytes). The cipher's key
// is derived from it (Derive, "seal"), so the secret key itself never keys
// two algorithms.
func New(secret []byte) (*Sealer, error) {
	if len(secret) != KeySize {
		return nil, fmt.Errorf("seal: the secret key must be %d bytes, not %d", KeySize, len(secret))
	}
	block, err := aes.NewCipher(Derive(secret, "seal"))
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts and authenticates plain, bound to context (for example
// "slack-installation:T123"): the value opens only with the same context,
// so a sealed value copied to another workspace's key does not open. The
// result is the version byte, a random nonce and the ciphertext.
func (s *Sealer) Seal(plain []byte, context string) []byte {
	out := make([]byte, 1+s.aead.NonceSize(), 1+s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	out[0] = version
	_, _ = rand.Read(out[1:]) // crypto/rand.Read never fails since Go 1.24
	return s.aead.Seal(out, out[1:], plain, []byte(context))
}

// Open undoes Seal with the same context, or returns ErrOpen.
func (s *Sealer) Open(sealed []byte, context string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n+s.aead.Overhead() || sealed[0] != version {
		return nil, ErrOpen
	}
	plain, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(context))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// Derive returns the 32-byte key for one purpose (label) of the secret
// key: HMAC-SHA256(secret, "coachbot/" + label). Keys of different labels
// are independent, so OAuth state, sealing and log pseudonyms never share
// a key.
func Derive(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("coachbot/" + label))
	return m.Sum(nil)
}
