package slack

import (
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/coachbot/coachbot/adapters/internal/card"
	"github.com/coachbot/coachbot/adapters/internal/webhook"
	"github.com/coachbot/coachbot/bot"
)

// DefaultAPIURL is Slack's Web API base.
const DefaultAPIURL = "https://slack.com/api/"

// inlineBudget is how long a command may take before its answer goes
// through response_url instead of the HTTP response (or the Socket Mode
// ack). Slack drops an answer that comes after 3 s, network included; the
// bot bounds Handle by bot.CommandTimeout (2.5 s), so in practice every
// answer is inline and response_url only catches a command that overran.
const inlineBudget = 2600 * time.Millisecond

// followUpTimeout bounds a response_url post.
const followUpTimeout = 10 * time.Second

// Config holds what the Slack adapter needs. Bot and Store (the DM channel
// cache) are required; so are BotToken (one workspace), or ClientID and
// its companions ("Add to Slack": a token per workspace), or both, and,
// over HTTP, SigningSecret.
type Config struct {
	// BotToken is the bot user's OAuth token (xoxb-…): Web API calls for
	// the one workspace it belongs to, and for any workspace that has not
	// installed the app through ClientID.
	BotToken string
	// SigningSecret verifies requests to the HTTP endpoints; Socket Mode
	// does not need it.
	SigningSecret string
	// AppToken (xapp-…) switches to Socket Mode: Run connects out to Slack
	// and no public HTTP endpoint is needed.
	AppToken string
	// APIURL is the Web API base, default DefaultAPIURL. A "/" is added
	// when missing, because slack-go appends method names to it directly.
	APIURL string

	// ClientID and ClientSecret turn on "Add to Slack" (OAuth v2 installs,
	// HTTP mode only): GET /slack/install and GET /slack/oauth/callback,
	// each workspace's own token for its users, and rotating tokens
	// refreshed. They need PublicURL, SecretKey, Installations and
	// Deduper.
	ClientID, ClientSecret string
	// PublicURL is the public base of the HTTP server
	// (https://coach.example.com): the OAuth redirect is
	// PublicURL/slack/oauth/callback. Over HTTP, with SecretKey, it also
	// turns on the progress card: an image block fetched from
	// PublicURL/cards/{token}.png (GET /cards/ on Register's mux).
	PublicURL string
	// SecretKey (COACH_SECRET_KEY, 32 bytes) seals installations, signs
	// install states and signs card URLs.
	SecretKey []byte
	// Installations keeps the sealed installations; POST /slack/events
	// also uses it to find an uninstalled workspace's users.
	Installations bot.Installations
	// Deduper makes install states single-use, token refreshes happen
	// once and a copy of an uninstall event do nothing, across replicas
	// when it is the Redis store.
	Deduper bot.Deduper
	// AuthorizeURL is Slack's authorize page, default DefaultAuthorizeURL.
	AuthorizeURL string
	// Clock judges state expiry and token lifetimes, and paces the log
	// lines of refused requests; default the system clock.
	Clock bot.Clock

	Bot    *bot.Bot
	Store  bot.Store    // where bot.DMChannel caches each user's DM channel
	Logger *slog.Logger // default slog.Default()
	// HTTPClient makes the Web API calls and response_url posts; default a
	// client with a 15 s timeout (each call also carries a context).
	HTTPClient *http.Client
}

// Adapter serves one Slack app: its slash commands and buttons (over HTTP
// or Socket Mode) and its DMs. It is safe for concurrent use.
type Adapter struct {
	bot      *bot.Bot
	store    bot.Store
	log      *slog.Logger
	http     *http.Client
	hooks    *http.Client // response_url posts: http's, never following a redirect
	api      *slack.Client
	apiURL   string
	botToken string
	appToken string
	secret   string
	refusals *webhook.Refusals
	slash    map[string]bool // the spec's slash commands that Slack has: "roadmap", "salary", …
	oauth    *oauth          // "Add to Slack"; nil when off
	cards    *cards          // progress cards as image URLs; nil when off
	uploads  *card.Renderer  // progress cards uploaded into the DM (Socket Mode); nil over HTTP
	inst     bot.Installations
	// dedupe refuses a copy of an uninstall event (events.go); nil
	// when the store has no Deduper.
	dedupe bot.Deduper
	// installed spares a command the store read of its workspace's
	// installation (installed.go).
	installed installedTeams
	clock     bot.Clock
	// installRefusals logs refused install callbacks, which anyone can
	// send, at a bounded rate.
	installRefusals *webhook.Refusals

	// Renderings of replies that are the same for everyone (bot.Reply's
	// CacheKey): the message, and the HTTP answer's JSON.
	msgs   bot.Cache[slack.Msg]
	bodies bot.Cache[[]byte]

	// Tuned by tests only.
	budget     time.Duration // see inlineBudget
	minRestart time.Duration // first wait before restarting Socket Mode
	maxRestart time.Duration
}

