package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// DefaultCommands is the default mix: what people ask a career coach most,
// reads of static content and of their own progress alike.
const DefaultCommands = "salary mid,roadmap next,progress,roadmap,skills,tip"

// The environment variables that hold the secrets, so they need not be on
// the command line (where ps shows them).
const (
	envSlackSecret = "COACHLOAD_SLACK_SECRET"
	envDiscordKey  = "COACHLOAD_DISCORD_KEY"
)

// perUserRateWarn is the per-user command rate above which coachbot's
// per-user limit (about 30 a minute, 0.5/s, with bursts of 10) may start
// answering "slow down" in a long run, which would measure the limiter,
// not the commands.
const perUserRateWarn = 0.4

const usageHead = `coachload drives a RUNNING coachbot over HTTP with signed Slack slash
commands (POST /slack/commands) or signed Discord interactions (POST
/discord/interactions) from many users, and in the same run a bare net/http
baseline it starts itself; it prints req/s and latency percentiles of both
and coachbot's ratio to the baseline. On Linux it also reports each server's
CPU time per request (coachbot's process is found by its port, or -pid):
on a busy machine that is steadier than req/s.

Point it only at a coachbot of your own. Its default URL is loopback; it
never talks to Slack or Discord, refuses their hosts, and the response_url
in its Slack commands is a loopback address that goes nowhere.

Usage:
  coachload [flags]            run the load against -url (coachbot must be running)
  coachload keygen             print a Discord key pair: give coachbot the
                               COACH_DISCORD_PUBLIC_KEY line, coachload the
                               COACHLOAD_DISCORD_KEY line
  coachload fakeapi [-addr A]  a stand-in Slack Web API and Discord REST API that
                               answers every call with success, for coachbot to
                               start against (prints COACH_SLACK_API_URL and
                               COACH_DISCORD_API_URL); stops on Ctrl-C

coachbot must be started with the same secrets: COACH_SLACK_SIGNING_SECRET =
-slack-secret, COACH_DISCORD_PUBLIC_KEY = the public half of -discord-key
(with COACH_DISCORD_MODE=http).

Flags:
`

const usageTail = `
Example (one machine; coachbot against a local fake of the platforms):
  coachload fakeapi -addr 127.0.0.1:9999 &      # stand-in Slack and Discord APIs
  coachload keygen > load.env && set -a && . ./load.env && set +a  # the Discord key pair
  export COACHLOAD_SLACK_SECRET=load-test-secret
  COACH_HTTP_ADDR=127.0.0.1:8080 COACH_LOG_LEVEL=warn \
  COACH_SLACK_BOT_TOKEN=xoxb-load COACH_SLACK_SIGNING_SECRET=$COACHLOAD_SLACK_SECRET \
  COACH_SLACK_API_URL=http://127.0.0.1:9999/api/ \
  COACH_DISCORD_TOKEN=load COACH_DISCORD_APP_ID=123 COACH_DISCORD_MODE=http \
  COACH_DISCORD_PUBLIC_KEY=$COACH_DISCORD_PUBLIC_KEY COACH_DISCORD_API_URL=http://127.0.0.1:9999/api/v10 \
  coachbot &
  coachload -platform slack -c 50 -d 10s
  coachload -platform discord -c 50 -d 10s -rounds 3
`

