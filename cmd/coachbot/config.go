package main

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"
)

// Config is the whole environment of DESIGN §5 (prefix COACH_). Only this
// package reads the environment; everything else gets values from here.
//
// Every field is a plain string read by envconfig and checked by Validate,
// which names the variable and what it expects in one line: envconfig's own
// conversion errors are neither one line nor friendly, and they would echo
// secrets.
type Config struct {
	RedisURL    string   `split_words:"true"`
	RedisAddrs  []string `split_words:"true"`
	RedisMaster string   `split_words:"true"`

	DataDir    string `split_words:"true"`
	ContentDir string `split_words:"true"`
	HTTPAddr   string `split_words:"true"`
	// MetricsAddr, when set, serves /metrics (with /healthz and /readyz)
	// on its own address, and the public HTTPAddr serves no /metrics.
	MetricsAddr string `split_words:"true"`
	// MaxConns caps the HTTP connections served at once on each address;
	// more wait in the listen queue.
	MaxConns int `split_words:"true" default:"1000"`

	SlackBotToken      string `split_words:"true"`
	SlackSigningSecret string `split_words:"true"`
	SlackAppToken      string `split_words:"true"`
	// "Api", not "API": envconfig's split_words reads "APIURL" as one word
	// (COACH_SLACK_APIURL), and an envconfig tag would also read unprefixed
	// names.
	SlackApiURL string `split_words:"true" default:"https://slack.com/api/"`
	// "Add to Slack": the app's OAuth client, for installs in any
	// workspace (a token per workspace, kept sealed in the store).
	SlackClientID     string `split_words:"true"`
	SlackClientSecret string `split_words:"true"`

	// PublicURL is the public https base of HTTPAddr (the OAuth redirect).
	PublicURL string `split_words:"true"`
	// SecretKey is 32 random bytes, hex or base64 (openssl rand -hex 32).
	// It seals stored platform tokens, signs OAuth states and keys the
	// users' pseudonyms in the log (bot.SetPseudonymKey); unset, those are
	// an unkeyed hash.
	SecretKey string `split_words:"true"`

	DiscordToken     string `split_words:"true"`
	DiscordAppID     string `split_words:"true"`
	DiscordMode      string `split_words:"true" default:"gateway"`
	DiscordPublicKey string `split_words:"true"`
	DiscordGuildID   string `split_words:"true"`
	// Sharding for big bots: this process's shard and the total. Unset (or
	// a count of 1) means one gateway connection for everything.
	DiscordShardID    int    `split_words:"true"`
	DiscordShardCount int    `split_words:"true"`
	DiscordApiURL     string `split_words:"true" default:"https://discord.com/api/v10"` // "Api": see SlackApiURL

	// ReminderLease is how long a replica holds a claimed reminder before
	// another may take it over: the longest a crashed replica delays a
	// reminder. It must comfortably exceed one platform send.
	ReminderLease time.Duration `split_words:"true" default:"1m"`

	// RateLimit is how many commands a minute one user may send on average
	// (0: no limit), RateBurst how many at once. Replicas on one Redis
	// share each user's allowance.
	RateLimit int `split_words:"true" default:"30"`
	RateBurst int `split_words:"true" default:"10"`

	LogLevel  string `split_words:"true" default:"info"`
	LogFormat string `split_words:"true" default:"text"`
}

// LoadConfig reads the COACH_ environment and validates it.
func LoadConfig() (Config, error) {
	var c Config
	if err := envconfig.Process("coach", &c); err != nil {
		// Only numbers and durations can fail to convert, and none of them
		// is a secret, so the value may be quoted back.
		var pe *envconfig.ParseError
		if errors.As(err, &pe) {
			return Config{}, fmt.Errorf("%s: expects %s, got %q", pe.KeyName, expects(pe.TypeName), pe.Value)
		}
		return Config{}, err
	}
	// A variable set to "" (common in compose files) means "unset": keep the
	// default rather than fail on an empty value.
	for _, d := range []struct {
		v   *string
		def string
	}{
		{&c.SlackApiURL, "https://slack.com/api/"},
		{&c.DiscordApiURL, "https://discord.com/api/v10"},
		{&c.DiscordMode, "gateway"},
		{&c.LogLevel, "info"},
		{&c.LogFormat, "text"},
		{&c.DataDir, DefaultDataDir()},
	} {
		if *d.v == "" {
			*d.v = d.def
		}
	}
	for i, a := range c.RedisAddrs {
		c.RedisAddrs[i] = strings.TrimSpace(a)
	}
	return c, c.Validate()
}

// expects says in words what a value of a Config field's Go type looks like.
func expects(goType string) string {
	switch goType {
	case "int":
		return "a whole number"
	case "time.Duration":
		return "a duration such as 90s, 1m or 1h30m"
	}
	return "a " + goType
}