// New checks cfg and returns an Adapter. It makes no network call.
func New(cfg Config) (*Adapter, error) {
	switch {
	case cfg.Bot == nil:
		return nil, errors.New("slack: Config.Bot is required")
	case cfg.Store == nil:
		return nil, errors.New("slack: Config.Store is required (it caches DM channels)")
	case cfg.BotToken == "" && cfg.ClientID == "":
		return nil, errors.New("slack: a bot token (xoxb-…) or a client id (Add to Slack) is required")
	case cfg.AppToken != "" && cfg.BotToken == "":
		return nil, errors.New("slack: Socket Mode needs the bot token")
	case cfg.AppToken == "" && cfg.SigningSecret == "":
		return nil, errors.New("slack: a signing secret is required over HTTP (or an app token for Socket Mode)")
	case cfg.AppToken != "" && !strings.HasPrefix(cfg.AppToken, "xapp-"):
		// A bot token here would fail every connection with a cryptic error.
		return nil, errors.New("slack: the app token must be an app-level token (xapp-…)")
	}
	a := &Adapter{
		bot:        cfg.Bot,
		store:      cfg.Store,
		log:        cfg.Logger,
		http:       cfg.HTTPClient,
		apiURL:     cfg.APIURL,
		botToken:   cfg.BotToken,
		appToken:   cfg.AppToken,
		secret:     cfg.SigningSecret,
		slash:      map[string]bool{},
		budget:     inlineBudget,
		minRestart: time.Second,
		maxRestart: time.Minute,
		inst:       cfg.Installations,
		dedupe:     cfg.Deduper,
		clock:      cfg.Clock,
	}
	if a.clock == nil {
		a.clock = bot.SystemClock{}
	}
	o, err := newOAuth(cfg)
	if err != nil {
		return nil, err
	}
	a.oauth = o
	if a.cards, err = newCards(cfg); err != nil {
		return nil, err
	}
	if a.appToken != "" {
		a.uploads = card.NewRenderer(cardCacheSize)
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	a.refusals = webhook.NewRefusals(a.log, "slack request refused", a.clock.Now)
	a.installRefusals = webhook.NewRefusals(a.log, "slack install refused", a.clock.Now)
	if a.http == nil {
		a.http = &http.Client{Timeout: 15 * time.Second}
	}
	if a.apiURL == "" {
		a.apiURL = DefaultAPIURL
	}
	if !strings.HasSuffix(a.apiURL, "/") {
		a.apiURL += "/"
	}
	// A redirect would take a follow-up past the check of its URL.
	hooks := *a.http
	hooks.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	a.hooks = &hooks
	if a.botToken != "" {
		a.api = slack.New(a.botToken, slack.OptionAPIURL(a.apiURL), slack.OptionHTTPClient(a.http))
	}
	for _, c := range slashCommands(cfg.Bot.Spec()) {
		a.slash[c.Name] = true
	}
	return a, nil
}

// Register adds the HTTP endpoints to mux: POST /slack/commands for slash
// commands, POST /slack/interactions for button presses and POST
// /slack/events for the Events API (uninstalls). They verify the request
// before anything else; in Socket Mode without a signing secret they
// refuse every request, so registering them is harmless. With installs on
// it adds GET /slack/install and GET /slack/oauth/callback; with progress
// cards on (HTTP mode, PublicURL and SecretKey), GET /cards/{token}.png.
func (a *Adapter) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /slack/commands", a.serveCommand)
	mux.HandleFunc("POST /slack/interactions", a.serveInteraction)
	mux.HandleFunc("POST /slack/events", a.serveEvents)
	if a.oauth != nil {
		mux.HandleFunc("GET "+installPath, a.serveInstall)
		mux.HandleFunc("GET "+callbackPath, a.serveCallback)
	}
	if a.cards != nil {
		mux.HandleFunc("GET "+cardPath+"{file}", a.serveCard)
	}
}