// Config is one run of the load tool. cli fills it from flags and the
// environment; tests fill it directly.
type Config struct {
	URL         string        // coachbot's base URL
	Platform    string        // "slack" or "discord"
	Concurrency int           // workers, each with one keep-alive connection
	Duration    time.Duration // the measured window of each phase
	Warmup      time.Duration // before each window, not counted
	Timeout     time.Duration // per request
	Users       int           // distinct users the requests come from
	Commands    []string      // command lines, cycled through
	Baseline    bool          // measure the bare baseline too
	// BaselineRedis, when set, is a Redis URL on which the baseline makes,
	// for every request, the one round trip every replica of a bot must
	// make: a replay check (SET NX PX of the request's signature). The
	// ratio to it is coachbot's cost beyond that round trip.
	BaselineRedis string
	// BaselineAnswers makes the baseline answer each command line with
	// coachbot's own answer to it (from the probe before the run), byte
	// for byte, instead of a small fixed one: the ratio is then coachbot's
	// cost beyond writing its answer.
	BaselineAnswers bool
	Rounds          int // rounds of (baseline, coachbot)
	// CoachbotFirst runs coachbot before the baseline in odd rounds; each
	// round alternates the order, so a machine that warms up or slows down
	// over the run favours neither.
	CoachbotFirst bool
	SlackSecret   string             // coachbot's COACH_SLACK_SIGNING_SECRET
	DiscordKey    ed25519.PrivateKey // the key whose public half is coachbot's COACH_DISCORD_PUBLIC_KEY
	DiscordAppID  string             // application_id in the interactions
	JSON          bool               // print the Report as JSON instead of text
	Probe         bool               // print coachbot's answer to each command line before the run
	// PID is coachbot's process, whose CPU use is reported (Linux): 0
	// finds the process listening on -url's port when that is on this
	// machine; -1 does not report it.
	PID int
	// Self is the executable started as the baseline server ("Self
	// baseline …"); default this program (os.Executable).
	Self string
}

// DefaultConfig is the configuration the flags default to.
func DefaultConfig() Config {
	return Config{
		URL:          "http://127.0.0.1:8080",
		Platform:     "slack",
		Concurrency:  50,
		Duration:     10 * time.Second,
		Warmup:       time.Second,
		Timeout:      3 * time.Second,
		Users:        100000,
		Commands:     splitCommands(DefaultCommands),
		Baseline:     true,
		Rounds:       1,
		DiscordAppID: DefaultDiscordAppID,
	}
}

func newFlagSet(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	return fs
}

// cli runs coachload with the arguments after the program name and returns
// the exit status: 0, 1 when the run failed, 2 for a usage mistake.
func cli(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		sub := map[string]func() error{
			"baseline": func() error { return serveBaseline(ctx, args[1:], stdin, stdout) },
			"fakeapi":  func() error { return serveFakeAPI(ctx, args[1:], stdin, stdout) },
			"keygen":   func() error { return keygen(stdout) },
		}
		if run, ok := sub[args[0]]; ok {
			if err := run(); err != nil {
				fmt.Fprintln(stderr, "coachload "+args[0]+":", err)
				return 1
			}
			return 0
		}
	}
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "coachload:", err)
		return 2
	}
	if _, err := Run(ctx, cfg, stdout); err != nil {
		fmt.Fprintln(stderr, "coachload:", err)
		return 1
	}
	return 0
}

