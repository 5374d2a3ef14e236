package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/coachbot/coachbot/adapters/internal/card"
	"github.com/coachbot/coachbot/adapters/internal/webhook"
	"github.com/coachbot/coachbot/bot"
)

// The modes an Adapter receives interactions in.
const (
	ModeGateway = "gateway" // a websocket session to Discord (the default)
	ModeHTTP    = "http"    // signed POSTs to /discord/interactions
)

// DefaultAPIURL is Discord's REST base.
const DefaultAPIURL = "https://discord.com/api/v10"

// DefaultDeferAfter is how long an interaction may wait for the bot before
// the adapter defers it: Discord drops a first answer after 3 s, and an
// answer sent at 2 s still arrives in time over a slow link.
const DefaultDeferAfter = 2 * time.Second

// The pacing of outgoing REST calls for DMs: Discord allows a bot 50
// requests a second in all, across every replica, so the bucket lives in the
// Limiter (shared through Redis when Redis is the store). The rate is the
// full 50 a second, but bursts stop at 40: requests reach Discord a little
// out of step with the tokens they took (network jitter, replicas at
// different distances from Redis and from Discord), and a burst of the
// whole 50 would turn the first request that arrives early into a 429. The
// 10 left over absorb that, and the odd unpaced call (command sync).
const (
	globalBucket = "discord:global"
	globalRate   = 50
	globalBurst  = 40
)

// Config holds what an Adapter needs. Token, AppID, Bot and Store are
// required; PublicKey is required in HTTP mode.
type Config struct {
	Token   string // the bot token; "Bot " is added when missing
	AppID   string // the application id: command sync and interaction webhooks
	GuildID string // when set, commands are registered to this guild only (instant; for development)

	PublicKey string // hex Ed25519 key that signs HTTP interactions (HTTP mode)
	Mode      string // ModeGateway (default) or ModeHTTP

	// APIURL is the REST base, DefaultAPIURL when empty. Requests keep
	// their path below it, so a test can point it at a local fake.
	APIURL string

	// ShardID and ShardCount shard the gateway session when ShardCount > 1.
	ShardID, ShardCount int

	Bot     *bot.Bot
	Store   bot.Store   // caches DM channel ids (bot.DMChannel)
	Limiter bot.Limiter // paces DMs under the global limit; default in-process
	Logger  *slog.Logger
	// HTTPClient carries REST calls (its Transport and Timeout are used);
	// default: a client with a 20 s timeout.
	HTTPClient *http.Client
	// Clock judges the freshness of signed HTTP interactions; default the
	// system clock.
	Clock bot.Clock
	// DeferAfter is how long an answer may take before the interaction is
	// deferred and edited when the answer is ready; DefaultDeferAfter when 0.
	DeferAfter time.Duration
}

// Adapter is coachbot on Discord. It is safe for concurrent use.
type Adapter struct {
	bot        *bot.Bot
	spec       *bot.Spec
	store      bot.Store
	limiter    bot.Limiter
	log        *slog.Logger
	clock      bot.Clock
	session    *discordgo.Session
	mode       string
	appID      string
	guildID    string
	publicKey  ed25519.PublicKey
	deferAfter time.Duration

	// Answers to replies that are the same for everyone (bot.Reply's
	// CacheKey), and their JSON for the HTTP endpoint.
	responses bot.Cache[*discordgo.InteractionResponse]
	bodies    bot.Cache[[]byte]

	// cards keeps the progress cards drawn, by user and revision.
	cards *card.Renderer

	// refusals logs refused HTTP requests, which anyone can send, at a
	// bounded rate.
	refusals *webhook.Refusals

	mu     sync.Mutex
	runCtx context.Context // the context of Run, for gateway handlers
}

