package bottest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/coachbot/coachbot/bot"
)

// MemStore is a bot.Store in memory, on a clock of the caller's choosing. It
// passes bot/storetest like the real stores, so tests of the core can trust
// it; it keeps nothing across processes and is not meant for production.
type MemStore struct {
	clock bot.Clock

	mu        sync.Mutex
	users     map[bot.UserID]bot.User
	reminders map[remKey]*memReminder
	markers   map[string]time.Time // occurrence marker -> expiry
	dead      []DeadLetter         // oldest first, at most maxDead
	down      bool
}

type remKey struct {
	user bot.UserID
	kind bot.ReminderKind
}

type memReminder struct {
	r     bot.Reminder
	at    time.Time // when it may be claimed: due time, or lease deadline
	token string    // the current claim, "" when none
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
)

// NewMemStore returns an empty store whose ClaimDue follows clock.
func NewMemStore(clock bot.Clock) *MemStore {
	return &MemStore{
		clock:     clock,
		users:     map[bot.UserID]bot.User{},
		reminders: map[remKey]*memReminder{},
		markers:   map[string]time.Time{},
	}
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

// User implements bot.Store.
func (s *MemStore) User(ctx context.Context, id bot.UserID) (bot.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, id.Validate()); err != nil {
		return bot.User{}, err
	}
	if u, ok := s.users[id]; ok {
		return cloneUser(u), nil
	}
	return bot.User{ID: id}, nil
}

// UpdateUser implements bot.Store.
func (s *MemStore) UpdateUser(ctx context.Context, id bot.UserID, fn func(*bot.User) error) (bot.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, id.Validate()); err != nil {
		return bot.User{}, err
	}
	u, ok := s.users[id]
	if !ok {
		u = bot.User{ID: id}
	}
	u = cloneUser(u)
	if err := fn(&u); err != nil {
		return bot.User{}, err
	}
	now := s.clock.Now().UTC()
	u.ID = id
	if u.Created.IsZero() {
		u.Created = now
	}
	u.Updated = now
	s.users[id] = cloneUser(u)
	return u, nil
}

func cloneUser(u bot.User) bot.User {
	u.Done = slices.Clone(u.Done)
	return u
}

// PutReminder implements bot.Store.
func (s *MemStore) PutReminder(ctx context.Context, r bot.Reminder) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, r.Validate()); err != nil {
		return err
	}
	s.reminders[remKey{r.User, r.Kind}] = &memReminder{r: r, at: r.Next}
	return nil
}

// DeleteReminder implements bot.Store.
func (s *MemStore) DeleteReminder(ctx context.Context, id bot.UserID, kind bot.ReminderKind) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, id.Validate(), kind.Validate()); err != nil {
		return err
	}
	delete(s.reminders, remKey{id, kind})
	return nil
}

// Reminders implements bot.Store.
func (s *MemStore) Reminders(ctx context.Context, id bot.UserID) ([]bot.Reminder, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	var out []bot.Reminder
	for k, m := range s.reminders {
		if k.user == id {
			out = append(out, m.r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out, nil
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
	now := s.clock.Now().UTC()
	for k, exp := range s.markers {
		if !exp.After(now) {
			delete(s.markers, k)
		}
	}
	var due []*memReminder
	for _, m := range s.reminders {
		if m.r.Paused == "" && !m.at.After(now) {
			due = append(due, m)
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	var claims []bot.Claim
	for _, m := range due[:min(limit, len(due))] {
		m.token = newToken()
		m.at = now.Add(lease)
		_, delivered := s.markers[marker(m.r.User, m.r.Kind, m.r.Next)]
		claims = append(claims, bot.Claim{
			Reminder: m.r, Due: m.r.Next, Token: m.token, Now: now, LeaseUntil: m.at, Delivered: delivered,
		})
	}
	return claims, nil
}

// Ack implements bot.Store.
func (s *MemStore) Ack(ctx context.Context, c bot.Claim, next *bot.Reminder) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := c.Reminder
	var bad error
	if next != nil {
		// A next that names no user or kind is the claimed reminder's own.
		n := *next
		if n.User == "" {
			n.User = r.User
		}
		if n.Kind == "" {
			n.Kind = r.Kind
		}
		if n.User != r.User || n.Kind != r.Kind {
			bad = bot.Errorf(bot.Invalid, "An ack can only replace the reminder it claimed.")
		} else if bad = n.Validate(); bad == nil {
			next = &n
		}
	}
	if err := s.check(ctx, bad); err != nil {
		return err
	}
	k := remKey{r.User, r.Kind}
	m, ok := s.reminders[k]
	if ok {
		s.markers[marker(r.User, r.Kind, c.Due)] = s.clock.Now().Add(48 * time.Hour)
	}
	if !s.holds(m, ok, c) {
		return bot.ErrStaleClaim
	}
	if next == nil {
		delete(s.reminders, k)
		return nil
	}
	s.reminders[k] = &memReminder{r: *next, at: next.Next}
	return nil
}

// Retry implements bot.Store.
func (s *MemStore) Retry(ctx context.Context, c bot.Claim, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return err
	}
	m, ok := s.reminders[remKey{c.Reminder.User, c.Reminder.Kind}]
	if !s.holds(m, ok, c) {
		return bot.ErrStaleClaim
	}
	m.token = ""
	m.at = at
	m.r.Attempts++
	return nil
}

// holds reports whether claim c still holds the lease on m: the same
// token, and the lease not yet run out by the store's clock.
func (s *MemStore) holds(m *memReminder, ok bool, c bot.Claim) bool {
	return ok && m.token != "" && m.token == c.Token && s.clock.Now().Before(m.at)
}

// Forget implements bot.Store.
func (s *MemStore) Forget(ctx context.Context, id bot.UserID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, id.Validate()); err != nil {
		return err
	}
	delete(s.users, id)
	for k := range s.reminders {
		if k.user == id {
			delete(s.reminders, k)
		}
	}
	s.dead = slices.DeleteFunc(s.dead, func(d DeadLetter) bool { return d.Claim.Reminder.User == id })
	prefix := string(id) + "\x00"
	for k := range s.markers {
		if len(k) > len(prefix) && k[:len(prefix)] == prefix {
			delete(s.markers, k)
		}
	}
	return nil
}

// DeadLetter implements bot.DeadLetters.
func (s *MemStore) DeadLetter(ctx context.Context, c bot.Claim, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return err
	}
	s.dead = append(s.dead, DeadLetter{Claim: c, Reason: reason})
	if len(s.dead) > maxDead {
		s.dead = slices.Delete(s.dead, 0, len(s.dead)-maxDead)
	}
	return nil
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

func marker(id bot.UserID, kind bot.ReminderKind, due time.Time) string {
	return fmt.Sprintf("%s\x00%s\x00%d", id, kind, due.UnixMilli())
}

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
