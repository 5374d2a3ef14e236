package bottest

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/coachbot/coachbot/bot"
)

// MemStore is a bot.Store in memory, on a clock of the caller's choosing. It
// keeps records as the codec's bytes, as the real stores do, and passes
// bot/storetest like them, so tests of the core can trust it; it keeps
// nothing across processes and is not meant for production.
type MemStore struct {
	clock bot.Clock

	mu      sync.Mutex
	records map[bot.UserID][]byte
	index   map[slotKey]*entry
	dead    []DeadLetter // oldest first, at most maxDead
	down    bool
	limits  *bot.LocalLimits  // Admit's replay keys and command buckets
	inst    map[string][]byte // bot.Installations: sealed, per team
}

type slotKey struct {
	user bot.UserID
	kind bot.ReminderKind
}

// entry is a reminder in the index: waiting for its slot (token "") or
// claimed until its lease deadline.
type entry struct {
	at    time.Time
	token string
}

// DeadLetter is an occurrence the scheduler gave up on, as MemStore keeps
// it (bot.DeadLetters).
type DeadLetter struct {
	Claim  bot.Claim
	Reason string
}

// maxDead is how many dead letters MemStore keeps, the newest.
const maxDead = 1000

var (
	_ bot.Store       = (*MemStore)(nil)
	_ bot.DeadLetters = (*MemStore)(nil)
	_ bot.UserGate    = (*MemStore)(nil)
)

// NewMemStore returns an empty store whose ClaimDue follows clock.
func NewMemStore(clock bot.Clock) *MemStore {
	return &MemStore{clock: clock, records: map[bot.UserID][]byte{}, index: map[slotKey]*entry{}, limits: bot.NewLocalLimits(clock), inst: map[string][]byte{}}
}

// Admit implements bot.UserGate as Redis does, in one step under the
// store's lock: a replay takes nothing; any other request takes from the
// user's bucket and gets the record.
func (s *MemStore) Admit(ctx context.Context, id bot.UserID, once string, r bot.Rate) (bot.Admission, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, id.Validate()); err != nil {
		return bot.Admission{}, err
	}
	if once != "" {
		first, err := s.limits.FirstSeen(ctx, once, bot.ReplayWindow)
		if err != nil || !first {
			return bot.Admission{Replayed: !first}, err
		}
	}
	ok, wait, err := s.limits.Allow(ctx, "cmd:"+string(id), r.PerMinute/60, r.Burst)
	if err != nil {
		return bot.Admission{}, err
	}
	u, err := s.read(id)
	if err != nil {
		return bot.Admission{}, err
	}
	return bot.Admission{Allowed: ok, Wait: wait, User: u}, nil
}

// SetDown makes every call fail as Unavailable (true) or work again
// (false), to test how the bot behaves while its store is unreachable.
func (s *MemStore) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// check fails as Unavailable for a cancelled context or a store set down,
// and otherwise returns the first of the input problems given.
func (s *MemStore) check(ctx context.Context, invalid ...error) error {
	for _, err := range invalid {
		if err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return bot.WrapError(bot.Unavailable, err, "")
	}
	if s.down {
		return bot.WrapError(bot.Unavailable, fmt.Errorf("memstore: down"), "")
	}
	return nil
}

func (s *MemStore) read(id bot.UserID) (bot.User, error) {
	u, err := bot.DecodeUser(id, s.records[id])
	if err != nil {
		return bot.User{}, bot.WrapError(bot.Internal, fmt.Errorf("memstore: %w", err), "")
	}
	return u, nil
}

// write stores u and changes the index as Reindex says.
func (s *MemStore) write(old, u bot.User, released bot.ReminderKind) {
	s.records[u.ID] = bot.EncodeUser(u)
	leave, enter := bot.Reindex(old, u, released)
	for _, k := range leave {
		delete(s.index, slotKey{u.ID, k})
	}
	for _, sl := range enter {
		s.index[slotKey{u.ID, sl.Kind}] = &entry{at: sl.At}
	}
}

// User implements bot.Store.
func (s *MemStore) User(ctx context.Context, id bot.UserID) (bot.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, id.Validate()); err != nil {
		return bot.User{}, err
	}
	return s.read(id)
}

// UpdateUser implements bot.Store.
func (s *MemStore) UpdateUser(ctx context.Context, id bot.UserID, fn func(*bot.User) error) (bot.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, id.Validate()); err != nil {
		return bot.User{}, err
	}
	old, err := s.read(id)
	if err != nil {
		return bot.User{}, err
	}
	u, _ := s.read(id)
	if err := fn(&u); err != nil {
		return bot.User{}, err
	}
	now := s.clock.Now().UTC().Truncate(time.Millisecond)
	u.ID, u.Created, u.Updated = id, old.Created, now
	if u.Created.IsZero() {
		u.Created = now
	}
	if err := u.Validate(); err != nil {
		return bot.User{}, err
	}
	s.write(old, u, "")
	return s.read(id)
}

