package bot

import "time"

// Clock is the bot's source of the current time, so tests can run on a fake
// one (see bottest.Clock).
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }
