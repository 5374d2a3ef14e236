package bot

import (
	"context"
	"sync"
	"time"
)

// Deduper remembers keys for a while. Without a Gate the bot refuses a
// replayed request (Inbound.Once) with it; when the store is shared
// (Redis), so is the memory, and a replay is refused by every replica.
type Deduper interface {
	// FirstSeen records key for ttl and reports whether it was new.
	FirstSeen(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// Limiter is a rate limiter over named buckets (GCRA: an event every
// 1/rate seconds on average, bursts of up to burst). Replicas sharing a
// Redis share its buckets, so a platform's global limit holds for all of
// them together.
type Limiter interface {
	// Allow takes one event from the bucket key. When none is left it
	// returns false and how long until one will be.
	Allow(ctx context.Context, key string, rate float64, burst int) (ok bool, wait time.Duration, err error)
}

// ReplayWindow is how long a signed request's key (Inbound.Once) is
// remembered. Slack and Discord both refuse a signature more than five
// minutes from their clock, so a replay must arrive within five minutes of
// the request on either side of ours: twice that covers every one.
const ReplayWindow = 10 * time.Minute

// ErrReplayed is what Serve returns for a request whose key it has seen
// before: a signed request captured and sent again. Nothing has run.
var ErrReplayed = Errorf(Invalid, "This request was already answered.")

// UserGate is implemented by stores that can admit a command in one round
// trip (Redis: one script on the user's shard): refuse a replayed request,
// take one command from the user's rate-limit bucket, and read the user's
// record. The bot uses it for every command when it is wired (Config.Gate).
type UserGate interface {
	// Admit remembers once for ReplayWindow unless it is empty. A key seen
	// before gives Admission{Replayed: true} and takes nothing from the
	// bucket. Otherwise it takes one event from the user's command bucket
	// (GCRA, as Limiter.Allow, at r) and returns the user's record whether
	// or not the event was allowed.
	Admit(ctx context.Context, id UserID, once string, r Rate) (Admission, error)
}

// Admission is what a UserGate decided about one command.
type Admission struct {
	Replayed bool          // once was seen before: refuse the request
	Allowed  bool          // the user's bucket had room for the command
	Wait     time.Duration // until it will have room, when not Allowed
	User     User          // the user's record (the zero User, with ID, if none)
}

// LocalLimits is an in-process Deduper and Limiter, for a single process
// (the embedded store, tests). Its memory is bounded: expired keys are
// swept as new ones arrive.
type LocalLimits struct {
	clock Clock

	mu     sync.Mutex
	seen   map[string]time.Time // key -> expiry
	tat    map[string]time.Time // bucket -> theoretical arrival time (GCRA)
	writes int
}

// NewLocalLimits returns empty limits on clock (nil: the system clock).
func NewLocalLimits(clock Clock) *LocalLimits {
	if clock == nil {
		clock = SystemClock{}
	}
	return &LocalLimits{clock: clock, seen: map[string]time.Time{}, tat: map[string]time.Time{}}
}

// FirstSeen implements Deduper.
func (l *LocalLimits) FirstSeen(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, WrapError(Unavailable, err, "")
	}
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	if exp, ok := l.seen[key]; ok && now.Before(exp) {
		return false, nil
	}
	l.seen[key] = now.Add(ttl)
	return true, nil
}

// Allow implements Limiter with the generic cell rate algorithm: each event
// pushes the bucket's theoretical arrival time (TAT) on by 1/rate, and an
// event is allowed while the TAT is at most burst intervals ahead of now.
func (l *LocalLimits) Allow(ctx context.Context, key string, rate float64, burst int) (bool, time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return false, 0, WrapError(Unavailable, err, "")
	}
	if rate <= 0 || burst < 1 {
		return false, 0, Errorf(Internal, "limiter: rate must be > 0 and burst >= 1")
	}
	now := l.clock.Now()
	interval := time.Duration(float64(time.Second) / rate)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	tat := l.tat[key]
	if tat.Before(now) {
		tat = now
	}
	allowAt := tat.Add(-time.Duration(burst-1) * interval)
	if now.Before(allowAt) {
		return false, allowAt.Sub(now), nil
	}
	l.tat[key] = tat.Add(interval)
	return true, 0, nil
}

// sweep drops expired entries every so often, so memory follows the number
// of live keys, not of keys ever seen.
func (l *LocalLimits) sweep(now time.Time) {
	l.writes++
	if l.writes%1024 != 0 {
		return
	}
	for k, exp := range l.seen {
		if !now.Before(exp) {
			delete(l.seen, k)
		}
	}
	for k, tat := range l.tat {
		if !now.Before(tat) {
			delete(l.tat, k)
		}
	}
}
