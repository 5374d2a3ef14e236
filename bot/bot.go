package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
}

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

	mu         sync.RWMutex
	messengers map[string]Messenger
}

// New returns a Bot.
func New(cfg Config) (*Bot, error) {
	if cfg.Store == nil || cfg.Content == nil {
		return nil, errors.New("bot: Config.Store and Config.Content are required")
	}
	b := &Bot{
		store:      cfg.Store,
		pack:       cfg.Content,
		spec:       NewSpec(cfg.Content),
		clock:      cfg.Clock,
		log:        cfg.Logger,
		rand:       cfg.Rand,
		observe:    cfg.OnCommand,
		sched:      cfg.Reminders.withDefaults(),
		timeout:    cfg.CommandTimeout,
		messengers: map[string]Messenger{},
	}
	if b.clock == nil {
		b.clock = SystemClock{}
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

// Handle answers one command line from user. It never fails: errors become
// friendly replies (the cause goes to the log), a panic becomes an internal
// error reply, and the work is bounded by Config.CommandTimeout.
func (b *Bot) Handle(ctx context.Context, user UserID, line string) Reply {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()

	name := "unknown"
	reply, err := func() (reply Reply, err error) {
		defer func() {
			if p := recover(); p != nil {
				err = &Error{Code: Internal, Err: fmt.Errorf("panic: %v\n%s", p, debug.Stack())}
			}
		}()
		parsed, err := b.spec.Parse(line)
		if err != nil {
			name = b.spec.nearest(line)
			return Reply{}, err
		}
		name = parsed.Command.Path()
		req := &Request{User: user, Command: parsed.Command, Args: parsed.Args, Now: b.clock.Now()}
		reply, err = parsed.Command.run(b, ctx, req)
		if err == nil && !parsed.Command.stateless {
			reply = b.withNotice(ctx, req, reply)
		}
		return reply, err
	}()
	if err != nil {
		err = storeError(ctx, err)
		reply = Reply{Title: errorTitle(err), Text: ErrorMessage(err)}
	}

	took := time.Since(start)
	outcome := ErrorCode(err)
	level := slog.LevelInfo
	if outcome == Internal || outcome == Unavailable {
		level = slog.LevelError
	}
	attrs := []slog.Attr{slog.String("user", HashUser(user)), slog.String("command", name), slog.Duration("took", took)}
	if err != nil {
		attrs = append(attrs, slog.String("outcome", string(outcome)), slog.Any("err", err))
	}
	b.log.LogAttrs(ctx, level, "command", attrs...)
	if b.observe != nil {
		b.observe(name, outcome, took)
	}
	return reply
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
	if _, err := b.update(ctx, req, func(u *User) error { u.Notice = ""; return nil }); err != nil {
		b.log.Warn("clear notice", "user", HashUser(req.User), "err", err)
		return r
	}
	r.Text = "⚠️ " + notice + "\n\n" + r.Text
	return r
}

// HashUser returns a short, stable pseudonym of id for logs, which must not
// say who did what.
func HashUser(id UserID) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:6])
}
