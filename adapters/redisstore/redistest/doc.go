// Package redistest starts real redis-server processes for tests: a single
// node on a free loopback port in a temporary folder (append-only file on,
// so that a server killed with SIGKILL and restarted keeps its data), or a
// small Redis Cluster of several masters. Tests of adapters/redisstore use
// it, and so may any test that needs a Redis (cmd/coachbot's end-to-end
// tests).
//
// It exists because the things worth testing on Redis (Lua scripts, hash
// slots on a Cluster, a server that dies and comes back) cannot be faked
// faithfully by an in-memory imitation.
//
// When redis-server (or, for a Cluster, redis-cli) is not installed, Start
// and StartCluster skip the test with a message saying how to run it,
// unless COACH_TEST_REQUIRE_REDIS=1 is set (as .ci/run does), which turns
// the skip into a failure. COACH_TEST_REDIS_URL points Start at an existing
// server instead of starting one: that server is wiped (FLUSHALL) by every
// Start, so never point it at one holding data you want to keep, and run
// one package's tests against it at a time (go test -p 1).
//
// It may import the standard library, go-redis and testing helpers; never
// bot or an adapter, so that any package's tests can use it.
package redistest