// New returns an Adapter. It checks the configuration and prepares the
// discordgo session without connecting: Run and SyncCommands do that.
func New(cfg Config) (*Adapter, error) {
	switch {
	case cfg.Bot == nil:
		return nil, errors.New("discord: Config.Bot is required")
	case cfg.Store == nil:
		return nil, errors.New("discord: Config.Store is required")
	case strings.TrimSpace(cfg.Token) == "":
		return nil, errors.New("discord: Config.Token is required")
	case cfg.AppID == "":
		return nil, errors.New("discord: Config.AppID is required")
	}
	a := &Adapter{
		bot:        cfg.Bot,
		spec:       cfg.Bot.Spec(),
		store:      cfg.Store,
		limiter:    cfg.Limiter,
		log:        cfg.Logger,
		clock:      cfg.Clock,
		mode:       cfg.Mode,
		appID:      cfg.AppID,
		guildID:    cfg.GuildID,
		deferAfter: cfg.DeferAfter,
		runCtx:     context.Background(),
		cards:      newCards(),
	}
	if a.mode == "" {
		a.mode = ModeGateway
	}
	if a.mode != ModeGateway && a.mode != ModeHTTP {
		return nil, fmt.Errorf("discord: Config.Mode must be %q or %q, not %q", ModeGateway, ModeHTTP, cfg.Mode)
	}
	if a.mode == ModeHTTP || cfg.PublicKey != "" {
		key, err := hex.DecodeString(cfg.PublicKey)
		if err != nil || len(key) != ed25519.PublicKeySize {
			return nil, errors.New("discord: Config.PublicKey must be the application's public key: 64 hex digits")
		}
		a.publicKey = key
	}
	if cfg.ShardCount > 1 && (cfg.ShardID < 0 || cfg.ShardID >= cfg.ShardCount) {
		return nil, fmt.Errorf("discord: Config.ShardID must be in [0, %d)", cfg.ShardCount)
	}
	if a.limiter == nil {
		a.limiter = bot.NewLocalLimits(nil)
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.clock == nil {
		a.clock = bot.SystemClock{}
	}
	a.refusals = webhook.NewRefusals(a.log, "discord request refused", a.clock.Now)
	if a.deferAfter <= 0 {
		a.deferAfter = DefaultDeferAfter
	}

	apiURL := cfg.APIURL
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	rt, err := newRewriter(apiURL, cfg.HTTPClient)
	if err != nil {
		return nil, err
	}
	token := strings.TrimSpace(cfg.Token)
	if !strings.HasPrefix(token, "Bot ") {
		token = "Bot " + token
	}
	s, err := discordgo.New(token)
	if err != nil {
		return nil, fmt.Errorf("discord: %w", err)
	}
	timeout := 20 * time.Second
	if cfg.HTTPClient != nil && cfg.HTTPClient.Timeout > 0 {
		timeout = cfg.HTTPClient.Timeout
	}
	s.Client = &http.Client{Transport: rt, Timeout: timeout}
	// discordgo sleeps and retries a 429 without bound and without looking
	// at the context; the adapter honours Retry-After itself.
	s.ShouldRetryOnRateLimit = false
	s.MaxRestRetries = 0
	// Slash commands, buttons, autocomplete and outgoing DMs need no intents.
	s.Identify.Intents = discordgo.IntentsNone
	s.StateEnabled = false
	if cfg.ShardCount > 1 {
		s.ShardID, s.ShardCount = cfg.ShardID, cfg.ShardCount
	}
	s.AddHandler(a.onEvent)
	a.session = s
	return a, nil
}

// Run keeps the adapter connected until ctx ends. In gateway mode it opens
// the session (which answers interactions as they arrive), waits for ctx
// and closes the session; in HTTP mode interactions come through Register's
// handler, so it only waits for ctx. It returns nil when ctx ends.
func (a *Adapter) Run(ctx context.Context) error {
	if a.mode != ModeGateway {
		<-ctx.Done()
		return nil
	}
	a.mu.Lock()
	a.runCtx = ctx
	a.mu.Unlock()
	if err := a.session.Open(); err != nil {
		return fmt.Errorf("discord: open gateway session: %w", err)
	}
	a.log.Info("discord gateway connected", "shard", a.session.ShardID, "shards", a.session.ShardCount)
	<-ctx.Done()
	if err := a.session.Close(); err != nil {
		a.log.Warn("discord gateway close", "err", err)
	}
	return nil
}

// baseContext is the context interactions from the gateway are handled in.
func (a *Adapter) baseContext() context.Context {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.runCtx
}

// rewriter sends discordgo's REST requests, which always name
// https://discord.com/api/v9/…, to the configured base instead, keeping the
// path below it. It changes no package variable, so adapters pointed at
// different fakes can run side by side.
type rewriter struct {
	base     http.RoundTripper
	from     *url.URL // discordgo's API root
	to       *url.URL // the configured API root
	fromPath string   // from.Path without its trailing slash
	toPath   string
}

func newRewriter(apiURL string, client *http.Client) (*rewriter, error) {
	to, err := url.Parse(apiURL)
	if err != nil || (to.Scheme != "http" && to.Scheme != "https") || to.Host == "" {
		return nil, fmt.Errorf("discord: Config.APIURL must be an http(s) URL like %s, not %q", DefaultAPIURL, apiURL)
	}
	from, err := url.Parse(discordgo.EndpointAPI)
	if err != nil {
		return nil, fmt.Errorf("discord: discordgo's API endpoint: %w", err)
	}
	base := http.DefaultTransport
	if client != nil && client.Transport != nil {
		base = client.Transport
	}
	return &rewriter{
		base:     base,
		from:     from,
		to:       to,
		fromPath: strings.TrimSuffix(from.EscapedPath(), "/"),
		toPath:   strings.TrimSuffix(to.EscapedPath(), "/"),
	}, nil
}

// RoundTrip implements http.RoundTripper.
func (rw *rewriter) RoundTrip(req *http.Request) (*http.Response, error) {
	rest, ok := strings.CutPrefix(req.URL.EscapedPath(), rw.fromPath)
	if req.URL.Host != rw.from.Host || !ok || (rest != "" && rest[0] != '/') {
		return rw.base.RoundTrip(req) // not the REST API (a CDN, say): leave it
	}
	escaped := rw.toPath + rest
	path, err := url.PathUnescape(escaped)
	if err != nil {
		return nil, fmt.Errorf("discord: rewrite request path: %w", err)
	}
	r := req.Clone(req.Context())
	r.URL.Scheme = rw.to.Scheme
	r.URL.Host = rw.to.Host
	r.URL.Path, r.URL.RawPath = path, escaped
	r.Host = rw.to.Host
	return rw.base.RoundTrip(r)
}
