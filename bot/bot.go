package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"time"

	"github.com/coachbot/coachbot/content"
)

// CommandTimeout bounds the work of one command. Discord and Slack drop an
// answer that comes after 3 s; 2.5 s leaves room for the network.
const CommandTimeout = 2500 * time.Millisecond

// Config holds a Bot's dependencies. Store and Content are required.
type Config struct {
	Store   Store
	Content *content.Pack
	Clock   Clock        // default: SystemClock
	Logger  *slog.Logger // default: slog.Default()
	// Rand returns a random int in [0, n); tests fix it. Default: math/rand/v2.
	Rand func(n int) int
	// OnCommand, when set, is told about every command: its path ("roadmap
	// next", or "unknown"), its outcome ("" for success, else the error code)
	// and how long it took. The HTTP server's metrics hang here.
	OnCommand func(command string, outcome Code, took time.Duration)
	// CommandTimeout bounds each command; default CommandTimeout.
	CommandTimeout time.Duration
	// Reminders tunes the scheduler; zero values take the defaults.
	Reminders SchedulerConfig
	// Limiter, when set, holds each user to CommandRate: one person (or a
	// script) flooding commands is asked to slow down instead of loading
	// the store for everyone. Replicas sharing a Redis share the limit.
	Limiter Limiter
	// CommandRate is the per-user limit; zero values take DefaultCommandRate.
	CommandRate Rate
	// Gate, when set, replaces Limiter and Deduper for commands: the replay
	// check, the rate-limit check and the user's read in one store round
	// trip.
	Gate UserGate
	// Deduper refuses a replayed request (Inbound.Once) when there is no
	// Gate. Default: an in-process LocalLimits, right for one process.
	Deduper Deduper
	// DeadLetters, when set, keeps the occurrences the scheduler gives up
	// on. Wiring passes the store's own (optional ports are resolved once,
	// there, so no wrapper can hide one); when nil, New takes Store's if it
	// has one.
	DeadLetters DeadLetters
}

// Rate is a per-user command limit: PerMinute on average, with bursts of up
// to Burst commands (a person clicking through the roadmap).
type Rate struct {
	PerMinute float64
	Burst     int
}

// DefaultCommandRate lets a person type or click as fast as people do (ten
// commands at once, then one every two seconds) and stops scripts.
var DefaultCommandRate = Rate{PerMinute: 30, Burst: 10}

// limiterTimeout bounds the rate-limit check. The check fails open: a
// limiter that does not answer must not cost content-only commands, which
// work without the store, their deadline.
const limiterTimeout = 250 * time.Millisecond

// replayCheckTimeout bounds the replay check, which fails closed for a
// command that changes state (it might be a replay): it gets longer than
// the limiter, so that a slow moment of the store does not refuse real
// users.
const replayCheckTimeout = time.Second

// Bot is the platform-neutral coach: it answers command lines and delivers
// reminders. It is safe for concurrent use.
type Bot struct {
	store   Store
	pack    *content.Pack
	spec    *Spec
	clock   Clock
	log     *slog.Logger
	rand    func(int) int
	observe func(string, Code, time.Duration)
	sched   SchedulerConfig
	timeout time.Duration
	limiter Limiter
	rate    Rate
	gate    UserGate
	dedupe  Deduper
	steps   Cache[Reply] // step replies, one per step state (stepReply)
	// deadLetters is the optional port, nil when the store keeps none.
	deadLetters DeadLetters

	mu         sync.RWMutex
	messengers map[string]Messenger
}

