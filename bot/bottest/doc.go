// Package bottest runs the real bot in tests: a fake clock, an in-memory
// Store that passes the same conformance suite as the real ones, and a
// Messenger that records direct messages.
//
// It may import bot, content and the standard library. Only tests import it.
package bottest