// verified reads the raw body and checks Slack's signature and timestamp
// before anything else looks at the request. On failure it has answered
// (413 for a body over webhook.MaxBodyBytes, 401 otherwise) and ok is
// false. On success the body it returns is what the handler parses: r.Body
// is spent, so nothing can read a second, unverified copy of the request.
func (a *Adapter) verified(w http.ResponseWriter, r *http.Request) (body []byte, ok bool) {
	body, ok = webhook.ReadBody(w, r)
	if !ok {
		return nil, false
	}
	if err := verify(r.Header, body, a.secret); err != nil {
		a.refusals.Refused(r.Pattern, refusalReason(err))
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return nil, false
	}
	return body, true
}

// refusalReason names why verify refused a request, as a fixed string:
// slack-go's errors can quote the request's headers (a timestamp that is
// not a number, however long), and anyone can send those.
func refusalReason(err error) string {
	var num *strconv.NumError
	switch {
	case errors.Is(err, slack.ErrMissingHeaders):
		return "missing signature headers"
	case errors.Is(err, slack.ErrExpiredTimestamp):
		return "timestamp outside the 5-minute window"
	case errors.As(err, &num):
		return "malformed timestamp"
	case errors.Is(err, slack.ErrInvalidSignature), errors.Is(err, hex.ErrLength):
		return "bad signature"
	case errors.Is(err, slack.ErrInvalidConfiguration):
		return "no signing secret (Socket Mode)"
	}
	return "bad signature"
}

// verify checks the v0 signature (HMAC-SHA256 of "v0:<timestamp>:<body>")
// and that the timestamp is within 5 minutes of now.
func verify(h http.Header, body []byte, secret string) error {
	sv, err := slack.NewSecretsVerifier(h, secret)
	if err != nil {
		return err
	}
	if _, err := sv.Write(body); err != nil {
		return err
	}
	return sv.Ensure()
}

// serveCommand answers a slash command in the HTTP response.
func (a *Adapter) serveCommand(w http.ResponseWriter, r *http.Request) {
	body, ok := a.verified(w, r)
	if !ok {
		return
	}
	cmd, err := parseSlashCommand(r.Header, body)
	if err != nil || cmd.TeamID == "" || cmd.UserID == "" {
		http.Error(w, "malformed slash command", http.StatusBadRequest)
		return
	}
	if m, ok := a.checkInstalled(r.Context(), cmd.TeamID); !ok {
		switch {
		case m == nil:
			http.Error(w, "try again", http.StatusServiceUnavailable)
		case a.repeated(r.Context(), once(r.Header)):
			http.Error(w, "repeated request", http.StatusUnauthorized)
		default:
			_ = webhook.WriteJSON(w, toWire(*m))
		}
		return
	}
	// When the bot is slow the answer follows through response_url; the
	// empty 200 tells Slack the command arrived.
	reply, msg, inline, err := a.answer(r.Context(), cmd, once(r.Header), func() { _ = webhook.AckEmpty(w) })
	if !inline {
		return // acknowledged already
	}
	if err != nil { // the bot refused a replay (bot.ErrReplayed)
		http.Error(w, "repeated request", http.StatusUnauthorized)
		return
	}
	// An error means the client went away; nothing to tell anyone.
	_ = webhook.WriteCachedJSON(w, &a.bodies, reply.CacheKey, toWire(msg))
}

// serveInteraction acknowledges a button press at once and dispatches the
// button's command line as the presser; the answer follows through the
// payload's response_url.
func (a *Adapter) serveInteraction(w http.ResponseWriter, r *http.Request) {
	body, ok := a.verified(w, r)
	if !ok {
		return
	}
	ic, err := interactionCallback(r.Header, body)
	if err != nil {
		http.Error(w, "malformed interaction payload", http.StatusBadRequest)
		return
	}
	// Slack has its answer at once; the press is then handled on this
	// goroutine, so the server's graceful stop waits for it as for a
	// command.
	_ = webhook.AckEmpty(w)
	a.press(r.Context(), ic, once(r.Header))
}

// once is a verified request's replay key (bot.Inbound.Once): its
// signature, which differs for every request Slack signs and is the same
// for every copy of one, so a captured request sent again inside the
// timestamp's 5 minutes is refused.
func once(h http.Header) string {
	return "slack:" + h.Get("X-Slack-Signature")
}

// parseForm reads a verified body as the form Slack posts. It is what
// slack-go's parsers get from http.Request.ParseForm, without reading the
// request a second time: only a form body counts (a query string in the
// URL is not signed), and a malformed one is an error.
func parseForm(h http.Header, body []byte) (url.Values, error) {
	if err := checkFormType(h); err != nil {
		return nil, err
	}
	f, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("slack: form: %w", err)
	}
	return f, nil
}

