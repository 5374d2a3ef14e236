package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
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
	// look for every user in the wrong shard) refuses to start.
	layoutVersion = "1"
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

	// Logger receives what Reconcile repairs; nil discards it.
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
	acks     *ackBatcher
	pipe     *autoPipe   // nil when Options.NoAutoPipeline
	closed   atomic.Bool // Close has run: a second Close does nothing
}

var _ bot.Store = (*Store)(nil)

// Open connects to Redis, checks that it answers (within ctx) and that its
// data was laid out for the same shard count, and returns the store.
// Whoever opens the store should call Reconcile once after Open, at
// start-up, to repair any reminder that fell out of the indexes.
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
		return nil, bot.WrapError(bot.Unavailable, fmt.Errorf("redisstore: open %s: %w", where, err),
			fmt.Sprintf("cannot reach Redis at %s: check COACH_REDIS_URL (or COACH_REDIS_ADDRS) and that Redis is running", where))
	}
	if err := s.checkLayout(pctx); err != nil {
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
	s := &Store{rdb: client, log: log, where: "redis", acks: newAckBatcher(client)}
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

func (s *Store) checkLayout(ctx context.Context) error {
	got, err := layoutScript.Run(ctx, s.rdb, []string{metaKey}, layoutVersion, len(s.prefixes)).StringSlice()
	if err != nil {
		return s.fail("check layout", err)
	}
	if len(got) != 2 || got[0] != layoutVersion || got[1] != strconv.Itoa(len(s.prefixes)) {
		return bot.WrapError(bot.Internal,
			fmt.Errorf("redisstore: %s: layout %q, this coachbot writes version %s with %d shards", metaKey, got, layoutVersion, len(s.prefixes)),
			fmt.Sprintf("The Redis at %s holds coachbot data laid out differently (%s = %v); this coachbot uses layout %s with %d shards.",
				s.where, metaKey, got, layoutVersion, len(s.prefixes)))
	}
	return nil
}

// shard returns the shard of a user: FNV-1a of the id, so that every
// replica agrees without asking Redis.
func (s *Store) shard(id bot.UserID) int {
	h := fnv.New32a()
	_, _ = io.WriteString(h, string(id))
	return int(h.Sum32() % uint32(len(s.prefixes)))
}

// userKey returns the prefix of the user's shard and the key of their hash.
func (s *Store) userKey(id bot.UserID) (prefix, key string) {
	p := s.prefixes[s.shard(id)]
	return p, p + "u:" + shortID(id)
}

// Close waits for the acks and pipelines in flight, stops their workers and
// closes the client. Only the first call does anything; later ones return
// nil, so that a deferred Close after an explicit one (main's shutdown
// path, a test's cleanup) is harmless.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	s.acks.close()
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

// User returns the user's record, or User{ID: id} when there is none.
func (s *Store) User(ctx context.Context, id bot.UserID) (bot.User, error) {
	if err := id.Validate(); err != nil {
		return bot.User{}, err
	}
	ctx, cancel, err := s.begin(ctx, "read user")
	if err != nil {
		return bot.User{}, err
	}
	defer cancel()
	_, key := s.userKey(id)
	fields, err := s.hGetAll(ctx, key).Result()
	if err != nil {
		return bot.User{}, s.fail("read user", err)
	}
	u, err := decodeUser(id, fields)
	if err != nil {
		return bot.User{}, s.fail("read user", err)
	}
	return u, nil
}

// UpdateUser reads the record, applies fn in this process and writes the
// result only if the record is still as read (casScript); otherwise it
// reads again and calls fn again. Each attempt names its write with a
// random id, so that a write go-redis resends after a lost reply is
// recognised as done instead of sending fn round again. Changes to the user's reminders do not
// count as a change: the compare covers the record's fields only.
func (s *Store) UpdateUser(ctx context.Context, id bot.UserID, fn func(*bot.User) error) (bot.User, error) {
	if err := id.Validate(); err != nil {
		return bot.User{}, err
	}
	ctx, cancel, err := s.begin(ctx, "update user")
	if err != nil {
		return bot.User{}, err
	}
	defer cancel()
	prefix, key := s.userKey(id)
	for attempt := 0; ; attempt++ {
		fields, err := s.hGetAll(ctx, key).Result()
		if err != nil {
			return bot.User{}, s.fail("update user", err)
		}
		u, err := decodeUser(id, fields)
		if err != nil {
			return bot.User{}, s.fail("update user", err)
		}
		created := u.Created
		if err := fn(&u); err != nil {
			return bot.User{}, err
		}
		// The store owns these: fn cannot move a record to another id or
		// rewrite its history. They are bookkeeping shown to the user, not
		// scheduling, so this process's clock is good enough.
		now := time.Now().UTC().Truncate(time.Millisecond)
		if created.IsZero() {
			created = now
		}
		u.ID, u.Created, u.Updated = id, created, now

		args := []any{0}
		n := 0
		for f, v := range fields {
			if isUserField(f) {
				args = append(args, f, v)
				n++
			}
		}
		args[0] = n
		for f, v := range userFields(u) {
			args = append(args, f, v)
		}
		wkey := prefix + "w:" + newTokenPrefix()
		res, err := casScript.Run(ctx, s.rdb, []string{key, wkey}, args...).Int()
		if err != nil {
			return bot.User{}, s.fail("update user", err)
		}
		if res != 0 {
			return u, nil
		}
		// Someone else wrote the record between our read and write. Back
		// off a little, growing, so that many writers of one user (a
		// retried button press from several replicas) do not keep
		// colliding.
		if attempt > 0 {
			pause := time.Duration(mrand.Int64N(int64(min(attempt, 20)) * int64(time.Millisecond)))
			select {
			case <-ctx.Done():
				return bot.User{}, s.fail("update user", ctx.Err())
			case <-time.After(pause):
			}
		}
	}
}

// PutReminder replaces the reminder of r.Kind in one script, which also
// takes the old one out of whichever index held it: a claim on the old one
// finds its token gone at Ack and is stale.
func (s *Store) PutReminder(ctx context.Context, r bot.Reminder) error {
	if err := r.Validate(); err != nil {
		return err
	}
	ctx, cancel, err := s.begin(ctx, "put reminder")
	if err != nil {
		return err
	}
	defer cancel()
	prefix, key := s.userKey(r.User)
	code := kindCode(r.Kind)
	w := encodeReminder(r)
	keys := []string{prefix + "due", prefix + "lease", key}
	if w.indexAt != "" {
		keys = append(keys, prefix+"b:"+w.indexAt)
	}
	args := append([]any{prefix, code, member(shortID(r.User), code), w.indexAt, w.score}, strs(w.fields)...)
	if err := putScript.Run(ctx, s.rdb, keys, args...).Err(); err != nil {
		return s.fail("put reminder", err)
	}
	return nil
}

// DeleteReminder removes the reminder and its index entry; a claim on it
// finds nothing at Ack and is stale.
func (s *Store) DeleteReminder(ctx context.Context, id bot.UserID, kind bot.ReminderKind) error {
	if err := id.Validate(); err != nil {
		return err
	}
	if err := kind.Validate(); err != nil {
		return err
	}
	ctx, cancel, err := s.begin(ctx, "delete reminder")
	if err != nil {
		return err
	}
	defer cancel()
	prefix, key := s.userKey(id)
	code := kindCode(kind)
	err = deleteScript.Run(ctx, s.rdb, []string{prefix + "due", prefix + "lease", key}, prefix, code, member(shortID(id), code)).Err()
	if err != nil {
		return s.fail("delete reminder", err)
	}
	return nil
}

// Reminders returns the user's reminders ordered by Kind.
func (s *Store) Reminders(ctx context.Context, id bot.UserID) ([]bot.Reminder, error) {
	if err := id.Validate(); err != nil {
		return nil, err
	}
	ctx, cancel, err := s.begin(ctx, "list reminders")
	if err != nil {
		return nil, err
	}
	defer cancel()
	_, key := s.userKey(id)
	fields, err := s.hGetAll(ctx, key).Result()
	if err != nil {
		return nil, s.fail("list reminders", err)
	}
	rs, err := decodeReminders(id, fields)
	if err != nil {
		return nil, s.fail("list reminders", err)
	}
	return rs, nil
}

// ClaimDue visits the shards in turn, starting one further along at every
// call, and claims from each (one script call per shard, up to the
// remaining limit) until it has limit claims or has seen every shard.
// Within a shard the earliest due come first; across shards the rotation
// shares the work fairly, so under a backlog the order is only roughly
// earliest first.
func (s *Store) ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]bot.Claim, error) {
	if limit <= 0 {
		return nil, bot.Errorf(bot.Invalid, "ClaimDue needs a positive limit, not %d.", limit)
	}
	// Leases are kept in milliseconds: a shorter one would end as it begins.
	if lease < time.Millisecond {
		return nil, bot.Errorf(bot.Invalid, "ClaimDue needs a lease of at least 1ms, not %s.", lease)
	}
	ctx, cancel, err := s.begin(ctx, "claim due reminders")
	if err != nil {
		return nil, err
	}
	defer cancel()
	n := len(s.prefixes)
	start := int(s.rotate.Add(1) % uint32(n))
	var claims []bot.Claim
	for i := 0; i < n && len(claims) < limit; i++ {
		prefix := s.prefixes[(start+i)%n]
		nonce := mrand.IntN(fence)
		res, err := claimScript.Run(ctx, s.rdb, []string{prefix + "due", prefix + "lease"},
			prefix, limit-len(claims), lease.Milliseconds(), nonce).StringSlice()
		if err != nil {
			// Claims already made stay leased and come back when their
			// lease runs out: nothing is lost, only delayed.
			return nil, s.fail("claim due reminders", err)
		}
		cs, err := decodeClaims(res, newTokenPrefix(), nonce)
		if err != nil {
			return nil, s.fail("claim due reminders", err)
		}
		claims = append(claims, cs...)
	}
	return claims, nil
}