// parseFlags reads the flags into a Config; the secrets default to the
// environment.
func parseFlags(args []string, stderr io.Writer) (Config, error) {
	cfg := DefaultConfig()
	fs := newFlagSet("coachload", stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageHead)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), usageTail)
	}
	fs.StringVar(&cfg.URL, "url", cfg.URL, "coachbot's base `URL`: your own coachbot, never Slack or Discord")
	fs.StringVar(&cfg.Platform, "platform", cfg.Platform, "slack or discord")
	fs.IntVar(&cfg.Concurrency, "c", cfg.Concurrency, "concurrent workers, each with its own keep-alive connection")
	fs.DurationVar(&cfg.Duration, "d", cfg.Duration, "measured `duration` of each phase")
	fs.DurationVar(&cfg.Warmup, "warmup", cfg.Warmup, "warm-up before each phase, not counted")
	fs.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "per-request timeout (Slack and Discord give up after 3s)")
	fs.IntVar(&cfg.Users, "users", cfg.Users, "distinct users the requests come from, in turn; keep commands per user per second under 0.4 (coachbot limits each user to about 30/minute)")
	commands := fs.String("commands", DefaultCommands, "comma-separated command `lines`, cycled through")
	fs.BoolVar(&cfg.Baseline, "baseline", cfg.Baseline, "also measure a bare net/http baseline (a child process) with the same requests")
	fs.StringVar(&cfg.BaselineRedis, "baseline-redis", "", "a Redis `URL` (coachbot's) on which the baseline also checks each request for a replay (SET NX PX of its signature): the one round trip any replica must make, so the ratio is coachbot's cost beyond it")
	fs.BoolVar(&cfg.BaselineAnswers, "baseline-answers", false, "the baseline answers each command line with coachbot's own answer to it (probed before the run), byte for byte, so the ratio is coachbot's cost beyond writing its answer")
	fs.IntVar(&cfg.Rounds, "rounds", cfg.Rounds, "rounds of baseline and coachbot, alternating which goes first; with more than one, best and median are reported too")
	order := fs.String("order", "baseline", "which phase goes first in round 1: baseline or coachbot")
	// The secrets' defaults are read after parsing, so -h never prints them.
	fs.StringVar(&cfg.SlackSecret, "slack-secret", "", "coachbot's Slack signing `secret` (COACH_SLACK_SIGNING_SECRET); default $"+envSlackSecret)
	discordKey := fs.String("discord-key", "", "hex Ed25519 `key` (32-byte seed or 64-byte private key) whose public half is coachbot's COACH_DISCORD_PUBLIC_KEY; default $"+envDiscordKey+"; make one with coachload keygen")
	fs.StringVar(&cfg.DiscordAppID, "discord-app-id", cfg.DiscordAppID, "application_id in the Discord interactions")
	fs.BoolVar(&cfg.JSON, "json", false, "print the results as JSON")
	fs.IntVar(&cfg.PID, "pid", 0, "coachbot's process id, to report its CPU per request (Linux); 0 finds the process listening on -url's loopback port, -1 turns it off")
	fs.BoolVar(&cfg.Probe, "probe", false, "print coachbot's answer to each command line once before the run")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q (see coachload -h)", fs.Arg(0))
	}
	cfg.Commands = splitCommands(*commands)
	switch *order {
	case "baseline":
	case "coachbot":
		cfg.CoachbotFirst = true
	default:
		return cfg, fmt.Errorf("-order %q: want baseline or coachbot", *order)
	}
	if cfg.SlackSecret == "" {
		cfg.SlackSecret = os.Getenv(envSlackSecret)
	}
	if *discordKey == "" {
		*discordKey = os.Getenv(envDiscordKey)
	}
	if *discordKey != "" {
		k, err := parseDiscordKey(*discordKey)
		if err != nil {
			return cfg, fmt.Errorf("-discord-key: %w", err)
		}
		cfg.DiscordKey = k
	}
	return cfg, cfg.validate()
}