// formType is the content type of everything Slack posts.
const formType = "application/x-www-form-urlencoded"

func checkFormType(h http.Header) error {
	v := h.Get("Content-Type")
	if v == formType {
		return nil // what Slack sends: no need to parse it
	}
	ct, _, err := mime.ParseMediaType(v)
	if err != nil {
		return fmt.Errorf("slack: content type: %w", err)
	}
	if ct != formType {
		return fmt.Errorf("slack: content type %q, want a form", ct)
	}
	return nil
}

// parseSlashCommand is parseForm(h, body) read as slack.SlashCommandParse
// reads a form, without the url.Values in between: the same command, or an
// error for the same forms (TestParseFormAsSlackGo, FuzzParseSlashCommand). Every command is parsed,
// and the map of a dozen one-element slices was about a sixth of the
// bytes a command allocated (BenchmarkParseSlashCommand).
func parseSlashCommand(h http.Header, body []byte) (slack.SlashCommand, error) {
	var c slack.SlashCommand
	if err := checkFormType(h); err != nil {
		return c, err
	}
	var (
		enterpriseInstall string
		set               uint32 // the fields seen: the first value counts, as with url.Values.Get
		firstErr          error
	)
	for rest := string(body); rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if strings.Contains(pair, ";") {
			firstErr = cmp.Or(firstErr, errors.New("invalid semicolon separator in query"))
			continue
		}
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			firstErr = cmp.Or(firstErr, err)
			continue
		}
		if v, err = url.QueryUnescape(v); err != nil {
			firstErr = cmp.Or(firstErr, err)
			continue
		}
		bit, field := slashField(&c, &enterpriseInstall, k)
		if field != nil && set&bit == 0 {
			set |= bit
			*field = v
		}
	}
	if firstErr != nil {
		return slack.SlashCommand{}, fmt.Errorf("slack: form: %w", firstErr)
	}
	c.IsEnterpriseInstall = enterpriseInstall == "true"
	return c, nil
}

// slashField is where form key k goes in c, and the field's bit in
// parseSlashCommand's set; nil for a key slack.SlashCommand does not keep.
func slashField(c *slack.SlashCommand, enterpriseInstall *string, k string) (uint32, *string) {
	switch k {
	case "token":
		return 1 << 0, &c.Token
	case "team_id":
		return 1 << 1, &c.TeamID
	case "team_domain":
		return 1 << 2, &c.TeamDomain
	case "enterprise_id":
		return 1 << 3, &c.EnterpriseID
	case "enterprise_name":
		return 1 << 4, &c.EnterpriseName
	case "is_enterprise_install":
		return 1 << 5, enterpriseInstall
	case "channel_id":
		return 1 << 6, &c.ChannelID
	case "channel_name":
		return 1 << 7, &c.ChannelName
	case "user_id":
		return 1 << 8, &c.UserID
	case "user_name":
		return 1 << 9, &c.UserName
	case "command":
		return 1 << 10, &c.Command
	case "text":
		return 1 << 11, &c.Text
	case "response_url":
		return 1 << 12, &c.ResponseURL
	case "trigger_id":
		return 1 << 13, &c.TriggerID
	case "api_app_id":
		return 1 << 14, &c.APIAppID
	}
	return 0, nil
}

// interactionCallback reads an interaction's form and decodes its payload
// field, JSON, as slack.InteractionCallbackParse does.
func interactionCallback(h http.Header, body []byte) (slack.InteractionCallback, error) {
	f, err := parseForm(h, body)
	if err != nil {
		return slack.InteractionCallback{}, err
	}
	payload := f.Get("payload")
	if payload == "" {
		return slack.InteractionCallback{}, errors.New("slack: interaction without a payload")
	}
	var ic slack.InteractionCallback
	if err := json.Unmarshal([]byte(payload), &ic); err != nil {
		return slack.InteractionCallback{}, fmt.Errorf("slack: interaction payload: %w", err)
	}
	return ic, nil
}

// commandLine turns a slash command into a line of the text grammar: the
// umbrella /coach passes its text, a command of the spec (/salary mid)
// becomes "salary mid". Any other name is taken as the umbrella under
// another name, so a workspace that already has a /coach can install the
// app with, say, /coachbot.
func (a *Adapter) commandLine(cmd slack.SlashCommand) string {
	name := strings.ToLower(strings.TrimPrefix(cmd.Command, "/"))
	if a.slash[name] {
		return name + " " + cmd.Text
	}
	return cmd.Text
}