// New returns a Bot.
func New(cfg Config) (*Bot, error) {
	if cfg.Store == nil || cfg.Content == nil {
		return nil, errors.New("bot: Config.Store and Config.Content are required")
	}
	b := &Bot{
		store:       cfg.Store,
		pack:        cfg.Content,
		spec:        NewSpec(cfg.Content),
		clock:       cfg.Clock,
		log:         cfg.Logger,
		rand:        cfg.Rand,
		observe:     cfg.OnCommand,
		sched:       cfg.Reminders.withDefaults(),
		timeout:     cfg.CommandTimeout,
		limiter:     cfg.Limiter,
		rate:        cfg.CommandRate,
		deadLetters: cfg.DeadLetters,
		gate:        cfg.Gate,
		dedupe:      cfg.Deduper,
		messengers:  map[string]Messenger{},
	}
	if b.deadLetters == nil {
		b.deadLetters, _ = cfg.Store.(DeadLetters)
	}
	if b.rate.PerMinute <= 0 || b.rate.Burst < 1 {
		b.rate = DefaultCommandRate
	}
	if b.clock == nil {
		b.clock = SystemClock{}
	}
	if b.dedupe == nil && b.gate == nil {
		b.dedupe = NewLocalLimits(b.clock)
	}
	if b.log == nil {
		b.log = slog.Default()
	}
	if b.timeout <= 0 {
		b.timeout = CommandTimeout
	}
	if b.rand == nil {
		b.rand = rand.IntN
	}
	return b, nil
}

// Spec returns the command spec, for adapters that register commands.
func (b *Bot) Spec() *Spec { return b.spec }

// Content returns the content pack the bot answers from.
func (b *Bot) Content() *content.Pack { return b.pack }

// SetMessenger makes m deliver reminders to users of platform ("discord",
// "slack", "console"). Adapters call it when they start.
func (b *Bot) SetMessenger(platform string, m Messenger) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.messengers[platform] = m
}

func (b *Bot) messenger(platform string) Messenger {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.messengers[platform]
}

// Request is one command being handled.
type Request struct {
	User    UserID
	Command *Command
	Args    map[string]string
	Now     time.Time

	profile *User // the user's record, read once per request when needed
}

// Arg returns the canonical value of the named argument, "" when absent.
func (r *Request) Arg(name string) string { return r.Args[name] }

// Inbound is one command line as a platform delivered it.
type Inbound struct {
	User UserID
	Line string
	// Once, when set, names this request and no other: Discord's
	// interaction id, Slack's request signature. A request whose Once was
	// seen in the last ReplayWindow is a replay of signed bytes, and is
	// refused before anything runs.
	Once string
}

// Handle answers one command line from user. It never fails: errors become
// friendly replies (the cause goes to the log), a panic becomes an internal
// error reply, and the work is bounded by Config.CommandTimeout.
func (b *Bot) Handle(ctx context.Context, user UserID, line string) Reply {
	r, _ := b.Serve(ctx, Inbound{User: user, Line: line})
	return r
}

