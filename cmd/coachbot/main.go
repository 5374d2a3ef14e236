package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
	_ "time/tzdata" // reminders need IANA zones even where the system has no tzdata

	"github.com/coachbot/coachbot/adapters/boltstore"
	"github.com/coachbot/coachbot/adapters/console"
	"github.com/coachbot/coachbot/adapters/discord"
	"github.com/coachbot/coachbot/adapters/redisstore"
	"github.com/coachbot/coachbot/adapters/slack"
	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/content"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	m := NewMain()
	cfg, err := LoadConfig()
	// go-redis logs every failed dial on its own global logger; send those
	// lines to ours, at debug level, instead of raw to stderr.
	redisstore.RouteLogs(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.level()})))
	if err != nil && !needsNoConfig(os.Args[1:]) {
		fmt.Fprintln(os.Stderr, "coachbot:", err)
		os.Exit(2)
	}
	m.Config = cfg
	err = m.Run(ctx, os.Args[1:])
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// A coded error's message is written for people; its cause is not.
		var be *bot.Error
		if errors.As(err, &be) && be.Message != "" {
			fmt.Fprintln(os.Stderr, "coachbot:", be.Message)
		} else {
			fmt.Fprintln(os.Stderr, "coachbot:", err)
		}
		var u usageError
		if errors.As(err, &u) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// level is the configured log level, info when it does not parse.
func (c Config) level() slog.Level {
	l, err := c.Level()
	if err != nil {
		return slog.LevelInfo
	}
	return l
}

