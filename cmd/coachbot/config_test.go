package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Secret values used by these tests. Each is distinctive, so finding one in
// an error message cannot be a coincidence.
const (
	slackBotToken  = "xoxb-SECRETbot-1234"
	slackSecret    = "SECRETsigning5678"
	slackAppToken  = "xapp-SECRETapp-9012"
	discordToken   = "SECRETdiscord.token.3456"
	redisPassword  = "SECRETredispw7890"
	discordPubKey  = "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100"
	discordAppID   = "112233445566778899"
	discordGuildID = "998877665544332211"
	slackClientSec = "SECRETclient4321"
	secretKeyHex   = "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7"
)

var secrets = []string{slackBotToken, slackSecret, slackAppToken, discordToken, redisPassword,
	// The parts after the prefix, in case a message quotes a trimmed token.
	"SECRETbot", "SECRETapp", "SECRETdiscord", slackClientSec, "SECRETclient", secretKeyHex, secretKeyHex[:16],
	"5ecret5ecret", strings.Repeat("5e", 31)} // the last two: bad COACH_SECRET_KEYs

// withInstalls configures "Add to Slack" with no bot token of our own.
func withInstalls(c *Config) {
	c.SlackClientID, c.SlackClientSecret, c.SlackSigningSecret = "1234.5678", slackClientSec, slackSecret
	c.PublicURL, c.SecretKey = "https://coach.example.com", secretKeyHex
}

// validConfig is what LoadConfig returns for an empty environment (with
// the data directory chosen).
func validConfig() Config {
	return Config{
		DataDir:       "/var/lib/coachbot",
		SlackApiURL:   "https://slack.com/api/",
		DiscordMode:   "gateway",
		DiscordApiURL: "https://discord.com/api/v10",
		LogLevel:      "info",
		LogFormat:     "text",
		ReminderLease: time.Minute,
		RateLimit:     30,
		RateBurst:     10,
		MaxConns:      1000,
	}
}

