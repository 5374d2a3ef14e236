package boltstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/coachbot/coachbot/bot"
)

// Store is the bbolt implementation of bot.Store. It is safe for concurrent
// use by the goroutines of one process.
type Store struct {
	db    *bolt.DB
	clock bot.Clock
}

var _ bot.Store = (*Store)(nil)

// Option configures Open.
type Option func(*Store)

// WithClock makes the store judge due times, leases and marker expiry by c
// instead of the system clock, so that tests can move time without waiting.
func WithClock(c bot.Clock) Option {
	return func(s *Store) { s.clock = c }
}

const (
	// lockTimeout bounds the wait for bbolt's file lock: a second process
	// gets a clear error instead of hanging forever.
	lockTimeout = time.Second

	// markerTTL is how long an acked occurrence is remembered. It only has
	// to outlive the leases and retries of that occurrence, which end within
	// the scheduler's grace period of a few hours.
	markerTTL = 48 * time.Hour

	// pruneBatch bounds the expired markers one ClaimDue removes, so that
	// pruning a backlog never makes one claim slow.
	pruneBatch = 1000

	layoutVersion = "1"
)

var (
	bucketMeta         = []byte("meta")
	bucketUsers        = []byte("users")
	bucketReminders    = []byte("reminders")
	bucketSchedule     = []byte("schedule")
	bucketMarkers      = []byte("markers")
	bucketMarkerExpiry = []byte("marker_expiry")

	keyVersion = []byte("version")
)

// Open opens (creating if needed) the database file at path, typically
// <COACH_DATA_DIR>/coachbot.db. Missing parent folders are created private
// to the user (0700) and so is the file (0600): it holds people's data.
func Open(path string, opts ...Option) (*Store, error) {
	s := &Store{clock: bot.SystemClock{}}
	for _, o := range opts {
		o(s)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, bot.WrapError(bot.Unavailable, fmt.Errorf("boltstore: create %s: %w", dir, err),
			fmt.Sprintf("cannot create the data folder %s; set COACH_DATA_DIR to a folder coachbot may write to", dir))
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, bot.WrapError(bot.Unavailable, fmt.Errorf("boltstore: open %s: file is locked: %w", path, err),
			fmt.Sprintf("another coachbot is using %s; stop it or set COACH_DATA_DIR to another folder", path))
	}
	if err != nil {
		return nil, bot.WrapError(bot.Unavailable, fmt.Errorf("boltstore: open %s: %w", path, err),
			fmt.Sprintf("cannot open the data file %s", path))
	}
	if err := db.Update(initLayout); err != nil {
		_ = db.Close()
		return nil, bot.WrapError(bot.Internal, fmt.Errorf("boltstore: open %s: %w", path, err),
			fmt.Sprintf("cannot use the data file %s", path))
	}
	s.db = db
	return s, nil
}

func initLayout(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketMeta, bucketUsers, bucketReminders, bucketSchedule, bucketMarkers, bucketMarkerExpiry} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	meta := tx.Bucket(bucketMeta)
	switch v := meta.Get(keyVersion); {
	case v == nil:
		return meta.Put(keyVersion, []byte(layoutVersion))
	case string(v) != layoutVersion:
		return fmt.Errorf("layout version %q, this coachbot reads %q", v, layoutVersion)
	}
	return nil
}

// Close releases the file and its lock.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return s.fail("close", err)
	}
	return nil
}

// Ping reports whether the file can still be read.
func (s *Store) Ping(ctx context.Context) error {
	return s.view(ctx, "ping", func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta) == nil {
			return errors.New("meta bucket missing")
		}
		return nil
	})
}

// User returns the user's record, or User{ID: id} when there is none.
func (s *Store) User(ctx context.Context, id bot.UserID) (bot.User, error) {
	if err := id.Validate(); err != nil {
		return bot.User{}, err
	}
	var u bot.User
	err := s.view(ctx, "read user", func(tx *bolt.Tx) error {
		var err error
		u, err = getUser(tx, id)
		return err
	})
	if err != nil {
		return bot.User{}, err
	}
	return u, nil
}