// answer handles a slash command on the calling goroutine. When the reply
// is ready within the inline budget it is returned (inline true) for the
// HTTP response or the Socket Mode ack. Otherwise, when the budget is up,
// ack is called from a timer's goroutine to tell Slack the command arrived,
// answer posts the reply to the command's response_url when it is ready,
// and inline is false: the caller has nothing more to send. Either way r
// is the bot's reply (its CacheKey keys msg's JSON; its Card is for
// Socket Mode's upload). once is the request's replay key ("" for none); a
// request the bot refuses (bot.ErrReplayed) returns the error within the
// budget, and gets no answer after it.
//
// The bot runs here rather than on a goroutine of its own so that a
// command costs no goroutine start and no stack growth (about 5% of a
// command's CPU under load, by pprof); only a timer waits beside it, as in
// the Discord adapter.
func (a *Adapter) answer(ctx context.Context, cmd slack.SlashCommand, once string, ack func()) (r bot.Reply, msg slack.Msg, inline bool, err error) {
	user := bot.SlackUser(cmd.TeamID, cmd.UserID)
	line := a.commandLine(cmd)
	// The command outlives the request when it overruns the budget.
	ctx = context.WithoutCancel(ctx)

	d := webhook.DeferAfter(a.budget, func() {
		a.log.Warn("slack command answer is slow: it follows through response_url", "user", bot.HashUser(user))
		ack()
	})
	r, err = a.bot.Serve(ctx, bot.Inbound{User: user, Line: line, Once: once})
	late := d.Done()
	switch {
	case late && err != nil:
		// Refused after Slack had its acknowledgement: nothing more.
		return bot.Reply{}, slack.Msg{}, false, nil
	case late:
		a.followUp(ctx, user, cmd.ResponseURL, a.renderFor(user, r))
		return r, slack.Msg{}, false, nil
	case err != nil:
		return bot.Reply{}, slack.Msg{}, true, err
	}
	return r, a.renderFor(user, r), true, nil
}

// checkInstalled checks, when installs are on and no bot token of our own
// serves every workspace, that team installed the app. ok is true when
// the command may go on; otherwise msg is the answer for the user (nil
// when the store did not answer).
func (a *Adapter) checkInstalled(ctx context.Context, team string) (msg *slack.Msg, ok bool) {
	if a.oauth == nil || a.api != nil {
		return nil, true
	}
	now := a.clock.Now()
	if a.installed.known(team, now) {
		return nil, true
	}
	_, err := a.inst.Installation(ctx, team)
	switch {
	case err == nil:
		a.installed.add(team, now)
		return nil, true
	case errors.Is(err, bot.ErrNoInstallation), bot.ErrorCode(err) == bot.Invalid:
		m := Render(bot.Reply{Text: "coachbot is not installed in this Slack workspace (or it was removed). A workspace admin can add it at " + a.oauth.installURL})
		return &m, false
	}
	a.log.Warn("slack: cannot read the workspace's installation", "err", err)
	return nil, false
}

// repeated reports whether a request refused before it reaches the bot
// (a workspace that has not installed the app) was seen already: the bot
// checks replays itself (bot.Inbound.Once), but this answer does not go
// through it, and a copy of the request must not buy another store read
// and, for a button, another post to Slack. once "" (Socket Mode) is
// never repeated; when the check fails the answer goes out, as it would
// to a new request.
func (a *Adapter) repeated(ctx context.Context, once string) bool {
	if a.dedupe == nil || once == "" {
		return false
	}
	first, err := a.dedupe.FirstSeen(ctx, once, bot.ReplayWindow)
	return err == nil && !first
}

// render is Render, kept for replies that are the same for everyone.
// Nothing changes a rendered message afterwards, so sharing it is safe.
func (a *Adapter) render(r bot.Reply) slack.Msg {
	if r.CacheKey == "" {
		return Render(r)
	}
	m, _ := a.msgs.Get(r.CacheKey, func() (slack.Msg, error) { return Render(r), nil })
	return m
}