// DefaultDataDir is where the embedded store lives when COACH_DATA_DIR is
// unset: $XDG_DATA_HOME/coachbot, else ~/.local/share/coachbot, else
// ./coachbot-data when there is no home directory.
func DefaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "coachbot")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "coachbot")
	}
	return "coachbot-data"
}

// Validate checks every setting and returns the first problem as one line
// naming the variable. It never quotes a secret's value.
func (c Config) Validate() error {
	bad := func(name, format string, args ...any) error {
		return fmt.Errorf("COACH_%s: %s", name, fmt.Sprintf(format, args...))
	}
	if c.RedisURL != "" {
		u, err := url.Parse(c.RedisURL)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") || (u.Scheme != "unix" && u.Host == "") {
			return bad("REDIS_URL", "expects a URL like redis://host:6379/0 or rediss://user:password@host:6380")
		}
		if len(c.RedisAddrs) > 0 {
			return bad("REDIS_ADDRS", "set either COACH_REDIS_URL or COACH_REDIS_ADDRS, not both")
		}
	}
	for i, a := range c.RedisAddrs {
		if err := checkHostPort(a, false); err != nil {
			// The address is not quoted back: it may hold a password.
			return bad("REDIS_ADDRS", "expects comma-separated host:port addresses; address %d: %v", i+1, err)
		}
	}
	if c.RedisMaster != "" && len(c.RedisAddrs) == 0 {
		return bad("REDIS_MASTER", "needs COACH_REDIS_ADDRS (the Sentinel addresses)")
	}
	if c.HTTPAddr != "" {
		if err := checkHostPort(c.HTTPAddr, true); err != nil {
			return bad("HTTP_ADDR", "expects host:port such as :8080 or 127.0.0.1:8080: %v", err)
		}
	}
	if c.MetricsAddr != "" {
		if err := checkHostPort(c.MetricsAddr, true); err != nil {
			return bad("METRICS_ADDR", "expects host:port such as :9090 or 127.0.0.1:9090: %v", err)
		}
	}
	if c.MaxConns < 1 || c.MaxConns > 1000000 {
		return bad("MAX_CONNS", "must be from 1 to 1000000 connections")
	}

	if c.PublicURL != "" {
		if err := checkPublicURL(c.PublicURL); err != nil {
			return bad("PUBLIC_URL", "%v", err)
		}
	}
	if c.SlackClientID != "" || c.SlackClientSecret != "" {
		switch {
		case c.SlackClientID == "":
			return bad("SLACK_CLIENT_ID", "must be set together with COACH_SLACK_CLIENT_SECRET")
		case c.SlackClientSecret == "":
			return bad("SLACK_CLIENT_SECRET", "must be set together with COACH_SLACK_CLIENT_ID")
		case c.SlackSigningSecret == "":
			return bad("SLACK_SIGNING_SECRET", "is required for Add to Slack (COACH_SLACK_CLIENT_ID)")
		case c.SlackAppToken != "":
			return bad("SLACK_APP_TOKEN", "Add to Slack (COACH_SLACK_CLIENT_ID) needs HTTP mode: Slack does not distribute Socket Mode apps")
		case c.PublicURL == "":
			return bad("PUBLIC_URL", "is required for Add to Slack (COACH_SLACK_CLIENT_ID): the OAuth redirect is COACH_PUBLIC_URL/slack/oauth/callback")
		case c.SecretKey == "":
			return bad("SECRET_KEY", "is required for Add to Slack (COACH_SLACK_CLIENT_ID): it encrypts the workspaces' tokens; make one with openssl rand -hex 32")
		}
	}
	if (c.SlackBotToken == "") != (c.SlackSigningSecret == "") && c.SlackAppToken == "" && c.SlackClientID == "" {
		if c.SlackBotToken == "" {
			return bad("SLACK_BOT_TOKEN", "must be set together with COACH_SLACK_SIGNING_SECRET")
		}
		return bad("SLACK_SIGNING_SECRET", "must be set together with COACH_SLACK_BOT_TOKEN (or use Socket Mode with COACH_SLACK_APP_TOKEN)")
	}
	if c.SlackBotToken != "" && !strings.HasPrefix(c.SlackBotToken, "xoxb-") {
		return bad("SLACK_BOT_TOKEN", "expects a bot token starting with xoxb-")
	}
	if c.SlackAppToken != "" {
		if !strings.HasPrefix(c.SlackAppToken, "xapp-") {
			return bad("SLACK_APP_TOKEN", "expects an app-level token starting with xapp-")
		}
		if c.SlackBotToken == "" {
			return bad("SLACK_BOT_TOKEN", "Socket Mode (COACH_SLACK_APP_TOKEN) also needs the bot token")
		}
	}
	if err := checkBaseURL(c.SlackApiURL); err != nil {
		return bad("SLACK_API_URL", "%v", err)
	}

	if (c.DiscordToken == "") != (c.DiscordAppID == "") {
		if c.DiscordToken == "" {
			return bad("DISCORD_TOKEN", "must be set together with COACH_DISCORD_APP_ID")
		}
		return bad("DISCORD_APP_ID", "must be set together with COACH_DISCORD_TOKEN")
	}
	if c.DiscordAppID != "" && !isSnowflake(c.DiscordAppID) {
		return bad("DISCORD_APP_ID", "expects the application's numeric id, got %q", c.DiscordAppID)
	}
	if c.DiscordGuildID != "" && !isSnowflake(c.DiscordGuildID) {
		return bad("DISCORD_GUILD_ID", "expects a numeric server (guild) id, got %q", c.DiscordGuildID)
	}
	switch c.DiscordMode {
	case "gateway", "http":
	default:
		return bad("DISCORD_MODE", "must be gateway or http, got %q", c.DiscordMode)
	}
	if c.DiscordShardCount < 0 || c.DiscordShardID < 0 || (c.DiscordShardCount > 0 && c.DiscordShardID >= c.DiscordShardCount) {
		return bad("DISCORD_SHARD_ID", "must be from 0 to COACH_DISCORD_SHARD_COUNT-1")
	}
	if c.DiscordPublicKey != "" {
		if k, err := hex.DecodeString(c.DiscordPublicKey); err != nil || len(k) != 32 {
			return bad("DISCORD_PUBLIC_KEY", "expects the application's public key: 64 hex characters")
		}
	}
	if c.DiscordMode == "http" && c.DiscordToken != "" && c.DiscordPublicKey == "" {
		return bad("DISCORD_PUBLIC_KEY", "is required when COACH_DISCORD_MODE is http")
	}
	if err := checkBaseURL(c.DiscordApiURL); err != nil {
		return bad("DISCORD_API_URL", "%v", err)
	}

	if c.ReminderLease < time.Second || c.ReminderLease > time.Hour {
		return bad("REMINDER_LEASE", "must be a duration from 1s to 1h, like 1m")
	}
	if c.RateLimit < 0 || c.RateLimit > 100000 {
		return bad("RATE_LIMIT", "must be commands per minute per user, from 0 (no limit) to 100000")
	}
	if c.RateBurst < 1 || c.RateBurst > 1000 {
		return bad("RATE_BURST", "must be from 1 to 1000 commands")
	}
	if c.SecretKey != "" {
		if _, err := c.Secret(); err != nil {
			// Never quoted: it is the secret.
			return bad("SECRET_KEY", "%v", err)
		}
	}
	if _, err := c.Level(); err != nil {
		return bad("LOG_LEVEL", "must be debug, info, warn or error, got %q", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return bad("LOG_FORMAT", "must be text or json, got %q", c.LogFormat)
	}
	return nil
}