// ClaimDue implements bot.Store.
func (s *MemStore) ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]bot.Claim, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var bad error
	if limit < 1 || lease < time.Millisecond {
		bad = bot.Errorf(bot.Invalid, "ClaimDue needs a limit of at least 1 and a lease of at least 1ms.")
	}
	if err := s.check(ctx, bad); err != nil {
		return nil, err
	}
	now := s.clock.Now().UTC().Truncate(time.Millisecond)
	var due []slotKey
	for k, e := range s.index {
		if !e.at.After(now) {
			due = append(due, k)
		}
	}
	slices.SortFunc(due, func(a, b slotKey) int {
		return cmp.Or(s.index[a].at.Compare(s.index[b].at), cmp.Compare(a.user, b.user), cmp.Compare(a.kind, b.kind))
	})
	var claims []bot.Claim
	for _, k := range due {
		if len(claims) == limit {
			break
		}
		u, err := s.read(k.user)
		if err != nil {
			return nil, err
		}
		token := newToken()
		c, ok := bot.NewClaim(u, k.kind, token, now, now.Add(lease))
		if !ok {
			delete(s.index, k) // nothing vouches for it
			continue
		}
		s.index[k] = &entry{at: c.LeaseUntil, token: token}
		claims = append(claims, c)
	}
	return claims, nil
}

// Settle implements bot.Store.
func (s *MemStore) Settle(ctx context.Context, c bot.Claim, fn func(*bot.User, bool) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, kind := c.Reminder.User, c.Reminder.Kind
	if err := s.check(ctx, c.Validate()); err != nil {
		return err
	}
	stale := fmt.Errorf("memstore: settle %s %s due %s: %w", bot.HashUser(id), kind, c.Due.Format(time.RFC3339), bot.ErrStaleClaim)
	if _, ok := s.records[id]; !ok {
		return stale
	}
	e := s.index[slotKey{id, kind}]
	held := e != nil && c.Token != "" && e.token == c.Token && s.clock.Now().Before(e.at)
	old, err := s.read(id)
	if err != nil {
		return err
	}
	u, _ := s.read(id)
	if err := fn(&u, held); err != nil {
		return err
	}
	u.ID, u.Created = id, old.Created
	if err := u.Validate(); err != nil {
		return err
	}
	if !held {
		if !bytes.Equal(bot.EncodeUser(u), s.records[id]) {
			s.write(old, u, "")
		}
		return stale
	}
	s.write(old, u, kind)
	return nil
}

// Forget implements bot.Store.
func (s *MemStore) Forget(ctx context.Context, id bot.UserID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, id.Validate()); err != nil {
		return err
	}
	delete(s.records, id)
	for k := range s.index {
		if k.user == id {
			delete(s.index, k)
		}
	}
	s.dead = slices.DeleteFunc(s.dead, func(d DeadLetter) bool { return d.Claim.Reminder.User == id })
	return nil
}

// DeadLetter implements bot.DeadLetters.
func (s *MemStore) DeadLetter(ctx context.Context, c bot.Claim, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, c.Reminder.User.Validate()); err != nil {
		return err
	}
	if _, ok := s.records[c.Reminder.User]; !ok {
		return nil // forgotten while the claim was out: Forget stays complete
	}
	s.dead = append(s.dead, DeadLetter{Claim: c, Reason: reason})
	if len(s.dead) > maxDead {
		s.dead = slices.Delete(s.dead, 0, len(s.dead)-maxDead)
	}
	return nil
}

// DeadLettersOf implements bot.DeadLetters.
func (s *MemStore) DeadLettersOf(ctx context.Context, id bot.UserID) ([]bot.DeadEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, id.Validate()); err != nil {
		return nil, err
	}
	var out []bot.DeadEntry
	for _, d := range slices.Backward(s.dead) {
		if r := d.Claim.Reminder; r.User == id {
			out = append(out, bot.DeadEntry{User: id, Kind: r.Kind, Due: d.Claim.Due.UTC(), Attempts: r.Attempts, Reason: d.Reason})
		}
	}
	return out, nil
}

// DeadLettered returns the dead letters kept, oldest first.
func (s *MemStore) DeadLettered() []DeadLetter {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.dead)
}

// Ping implements bot.Store.
func (s *MemStore) Ping(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.check(ctx)
}

// Close implements bot.Store.
func (s *MemStore) Close() error { return nil }

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Reminders returns the user's reminders: a shortcut for tests, which
// read them from the record as the bot does.
func (s *MemStore) Reminders(ctx context.Context, id bot.UserID) ([]bot.Reminder, error) {
	u, err := s.User(ctx, id)
	return u.Reminders, err
}