// press dispatches the button of a block_actions payload as the user who
// pressed it and posts the reply to the payload's response_url. Payloads of
// other kinds, and actions that are not our buttons, are ignored. once is
// the request's replay key ("" for none): a press the bot refuses (a
// replay) gets no answer. It runs on the caller's goroutine once Slack
// has had its 200.
func (a *Adapter) press(ctx context.Context, ic slack.InteractionCallback, once string) {
	if ic.Type != slack.InteractionTypeBlockActions {
		return
	}
	team := ic.Team.ID
	if team == "" {
		team = ic.User.TeamID
	}
	if team == "" || ic.User.ID == "" {
		a.log.Info("slack button press without a team or user: ignored")
		return
	}
	user := bot.SlackUser(team, ic.User.ID)
	// Slack has had its 200 and may hang up: finish regardless.
	ctx = context.WithoutCancel(ctx)
	if m, ok := a.checkInstalled(ctx, team); !ok {
		if m != nil && !a.repeated(ctx, once) {
			a.followUp(ctx, user, ic.ResponseURL, *m)
		}
		return
	}
	for _, act := range ic.ActionCallback.BlockActions {
		line := pressLine(act)
		if line == "" {
			continue
		}
		r, err := a.bot.Serve(ctx, bot.Inbound{User: user, Line: line, Once: once})
		if err != nil {
			return // the bot has logged why
		}
		a.followUp(ctx, user, ic.ResponseURL, a.renderFor(user, r))
		a.uploadCard(ctx, user, r.Card)
		return // one press is one action
	}
}

// pressLine is the command line an action of ours dispatches: a button's
// value, or a checkbox group's command (its action_id after the prefix)
// with the ticked values; "" for anything else, or nothing ticked.
func pressLine(act *slack.BlockAction) string {
	switch {
	case act == nil:
		return ""
	case strings.HasPrefix(act.ActionID, ButtonActionPrefix):
		if strings.TrimSpace(act.Value) == "" {
			return ""
		}
		return act.Value
	case strings.HasPrefix(act.ActionID, SelectActionPrefix) && act.Type == slack.ActionType(slack.METCheckboxGroups):
		var values []string
		for _, o := range act.SelectedOptions {
			if v := strings.TrimSpace(o.Value); v != "" {
				values = append(values, v)
			}
		}
		if len(values) == 0 {
			return "" // unticking everything asks for nothing
		}
		return (&bot.Select{Command: strings.TrimPrefix(act.ActionID, SelectActionPrefix)}).Line(values)
	}
	return ""
}

// followUp posts m to a response_url, next to the message it answers.
func (a *Adapter) followUp(ctx context.Context, user bot.UserID, responseURL string, m slack.Msg) {
	if responseURL == "" {
		a.log.Warn("slack reply dropped: no response_url", "user", bot.HashUser(user))
		return
	}
	if !a.slackHook(responseURL) {
		// The URL came in a signed request, but whoever holds the signing
		// secret could make this server post anywhere (an internal admin
		// path) through it.
		a.log.Warn("slack reply refused: response_url is not Slack's", "user", bot.HashUser(user))
		return
	}
	ctx, cancel := context.WithTimeout(ctx, followUpTimeout)
	defer cancel()
	if err := slack.PostWebhookCustomHTTPContext(ctx, responseURL, a.hooks, toWebhook(m)); err != nil {
		a.log.Error("slack reply via response_url failed", "user", bot.HashUser(user), "err", redactURL(err, responseURL))
	}
}

// slackHook reports whether a response_url may be posted to (DESIGN §6):
// https://hooks.slack.com/, or the scheme and host of the Web API URL (a
// test's fake, or a proxy in front of Slack). No user info, no other port.
func (a *Adapter) slackHook(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Opaque != "" {
		return false
	}
	if u.Scheme == "https" && u.Host == "hooks.slack.com" {
		return true
	}
	api, err := url.Parse(a.apiURL)
	return err == nil && u.Scheme == api.Scheme && u.Host == api.Host
}

// redactURL keeps a response_url, which works as a credential for 30
// minutes, out of an error bound for the log. net/http names the URL as it
// re-encodes it (a^b is a%5Eb there), so the spelling of a *url.Error in
// the chain is removed as well as u's.
func redactURL(err error, u string) error {
	msg := err.Error()
	spellings := []string{u}
	var ue *url.Error
	if errors.As(err, &ue) {
		spellings = append(spellings, ue.URL)
	}
	redacted := msg
	for _, s := range spellings {
		if s != "" {
			redacted = strings.ReplaceAll(redacted, s, "<response_url>")
		}
	}
	if redacted == msg {
		return err
	}
	return fmt.Errorf("%s", redacted)
}