// Secret returns COACH_SECRET_KEY's 32 bytes, nil when it is unset. Hex
// (64 characters) and base64 (standard or URL alphabet, padded or not) are
// read.
func (c Config) Secret() ([]byte, error) {
	if c.SecretKey == "" {
		return nil, nil
	}
	s := strings.TrimSpace(c.SecretKey)
	if b, err := hex.DecodeString(s); err == nil && len(b) == secretKeyBytes {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == secretKeyBytes {
			return b, nil
		}
	}
	return nil, errors.New("expects 32 random bytes in hex (64 characters) or base64 (44), such as the output of: openssl rand -hex 32")
}

// secretKeyBytes is the length of COACH_SECRET_KEY (DESIGN §5).
const secretKeyBytes = 32

// Level returns COACH_LOG_LEVEL as a slog level.
func (c Config) Level() (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(c.LogLevel))
	return l, err
}

// Platforms lists the chat platforms whose credentials are configured.
func (c Config) Platforms() []string {
	var p []string
	if c.SlackBotToken != "" || c.SlackClientID != "" {
		p = append(p, "slack")
	}
	if c.DiscordToken != "" {
		p = append(p, "discord")
	}
	return p
}

func checkHostPort(s string, emptyHost bool) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return errors.New("missing or malformed port")
	}
	if host == "" && !emptyHost {
		return errors.New("missing host")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return errors.New("the port must be a number from 0 to 65535")
	}
	return nil
}

func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("expects an http(s) URL")
	}
	return nil
}

// checkPublicURL accepts an https base URL, or plain http for a loopback
// host (tests, a local tunnel's far end).
func checkPublicURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errors.New("expects the public https base URL of the server, like https://coach.example.com")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return errors.New("expects an https URL (plain http only for localhost), like https://coach.example.com")
}

func isSnowflake(s string) bool {
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}