// fence is the FENCE of the scripts: a lease's score is its deadline in ms
// times fence plus a nonce below fence.
const fence = 1024

// decodeClaims reads claimScript's answer. The n-th claim's token is the
// random prefix, n, and its lease score, which is what Ack and Retry hand
// back to be checked.
func decodeClaims(res []string, prefix string, nonce int) ([]bot.Claim, error) {
	if len(res) < 2 || (len(res)-2)%4 != 0 {
		return nil, fmt.Errorf("claim script returned %d values", len(res))
	}
	nowMS, err1 := strconv.ParseInt(res[0], 10, 64)
	untilMS, err2 := strconv.ParseInt(res[1], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("claim script: %w", err)
	}
	now, until := time.UnixMilli(nowMS).UTC(), time.UnixMilli(untilMS).UTC()
	var claims []bot.Claim
	for i, n := 2, 1; i < len(res); i, n = i+4, n+1 {
		m, spec, attempts, markers := res[i], res[i+1], res[i+2], res[i+3]
		short, code, ok := strings.Cut(m, "\x00")
		if !ok {
			return nil, fmt.Errorf("claim script: bad member %q", m)
		}
		id, err := longID(short)
		if err != nil {
			return nil, fmt.Errorf("claim script: %w", err)
		}
		r, err := decodeSpec(id, code, spec)
		if err != nil {
			return nil, err
		}
		if r.Attempts, err = atoi(attempts); err != nil {
			return nil, fmt.Errorf("reminder %s %s: bad attempts %q", id, r.Kind, attempts)
		}
		score := untilMS*fence + int64((nonce+n)%fence)
		claims = append(claims, bot.Claim{
			Reminder:   r,
			Due:        r.Next,
			Token:      prefix + strconv.Itoa(n) + ":" + strconv.FormatInt(score, 10),
			Now:        now,
			LeaseUntil: until,
			Delivered:  hasMarker(markers, r.Next),
		})
	}
	return claims, nil
}

