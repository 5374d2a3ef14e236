// Package bot is coachbot's platform-neutral core: the command spec and its
// text parser, the router and the handlers, the Reply model that adapters
// render, the ports adapters implement (Store, Messenger, Clock and the
// optional Limiter, Deduper, DeadLetters, UserGate), coded errors, the
// reminder scheduler, and the user record with its one codec (record.go):
// everything kept about a user is one User, which stores keep as opaque
// bytes.
//
// It may import the standard library (never net/http: webhook plumbing is
// in adapters/internal) and github.com/coachbot/coachbot/content only. It
// never imports an adapter, a platform SDK or a database client: those
// depend on bot, not the other way round, so the core can be tested on
// buffers and a fake clock (see bottest).
package bot
