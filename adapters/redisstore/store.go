package redisstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/coachbot/coachbot/bot"
)

const (
	// DefaultShards is how many shards the reminder indexes are split into
	// when Options.Shards is 0.
	DefaultShards = 16

	// Short client timeouts and a single retry bound every command to well
	// under the 2.5 s a chat command has, even when Redis is gone: a dial
	// and a read of 500 ms, tried twice.
	defaultDialTimeout = 500 * time.Millisecond
	defaultIOTimeout   = 500 * time.Millisecond

	// callTimeout caps one store call (UpdateUser's retries included) when
	// the caller's context allows longer.
	callTimeout = 2 * time.Second

	// layoutVersion names this key layout; metaKey records it with the
	// shard count, so that a store opened with another count (which would
	// look for every user in the wrong shard) refuses to start, and so
	// that Open knows to migrate the layout of the release before
	// (legacy.go).
	layoutVersion = "2"
	metaKey       = "coachbot:layout"
)

// Options configures Open. Set URL for one server, or Addrs for a Cluster
// (several addresses) or, with MasterName, for Sentinel.
type Options struct {
	URL        string   // redis:// or rediss:// URL of one server (COACH_REDIS_URL)
	Addrs      []string // host:port of Cluster nodes or Sentinels (COACH_REDIS_ADDRS)
	MasterName string   // the Sentinel master name (COACH_REDIS_MASTER)

	// Username and Password authenticate to Addrs; a URL carries its own.
	Username, Password string

	// Client timeouts; zero takes the defaults (500 ms each), which keep a
	// call with Redis gone well inside a chat command's 2.5 s.
	DialTimeout, ReadTimeout, WriteTimeout time.Duration

	// Shards is how many shards the reminder indexes are split into
	// (DefaultShards when 0). It is fixed for a dataset: Open refuses a
	// Redis that was first used with another count.
	Shards int

	// Logger receives what Reconcile repairs and what a migration did;
	// nil discards it.
	Logger *slog.Logger

	// NoAutoPipeline sends every call on its own round trip, as before the
	// pipeliner (pipeline.go) existed: for measurements only.
	NoAutoPipeline bool
}

// Store is the Redis implementation of bot.Store. It is safe for concurrent
// use, and any number of processes may share one Redis.
type Store struct {
	rdb      redis.UniversalClient
	prefixes []string // per shard: "{c<s>}:"
	log      *slog.Logger
	where    string        // the address, for messages; never the password
	rotate   atomic.Uint32 // where the next ClaimDue starts
	pipe     *autoPipe     // nil when Options.NoAutoPipeline
	closed   atomic.Bool   // Close has run: a second Close does nothing
}

var _ bot.Store = (*Store)(nil)

// Open connects to Redis, checks that it answers and that its data was
// laid out for the same shard count, migrates data the release before
// wrote (layout version 1; see doc.go), and returns the store. A
// migration runs within ctx, however long it takes; everything else
// within 2 s. Whoever opens the store should call Reconcile once after
// Open, at start-up, to repair any reminder that fell out of the index.
func Open(ctx context.Context, o Options) (*Store, error) {
	client, where, err := newClient(o)
	if err != nil {
		return nil, err
	}
	s := New(client, o)
	s.where = where
	pctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	if err := s.rdb.Ping(pctx).Err(); err != nil {
		client.Close()
		// Redis answered, but not to these credentials: "cannot reach"
		// would send the operator looking at the network. The server's
		// answer (NOAUTH, WRONGPASS) never holds the password.
		if redis.IsAuthError(err) {
			return nil, bot.WrapError(bot.Invalid, fmt.Errorf("redisstore: open %s: %w", where, err),
				fmt.Sprintf("Redis at %s refused the credentials (authentication failed): check the user name and password in COACH_REDIS_URL (or COACH_REDIS_ADDRS)", where))
		}
		return nil, bot.WrapError(bot.Unavailable, fmt.Errorf("redisstore: open %s: %w", where, err),
			fmt.Sprintf("cannot reach Redis at %s: check COACH_REDIS_URL (or COACH_REDIS_ADDRS) and that Redis is running", where))
	}
	if err := s.checkLayout(ctx); err != nil {
		client.Close()
		return nil, err
	}
	return s, nil
}

