package webhook

import (
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Refusals logs the requests an endpoint refuses (a bad signature, a stale
// timestamp), which anyone on the internet can send: each line holds fixed
// strings only, never a header or body value, and the lines are
// rate-limited, so that a flood of forged requests cannot flood the log.
// It is safe for concurrent use.
type Refusals struct {
	log   *slog.Logger
	msg   string
	now   func() time.Time
	limit *rate.Limiter

	mu      sync.Mutex
	dropped int // refusals not logged since the last line
}

// Refusal log rate: a burst of refusalBurst lines, then one a second.
// Platforms send a forged request now and then to check that it is
// refused (Discord does); that is a line each time.
const (
	refusalBurst = 10
	refusalEvery = time.Second
)

// NewRefusals returns a Refusals logging msg to log. now is the clock the
// rate goes by (time.Now when nil).
func NewRefusals(log *slog.Logger, msg string, now func() time.Time) *Refusals {
	if now == nil {
		now = time.Now
	}
	return &Refusals{log: log, msg: msg, now: now, limit: rate.NewLimiter(rate.Every(refusalEvery), refusalBurst)}
}

// Refused logs one refusal of a request to the route pattern (the
// http.Request's Pattern, which the mux fixed, not the URL the client
// sent), for reason, which must be a constant of the adapter. A refusal
// over the rate is counted instead, and the next line says how many were
// not logged.
func (l *Refusals) Refused(pattern, reason string) {
	l.mu.Lock()
	if !l.limit.AllowN(l.now(), 1) {
		l.dropped++
		l.mu.Unlock()
		return
	}
	dropped := l.dropped
	l.dropped = 0
	l.mu.Unlock()
	if dropped > 0 {
		l.log.Info(l.msg, "route", pattern, "reason", reason, "unlogged", dropped)
		return
	}
	l.log.Info(l.msg, "route", pattern, "reason", reason)
}