// withEverything has every platform configured, so that secrets are present
// in the configs most rules see.
func withEverything(c *Config) {
	c.HTTPAddr = ":8080"
	c.SlackBotToken, c.SlackSigningSecret = slackBotToken, slackSecret
	c.DiscordToken, c.DiscordAppID, c.DiscordPublicKey, c.DiscordGuildID = discordToken, discordAppID, discordPubKey, discordGuildID
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string // the variable the error must start with; "" for valid
	}{
		// Valid configurations.
		{"defaults", func(c *Config) {}, ""},
		{"everything", withEverything, ""},
		{"redis URL", func(c *Config) { c.RedisURL = "redis://localhost:6379/0" }, ""},
		{"rediss URL with password", func(c *Config) { c.RedisURL = "rediss://default:" + redisPassword + "@cache.example.com:6380" }, ""},
		{"redis unix socket", func(c *Config) { c.RedisURL = "unix:///run/redis.sock" }, ""},
		{"redis cluster", func(c *Config) { c.RedisAddrs = []string{"10.0.0.1:7000", "10.0.0.2:7000", "[fd00::3]:7000"} }, ""},
		{"redis sentinel", func(c *Config) { c.RedisAddrs, c.RedisMaster = []string{"s1:26379", "s2:26379"}, "mymaster" }, ""},
		{"http addr any host", func(c *Config) { c.HTTPAddr = ":8080" }, ""},
		{"http addr loopback", func(c *Config) { c.HTTPAddr = "127.0.0.1:8080" }, ""},
		{"http addr v6", func(c *Config) { c.HTTPAddr = "[::1]:0" }, ""},
		{"slack socket mode", func(c *Config) { c.SlackAppToken, c.SlackBotToken = slackAppToken, slackBotToken }, ""},
		{"slack fake API", func(c *Config) { c.SlackApiURL = "http://127.0.0.1:4321/api/" }, ""},
		{"discord http mode", func(c *Config) {
			c.DiscordToken, c.DiscordAppID, c.DiscordMode, c.DiscordPublicKey = discordToken, discordAppID, "http", discordPubKey
		}, ""},
		{"discord fake API", func(c *Config) { c.DiscordApiURL = "http://127.0.0.1:4321/api/v10" }, ""},
		{"log debug json", func(c *Config) { c.LogLevel, c.LogFormat = "debug", "json" }, ""},
		{"log warn", func(c *Config) { c.LogLevel = "warn" }, ""},
		{"log error", func(c *Config) { c.LogLevel = "error" }, ""},

		{"add to slack", withInstalls, ""},
		{"add to slack beside a bot token", func(c *Config) { withEverything(c); withInstalls(c) }, ""},
		{"public URL on localhost http", func(c *Config) { withInstalls(c); c.PublicURL = "http://127.0.0.1:8080" }, ""},
		{"secret key base64", func(c *Config) { c.SecretKey = "XsfnXsfnXsfnXsfnXsfnXsfnXsfnXsfnXsfnXsfnXsc=" }, ""},
		// COACH_SLACK_CLIENT_*, COACH_PUBLIC_URL, COACH_SECRET_KEY
		{"client id without secret", func(c *Config) { withInstalls(c); c.SlackClientSecret = "" }, "COACH_SLACK_CLIENT_SECRET"},
		{"client secret without id", func(c *Config) { withInstalls(c); c.SlackClientID = "" }, "COACH_SLACK_CLIENT_ID"},
		{"installs without signing secret", func(c *Config) { withInstalls(c); c.SlackSigningSecret = "" }, "COACH_SLACK_SIGNING_SECRET"},
		{"installs in socket mode", func(c *Config) {
			withInstalls(c)
			c.SlackAppToken, c.SlackBotToken = slackAppToken, slackBotToken
		}, "COACH_SLACK_APP_TOKEN"},
		{"installs without public URL", func(c *Config) { withInstalls(c); c.PublicURL = "" }, "COACH_PUBLIC_URL"},
		{"installs without secret key", func(c *Config) { withInstalls(c); c.SecretKey = "" }, "COACH_SECRET_KEY"},
		{"public URL plain http", func(c *Config) { withInstalls(c); c.PublicURL = "http://coach.example.com" }, "COACH_PUBLIC_URL"},
		{"public URL without scheme", func(c *Config) { withInstalls(c); c.PublicURL = "coach.example.com" }, "COACH_PUBLIC_URL"},
		{"public URL with query", func(c *Config) { withInstalls(c); c.PublicURL = "https://coach.example.com/?a=b" }, "COACH_PUBLIC_URL"},
		{"secret key too short", func(c *Config) { withInstalls(c); c.SecretKey = secretKeyHex[:62] }, "COACH_SECRET_KEY"},
		{"secret key not hex", func(c *Config) { withInstalls(c); c.SecretKey = "SECRETclient" + secretKeyHex[12:] }, "COACH_SECRET_KEY"},
		// COACH_REDIS_URL
		{"redis URL without scheme", func(c *Config) { c.RedisURL = "localhost:6379" }, "COACH_REDIS_URL"},
		{"redis URL with http scheme", func(c *Config) { c.RedisURL = "http://localhost:6379" }, "COACH_REDIS_URL"},
		{"redis URL without host", func(c *Config) { c.RedisURL = "redis:///0" }, "COACH_REDIS_URL"},
		{"redis URL with password but no host", func(c *Config) { c.RedisURL = "rediss://default:" + redisPassword + "@" }, "COACH_REDIS_URL"},
		{"redis URL unparsable with password", func(c *Config) { c.RedisURL = "redis://default:" + redisPassword + "@host:port:bad/%zz" }, "COACH_REDIS_URL"},
		// COACH_REDIS_ADDRS
		{"redis URL and addrs", func(c *Config) { c.RedisURL, c.RedisAddrs = "redis://h:6379", []string{"h:6379"} }, "COACH_REDIS_ADDRS"},
		{"redis addr without port", func(c *Config) { c.RedisAddrs = []string{"h1:7000", "h2"} }, "COACH_REDIS_ADDRS"},
		{"redis addr without host", func(c *Config) { c.RedisAddrs = []string{":7000"} }, "COACH_REDIS_ADDRS"},
		{"redis addr port not a number", func(c *Config) { c.RedisAddrs = []string{"h:redis"} }, "COACH_REDIS_ADDRS"},
		{"redis addr port too big", func(c *Config) { c.RedisAddrs = []string{"h:70000"} }, "COACH_REDIS_ADDRS"},
		{"redis addr empty item", func(c *Config) { c.RedisAddrs = []string{"h:7000", ""} }, "COACH_REDIS_ADDRS"},
		// COACH_REDIS_MASTER
		{"redis master without addrs", func(c *Config) { c.RedisMaster = "mymaster" }, "COACH_REDIS_MASTER"},
		{"redis master with URL only", func(c *Config) { c.RedisURL, c.RedisMaster = "redis://h:6379", "mymaster" }, "COACH_REDIS_MASTER"},
		// COACH_HTTP_ADDR
		{"http addr without port", func(c *Config) { withEverything(c); c.HTTPAddr = "localhost" }, "COACH_HTTP_ADDR"},
		{"http addr bare port", func(c *Config) { withEverything(c); c.HTTPAddr = "8080" }, "COACH_HTTP_ADDR"},
		{"http addr named port", func(c *Config) { withEverything(c); c.HTTPAddr = ":http-alt" }, "COACH_HTTP_ADDR"},
		{"http addr port too big", func(c *Config) { withEverything(c); c.HTTPAddr = ":65536" }, "COACH_HTTP_ADDR"},
		// COACH_SLACK_*
		{"slack token without secret", func(c *Config) { c.SlackBotToken = slackBotToken }, "COACH_SLACK_SIGNING_SECRET"},
		{"slack secret without token", func(c *Config) { c.SlackSigningSecret = slackSecret }, "COACH_SLACK_BOT_TOKEN"},
		{"slack user token", func(c *Config) { withEverything(c); c.SlackBotToken = "xoxp-SECRETbot-1234" }, "COACH_SLACK_BOT_TOKEN"},
		{"slack app token as bot token", func(c *Config) { withEverything(c); c.SlackBotToken = slackAppToken }, "COACH_SLACK_BOT_TOKEN"},
		{"slack bot token as app token", func(c *Config) { withEverything(c); c.SlackAppToken = slackBotToken }, "COACH_SLACK_APP_TOKEN"},
		{"slack app token without bot token", func(c *Config) { c.SlackAppToken = slackAppToken }, "COACH_SLACK_BOT_TOKEN"},
		{"slack app token and secret without bot token", func(c *Config) { c.SlackAppToken, c.SlackSigningSecret = slackAppToken, slackSecret }, "COACH_SLACK_BOT_TOKEN"},
		{"reminder lease too short", func(c *Config) { c.ReminderLease = 500 * time.Millisecond }, "COACH_REMINDER_LEASE"},
		{"reminder lease too long", func(c *Config) { c.ReminderLease = 2 * time.Hour }, "COACH_REMINDER_LEASE"},
		{"rate limit negative", func(c *Config) { c.RateLimit = -1 }, "COACH_RATE_LIMIT"},
		{"rate limit huge", func(c *Config) { c.RateLimit = 1_000_000 }, "COACH_RATE_LIMIT"},
		{"rate burst zero", func(c *Config) { c.RateBurst = 0 }, "COACH_RATE_BURST"},
		{"slack API URL without scheme", func(c *Config) { withEverything(c); c.SlackApiURL = "slack.com/api/" }, "COACH_SLACK_API_URL"},
		{"slack API URL ftp", func(c *Config) { withEverything(c); c.SlackApiURL = "ftp://slack.com/api/" }, "COACH_SLACK_API_URL"},
		{"slack API URL empty", func(c *Config) { withEverything(c); c.SlackApiURL = "" }, "COACH_SLACK_API_URL"},
		// COACH_DISCORD_*
		{"discord token without app id", func(c *Config) { c.DiscordToken = discordToken }, "COACH_DISCORD_APP_ID"},
		{"discord app id without token", func(c *Config) { c.DiscordAppID = discordAppID }, "COACH_DISCORD_TOKEN"},
		{"discord app id not numeric", func(c *Config) { withEverything(c); c.DiscordAppID = "my-app" }, "COACH_DISCORD_APP_ID"},
		{"discord app id negative", func(c *Config) { withEverything(c); c.DiscordAppID = "-1" }, "COACH_DISCORD_APP_ID"},
		{"discord guild id not numeric", func(c *Config) { withEverything(c); c.DiscordGuildID = "my server" }, "COACH_DISCORD_GUILD_ID"},
		{"discord mode websocket", func(c *Config) { withEverything(c); c.DiscordMode = "websocket" }, "COACH_DISCORD_MODE"},
		{"discord mode in capitals", func(c *Config) { withEverything(c); c.DiscordMode = "HTTP" }, "COACH_DISCORD_MODE"},
		{"discord mode empty", func(c *Config) { withEverything(c); c.DiscordMode = "" }, "COACH_DISCORD_MODE"},
		{"discord public key not hex", func(c *Config) { withEverything(c); c.DiscordPublicKey = strings.Repeat("zz", 32) }, "COACH_DISCORD_PUBLIC_KEY"},
		{"discord public key too short", func(c *Config) { withEverything(c); c.DiscordPublicKey = discordPubKey[:62] }, "COACH_DISCORD_PUBLIC_KEY"},
		{"discord public key base64", func(c *Config) {
			withEverything(c)
			c.DiscordPublicKey = "Hx4dHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA="
		}, "COACH_DISCORD_PUBLIC_KEY"},
		{"discord http mode without public key", func(c *Config) {
			withEverything(c)
			c.DiscordMode, c.DiscordPublicKey = "http", ""
		}, "COACH_DISCORD_PUBLIC_KEY"},
		{"discord API URL without scheme", func(c *Config) { withEverything(c); c.DiscordApiURL = "discord.com/api/v10" }, "COACH_DISCORD_API_URL"},
		{"discord API URL without host", func(c *Config) { withEverything(c); c.DiscordApiURL = "https:///api/v10" }, "COACH_DISCORD_API_URL"},
		// COACH_LOG_*
		{"log level unknown", func(c *Config) { withEverything(c); c.LogLevel = "verbose" }, "COACH_LOG_LEVEL"},
		{"log level empty", func(c *Config) { withEverything(c); c.LogLevel = "" }, "COACH_LOG_LEVEL"},
		{"log format unknown", func(c *Config) { withEverything(c); c.LogFormat = "logfmt" }, "COACH_LOG_FORMAT"},
		{"log format empty", func(c *Config) { withEverything(c); c.LogFormat = "" }, "COACH_LOG_FORMAT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.edit(&c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error about %s", tt.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.want+": ") {
				t.Errorf("Validate() = %q, want it to start with %q", msg, tt.want+": ")
			}
			if strings.ContainsAny(msg, "\r\n") {
				t.Errorf("Validate() = %q, want one line", msg)
			}
			if len(strings.TrimPrefix(msg, tt.want+": ")) < 10 {
				t.Errorf("Validate() = %q does not say what the variable expects", msg)
			}
			for _, s := range secrets {
				if strings.Contains(msg, s) {
					t.Errorf("Validate() = %q quotes the secret %q", msg, s)
				}
			}
		})
	}
}

