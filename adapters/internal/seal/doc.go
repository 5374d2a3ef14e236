// Package seal encrypts what the platform adapters keep that works as a
// credential (a workspace's OAuth tokens) and derives the other keys they
// need, all from the one COACH_SECRET_KEY: AES-256-GCM for sealing,
// HMAC-SHA256 for deriving.
//
// Sealing binds a value to a context string (the workspace it belongs
// to), so a value copied under another workspace's key does not open;
// each sealed value starts with a format version byte.
//
// It may import the standard library only. Go's internal rule keeps it for
// the packages under adapters/.
package seal
