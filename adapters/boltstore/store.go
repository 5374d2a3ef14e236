package boltstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/coachbot/coachbot/bot"
)

// Store is the bbolt implementation of bot.Store and bot.DeadLetters. It
// is safe for concurrent use by the goroutines of one process.
type Store struct {
	db    *bolt.DB
	clock bot.Clock
}

var (
	_ bot.Store       = (*Store)(nil)
	_ bot.DeadLetters = (*Store)(nil)
)

// Option configures Open.
type Option func(*Store)

// WithClock makes the store judge due times and leases by c instead of the
// system clock, so that tests can move time without waiting. Migration
// judges which occurrence markers of a layout 1 file are alive by it too.
func WithClock(c bot.Clock) Option {
	return func(s *Store) { s.clock = c }
}

const (
	// lockTimeout bounds the wait for bbolt's file lock: a second process
	// gets a clear error instead of hanging forever.
	lockTimeout = time.Second

	layoutVersion = "2"
)

var (
	bucketMeta     = []byte("meta")
	bucketRecords  = []byte("records")
	bucketSchedule = []byte("schedule")
	bucketSlots    = []byte("slots")
	bucketDead     = []byte("dead")

	keyVersion = []byte("version")
)

// Open opens (creating if needed) the database file at path, typically
// <COACH_DATA_DIR>/coachbot.db, and migrates a file of the previous
// release's layout. Missing parent folders are created private to the user
// (0700) and so is the file (0600): it holds people's data.
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
	err = db.Update(func(tx *bolt.Tx) error { return initLayout(tx, s.clock.Now()) })
	if err != nil {
		_ = db.Close()
		var newer newerLayoutError
		if errors.As(err, &newer) {
			return nil, bot.WrapError(bot.Internal, fmt.Errorf("boltstore: open %s: %w", path, err),
				fmt.Sprintf("the data file %s was written by a newer coachbot (layout %s; this one reads up to %s); run that release or a newer one", path, newer.version, layoutVersion))
		}
		return nil, bot.WrapError(bot.Internal, fmt.Errorf("boltstore: open %s: %w", path, err),
			fmt.Sprintf("cannot use the data file %s", path))
	}
	s.db = db
	return s, nil
}

// newerLayoutError is a file of a layout this build does not know. Open
// refuses it rather than read it wrongly or write over what it does not
// understand.
type newerLayoutError struct{ version string }

func (e newerLayoutError) Error() string {
	return fmt.Sprintf("layout version %q is newer than %q", e.version, layoutVersion)
}

// initLayout makes a new file's buckets, migrates a layout 1 file and
// refuses any other.
func initLayout(tx *bolt.Tx, now time.Time) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketMeta, err)
	}
	switch v := string(meta.Get(keyVersion)); v {
	case "":
		if _, err := createLayout(tx); err != nil {
			return err
		}
		return meta.Put(keyVersion, []byte(layoutVersion))
	case "1":
		return migrateV1(tx, now)
	case layoutVersion:
		_, err := bucketsOf(tx)
		return err
	default:
		return newerLayoutError{v}
	}
}

func createLayout(tx *bolt.Tx) (buckets, error) {
	for _, name := range [][]byte{bucketRecords, bucketSchedule, bucketSlots, bucketDead} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return buckets{}, fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return bucketsOf(tx)
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
		_, err := bucketsOf(tx)
		return err
	})
}

// User implements bot.Store.
func (s *Store) User(ctx context.Context, id bot.UserID) (bot.User, error) {
	if err := id.Validate(); err != nil {
		return bot.User{}, err
	}
	var u bot.User
	err := s.view(ctx, "read user", func(tx *bolt.Tx) error {
		b, err := bucketsOf(tx)
		if err != nil {
			return err
		}
		u, _, err = b.read(id)
		return err
	})
	if err != nil {
		return bot.User{}, err
	}
	return u, nil
}

// UpdateUser implements bot.Store. fn runs inside the write transaction,
// which bbolt serialises with every other, so it is never retried; it must
// not call the store, or it would wait for itself.
func (s *Store) UpdateUser(ctx context.Context, id bot.UserID, fn func(*bot.User) error) (bot.User, error) {
	if err := id.Validate(); err != nil {
		return bot.User{}, err
	}
	var out bot.User
	err := s.update(ctx, "update user", func(tx *bolt.Tx) error {
		b, err := bucketsOf(tx)
		if err != nil {
			return err
		}
		old, _, err := b.read(id)
		if err != nil {
			return err
		}
		// A second decode, so that fn cannot reach old through a shared
		// slice and hide a change of the reminders from Reindex.
		u, _, _ := b.read(id)
		if err := fn(&u); err != nil {
			return callerError{err}
		}
		now := s.now()
		u.ID, u.Created, u.Updated = id, old.Created, now
		if u.Created.IsZero() {
			u.Created = now
		}
		if err := u.Validate(); err != nil {
			return callerError{err}
		}
		data, err := b.write(old, u, "")
		if err != nil {
			return err
		}
		out, err = bot.DecodeUser(id, data)
		return err
	})
	if err != nil {
		return bot.User{}, err
	}
	return out, nil
}