// needsNoConfig reports whether the verb in args works without the
// environment (checking content, printing help), so a bad COACH_ variable
// does not stand in its way.
func needsNoConfig(args []string) bool {
	return len(args) > 0 && (args[0] == "content" || args[0] == "slack-manifest" || args[0] == "healthcheck" || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help")
}

// usageError is a mistake on the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `usage:
  coachbot                       chat on the console; with COACH_HTTP_ADDR or a
                                 platform configured, run as a server instead
  coachbot ask "COMMAND LINE"    answer one command and exit
  coachbot card -o FILE.png      write the console user's progress card as a PNG
  coachbot content check [DIR]   validate a content pack (default: the embedded one)
  coachbot slack-manifest [URL]  print the Slack app manifest for a server at URL
  coachbot healthcheck           exit 0 when the server on COACH_HTTP_ADDR is alive
                                 (for container HEALTHCHECKs: the image has no curl)`

// Main is the program with its configuration, so end-to-end tests can run
// it without flags or environment: set the fields, call Run, then Close.
type Main struct {
	Config   Config
	Stdin    io.Reader
	Stdout   io.Writer
	Stderr   io.Writer
	Terminal bool      // Stdin is a terminal: the console shows a prompt
	Clock    bot.Clock // default: the system clock
	User     string    // the console user's name; default: the OS user

	Store bot.Store
	Bot   *bot.Bot

	log       *slog.Logger
	metrics   *metrics
	ports     storePorts    // the store's optional ports, resolved once in Open
	httpReady chan<- string // tests learn the bound address here
	limits    *bot.LocalLimits
}

// NewMain returns a Main on the process's standard streams.
func NewMain() *Main {
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	if fi, err := os.Stdin.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		m.Terminal = true
	}
	return m
}

// Run runs the verb in args (none: the console).
func (m *Main) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return m.serve(ctx)
	}
	switch args[0] {
	case "ask":
		if len(args) < 2 {
			return usageError{`ask needs a command line, for example: coachbot ask "salary mid"`}
		}
		if err := m.Open(ctx); err != nil {
			return err
		}
		// The same console as the chat, so ask picks the time zone as the
		// console does: the typed one, else the machine's, else the one
		// chosen before, else UTC.
		m.registerConsole()
		return console.Ask(ctx, m.Bot, m.consoleUser(), strings.Join(args[1:], " "), m.Stdout)
	case "card":
		if len(args) != 3 || args[1] != "-o" || args[2] == "" {
			return usageError{"usage: coachbot card -o FILE.png"}
		}
		if err := m.Open(ctx); err != nil {
			return err
		}
		return m.writeCard(ctx, args[2])
	case "content":
		if len(args) < 2 || args[1] != "check" || len(args) > 3 {
			return usageError{"usage: coachbot content check [DIR]"}
		}
		return m.contentCheck(args[2:])
	case "slack-manifest":
		if len(args) > 2 {
			return usageError{"usage: coachbot slack-manifest [BASE_URL]"}
		}
		base := "https://coachbot.example.com"
		if len(args) == 2 {
			base = args[1]
		}
		pack, err := m.loadContent()
		if err != nil {
			return err
		}
		manifest, err := slack.Manifest(bot.NewSpec(pack), base)
		if err != nil {
			return err
		}
		_, err = io.WriteString(m.Stdout, manifest)
		return err
	case "healthcheck":
		if len(args) > 1 {
			return usageError{"usage: coachbot healthcheck"}
		}
		return healthcheck(ctx, m.Config.HTTPAddr)
	case "help", "-h", "-help", "--help":
		fmt.Fprintln(m.Stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q\n%s", args[0], usage)}
}

// registerConsole makes a console of the console user the bot's
// "console" Messenger, for ask and card, which answer without the chat.
func (m *Main) registerConsole() {
	m.Bot.SetMessenger("console", console.New(m.Bot, console.Config{Out: m.Stdout, User: m.consoleUser(), Zone: localZone()}))
}

// writeCard writes the console user's progress card to path. It renders
// in memory first, so a failure to render leaves no file behind.
func (m *Main) writeCard(ctx context.Context, path string) error {
	m.registerConsole()
	var buf bytes.Buffer
	if err := console.WriteCard(ctx, m.Bot, m.consoleUser(), &buf); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("card: %w", err)
	}
	fmt.Fprintf(m.Stdout, "Wrote your progress card to %s (%d bytes).\n", path, buf.Len())
	return nil
}

// Open loads the content, opens the store and builds the bot.
func (m *Main) Open(ctx context.Context) error {
	// Before anything logs a user: Validate has checked the key.
	secret, _ := m.Config.Secret()
	bot.SetPseudonymKey(secret)
	m.log = m.logger()
	pack, err := m.loadContent()
	if err != nil {
		return err
	}
	if m.Store == nil {
		if err := m.openStore(ctx); err != nil {
			return err
		}
	}
	m.ports = portsOf(m.Store)
	if m.ports.deduper == nil {
		// Replicas sharing Redis share the memory of requests seen
		// through it; otherwise this process keeps it.
		m.ports.deduper = m.localLimits()
	}
	m.metrics = newMetrics()
	cfg := bot.Config{
		Store:       countingStore{Store: m.Store, m: m.metrics},
		Content:     pack,
		Clock:       m.clock(),
		Logger:      m.log,
		OnCommand:   m.metrics.onCommand,
		Reminders:   bot.SchedulerConfig{OnDelivery: m.metrics.onDelivery, Lease: m.Config.ReminderLease},
		CommandRate: bot.Rate{PerMinute: float64(m.Config.RateLimit), Burst: m.Config.RateBurst},
		DeadLetters: m.ports.dead,
		Deduper:     m.ports.deduper,
	}
	// The console and ask serve one person at their own keyboard (or a
	// script they piped in), so they are not limited.
	if m.serverMode() && m.Config.RateLimit > 0 {
		if m.ports.gate != nil {
			cfg.Gate = m.ports.gate // replay, limit and the user's read in one round trip
		} else {
			cfg.Limiter = m.limiter()
		}
	}
	m.Bot, err = bot.New(cfg)
	return err
}

// storePorts are the optional ports of the store Main opened. They are
// resolved once, from the store itself, before anything wraps it: a
// wrapper (countingStore) implements bot.Store only and would hide them
// from a type assertion made later.
type storePorts struct {
	limiter bot.Limiter
	deduper bot.Deduper
	dead    bot.DeadLetters
	gate    bot.UserGate
	// installations keeps "Add to Slack" installs, and lists an
	// uninstalled workspace's users.
	installations bot.Installations
}

func portsOf(s bot.Store) storePorts {
	var p storePorts
	p.limiter, _ = s.(bot.Limiter)
	p.deduper, _ = s.(bot.Deduper)
	p.dead, _ = s.(bot.DeadLetters)
	p.gate, _ = s.(bot.UserGate)
	p.installations, _ = s.(bot.Installations)
	return p
}

// serverMode reports whether the process serves platforms over HTTP rather
// than one person on the console.
func (m *Main) serverMode() bool {
	return len(m.Config.Platforms()) > 0 || m.Config.HTTPAddr != ""
}

// limiter is Redis's when Redis is the store, so that replicas share
// their rate buckets, else this process's.
func (m *Main) limiter() bot.Limiter {
	if m.ports.limiter != nil {
		return m.ports.limiter
	}
	return m.localLimits()
}

// openStore opens Redis when it is configured, else the embedded store.
func (m *Main) openStore(ctx context.Context) error {
	if m.Config.RedisURL == "" && len(m.Config.RedisAddrs) == 0 {
		path := filepath.Join(m.Config.DataDir, "coachbot.db")
		s, err := boltstore.Open(path, boltstore.WithClock(m.clock()))
		if err != nil {
			return fmt.Errorf("opening the embedded store: %w", err)
		}
		m.Store = s
		return nil
	}
	s, err := redisstore.Open(ctx, redisstore.Options{
		URL:        m.Config.RedisURL,
		Addrs:      m.Config.RedisAddrs,
		MasterName: m.Config.RedisMaster,
		Logger:     m.log,
	})
	if err != nil {
		return fmt.Errorf("opening the Redis store: %w", err)
	}
	m.Store = s
	// A crash between two writes of an older version, or a hand edit, can
	// leave a reminder outside the indexes: repair that before serving.
	fixed, err := s.Reconcile(ctx)
	if err != nil {
		m.log.Warn("reconcile reminders", "err", err)
	} else if fixed > 0 {
		m.log.Info("reconciled reminders", "fixed", fixed)
	}
	return nil
}

// Close releases what Open acquired.
func (m *Main) Close() error {
	if m.Store == nil {
		return nil
	}
	err := m.Store.Close()
	m.Store = nil
	return err
}

// serve runs the long-lived process: the console when nothing else is
// configured, otherwise the HTTP server and the platform adapters. Reminders
// are delivered in both. It returns when the console input ends or ctx is
// cancelled (SIGINT, SIGTERM), after a graceful stop.
func (m *Main) serve(ctx context.Context) error {
	if err := m.Open(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var wg sync.WaitGroup
	errs := make(chan error, 5)
	run := func(name string, f func(context.Context) error) {
		wg.Go(func() {
			if err := f(ctx); err != nil {
				errs <- fmt.Errorf("%s: %w", name, err)
				cancel() // one part failing stops the process, so an orchestrator restarts it whole
			}
		})
	}
	// Reminders start once every messenger is registered: a reminder
	// claimed before its platform's messenger is there fails, and waits out
	// a retry (found by TestProcessKilledMidDelivery on a loaded machine).
	platforms := m.Config.Platforms()
	if !m.serverMode() {
		c := console.New(m.Bot, console.Config{In: m.Stdin, Out: m.Stdout, User: m.consoleUser(), Prompt: m.Terminal, Zone: localZone()})
		m.Bot.SetMessenger("console", c)
		run("reminders", m.Bot.RunReminders)
		wg.Go(func() {
			if err := c.Run(ctx); err != nil {
				errs <- err
			}
			cancel()
		})
	} else {
		store := countingStore{Store: m.Store, m: m.metrics}
		// /metrics stays off the public port when it has its own.
		metricsAddr := m.Config.MetricsAddr
		mux := newHTTPHandler(store, m.metrics, metricsAddr == "")
		if err := m.startPlatforms(ctx, mux, run); err != nil {
			cancel()
			wg.Wait()
			return err
		}
		run("reminders", m.Bot.RunReminders)
		addr := m.Config.HTTPAddr
		if addr == "" {
			addr = defaultHTTPAddr
		}
		if metricsAddr != "" {
			run("metrics", httpServer{
				variable: "COACH_METRICS_ADDR", addr: metricsAddr, handler: newHTTPHandler(store, m.metrics, true),
				maxConns: m.Config.MaxConns, grace: 4 * time.Second,
				listening: func(bound string) { m.log.Info("metrics are served", "metrics", bound) },
			}.serve)
		}
		run("http", httpServer{
			variable: "COACH_HTTP_ADDR", addr: addr, handler: mux,
			maxConns: m.Config.MaxConns, grace: 4 * time.Second,
			listening: func(bound string) {
				// The bound address, not the configured one: ":0" says nothing.
				m.log.Info("coachbot is running", "http", bound, "platforms", strings.Join(platforms, ","))
				if m.httpReady != nil {
					m.httpReady <- bound
				}
			},
		}.serve)
	}
	<-ctx.Done()
	wg.Wait()
	close(errs)
	var err error
	for e := range errs {
		err = errors.Join(err, e)
	}
	return err
}

// defaultHTTPAddr serves health, metrics and platform endpoints when a
// platform runs and COACH_HTTP_ADDR is unset.
const defaultHTTPAddr = ":8080"

// startPlatforms builds the adapters whose credentials are configured,
// registers their endpoints on mux and their messengers on the bot, and
// starts their long-running parts with run.
func (m *Main) startPlatforms(ctx context.Context, mux *http.ServeMux, run func(string, func(context.Context) error)) error {
	c := m.Config
	if c.SlackBotToken != "" || c.SlackClientID != "" {
		secret, err := c.Secret()
		if err != nil {
			return fmt.Errorf("COACH_SECRET_KEY: %w", err)
		}
		a, err := slack.New(slack.Config{
			BotToken: c.SlackBotToken, SigningSecret: c.SlackSigningSecret, AppToken: c.SlackAppToken,
			APIURL: c.SlackApiURL, Bot: m.Bot, Store: m.Store, Logger: m.log,
			ClientID: c.SlackClientID, ClientSecret: c.SlackClientSecret, PublicURL: c.PublicURL, SecretKey: secret,
			Installations: m.ports.installations, Deduper: m.ports.deduper, Clock: m.clock(),
		})
		if err != nil {
			return fmt.Errorf("slack: %w", err)
		}
		a.Register(mux)
		m.Bot.SetMessenger("slack", a)
		run("slack", a.Run)
	}
	if c.DiscordToken != "" {
		a, err := discord.New(discord.Config{
			Token: c.DiscordToken, AppID: c.DiscordAppID, GuildID: c.DiscordGuildID, PublicKey: c.DiscordPublicKey,
			Mode: c.DiscordMode, APIURL: c.DiscordApiURL, ShardID: c.DiscordShardID, ShardCount: c.DiscordShardCount,
			Bot: m.Bot, Store: m.Store, Limiter: m.limiter(), Logger: m.log,
		})
		if err != nil {
			return fmt.Errorf("discord: %w", err)
		}
		// The old command set keeps working if this fails; say so and go on.
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := a.SyncCommands(sctx); err != nil {
			m.log.Warn("discord command sync failed; the registered commands stay as they were", "err", err)
		}
		cancel()
		a.Register(mux)
		m.Bot.SetMessenger("discord", a)
		run("discord", a.Run)
	}
	return nil
}

func (m *Main) localLimits() *bot.LocalLimits {
	if m.limits == nil {
		m.limits = bot.NewLocalLimits(m.clock())
	}
	return m.limits
}

func (m *Main) contentCheck(args []string) error {
	var (
		pack *content.Pack
		err  error
		name = "the embedded content pack"
	)
	if len(args) == 1 {
		name = args[0]
		pack, err = content.LoadDir(args[0])
	} else {
		pack, err = content.Default()
	}
	if err != nil {
		var probs *content.Problems
		if errors.As(err, &probs) {
			fmt.Fprintf(m.Stdout, "%s has %d problem(s):\n%s\n", name, len(*probs), err)
			return errors.New("content check failed")
		}
		return err
	}
	topics, hours, bands := 0, 0, 0
	for i := range pack.Steps {
		topics += len(pack.Steps[i].Topics)
		hours += pack.Steps[i].Hours()
	}
	for _, t := range pack.Salaries {
		bands += len(t.Bands)
	}
	fmt.Fprintf(m.Stdout, "%s is valid: %s, %s (%s of study), %s, %s, %s (%s), %s, %s.\n", name,
		count(len(pack.Steps), "step"), count(topics, "topic"), count(hours, "hour"), count(len(pack.Skills), "skill"),
		count(len(pack.Levels), "career level"), count(len(pack.Salaries), "salary table"), count(bands, "band"), count(len(pack.Tips), "tip"),
		count(len(pack.Questions), "question"))
	return nil
}

// count writes "1 salary table", "2 salary tables".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func (m *Main) loadContent() (*content.Pack, error) {
	if m.Config.ContentDir == "" {
		return content.Default()
	}
	p, err := content.LoadDir(m.Config.ContentDir)
	if err != nil {
		return nil, fmt.Errorf("COACH_CONTENT_DIR: the content pack in %s is not valid:\n%w", m.Config.ContentDir, err)
	}
	return p, nil
}

func (m *Main) logger() *slog.Logger {
	level, _ := m.Config.Level()
	opts := &slog.HandlerOptions{Level: level}
	out := m.Stderr
	if out == nil {
		out = io.Discard
	}
	if m.Config.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(out, opts))
	}
	// The console is for people: only warnings and worse, unless asked.
	if !m.serverMode() && level == slog.LevelInfo {
		opts.Level = slog.LevelWarn
	}
	return slog.New(slog.NewTextHandler(out, opts))
}

func (m *Main) clock() bot.Clock {
	if m.Clock == nil {
		return bot.SystemClock{}
	}
	return m.Clock
}

func (m *Main) consoleUser() string {
	if m.User != "" {
		return m.User
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "me"
}

// localZone returns the machine's IANA zone name, or "" when it cannot
// tell (the console then falls back to the user's saved zone, or UTC).
func localZone() string {
	if tz := os.Getenv("TZ"); tz != "" {
		if _, err := time.LoadLocation(strings.TrimPrefix(tz, ":")); err == nil {
			return strings.TrimPrefix(tz, ":")
		}
		return ""
	}
	if target, err := os.Readlink("/etc/localtime"); err == nil {
		if _, name, ok := strings.Cut(target, "zoneinfo/"); ok {
			if _, err := time.LoadLocation(name); err == nil {
				return name
			}
		}
	}
	return ""
}
