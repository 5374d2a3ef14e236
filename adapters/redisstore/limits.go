package redisstore

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/coachbot/coachbot/bot"
)

// The Deduper's and the Limiter's keys: coachbot:seen:{<key>} and
// coachbot:rate:{<key>}. Every call touches one key, so a Cluster runs it
// anywhere; the braces make the caller's key (up to its first "}") the
// hash tag, so that the two keys of one name share a slot.
const (
	seenPrefix = "coachbot:seen:{"
	ratePrefix = "coachbot:rate:{"
)

var (
	_ bot.Deduper = (*Store)(nil)
	_ bot.Limiter = (*Store)(nil)
)

// FirstSeen implements bot.Deduper on Redis, so that every replica shares
// the memory and a replayed request is refused by all of them. It is
// SET NX PX in a script that also recognises its own value: a call that
// go-redis resends after a lost reply finds the key it wrote itself and
// still reports the key as new, instead of refusing the one request that
// was really first.
func (s *Store) FirstSeen(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	// PX counts whole milliseconds: a shorter ttl would be refused by Redis.
	if ttl < time.Millisecond {
		return false, bot.Errorf(bot.Internal, "deduper: ttl must be at least 1ms, not %s", ttl)
	}
	ctx, cancel, err := s.begin(ctx, "dedupe")
	if err != nil {
		return false, err
	}
	defer cancel()
	n, err := s.runScript(ctx, seenScript, []string{seenPrefix + key + "}"}, randomHex(8), ttl.Milliseconds()).Int()
	if err != nil {
		return false, s.fail("dedupe", err)
	}
	return n == 1, nil
}

// Allow implements bot.Limiter on Redis with the same GCRA as
// bot.LocalLimits, in one script on Redis's clock (TIME), so that replicas
// with skewed clocks still share one bucket exactly. A call resent after a
// lost reply may take two events from the bucket: the limiter errs on the
// side of the platform's limit.
func (s *Store) Allow(ctx context.Context, key string, rate float64, burst int) (bool, time.Duration, error) {
	if rate <= 0 || burst < 1 {
		return false, 0, bot.Errorf(bot.Internal, "limiter: rate must be > 0 and burst >= 1")
	}
	ctx, cancel, err := s.begin(ctx, "rate limit")
	if err != nil {
		return false, 0, err
	}
	defer cancel()
	interval, tolerance := gcraArgs(rate, burst)
	res, err := s.runScript(ctx, allowScript, []string{ratePrefix + key + "}"}, interval, tolerance).Int64Slice()
	if err != nil {
		return false, 0, s.fail("rate limit", err)
	}
	if len(res) != 2 {
		return false, 0, s.fail("rate limit", fmt.Errorf("allow script returned %d values", len(res)))
	}
	if res[0] == 1 {
		return true, 0, nil
	}
	return false, time.Duration(res[1]) * time.Microsecond, nil
}

// gcraArgs returns the gcra script's interval and tolerance in µs. The
// script counts in microseconds (TIME's resolution; Unix µs fit a Lua
// double exactly): a rate above a million per second is no limit.
func gcraArgs(rate float64, burst int) (interval, tolerance int64) {
	interval = max(time.Duration(float64(time.Second)/rate).Microseconds(), 1)
	return interval, int64(burst-1) * interval
}

// RouteLogs sends go-redis's own log lines (a failed dial, a pool that
// could not reconnect) to l at Debug level. go-redis otherwise prints them
// to stderr, one per attempt, which buries the bot's own log while Redis is
// down; the store's errors already say so, coded Unavailable. The logger
// is global to go-redis: call RouteLogs once, from main, before Open.
func RouteLogs(l *slog.Logger) {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	redis.SetLogger(redisLog{l})
}

// redisLog adapts a slog.Logger to go-redis's logging interface.
type redisLog struct{ l *slog.Logger }

// Printf implements go-redis's internal.Logging.
func (r redisLog) Printf(ctx context.Context, format string, v ...any) {
	if ctx == nil {
		ctx = context.Background()
	}
	r.l.DebugContext(ctx, strings.TrimSpace(fmt.Sprintf(format, v...)), "source", "go-redis")
}
