package redistest

import "os"

// The environment is read here, in a test helper, and nowhere else in this
// package. DESIGN §1's "only cmd/coachbot reads the environment" is about
// the program's configuration; these two switches only change how tests
// find a Redis, and .ci/run sets them.
const (
	envURL     = "COACH_TEST_REDIS_URL"     // use this server instead of starting one (it is wiped)
	envRequire = "COACH_TEST_REQUIRE_REDIS" // "1": a missing redis-server fails the test instead of skipping it
)

// externalURL returns the Redis that Start should use instead of starting
// one, or "".
func externalURL() string { return os.Getenv(envURL) }

// redisRequired reports whether a missing redis-server must fail the test.
func redisRequired() bool { return os.Getenv(envRequire) == "1" }