// UpdateUser applies fn inside the write transaction, so it is never retried
// here. fn must not call the store: bbolt has one writer at a time and the
// call would wait for itself.
func (s *Store) UpdateUser(ctx context.Context, id bot.UserID, fn func(*bot.User) error) (bot.User, error) {
	if err := id.Validate(); err != nil {
		return bot.User{}, err
	}
	var out bot.User
	err := s.update(ctx, "update user", func(tx *bolt.Tx) error {
		u, err := getUser(tx, id)
		if err != nil {
			return err
		}
		created := u.Created
		if err := fn(&u); err != nil {
			return callerError{err}
		}
		// The store owns these three fields: fn cannot move a record to
		// another id or rewrite its history.
		now := s.now()
		if created.IsZero() {
			created = now
		}
		u.ID, u.Created, u.Updated = id, created, now
		v, err := encodeUser(u)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketUsers).Put([]byte(id), v); err != nil {
			return err
		}
		out = u
		return nil
	})
	if err != nil {
		return bot.User{}, err
	}
	return out, nil
}

// PutReminder replaces the reminder of r.Kind. Writing a record without a
// token is what makes any claim on the old one stale.
func (s *Store) PutReminder(ctx context.Context, r bot.Reminder) error {
	if err := r.Validate(); err != nil {
		return err
	}
	return s.update(ctx, "put reminder", func(tx *bolt.Tx) error {
		rk := reminderKey(r.User, r.Kind)
		if old, ok, err := getReminder(tx, rk); err != nil {
			return err
		} else if ok {
			if err := unschedule(tx, rk, &old); err != nil {
				return err
			}
		}
		d := newReminderDoc(r)
		if d.Paused == "" {
			if err := schedule(tx, rk, &d, millis(d.Next)); err != nil {
				return err
			}
		}
		return putReminder(tx, rk, d)
	})
}

// DeleteReminder removes the reminder and its schedule entry; a claim on it
// finds no record at Ack and is stale.
func (s *Store) DeleteReminder(ctx context.Context, id bot.UserID, kind bot.ReminderKind) error {
	if err := id.Validate(); err != nil {
		return err
	}
	if err := kind.Validate(); err != nil {
		return err
	}
	return s.update(ctx, "delete reminder", func(tx *bolt.Tx) error {
		return deleteReminder(tx, reminderKey(id, kind))
	})
}