// leaseScore returns the lease score a token ends in ("" for a token this
// store did not make, which then holds nothing).
func leaseScore(token string) string {
	_, score, _ := strings.Cut(token, ":")
	return score
}

// newTokenPrefix returns 64 random bits in hex, which make every token of
// one ClaimDue distinct, whichever shards its claims come from.
func newTokenPrefix() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails since Go 1.24
	return hex.EncodeToString(b[:]) + "."
}

// Ack records the occurrence marker and, if the claim still holds the
// lease, replaces the reminder with next: one script, so a late ack and a
// new claim cannot interleave. Acks made at the same time share a pipeline
// (ackBatcher).
func (s *Store) Ack(ctx context.Context, c bot.Claim, next *bot.Reminder) error {
	r := c.Reminder
	if err := r.User.Validate(); err != nil {
		return err
	}
	if err := r.Kind.Validate(); err != nil {
		return err
	}
	var w reminderWrite
	if next != nil {
		n := *next
		if n.User == "" {
			n.User = r.User
		}
		if n.Kind == "" {
			n.Kind = r.Kind
		}
		if n.User != r.User || n.Kind != r.Kind {
			return bot.Errorf(bot.Invalid, "The next reminder must be the same user's reminder of the same kind.")
		}
		if err := n.Validate(); err != nil {
			return err
		}
		w = encodeReminder(n)
	}
	ctx, cancel, err := s.begin(ctx, "ack reminder")
	if err != nil {
		return err
	}
	defer cancel()
	prefix, key := s.userKey(r.User)
	code := kindCode(r.Kind)
	req := &ackReq{prefix: prefix, keys: []string{key, key}}
	if w.indexAt != "" {
		req.keys[1] = prefix + "b:" + w.indexAt
	}
	req.args = append([]any{code, member(shortID(r.User), code), leaseScore(c.Token), markerID(c.Due), w.indexAt, w.score, len(w.fields) / 2},
		strs(w.fields)...)
	held, err := s.acks.ack(ctx, req)
	if err != nil {
		return s.fail("ack reminder", err)
	}
	if held == 0 {
		return fmt.Errorf("redisstore: ack %s %s due %s: %w", r.User, r.Kind, c.Due.Format(time.RFC3339), bot.ErrStaleClaim)
	}
	return nil
}

