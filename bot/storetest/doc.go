// Package storetest is the conformance suite of bot.Store: one set of tests
// that every implementation runs (the embedded bbolt store, Redis, a Redis
// Cluster), so that they are interchangeable behind the port, the way
// golang.org/x/net/nettest checks every net.Conn.
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) bot.Store {
//			s, err := boltstore.Open(filepath.Join(t.TempDir(), "coachbot.db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// The suite runs on the real wall clock, because a Redis store takes its time
// from the server (TIME) and cannot be handed a fake one. It therefore makes
// due reminders with times in the past and future ones far in the future,
// waits for short leases by polling with a generous bound, and never asserts
// how long anything took. It assumes the store's clock is within half a
// second of the test's (true for a store on this machine).
//
// It may import bot, the standard library and go-cmp only: it is linked into
// the tests of every store and must not drag an adapter's dependencies along.
package storetest