// newClient builds the go-redis client for o and names where it points.
func newClient(o Options) (redis.UniversalClient, string, error) {
	dial := orDefault(o.DialTimeout, defaultDialTimeout)
	read := orDefault(o.ReadTimeout, defaultIOTimeout)
	write := orDefault(o.WriteTimeout, read)
	switch {
	case o.URL != "" && len(o.Addrs) > 0:
		return nil, "", bot.Errorf(bot.Invalid, "Set either a Redis URL or Redis addresses, not both.")
	case o.URL != "":
		opt, err := redis.ParseURL(o.URL)
		if err != nil {
			// url.Error repeats the URL, password and all: keep only why.
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return nil, "", bot.WrapError(bot.Invalid, fmt.Errorf("redisstore: %w", err),
				"The Redis URL is not valid: it must look like redis://[user:password@]host:port[/db].")
		}
		if o.DialTimeout > 0 || opt.DialTimeout == 0 {
			opt.DialTimeout = dial
		}
		if o.ReadTimeout > 0 || opt.ReadTimeout == 0 {
			opt.ReadTimeout = read
		}
		if o.WriteTimeout > 0 || opt.WriteTimeout == 0 {
			opt.WriteTimeout = write
		}
		opt.ContextTimeoutEnabled = true
		opt.MaxRetries = 1
		opt.DialerRetries = 1
		return redis.NewClient(opt), opt.Addr, nil
	case len(o.Addrs) > 0:
		where := strings.Join(o.Addrs, ",")
		if o.MasterName != "" {
			where = fmt.Sprintf("master %s via %s", o.MasterName, where)
		}
		return redis.NewUniversalClient(&redis.UniversalOptions{
			Addrs:                 o.Addrs,
			MasterName:            o.MasterName,
			Username:              o.Username,
			Password:              o.Password,
			DialTimeout:           dial,
			ReadTimeout:           read,
			WriteTimeout:          write,
			ContextTimeoutEnabled: true,
			MaxRetries:            1,
			DialerRetries:         1,
		}), where, nil
	}
	return nil, "", bot.Errorf(bot.Invalid, "No Redis configured: set a Redis URL or Redis addresses.")
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// New returns a store on an existing client, for tests and for callers that
// configure go-redis themselves. It does no I/O: unlike Open it neither
// pings nor checks the recorded shard count. The client should have
// ContextTimeoutEnabled and short timeouts, as Open's has. Close closes it.
func New(client redis.UniversalClient, o Options) *Store {
	shards := o.Shards
	if shards <= 0 {
		shards = DefaultShards
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{rdb: client, log: log, where: "redis"}
	if !o.NoAutoPipeline {
		s.pipe = newAutoPipe(client)
	}
	for i := range shards {
		s.prefixes = append(s.prefixes, "{c"+strconv.Itoa(i)+"}:")
	}
	// Replicas start their ClaimDue rotation at different shards.
	s.rotate.Store(mrand.Uint32())
	return s
}

// checkLayout records this layout in a Redis that has none, migrates one
// of layout version 1, and refuses any other, or another shard count.
func (s *Store) checkLayout(ctx context.Context) error {
	for {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		got, err := layoutScript.Run(cctx, s.rdb, []string{metaKey}, layoutVersion, len(s.prefixes)).StringSlice()
		cancel()
		if err != nil {
			return s.fail("check layout", err)
		}
		if len(got) == 2 && got[1] == strconv.Itoa(len(s.prefixes)) {
			switch got[0] {
			case layoutVersion:
				return nil
			case legacyVersion:
				if err := s.migrate(ctx); err != nil {
					return err
				}
				continue
			}
		}
		return bot.WrapError(bot.Internal,
			fmt.Errorf("redisstore: %s: layout %q, this coachbot writes version %s with %d shards", metaKey, got, layoutVersion, len(s.prefixes)),
			fmt.Sprintf("The Redis at %s holds coachbot data laid out differently (%s = %v); this coachbot uses layout %s with %d shards.",
				s.where, metaKey, got, layoutVersion, len(s.prefixes)))
	}
}

// layoutScript records the layout version and shard count on first use
// and returns what is recorded. KEYS: the meta hash. ARGV: version, shards.
var layoutScript = redis.NewScript(`
redis.call('HSETNX', KEYS[1], 'version', ARGV[1])
redis.call('HSETNX', KEYS[1], 'shards', ARGV[2])
return redis.call('HMGET', KEYS[1], 'version', 'shards')
`)

// Close waits for the pipelines in flight, stops their workers and
// closes the client. Only the first call does anything; later ones return
// nil, so that a deferred Close after an explicit one (main's shutdown
// path, a test's cleanup) is harmless.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	if s.pipe != nil {
		s.pipe.close()
	}
	if err := s.rdb.Close(); err != nil {
		return s.fail("close", err)
	}
	return nil
}

// Ping reports whether Redis answers; on a Cluster, every master must.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel, err := s.begin(ctx, "ping")
	if err != nil {
		return err
	}
	defer cancel()
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			return c.Ping(ctx).Err()
		})
	} else {
		err = s.rdb.Ping(ctx).Err()
	}
	if err != nil {
		return s.fail("ping", err)
	}
	return nil
}

// begin refuses a call whose context is already done (so that it changes
// nothing) and caps the call's time. A context that ends within the cap
// already (a command's: the bot bounds each store call) is used as it is:
// a timer of our own would never fire first, and under load each context
// with a timer is a measurable share of a command's CPU.
func (s *Store) begin(ctx context.Context, op string) (context.Context, context.CancelFunc, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, s.fail(op, err)
	}
	if d, ok := ctx.Deadline(); ok && time.Until(d) <= callTimeout {
		return ctx, func() {}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	return ctx, cancel, nil
}

// fail codes an error for bot.Store's callers: an error that already
// carries a code keeps it, Redis not answering (or busy loading, failing
// over, out of memory) is Unavailable with no message of its own, so that
// the user reads the friendly default, and anything else (a script error,
// a record that does not decode) is Internal.
func (s *Store) fail(op string, err error) error {
	var be *bot.Error
	switch {
	case errors.As(err, &be):
		return fmt.Errorf("redisstore: %s: %w", op, err)
	case unavailable(err):
		return bot.WrapError(bot.Unavailable, fmt.Errorf("redisstore: %s: %w", op, err), "")
	default:
		return bot.WrapError(bot.Internal, fmt.Errorf("redisstore: %s: %w", op, err), "")
	}
}

// unavailable reports whether err means that Redis did not answer, or
// answered that it cannot serve right now: worth trying again later.
func unavailable(err error) bool {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, redis.ErrClosed), errors.Is(err, redis.ErrPoolTimeout),
		redis.IsLoadingError(err), redis.IsClusterDownError(err), redis.IsTryAgainError(err),
		redis.IsMasterDownError(err), redis.IsReadOnlyError(err), redis.IsMaxClientsError(err),
		redis.IsOOMError(err), redis.IsNoReplicasError(err):
		return true
	}
	return false
}

// sortedKeys returns a map's keys in order, for stable output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