// Retry keeps Next (the occurrence, which the marker is keyed by) and only
// enters the reminder in the bucket of at.
func (s *Store) Retry(ctx context.Context, c bot.Claim, at time.Time) error {
	r := c.Reminder
	if err := r.User.Validate(); err != nil {
		return err
	}
	if err := r.Kind.Validate(); err != nil {
		return err
	}
	ctx, cancel, err := s.begin(ctx, "retry reminder")
	if err != nil {
		return err
	}
	defer cancel()
	prefix, key := s.userKey(r.User)
	code := kindCode(r.Kind)
	ms := millis(at)
	bucket := b62(ms)
	held, err := retryScript.Run(ctx, s.rdb, []string{prefix + "due", prefix + "lease", key, prefix + "b:" + bucket},
		prefix, code, member(shortID(r.User), code), leaseScore(c.Token), bucket, ms).Int()
	if err != nil {
		return s.fail("retry reminder", err)
	}
	if held == 0 {
		return fmt.Errorf("redisstore: retry %s %s due %s: %w", r.User, r.Kind, c.Due.Format(time.RFC3339), bot.ErrStaleClaim)
	}
	return nil
}

// Forget deletes the user's hash (record, reminders, claims, markers),
// every index entry of their reminders and their dead letters, in one
// script: no key that names the user is left, and their claims are stale.
func (s *Store) Forget(ctx context.Context, id bot.UserID) error {
	if err := id.Validate(); err != nil {
		return err
	}
	ctx, cancel, err := s.begin(ctx, "forget user")
	if err != nil {
		return err
	}
	defer cancel()
	prefix, key := s.userKey(id)
	if err := forgetScript.Run(ctx, s.rdb, []string{prefix + "due", prefix + "lease", key, prefix + "dead"}, prefix, shortID(id)).Err(); err != nil {
		return s.fail("forget user", err)
	}
	return nil
}

// begin refuses a call whose context is already done (so that it changes
// nothing) and caps the call's time.
func (s *Store) begin(ctx context.Context, op string) (context.Context, context.CancelFunc, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, s.fail(op, err)
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

func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
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
