package bot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sync/atomic"
)

// pseudonymKey keys HashUser; nil: the unkeyed hash.
var pseudonymKey atomic.Pointer[[]byte]

// pseudonymLabel separates the pseudonym key from the other uses of the
// secret (DESIGN §5: it also encrypts tokens and signs URLs).
const pseudonymLabel = "coachbot log pseudonyms"

// SetPseudonymKey keys HashUser with a key derived from secret
// (COACH_SECRET_KEY): an unkeyed hash of a member id can be recomputed by
// anyone who knows the id, which links a log line to a person; a keyed one
// only by whoever holds the secret. An empty secret goes back to the
// unkeyed hash. It is process-wide, set once at start-up before anything
// logs: the pseudonyms of one user before and after differ.
func SetPseudonymKey(secret []byte) {
	if len(secret) == 0 {
		pseudonymKey.Store(nil)
		return
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(pseudonymLabel))
	key := mac.Sum(nil)
	pseudonymKey.Store(&key)
}

// HashUser returns a short, stable pseudonym of id for logs, which must not
// say who did what: the first 6 bytes, in hex, of HMAC-SHA256 of the id
// under the key of SetPseudonymKey, or of its SHA-256 when none is set.
func HashUser(id UserID) string {
	var sum []byte
	if k := pseudonymKey.Load(); k != nil {
		mac := hmac.New(sha256.New, *k)
		mac.Write([]byte(id))
		sum = mac.Sum(nil)
	} else {
		s := sha256.Sum256([]byte(id))
		sum = s[:]
	}
	return hex.EncodeToString(sum[:6])
}