func splitCommands(s string) []string {
	var out []string
	for c := range strings.SplitSeq(s, ",") {
		if c = strings.Join(strings.Fields(c), " "); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// platformHosts are Slack's and Discord's own domains: coachload is never
// pointed at them (it would be a denial-of-service attempt on someone
// else's service, and could not be signed anyway).
var platformHosts = []string{"slack.com", "slack-edge.com", "discord.com", "discordapp.com", "discord.gg", "discordapp.net"}

func (c Config) validate() error {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-url %q: want http://host:port of your coachbot", c.URL)
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	for _, p := range platformHosts {
		if host == p || strings.HasSuffix(host, "."+p) {
			return fmt.Errorf("-url %q is %s itself: coachload loads only a coachbot of your own", c.URL, p)
		}
	}
	switch {
	case c.Platform != "slack" && c.Platform != "discord":
		return fmt.Errorf("-platform %q: want slack or discord", c.Platform)
	case c.Concurrency < 1:
		return errors.New("-c must be at least 1")
	case c.Duration <= 0:
		return errors.New("-d must be positive")
	case c.Warmup < 0:
		return errors.New("-warmup must not be negative")
	case c.Timeout <= 0:
		return errors.New("-timeout must be positive")
	case c.Users < 1:
		return errors.New("-users must be at least 1")
	case len(c.Commands) == 0:
		return errors.New("-commands is empty")
	case c.Rounds < 1:
		return errors.New("-rounds must be at least 1")
	case c.Platform == "slack" && c.SlackSecret == "":
		return fmt.Errorf("the Slack signing secret is missing: -slack-secret or $%s, the same as coachbot's COACH_SLACK_SIGNING_SECRET", envSlackSecret)
	case c.Platform == "discord" && c.DiscordKey == nil:
		return fmt.Errorf("the Discord key is missing: -discord-key or $%s (coachload keygen makes a pair; coachbot gets the public half as COACH_DISCORD_PUBLIC_KEY)", envDiscordKey)
	}
	return nil
}

// keygen prints a fresh Ed25519 pair as environment assignments.
func keygen(w io.Writer) error {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "COACH_DISCORD_PUBLIC_KEY=%s\nCOACHLOAD_DISCORD_KEY=%s\n", hex.EncodeToString(pub), hex.EncodeToString(priv.Seed()))
	return err
}

// Report is everything a run measured.
type Report struct {
	Platform    string   `json:"platform"`
	URL         string   `json:"url"`
	Concurrency int      `json:"concurrency"`
	Duration    string   `json:"duration"`
	Warmup      string   `json:"warmup"`
	Users       int      `json:"users"`
	Commands    []string `json:"commands"`
	GOMAXPROCS  int      `json:"gomaxprocs"`
	LoadBefore  string   `json:"load_before,omitempty"` // 1/5/15-minute load average
	LoadAfter   string   `json:"load_after,omitempty"`
	CoachbotPID int      `json:"coachbot_pid,omitempty"` // whose CPU is reported; 0: not known
	Rounds      []Round  `json:"rounds"`
	// Best and Median summarise several rounds: each server's best round
	// by req/s, and the median of each measure, compared.
	Best     *Summary `json:"best,omitempty"`
	Median   *Summary `json:"median,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// Round is one baseline phase and one coachbot phase.
type Round struct {
	Round    int     `json:"round"`
	Baseline *Result `json:"baseline,omitempty"`
	Coachbot *Result `json:"coachbot"`
	Ratio    *Ratio  `json:"ratio,omitempty"`
}

// Summary compares the two servers over several rounds.
type Summary struct {
	BaselineRPS float64       `json:"baseline_rps"`
	CoachbotRPS float64       `json:"coachbot_rps"`
	BaselineP99 time.Duration `json:"baseline_p99_ns"`
	CoachbotP99 time.Duration `json:"coachbot_p99_ns"`
	Ratio       Ratio         `json:"ratio"`
}

// Run measures the configured coachbot (and the baseline) and writes the
// report to w as it goes, as text, or at the end as JSON.
func Run(ctx context.Context, cfg Config, w io.Writer) (*Report, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	now := time.Now()
	m := &mix{lines: cfg.Commands, users: uint64(cfg.Users)}
	var gen generator
	var pub ed25519.PublicKey
	switch cfg.Platform {
	case "slack":
		gen = newSlackGen(cfg.SlackSecret, cfg.Commands)
	case "discord":
		g, err := newDiscordGen(cfg.DiscordKey, cfg.DiscordAppID, cfg.Commands, now)
		if err != nil {
			return nil, err
		}
		gen = g
		pub = cfg.DiscordKey.Public().(ed25519.PublicKey)
	}
	base := strings.TrimSuffix(cfg.URL, "/")
	rep := &Report{
		Platform: cfg.Platform, URL: base, Concurrency: cfg.Concurrency,
		Duration: cfg.Duration.String(), Warmup: cfg.Warmup.String(), Users: cfg.Users, Commands: cfg.Commands,
		GOMAXPROCS: runtime.GOMAXPROCS(0), LoadBefore: loadAverage(),
	}
	text := func(format string, a ...any) {
		if !cfg.JSON {
			fmt.Fprintf(w, format, a...)
		}
	}
	warn := func(format string, a ...any) {
		s := fmt.Sprintf(format, a...)
		rep.Warnings = append(rep.Warnings, s)
		text("warning: %s\n", s)
	}

	// Is coachbot there, and does it take our requests?
	if err := checkReady(ctx, base, warn); err != nil {
		return nil, err
	}
	var seq atomic.Uint64
	answers := probe(ctx, base+gen.path(), gen, m, &seq, cfg.Timeout)
	for _, a := range answers {
		if cfg.Probe {
			text("probe     %s\n", a)
		}
		switch {
		case a.Err != nil:
			return nil, fmt.Errorf("coachbot at %s: %w", base, a.Err)
		case a.Status == http.StatusUnauthorized:
			return nil, fmt.Errorf("coachbot refused the signature of %q (401): %s", a.Line, signatureHint(cfg.Platform))
		case a.Status == http.StatusNotFound || a.Status == http.StatusMethodNotAllowed:
			return nil, fmt.Errorf("coachbot has no %s endpoint (%d): %s", gen.path(), a.Status, endpointHint(cfg.Platform))
		case a.Status != http.StatusOK:
			warn("%q: coachbot answered %d: %s", a.Line, a.Status, bytes.TrimSpace(a.Body))
		case bytes.Contains(a.Body, []byte("not quite")):
			warn("%q: coachbot did not understand it: %s", a.Line, clip(a.Body, 200))
		}
	}

	var bl *child
	if cfg.Baseline {
		self := cfg.Self
		if self == "" {
			var err error
			if self, err = os.Executable(); err != nil {
				return nil, fmt.Errorf("find this program to start the baseline: %w", err)
			}
		}
		o := baselineOptions{platform: cfg.Platform, pub: pub, redisURL: cfg.BaselineRedis}
		if cfg.BaselineAnswers {
			f, err := writeAnswers(answers)
			if err != nil {
				return nil, err
			}
			defer os.Remove(f)
			o.answersFile = f
		}
		var err error
		if bl, err = startBaseline(self, o); err != nil {
			return nil, err
		}
		defer bl.stop()
	}
	var lines [][]string
	if bl != nil && cfg.BaselineAnswers {
		lines = make([][]string, len(m.lines))
		for i := range lines {
			lines[i] = []string{strconv.Itoa(i)}
		}
	}

	switch {
	case cfg.PID > 0:
		rep.CoachbotPID = cfg.PID
	case cfg.PID == 0:
		if u, err := url.Parse(base); err == nil {
			rep.CoachbotPID = listenerPID(u.Host)
		}
	}
	pid := "unknown"
	if rep.CoachbotPID > 0 {
		pid = strconv.Itoa(rep.CoachbotPID)
	}
	text("coachload %s  coachbot %s (pid %s)  c=%d d=%s warm-up %s  users %d  GOMAXPROCS %d  load %s\n",
		cfg.Platform, base, pid, cfg.Concurrency, cfg.Duration, cfg.Warmup, cfg.Users, rep.GOMAXPROCS, orUnknown(rep.LoadBefore))
	text("commands  %s\n", strings.Join(cfg.Commands, ", "))
	if bl != nil && cfg.BaselineRedis != "" {
		text("baseline  bare net/http + a replay check on Redis per request (SET NX PX)\n")
	}
	if lines != nil {
		text("baseline  answers with coachbot's own answer to each command line, byte for byte\n")
	}
	for r := 1; r <= cfg.Rounds; r++ {
		if cfg.Rounds > 1 {
			text("round %d/%d\n", r, cfg.Rounds)
		}
		round := Round{Round: r}
		names := []string{"coachbot"}
		if bl != nil {
			names = []string{"baseline", "coachbot"}
			if cfg.CoachbotFirst == (r%2 == 1) {
				names = []string{"coachbot", "baseline"}
			}
		}
		for _, name := range names {
			p := &phase{name: name, round: r, platform: cfg.Platform, url: base + gen.path(), gen: gen, mix: m, seq: &seq,
				c: cfg.Concurrency, warmup: cfg.Warmup, d: cfg.Duration, timeout: cfg.Timeout, pid: rep.CoachbotPID, lines: lines}
			if name == "baseline" {
				p.url, p.pid = bl.URL()+gen.path(), bl.cmd.Process.Pid
			}
			res := p.run(ctx)
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			if name == "baseline" {
				round.Baseline = res
			} else {
				round.Coachbot = res
			}
			text("%s", formatResult(res))
			if name == "coachbot" {
				if perUser := res.RPS / float64(cfg.Users); perUser > perUserRateWarn {
					warn("%.2f commands/s per user (%.0f req/s over %d users) is above %.1f/s: coachbot's per-user limit (about 30/minute, bursts of 10) may answer \"slow down\"; raise -users",
						perUser, res.RPS, cfg.Users, perUserRateWarn)
				}
				if res.RateLimited > 0 {
					warn("%d of coachbot's answers were its per-user \"slow down\": raise -users", res.RateLimited)
				}
			}
		}
		round.Ratio = ratio(round.Baseline, round.Coachbot)
		if r := round.Ratio; r != nil {
			cpu := ""
			if r.CPUPerRequest > 0 {
				cpu = fmt.Sprintf("  server cpu/req %.2f×", r.CPUPerRequest)
			}
			text("ratio     rps %.2f×  p99 %.2f×%s\n", r.RPS, r.P99, cpu)
		}
		rep.Rounds = append(rep.Rounds, round)
	}
	if cfg.Rounds > 1 && bl != nil {
		rep.Best, rep.Median = summarise(rep.Rounds)
		for _, s := range []struct {
			name string
			s    *Summary
		}{{"best", rep.Best}, {"median", rep.Median}} {
			text("%-9s baseline %.0f req/s p99 %s  coachbot %.0f req/s p99 %s  ratio rps %.2f×  p99 %.2f×\n", s.name,
				s.s.BaselineRPS, fmtDur(s.s.BaselineP99), s.s.CoachbotRPS, fmtDur(s.s.CoachbotP99), s.s.Ratio.RPS, s.s.Ratio.P99)
		}
	}
	rep.LoadAfter = loadAverage()
	text("load      %s before, %s after\n", orUnknown(rep.LoadBefore), orUnknown(rep.LoadAfter))
	if cfg.JSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// checkReady asks coachbot's /readyz before loading it: a coachbot that is
// not running is an error; one that is not ready (its store does not
// answer) is measured anyway, with a warning, since that may be the point.
func checkReady(ctx context.Context, base string, warn func(string, ...any)) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
	if err != nil {
		return err
	}
	res, err := (&http.Client{Transport: newTransport(1)}).Do(req)
	if err != nil {
		return fmt.Errorf("coachbot is not answering at %s (start it first, with COACH_HTTP_ADDR): %w", base, err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		warn("%s/readyz answered %d: coachbot's store is not ready", base, res.StatusCode)
	}
	return nil
}

func signatureHint(platform string) string {
	if platform == "slack" {
		return "-slack-secret must be coachbot's COACH_SLACK_SIGNING_SECRET"
	}
	return "coachbot's COACH_DISCORD_PUBLIC_KEY must be the public half of -discord-key (coachload keygen prints both)"
}

func endpointHint(platform string) string {
	if platform == "slack" {
		return "start coachbot with COACH_SLACK_BOT_TOKEN and COACH_SLACK_SIGNING_SECRET (and no COACH_SLACK_APP_TOKEN)"
	}
	return "start coachbot with COACH_DISCORD_TOKEN, COACH_DISCORD_APP_ID, COACH_DISCORD_MODE=http and COACH_DISCORD_PUBLIC_KEY"
}

func clip(b []byte, n int) string {
	s := string(bytes.Join(bytes.Fields(b), []byte(" ")))
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// formatResult is a phase's two lines of the text report.
func formatResult(r *Result) string {
	codes := make([]int, 0, len(r.Statuses))
	for c := range r.Statuses {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var st strings.Builder
	for i, c := range codes {
		if i > 0 {
			st.WriteByte(' ')
		}
		fmt.Fprintf(&st, "%d:%d", c, r.Statuses[c])
	}
	if st.Len() == 0 {
		st.WriteString("none")
	}
	cpu := "?"
	if r.ClientCPU > 0 {
		cpu = fmt.Sprintf("%.2f", r.ClientCPU)
	}
	server := ""
	if r.ServerCPUPerRequest > 0 {
		server = fmt.Sprintf("  server-cpu %.2f cores %.0fµs/req", r.ServerCPU, float64(r.ServerCPUPerRequest)/float64(time.Microsecond))
	}
	return fmt.Sprintf("%-9s %-7s c=%d d=%s  requests %d  %.0f req/s  p50 %s p90 %s p99 %s max %s  errors %d\n"+
		"          statuses %s  timeouts %d  transport %d  non-2xx %d  bad-body %d  rate-limited %d  deferred %d  late(>2.5s) %d%s  client-cpu %s cores  build+sign %.1fµs/req  answer %dB\n",
		r.Name, r.Platform, r.Concurrency, r.Duration, r.Requests, r.RPS,
		fmtDur(r.P50), fmtDur(r.P90), fmtDur(r.P99), fmtDur(r.Max), r.Errors(),
		st.String(), r.Timeouts, r.Transport, r.BadStatus, r.BadBody, r.RateLimited, r.Deferred, r.Late,
		server, cpu, float64(r.BuildPerRequest)/float64(time.Microsecond), r.AnswerBytes)
}

// writeAnswers writes the probe's answers, one per command line, to a
// temporary file for the baseline child (-baseline-answers); the caller
// removes it. Only an answer coachbot gave with 200 is worth copying.
func writeAnswers(probed []ProbeAnswer) (string, error) {
	canned := make([]cannedAnswer, len(probed))
	for i, a := range probed {
		if a.Status != http.StatusOK {
			return "", fmt.Errorf("-baseline-answers: coachbot answered %q with %d, not an answer to copy", a.Line, a.Status)
		}
		canned[i] = cannedAnswer{ContentType: a.ContentType, Body: a.Body}
	}
	b, err := json.Marshal(canned)
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp("", "coachload-answers-*.json")
	if err != nil {
		return "", err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// summarise compares the rounds two ways: each server's best round (by
// req/s), and the median of each measure across rounds.
func summarise(rounds []Round) (best, median *Summary) {
	var bRPS, cRPS []float64
	var bP99, cP99 []time.Duration
	var bBest, cBest *Result
	for _, r := range rounds {
		if r.Baseline == nil || r.Coachbot == nil {
			continue
		}
		bRPS, cRPS = append(bRPS, r.Baseline.RPS), append(cRPS, r.Coachbot.RPS)
		bP99, cP99 = append(bP99, r.Baseline.P99), append(cP99, r.Coachbot.P99)
		if bBest == nil || r.Baseline.RPS > bBest.RPS {
			bBest = r.Baseline
		}
		if cBest == nil || r.Coachbot.RPS > cBest.RPS {
			cBest = r.Coachbot
		}
	}
	if bBest == nil {
		return nil, nil
	}
	best = &Summary{BaselineRPS: bBest.RPS, CoachbotRPS: cBest.RPS, BaselineP99: bBest.P99, CoachbotP99: cBest.P99, Ratio: *ratio(bBest, cBest)}
	median = &Summary{BaselineRPS: medianOf(bRPS), CoachbotRPS: medianOf(cRPS), BaselineP99: medianOf(bP99), CoachbotP99: medianOf(cP99)}
	median.Ratio = Ratio{RPS: div(median.CoachbotRPS, median.BaselineRPS), P99: div(float64(median.CoachbotP99), float64(median.BaselineP99))}
	return best, median
}

// medianOf is the median of xs (the mean of the middle two for an even
// count).
func medianOf[T float64 | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