// clearEnv unsets every COACH_ variable (and XDG_DATA_HOME) for the test,
// restoring them afterwards, so the machine's environment cannot leak in.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "COACH_") || k == "XDG_DATA_HOME" {
			t.Setenv(k, "") // registers the restore
			os.Unsetenv(k)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want func(*Config)
	}{
		{
			name: "empty environment: the defaults",
			env:  nil,
			want: func(c *Config) {},
		},
		{
			name: "the whole table of DESIGN §5",
			env: map[string]string{
				"COACH_REDIS_ADDRS":          "10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379",
				"COACH_REDIS_MASTER":         "mymaster",
				"COACH_DATA_DIR":             "/srv/coachbot",
				"COACH_CONTENT_DIR":          "/srv/content",
				"COACH_HTTP_ADDR":            "127.0.0.1:8081",
				"COACH_METRICS_ADDR":         "127.0.0.1:9091",
				"COACH_MAX_CONNS":            "200",
				"COACH_SECRET_KEY":           strings.Repeat("5e", 32),
				"COACH_SLACK_BOT_TOKEN":      slackBotToken,
				"COACH_SLACK_SIGNING_SECRET": slackSecret,
				"COACH_SLACK_APP_TOKEN":      slackAppToken,
				// split_words turns SlackApiURL into SLACK_APIURL (an
				// all-capitals run is one word), so these two need care.
				"COACH_SLACK_API_URL":      "http://127.0.0.1:9999/api/",
				"COACH_DISCORD_TOKEN":      discordToken,
				"COACH_DISCORD_APP_ID":     discordAppID,
				"COACH_DISCORD_MODE":       "http",
				"COACH_DISCORD_PUBLIC_KEY": discordPubKey,
				"COACH_DISCORD_GUILD_ID":   discordGuildID,
				"COACH_DISCORD_API_URL":    "http://127.0.0.1:9998/api/v10",
				"COACH_LOG_LEVEL":          "debug",
				"COACH_LOG_FORMAT":         "json",
			},
			want: func(c *Config) {
				c.RedisAddrs = []string{"10.0.0.1:26379", "10.0.0.2:26379", "10.0.0.3:26379"}
				c.RedisMaster = "mymaster"
				c.DataDir = "/srv/coachbot"
				c.ContentDir = "/srv/content"
				c.HTTPAddr = "127.0.0.1:8081"
				c.MetricsAddr = "127.0.0.1:9091"
				c.MaxConns = 200
				c.SecretKey = strings.Repeat("5e", 32)
				c.SlackBotToken, c.SlackSigningSecret, c.SlackAppToken = slackBotToken, slackSecret, slackAppToken
				c.SlackApiURL = "http://127.0.0.1:9999/api/"
				c.DiscordToken, c.DiscordAppID, c.DiscordMode = discordToken, discordAppID, "http"
				c.DiscordPublicKey, c.DiscordGuildID = discordPubKey, discordGuildID
				c.DiscordApiURL = "http://127.0.0.1:9998/api/v10"
				c.LogLevel, c.LogFormat = "debug", "json"
			},
		},
		{
			name: "redis URL",
			env:  map[string]string{"COACH_REDIS_URL": "rediss://default:" + redisPassword + "@cache:6380/1"},
			want: func(c *Config) { c.RedisURL = "rediss://default:" + redisPassword + "@cache:6380/1" },
		},
		{
			name: "one redis address is a list of one",
			env:  map[string]string{"COACH_REDIS_ADDRS": "r1:7000"},
			want: func(c *Config) { c.RedisAddrs = []string{"r1:7000"} },
		},
		{
			// Only COACH_ names count: split_words does not fall back to the
			// bare names (that happens only for envconfig:"..." tags), so a
			// machine's unrelated HTTP_ADDR or LOG_LEVEL changes nothing.
			name: "unprefixed names are ignored",
			env: map[string]string{
				"HTTP_ADDR": "bogus", "LOG_LEVEL": "bogus", "DATA_DIR": "/bogus", "REDIS_URL": "bogus",
				"SLACK_BOT_TOKEN": "bogus", "DISCORD_MODE": "bogus", "SLACK_API_URL": "bogus", "DISCORD_API_URL": "bogus",
				"DISCORD_TOKEN": "bogus", "CONTENT_DIR": "/bogus", "LOG_FORMAT": "bogus",
			},
			want: func(c *Config) {},
		},
		{
			name: "data dir defaults under XDG_DATA_HOME",
			env:  map[string]string{"XDG_DATA_HOME": "/home/ana/.data"},
			want: func(c *Config) { c.DataDir = filepath.Join("/home/ana/.data", "coachbot") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			if _, ok := tt.env["XDG_DATA_HOME"]; !ok {
				t.Setenv("XDG_DATA_HOME", "/xdg")
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			got, err := LoadConfig()
			if err != nil {
				t.Fatalf("LoadConfig() error: %v", err)
			}
			want := validConfig()
			want.DataDir = filepath.Join("/xdg", "coachbot")
			tt.want(&want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("LoadConfig() (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoadConfigErrors checks that a bad environment stops start-up with
// Validate's one line, naming the variable and never quoting a secret.
func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"discord mode", map[string]string{"COACH_DISCORD_MODE": "websocket"}, "COACH_DISCORD_MODE: "},
		{"http addr", map[string]string{"COACH_HTTP_ADDR": "8080"}, "COACH_HTTP_ADDR: "},
		{"metrics addr", map[string]string{"COACH_METRICS_ADDR": "9090"}, "COACH_METRICS_ADDR: "},
		{"secret key too short", map[string]string{"COACH_SECRET_KEY": "5ecret5ecret"}, "COACH_SECRET_KEY: expects 32 random bytes"},
		{"secret key 31 bytes", map[string]string{"COACH_SECRET_KEY": strings.Repeat("5e", 31)}, "COACH_SECRET_KEY: expects 32 random bytes"},
		{"max conns zero", map[string]string{"COACH_MAX_CONNS": "0"}, "COACH_MAX_CONNS: "},
		{"max conns not a number", map[string]string{"COACH_MAX_CONNS": "many"}, `COACH_MAX_CONNS: expects a whole number, got "many"`},
		{"redis addrs item", map[string]string{"COACH_REDIS_ADDRS": "r1:7000,r2"}, "COACH_REDIS_ADDRS: "},
		{"slack token kind", map[string]string{"COACH_SLACK_BOT_TOKEN": "xoxp-SECRETbot-1234", "COACH_SLACK_SIGNING_SECRET": slackSecret}, "COACH_SLACK_BOT_TOKEN: "},
		{"slack API URL", map[string]string{"COACH_SLACK_API_URL": "not a url"}, "COACH_SLACK_API_URL: "},
		{"discord API URL", map[string]string{"COACH_DISCORD_API_URL": "not a url"}, "COACH_DISCORD_API_URL: "},
		{"log level", map[string]string{"COACH_LOG_LEVEL": "loud"}, "COACH_LOG_LEVEL: "},
		{"rate limit not a number", map[string]string{"COACH_RATE_LIMIT": "30/min"}, `COACH_RATE_LIMIT: expects a whole number, got "30/min"`},
		{"rate burst not a number", map[string]string{"COACH_RATE_BURST": "ten"}, `COACH_RATE_BURST: expects a whole number, got "ten"`},
		{"shard count not a number", map[string]string{"COACH_DISCORD_SHARD_COUNT": "2x"}, "COACH_DISCORD_SHARD_COUNT: expects a whole number"},
		{"reminder lease not a duration", map[string]string{"COACH_REMINDER_LEASE": "60"}, `COACH_REMINDER_LEASE: expects a duration such as 90s, 1m or 1h30m, got "60"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			t.Setenv("XDG_DATA_HOME", t.TempDir())
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, err := LoadConfig()
			if err == nil {
				t.Fatalf("LoadConfig() = nil error, want %s...", tt.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Errorf("LoadConfig() = %q, want one line starting with %q", msg, tt.want)
			}
			for _, s := range secrets {
				if strings.Contains(msg, s) {
					t.Errorf("LoadConfig() = %q quotes the secret %q", msg, s)
				}
			}
		})
	}
}

func TestPlatforms(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want []string
	}{
		{"none", func(c *Config) {}, nil},
		{"slack", func(c *Config) { c.SlackBotToken = slackBotToken }, []string{"slack"}},
		{"discord", func(c *Config) { c.DiscordToken = discordToken }, []string{"discord"}},
		{"both", withEverything, []string{"slack", "discord"}},
		{"add to slack", withInstalls, []string{"slack"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.edit(&c)
			if diff := cmp.Diff(tt.want, c.Platforms()); diff != "" {
				t.Errorf("Platforms() (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSecretKeyForms: COACH_SECRET_KEY is read as hex or as base64 in any
// of its four spellings, and each gives the same 32 bytes.
func TestSecretKeyForms(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(250 + i) // bytes that base64 spells with + / or - _
	}
	for name, v := range map[string]string{
		"hex":            hex.EncodeToString(key),
		"hex, upper":     strings.ToUpper(hex.EncodeToString(key)),
		"base64":         base64.StdEncoding.EncodeToString(key),
		"base64 url":     base64.URLEncoding.EncodeToString(key),
		"base64 raw":     base64.RawStdEncoding.EncodeToString(key),
		"base64 url raw": base64.RawURLEncoding.EncodeToString(key),
	} {
		t.Run(name, func(t *testing.T) {
			c := validConfig()
			c.SecretKey = v
			if err := c.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			got, err := c.Secret()
			if err != nil || !bytes.Equal(got, key) {
				t.Errorf("Secret() = %x, %v; want %x", got, err, key)
			}
		})
	}
	if got, err := validConfig().Secret(); got != nil || err != nil {
		t.Errorf("unset: Secret() = %x, %v; want nothing", got, err)
	}
}