// Serve answers a request a platform delivered, as Handle does. The one
// thing it refuses rather than answers is a replay: it returns ErrReplayed,
// having run nothing, when in.Once was seen before; the platform then
// refuses the request (the Reply says why, for one that shows it anyway).
// When the store cannot say whether in.Once was seen, a stateless command
// (it needs only the content; a replay of it costs at most tip's
// best-effort counter) is answered, and one that reads or changes the
// user's state gets the usual "I can't reach my memory" answer: fail
// closed, without turning an outage into errors the platform shows as its
// own.
func (b *Bot) Serve(ctx context.Context, in Inbound) (Reply, error) {
	start := time.Now()
	deadline := start.Add(b.timeout)
	// The admission check and the command get contexts of their own, both
	// children of ctx, rather than one inside the other: a context with a
	// deadline inside another registers with it, which under load was a
	// measurable share of a command's allocations (pprof).
	parent := ctx
	ctx, cancel := context.WithDeadline(parent, deadline)
	defer cancel()
	user, line := in.User, in.Line

	name := "unknown"
	reply, err := func() (reply Reply, err error) {
		defer func() {
			if p := recover(); p != nil {
				err = &Error{Code: Internal, Err: fmt.Errorf("panic: %v\n%s", p, debug.Stack())}
			}
		}()
		profile, err := b.admit(parent, deadline, in)
		unchecked, _ := errors.AsType[uncheckedOnce](err)
		if err != nil && unchecked.error == nil {
			name = b.spec.nearest(line)
			return Reply{}, err
		}
		parsed, err := b.spec.Parse(line)
		if err != nil {
			name = b.spec.nearest(line)
			return Reply{}, err
		}
		name = parsed.Command.Path()
		if unchecked.error != nil && !parsed.Command.stateless {
			return Reply{}, unchecked.error
		}
		req := &Request{User: user, Command: parsed.Command, Args: parsed.Args, Now: b.clock.Now(), profile: profile}
		reply, err = parsed.Command.run(b, ctx, req)
		switch {
		case err != nil:
		case !parsed.Command.stateless:
			reply = b.withNotice(ctx, req, reply)
		case reply.CacheKey == "":
			reply.CacheKey = parsed.Line()
		}
		return reply, err
	}()
	if err != nil {
		err = storeError(ctx, err)
		reply = Reply{Title: errorTitle(err), Text: ErrorMessage(err), Code: ErrorCode(err)}
	}
	if r, ok := errors.AsType[refusal](err); ok {
		b.log.LogAttrs(ctx, slog.LevelInfo, "request refused", slog.String("user", HashUser(user)), slog.String("reason", ErrorMessage(err)))
		return reply, r.error
	}

	took := time.Since(start)
	outcome := ErrorCode(err)
	level := slog.LevelInfo
	if outcome == Internal || outcome == Unavailable {
		level = slog.LevelError
	}
	// Enabled first: the user's pseudonym is an HMAC, not worth computing
	// for a line that is not written (above info, none are).
	if b.log.Enabled(ctx, level) {
		attrs := []slog.Attr{slog.String("user", HashUser(user)), slog.String("command", name), slog.String("outcome", outcomeName(outcome)), slog.Duration("took", took)}
		if cause := logCause(err); cause != nil {
			attrs = append(attrs, slog.Any("err", cause))
		}
		b.log.LogAttrs(ctx, level, "command", attrs...)
	}
	if b.observe != nil {
		b.observe(name, outcome, took)
	}
	return reply, nil
}

// logCause returns what of a command's error may be logged. The user's
// mistakes (invalid, not found, limited) log nothing but their code: their
// messages, and causes such as a time.Parse error, quote what the user
// typed, and message text stays out of the log. Other errors log their
// cause, which is ours (a store or platform failure), not the user's
// message.
func logCause(err error) error {
	switch ErrorCode(err) {
	case "", Invalid, NotFound, Limited:
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Err // nil when there is nothing but the safe message
	}
	return err
}

// outcomeName names an outcome in the log: the error code, "ok" for none.
func outcomeName(c Code) string {
	if c == "" {
		return "ok"
	}
	return string(c)
}

// refusal marks an error that refuses a request rather than answers it.
type refusal struct{ error }

func (r refusal) Unwrap() error { return r.error }

// uncheckedOnce is admit's answer when the replay check itself failed: an
// Unavailable error for any command that touches the user's state.
type uncheckedOnce struct{ error }

func (u uncheckedOnce) Unwrap() error { return u.error }