// Reminders returns the user's reminders ordered by Kind, which is the key
// order of the reminders bucket.
func (s *Store) Reminders(ctx context.Context, id bot.UserID) ([]bot.Reminder, error) {
	if err := id.Validate(); err != nil {
		return nil, err
	}
	var out []bot.Reminder
	err := s.view(ctx, "list reminders", func(tx *bolt.Tx) error {
		prefix := userPrefix(id)
		c := tx.Bucket(bucketReminders).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			d, err := decodeReminder(v)
			if err != nil {
				return err
			}
			out = append(out, d.reminder())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ClaimDue scans the schedule index from its start up to the store's now.
// Due reminders and expired leases are both entries there, so one scan finds
// both, and each claim moves its entry to the new lease deadline.
func (s *Store) ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]bot.Claim, error) {
	if limit <= 0 {
		return nil, bot.Errorf(bot.Invalid, "ClaimDue needs a positive limit, not %d.", limit)
	}
	// Leases are kept in milliseconds: a shorter one would end as it begins.
	if lease < time.Millisecond {
		return nil, bot.Errorf(bot.Invalid, "ClaimDue needs a lease of at least 1ms, not %s.", lease)
	}
	// Most polls find nothing to do. A read transaction answers those
	// without the write and fsync that every bbolt write commit costs.
	work := false
	err := s.view(ctx, "claim due reminders", func(tx *bolt.Tx) error {
		nowMS := millis(s.now())
		work = len(dueKeys(tx, nowMS, 1)) > 0 || markersExpired(tx, nowMS)
		return nil
	})
	if err != nil || !work {
		return nil, err
	}
	var claims []bot.Claim
	err = s.update(ctx, "claim due reminders", func(tx *bolt.Tx) error {
		now := s.now()
		nowMS := millis(now)
		if err := pruneMarkers(tx, nowMS); err != nil {
			return err
		}
		leaseMS := millis(now.Add(lease))
		for len(claims) < limit {
			keys := dueKeys(tx, nowMS, limit-len(claims))
			if len(keys) == 0 {
				break
			}
			for _, k := range keys {
				c, ok, err := claim(tx, k, leaseMS)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
				c.Now = now
				c.Delivered = hasMarker(tx, markerKey(c.rk, millis(c.Due)), nowMS)
				claims = append(claims, c.Claim)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return claims, nil
}

// Ack records the occurrence marker whether or not the claim still holds:
// a late holder did deliver, and the marker stops the next holder from
// delivering again. So the transaction commits even when the ack is stale.
func (s *Store) Ack(ctx context.Context, c bot.Claim, next *bot.Reminder) error {
	r := c.Reminder
	if err := r.User.Validate(); err != nil {
		return err
	}
	if err := r.Kind.Validate(); err != nil {
		return err
	}
	var n bot.Reminder
	if next != nil {
		n = *next
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
	}
	stale := false
	err := s.update(ctx, "ack reminder", func(tx *bolt.Tx) error {
		stale = false
		now := s.now()
		nowMS := millis(now)
		rk := reminderKey(r.User, r.Kind)
		// A user who was forgotten while the reminder was being sent gets
		// no marker: Forget promised that nothing about them is kept.
		if known, err := userKnown(tx, r.User); err != nil {
			return err
		} else if known {
			if err := putMarker(tx, markerKey(rk, millis(c.Due)), millis(now.Add(markerTTL))); err != nil {
				return err
			}
		}
		d, ok, err := getReminder(tx, rk)
		if err != nil {
			return err
		}
		if !ok || !holds(d, c.Token, nowMS) {
			stale = true
			return nil
		}
		if next == nil {
			return deleteReminder(tx, rk)
		}
		if err := unschedule(tx, rk, &d); err != nil {
			return err
		}
		nd := newReminderDoc(n)
		if nd.Paused == "" {
			if err := schedule(tx, rk, &nd, millis(nd.Next)); err != nil {
				return err
			}
		}
		return putReminder(tx, rk, nd)
	})
	if err != nil {
		return err
	}
	if stale {
		return fmt.Errorf("boltstore: ack %s %s due %s: %w", r.User, r.Kind, c.Due.Format(time.RFC3339), bot.ErrStaleClaim)
	}
	return nil
}

// Retry keeps Next (the occurrence, which the marker is keyed by) and only
// enters the reminder in the schedule at the retry time.
func (s *Store) Retry(ctx context.Context, c bot.Claim, at time.Time) error {
	r := c.Reminder
	if err := r.User.Validate(); err != nil {
		return err
	}
	if err := r.Kind.Validate(); err != nil {
		return err
	}
	return s.update(ctx, "retry reminder", func(tx *bolt.Tx) error {
		rk := reminderKey(r.User, r.Kind)
		d, ok, err := getReminder(tx, rk)
		if err != nil {
			return err
		}
		if !ok || !holds(d, c.Token, millis(s.now())) {
			return fmt.Errorf("retry %s %s due %s: %w", r.User, r.Kind, c.Due.Format(time.RFC3339), bot.ErrStaleClaim)
		}
		if err := unschedule(tx, rk, &d); err != nil {
			return err
		}
		d.Attempts++
		if err := schedule(tx, rk, &d, millis(at)); err != nil {
			return err
		}
		return putReminder(tx, rk, d)
	})
}

// Forget deletes the user's record, reminders with their schedule entries
// (so their claims are stale and they never come due) and markers with
// their expiry entries: no key that names the user is left.
func (s *Store) Forget(ctx context.Context, id bot.UserID) error {
	if err := id.Validate(); err != nil {
		return err
	}
	return s.update(ctx, "forget user", func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketUsers).Delete([]byte(id)); err != nil {
			return err
		}
		prefix := userPrefix(id)
		for _, rk := range keysWithPrefix(tx.Bucket(bucketReminders), prefix) {
			if err := deleteReminder(tx, rk); err != nil {
				return err
			}
		}
		for _, mk := range keysWithPrefix(tx.Bucket(bucketMarkers), prefix) {
			if err := deleteMarker(tx, mk); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) now() time.Time { return s.clock.Now().UTC() }

// callerError carries an error of UpdateUser's fn through bbolt unchanged,
// so that the caller gets exactly the error it returned.
type callerError struct{ err error }

func (e callerError) Error() string { return e.err.Error() }

func (s *Store) update(ctx context.Context, op string, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return s.fail(op, err)
	}
	if err := s.db.Update(fn); err != nil {
		var ce callerError
		if errors.As(err, &ce) {
			return ce.err
		}
		return s.fail(op, err)
	}
	return nil
}

func (s *Store) view(ctx context.Context, op string, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return s.fail(op, err)
	}
	if err := s.db.View(fn); err != nil {
		return s.fail(op, err)
	}
	return nil
}

// fail codes an error for bot.Store's callers: errors that already carry a
// code keep it (a stale claim stays a Conflict), a cancelled call or a
// closed file is Unavailable (the user may try again) and the rest, a
// corrupt record or a disk failure, is Internal.
func (s *Store) fail(op string, err error) error {
	var be *bot.Error
	switch {
	case errors.As(err, &be):
		return fmt.Errorf("boltstore: %s: %w", op, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, berrors.ErrDatabaseNotOpen):
		return bot.WrapError(bot.Unavailable, fmt.Errorf("boltstore: %s: %w", op, err), "")
	default:
		return bot.WrapError(bot.Internal, fmt.Errorf("boltstore: %s: %w", op, err), "")
	}
}

func getUser(tx *bolt.Tx, id bot.UserID) (bot.User, error) {
	v := tx.Bucket(bucketUsers).Get([]byte(id))
	if v == nil {
		return bot.User{ID: id}, nil
	}
	return decodeUser(v)
}

// userKnown reports whether anything about the user is stored.
func userKnown(tx *bolt.Tx, id bot.UserID) (bool, error) {
	if tx.Bucket(bucketUsers).Get([]byte(id)) != nil {
		return true, nil
	}
	prefix := userPrefix(id)
	k, _ := tx.Bucket(bucketReminders).Cursor().Seek(prefix)
	return k != nil && bytes.HasPrefix(k, prefix), nil
}

func getReminder(tx *bolt.Tx, rk []byte) (reminderDoc, bool, error) {
	v := tx.Bucket(bucketReminders).Get(rk)
	if v == nil {
		return reminderDoc{}, false, nil
	}
	d, err := decodeReminder(v)
	if err != nil {
		return reminderDoc{}, false, err
	}
	return d, true, nil
}

func putReminder(tx *bolt.Tx, rk []byte, d reminderDoc) error {
	v, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketReminders).Put(rk, v)
}

func deleteReminder(tx *bolt.Tx, rk []byte) error {
	d, ok, err := getReminder(tx, rk)
	if err != nil || !ok {
		return err
	}
	if err := unschedule(tx, rk, &d); err != nil {
		return err
	}
	return tx.Bucket(bucketReminders).Delete(rk)
}

// schedule enters the reminder in the index at ms and clears any claim:
// every caller hands the reminder back to the pool.
func schedule(tx *bolt.Tx, rk []byte, d *reminderDoc, ms int64) error {
	d.Token, d.LeaseMS = "", 0
	d.Scheduled, d.SchedMS = true, ms
	return tx.Bucket(bucketSchedule).Put(timeKey(ms, rk), nil)
}

func unschedule(tx *bolt.Tx, rk []byte, d *reminderDoc) error {
	if !d.Scheduled {
		return nil
	}
	k := timeKey(d.SchedMS, rk)
	d.Scheduled, d.SchedMS = false, 0
	return tx.Bucket(bucketSchedule).Delete(k)
}

// holds reports whether token still holds the reminder's lease at nowMS.
// A lease that ran out is lost even if nobody has claimed the reminder
// since: its holder cannot know whether someone else is sending it.
func holds(d reminderDoc, token string, nowMS int64) bool {
	return token != "" && d.Token == token && d.LeaseMS > nowMS
}

// dueKeys copies up to n schedule keys due by nowMS. They are copied because
// bbolt's slices die with the transaction and the caller rewrites the bucket
// it would otherwise still be iterating.
func dueKeys(tx *bolt.Tx, nowMS int64, n int) [][]byte {
	var keys [][]byte
	c := tx.Bucket(bucketSchedule).Cursor()
	for k, _ := c.First(); k != nil && len(keys) < n; k, _ = c.Next() {
		if len(k) < 8 || keyTime(k) > nowMS {
			break
		}
		keys = append(keys, bytes.Clone(k))
	}
	return keys
}

type claimed struct {
	bot.Claim
	rk []byte
}

// claim leases the reminder behind schedule key k. An entry that does not
// match its reminder's record (which the layout never leaves behind, but a
// crash-free bug might) is removed rather than claimed, so it cannot block
// the scan forever.
func claim(tx *bolt.Tx, k []byte, leaseMS int64) (claimed, bool, error) {
	sched := tx.Bucket(bucketSchedule)
	rk := k[8:]
	d, ok, err := getReminder(tx, rk)
	if err != nil {
		return claimed{}, false, err
	}
	if !ok || !d.Scheduled || d.SchedMS != keyTime(k) {
		return claimed{}, false, sched.Delete(k)
	}
	if err := unschedule(tx, rk, &d); err != nil {
		return claimed{}, false, err
	}
	d.Token, d.LeaseMS = newToken(), leaseMS
	d.Scheduled, d.SchedMS = true, leaseMS
	if err := sched.Put(timeKey(leaseMS, rk), nil); err != nil {
		return claimed{}, false, err
	}
	if err := putReminder(tx, rk, d); err != nil {
		return claimed{}, false, err
	}
	r := d.reminder()
	return claimed{
		Claim: bot.Claim{
			Reminder:   r,
			Due:        r.Next,
			Token:      d.Token,
			LeaseUntil: time.UnixMilli(leaseMS).UTC(),
		},
		rk: rk,
	}, true, nil
}

func hasMarker(tx *bolt.Tx, mk []byte, nowMS int64) bool {
	v := tx.Bucket(bucketMarkers).Get(mk)
	return len(v) == 8 && keyTime(v) > nowMS
}

// putMarker records or renews a marker, moving its expiry entry along so
// that each marker has exactly one.
func putMarker(tx *bolt.Tx, mk []byte, expiryMS int64) error {
	if err := deleteMarker(tx, mk); err != nil {
		return err
	}
	if err := tx.Bucket(bucketMarkers).Put(mk, msBytes(expiryMS)); err != nil {
		return err
	}
	return tx.Bucket(bucketMarkerExpiry).Put(timeKey(expiryMS, mk), nil)
}

func deleteMarker(tx *bolt.Tx, mk []byte) error {
	markers := tx.Bucket(bucketMarkers)
	v := markers.Get(mk)
	if v == nil {
		return nil
	}
	if len(v) == 8 {
		if err := tx.Bucket(bucketMarkerExpiry).Delete(timeKey(keyTime(v), mk)); err != nil {
			return err
		}
	}
	return markers.Delete(mk)
}

func markersExpired(tx *bolt.Tx, nowMS int64) bool {
	k, _ := tx.Bucket(bucketMarkerExpiry).Cursor().First()
	return len(k) >= 8 && keyTime(k) <= nowMS
}

func pruneMarkers(tx *bolt.Tx, nowMS int64) error {
	var expired [][]byte
	c := tx.Bucket(bucketMarkerExpiry).Cursor()
	for k, _ := c.First(); k != nil && len(expired) < pruneBatch; k, _ = c.Next() {
		if len(k) < 8 || keyTime(k) > nowMS {
			break
		}
		expired = append(expired, bytes.Clone(k))
	}
	markers, expiry := tx.Bucket(bucketMarkers), tx.Bucket(bucketMarkerExpiry)
	for _, k := range expired {
		mk := k[8:]
		if v := markers.Get(mk); len(v) == 8 && keyTime(v) == keyTime(k) {
			if err := markers.Delete(mk); err != nil {
				return err
			}
		}
		if err := expiry.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func keysWithPrefix(b *bolt.Bucket, prefix []byte) [][]byte {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	return keys
}

// newToken returns 128 random bits: unguessable and, in practice, never
// repeated, so an old holder can never match a new lease.
func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails since Go 1.24
	return hex.EncodeToString(b[:])
}