// ClaimDue implements bot.Store. Due reminders and expired leases are both
// schedule entries at or before now, so one scan from the first key finds
// both, and each claim moves its entry to its lease deadline.
func (s *Store) ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]bot.Claim, error) {
	if limit < 1 {
		return nil, bot.Errorf(bot.Invalid, "ClaimDue needs a positive limit, not %d.", limit)
	}
	// Leases are kept in milliseconds: a shorter one would end as it begins.
	if lease < time.Millisecond {
		return nil, bot.Errorf(bot.Invalid, "ClaimDue needs a lease of at least 1ms, not %s.", lease)
	}
	// Most polls find nothing to do. A read transaction answers those
	// without the write and fsync that every bbolt commit costs.
	work := false
	err := s.view(ctx, "claim due reminders", func(tx *bolt.Tx) error {
		work = len(dueKeys(tx, millis(s.now()), 1)) > 0
		return nil
	})
	if err != nil || !work {
		return nil, err
	}
	var claims []bot.Claim
	err = s.update(ctx, "claim due reminders", func(tx *bolt.Tx) error {
		b, err := bucketsOf(tx)
		if err != nil {
			return err
		}
		now := s.now()
		// Every claimed entry must leave the due range, or the scan below
		// would find it again: a lease ends after now even on a clock
		// before 1970, where millis clamps.
		nowMS := millis(now)
		untilMS := max(millis(now.Add(lease)), nowMS+1)
		until := time.UnixMilli(untilMS).UTC()
		for len(claims) < limit {
			keys := dueKeys(tx, nowMS, limit-len(claims))
			if len(keys) == 0 {
				break
			}
			for _, k := range keys {
				c, ok, err := b.claim(k, now, until)
				if err != nil {
					return err
				}
				if ok {
					claims = append(claims, c)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return claims, nil
}

// claim leases the reminder behind schedule key k until until. An entry that
// nothing vouches for (its slot points elsewhere, or NewClaim finds no
// unpaused reminder) is removed instead, so it cannot block the scan.
func (b buckets) claim(k []byte, now, until time.Time) (bot.Claim, bool, error) {
	if len(k) < 8 {
		return bot.Claim{}, false, b.schedule.Delete(k)
	}
	m := k[8:]
	id, kind, ok := splitMember(m)
	if !ok || !bytes.Equal(b.slots.Get(m), k) {
		return bot.Claim{}, false, b.schedule.Delete(k)
	}
	u, _, err := b.read(id)
	if err != nil {
		return bot.Claim{}, false, err
	}
	token := newToken()
	c, ok := bot.NewClaim(u, kind, token, now, until)
	if !ok {
		return bot.Claim{}, false, b.leave(m)
	}
	return c, true, b.enter(m, millis(until), token)
}

// errUnchanged rolls back a settle that has nothing to write, so that it
// costs no commit (an fsync): a stale Retry or Release changes nothing, and
// a forgotten user's settle writes nothing.
var errUnchanged = errors.New("nothing to write")

// Settle implements bot.Store, in one write transaction. A settle that does
// not hold its lease still commits what fn changed: a late holder did
// deliver, and Reminder.Sent stops the next holder from sending again.
func (s *Store) Settle(ctx context.Context, c bot.Claim, fn func(u *bot.User, held bool) error) error {
	if err := c.Validate(); err != nil {
		return err
	}
	id, kind := c.Reminder.User, c.Reminder.Kind
	stale := false
	err := s.update(ctx, "settle claim", func(tx *bolt.Tx) error {
		b, err := bucketsOf(tx)
		if err != nil {
			return err
		}
		old, data, err := b.read(id)
		if err != nil {
			return err
		}
		// A user forgotten while the claim was out stays forgotten.
		if data == nil {
			stale = true
			return callerError{errUnchanged}
		}
		m := member(id, kind)
		held := b.held(m, c.Token, millis(s.now()))
		stale = !held
		u, _, _ := b.read(id)
		if err := fn(&u, held); err != nil {
			return callerError{err}
		}
		u.ID, u.Created = id, old.Created
		if err := u.Validate(); err != nil {
			return callerError{err}
		}
		if held {
			_, err = b.write(old, u, kind)
			return err
		}
		if bytes.Equal(bot.EncodeUser(u), data) {
			return callerError{errUnchanged}
		}
		_, err = b.write(old, u, "")
		return err
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		return err
	}
	if stale {
		return fmt.Errorf("boltstore: settle %s %s due %s: %w", bot.HashUser(id), kind, c.Due.Format(time.RFC3339), bot.ErrStaleClaim)
	}
	return nil
}

// Forget implements bot.Store: the record, the user's index entries (so
// their claims are stale and nothing of theirs comes due) and their dead
// letters; no key or value that names the user is left.
func (s *Store) Forget(ctx context.Context, id bot.UserID) error {
	if err := id.Validate(); err != nil {
		return err
	}
	return s.update(ctx, "forget user", func(tx *bolt.Tx) error {
		b, err := bucketsOf(tx)
		if err != nil {
			return err
		}
		if err := b.records.Delete([]byte(id)); err != nil {
			return err
		}
		for _, m := range keysWithPrefix(b.slots, userPrefix(id)) {
			if err := b.leave(m); err != nil {
				return err
			}
		}
		return b.forgetDead(id)
	})
}

func (s *Store) now() time.Time { return s.clock.Now().UTC().Truncate(time.Millisecond) }

// callerError carries an error of the caller's fn (or of its result's
// validation) through bbolt unchanged, so that the caller gets exactly it.
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
// code keep it, a cancelled call or a closed file is Unavailable (the user
// may try again) and the rest, a corrupt record or a disk failure, is
// Internal.
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

// newToken returns 128 random bits: unguessable and, in practice, never
// repeated, so an old holder can never match a new lease.
func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails since Go 1.24
	return hex.EncodeToString(b[:])
}
