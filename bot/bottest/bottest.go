package bottest

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/content"
)

// Clock is a bot.Clock that moves only when told to.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now implements bot.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// DM is one direct message a Messenger recorded.
type DM struct {
	To    bot.UserID
	Reply bot.Reply
	At    time.Time
}

// Messenger is a bot.Messenger that records what it sends. Fail, when set,
// decides the error of each send (nil delivers); Zone, when set, makes it a
// bot.ZoneFinder that answers every user with that zone.
type Messenger struct {
	Clock bot.Clock // stamps DM.At; optional
	// Took, when set, is how long each send takes, on a timer (which a
	// testing/synctest bubble runs on its fake clock); a send whose
	// context ends first fails with the context's error, as a platform
	// call does.
	Took time.Duration

	mu   sync.Mutex
	dms  []DM
	Fail func(to bot.UserID, attempt int) error
	Zone string
	n    map[bot.UserID]int
}

// SendDM implements bot.Messenger.
func (m *Messenger) SendDM(ctx context.Context, to bot.UserID, r bot.Reply) error {
	if m.Took > 0 {
		t := time.NewTimer(m.Took)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n == nil {
		m.n = map[bot.UserID]int{}
	}
	m.n[to]++
	if m.Fail != nil {
		if err := m.Fail(to, m.n[to]); err != nil {
			return err
		}
	}
	var at time.Time
	if m.Clock != nil {
		at = m.Clock.Now()
	}
	m.dms = append(m.dms, DM{To: to, Reply: r, At: at})
	return nil
}

// UserZone implements bot.ZoneFinder.
func (m *Messenger) UserZone(ctx context.Context, id bot.UserID) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.Zone, nil
}

// Delivered counts the messages delivered so far to each user.
func (m *Messenger) Delivered() map[bot.UserID]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := map[bot.UserID]int{}
	for _, dm := range m.dms {
		n[dm.To]++
	}
	return n
}

// DMs returns the messages delivered so far.
func (m *Messenger) DMs() []DM {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]DM(nil), m.dms...)
}

// Harness runs the real bot on a fake clock, an in-memory store and a
// recording messenger for the "test" platform, the way joetest runs a bot
// on buffers: tests talk to it with Say and look at replies and DMs.
type Harness struct {
	*bot.Bot
	Clock     *Clock
	Store     *MemStore
	Messenger *Messenger
	User      bot.UserID // the default speaker: "test:ana"
}

// Option changes how New builds the harness.
type Option func(*bot.Config)

// WithStore makes the bot use s instead of a MemStore (Harness.Store is then nil).
func WithStore(s bot.Store) Option { return func(c *bot.Config) { c.Store = s } }

// WithConfig lets a test change anything else in the bot's config.
func WithConfig(f func(*bot.Config)) Option { return func(c *bot.Config) { f(c) } }

// Start is where a harness clock starts: Monday 23 November 2026, 10:00 UTC.
var Start = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// New returns a harness with the embedded content pack, the clock at Start
// and tips chosen in order.
func New(t testing.TB, opts ...Option) *Harness {
	t.Helper()
	clock := NewClock(Start)
	mem := NewMemStore(clock)
	tip := 0
	cfg := bot.Config{
		Store:   mem,
		Content: content.MustDefault(),
		Clock:   clock,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Rand:    func(n int) int { tip++; return (tip - 1) % n },
	}
	for _, o := range opts {
		o(&cfg)
	}
	b, err := bot.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := &Harness{Bot: b, Clock: clock, Messenger: &Messenger{Clock: clock}, User: "test:ana"}
	if cfg.Store == bot.Store(mem) {
		h.Store = mem
	}
	b.SetMessenger("test", h.Messenger)
	return h
}

// Say sends line as the default user and returns the reply.
func (h *Harness) Say(line string) bot.Reply { return h.SayAs(h.User, line) }

// SayAs sends line as user and returns the reply.
func (h *Harness) SayAs(user bot.UserID, line string) bot.Reply {
	return h.Handle(context.Background(), user, line)
}

// Deliver runs one scheduler pass at the clock's current time.
func (h *Harness) Deliver(t testing.TB) bot.DeliveryStats {
	t.Helper()
	st, err := h.DeliverDue(context.Background())
	if err != nil {
		t.Fatalf("DeliverDue: %v", err)
	}
	return st
}