// admit lets a command in. It refuses a replay (in.Once seen before), and
// returns uncheckedOnce when that cannot be checked. It takes one command
// from the user's allowance: a Limited error when none is left, nil when
// the limiter fails (a broken limiter must not turn into an outage). With
// a Gate all of that is one round trip, which also returns the user's
// record (nil otherwise). ctx is the request's (not the command's), and
// deadline the command's, which bounds the check too.
func (b *Bot) admit(ctx context.Context, deadline time.Time, in Inbound) (*User, error) {
	// within bounds a check by timeout and by the command's deadline.
	within := func(timeout time.Duration) (context.Context, context.CancelFunc) {
		d := time.Now().Add(timeout)
		if deadline.Before(d) {
			d = deadline
		}
		return context.WithDeadline(ctx, d)
	}
	if b.gate != nil {
		timeout := limiterTimeout
		if in.Once != "" {
			timeout = replayCheckTimeout
		}
		gctx, cancel := within(timeout)
		defer cancel()
		a, err := b.gate.Admit(gctx, in.User, in.Once, b.rate)
		switch {
		case err != nil && in.Once != "":
			return nil, uncheckedOnce{WrapError(Unavailable, err, msgUnavailable)}
		case err != nil:
			b.log.Debug("rate limit check failed; allowing the command", "err", err)
			return nil, nil
		case a.Replayed:
			return nil, refusal{ErrReplayed}
		case !a.Allowed:
			return nil, limited(a.Wait)
		}
		return &a.User, nil
	}
	if in.Once != "" {
		dctx, cancel := within(replayCheckTimeout)
		first, err := b.dedupe.FirstSeen(dctx, in.Once, ReplayWindow)
		cancel()
		if err != nil {
			return nil, uncheckedOnce{WrapError(Unavailable, err, msgUnavailable)}
		}
		if !first {
			return nil, refusal{ErrReplayed}
		}
	}
	if b.limiter == nil {
		return nil, nil
	}
	lctx, cancel := within(limiterTimeout)
	defer cancel()
	// The key is the user's pseudonym: a rate key outlives nothing (it
	// expires within a minute) but still should not spread raw ids.
	ok, wait, err := b.limiter.Allow(lctx, "cmd:"+HashUser(in.User), b.rate.PerMinute/60, b.rate.Burst)
	if err != nil {
		b.log.Debug("rate limit check failed; allowing the command", "err", err)
		return nil, nil
	}
	if !ok {
		return nil, limited(wait)
	}
	return nil, nil
}

// limited is the answer to a user over their allowance, who may try again
// after wait.
func limited(wait time.Duration) error {
	secs := int(wait.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	unit := "seconds"
	if secs == 1 {
		unit = "second"
	}
	return Errorf(Limited, "You're going a little fast for me. Please slow down and try again in %d %s.", secs, unit)
}

// storeError turns a deadline or cancellation into Unavailable, so the user
// reads "try again" rather than "something went wrong".
func storeError(ctx context.Context, err error) error {
	if ErrorCode(err) == Internal && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || ctx.Err() != nil) {
		return WrapError(Unavailable, err, msgUnavailable)
	}
	return err
}

func errorTitle(err error) string {
	switch ErrorCode(err) {
	case Invalid, NotFound:
		return "Hmm, not quite"
	case Unavailable:
		return "I can't reach my memory"
	case Limited:
		return "Slow down a little"
	}
	return "Something went wrong"
}

// user returns the requester's record, reading it once per request.
func (b *Bot) user(ctx context.Context, req *Request) (User, error) {
	if req.profile != nil {
		return *req.profile, nil
	}
	u, err := b.store.User(ctx, req.User)
	if err != nil {
		return User{}, err
	}
	req.profile = &u
	return u, nil
}

// update changes the requester's record and keeps the request's copy fresh.
func (b *Bot) update(ctx context.Context, req *Request, fn func(*User) error) (User, error) {
	u, err := b.store.UpdateUser(ctx, req.User, fn)
	if err != nil {
		return User{}, err
	}
	req.profile = &u
	return u, nil
}

// withNotice adds a pending notice (why reminders paused) to the reply and
// clears it, so the user hears it exactly once.
func (b *Bot) withNotice(ctx context.Context, req *Request, r Reply) Reply {
	u, err := b.user(ctx, req)
	if err != nil || u.Notice == "" {
		return r
	}
	notice := u.Notice
	// Clearing the notice must not bring back a user who was forgotten
	// since the read (see Store).
	cleared, err := UpdateKept(ctx, b.store, req.User, func(u *User) error { u.Notice = ""; return nil })
	if err != nil {
		b.log.Warn("clear notice", "user", HashUser(req.User), "err", err)
		return r
	}
	req.profile = &cleared
	r.Text = "⚠️ " + notice + "\n\n" + r.Text
	r.CacheKey = "" // personal now
	return r
}
