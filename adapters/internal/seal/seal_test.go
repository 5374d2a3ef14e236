package seal_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/coachbot/coachbot/adapters/internal/seal"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, seal.KeySize) }

func TestSealOpen(t *testing.T) {
	s, err := seal.New(key(1))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := seal.New(key(2))
	plain := []byte(`{"bot_token":"xoxb-secret"}`)
	sealed := s.Seal(plain, "slack-installation:T1")
	if bytes.Contains(sealed, []byte("xoxb")) {
		t.Fatalf("the sealed value shows the plain text: %q", sealed)
	}
	if again := s.Seal(plain, "slack-installation:T1"); bytes.Equal(again, sealed) {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	got, err := s.Open(sealed, "slack-installation:T1")
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	for name, c := range map[string]struct {
		s       *seal.Sealer
		sealed  []byte
		context string
	}{
		"other key":     {other, sealed, "slack-installation:T1"},
		"other context": {s, sealed, "slack-installation:T2"},
		"flipped bit":   {s, flipped, "slack-installation:T1"},
		"truncated":     {s, sealed[:10], "slack-installation:T1"},
		"empty":         {s, nil, "slack-installation:T1"},
	} {
		if _, err := c.s.Open(c.sealed, c.context); !errors.Is(err, seal.ErrOpen) {
			t.Errorf("%s: Open err = %v, want ErrOpen", name, err)
		}
	}
}

func TestNewKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := seal.New(make([]byte, n)); err == nil {
			t.Errorf("New accepted a %d-byte key", n)
		}
	}
}

func TestDeriveSeparatesPurposes(t *testing.T) {
	a, b := seal.Derive(key(1), "seal"), seal.Derive(key(1), "slack-oauth-state")
	if bytes.Equal(a, b) || len(a) != 32 || bytes.Equal(a, key(1)) {
		t.Errorf("Derive: %x, %x", a, b)
	}
	if !bytes.Equal(a, seal.Derive(key(1), "seal")) {
		t.Error("Derive is not deterministic")
	}
}
