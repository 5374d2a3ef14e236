package slack

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"golang.org/x/time/rate"

	"github.com/coachbot/coachbot/adapters/internal/seal"
	"github.com/coachbot/coachbot/bot"
)

// DefaultAuthorizeURL is Slack's OAuth v2 authorize page, where
// GET /slack/install sends the browser.
const DefaultAuthorizeURL = "https://slack.com/oauth/v2/authorize"

// StateTTL is how long an install may take from GET /slack/install to the
// callback: the state and its cookie are good for this long, once.
const StateTTL = 10 * time.Minute

// stateCookie holds the browser's nonce, which the state's MAC covers, so
// a state is good only in the browser that started the install (a state
// link sent to someone else, or a forged callback, has no cookie to match).
const stateCookie = "coachbot_slack_oauth"

// Callback paths, relative to the public URL.
const (
	installPath  = "/slack/install"
	callbackPath = "/slack/oauth/callback"
)

// maxCodeLen bounds the code the callback forwards to Slack; Slack's are
// well under 100 characters.
const maxCodeLen = 256

// A replica exchanges at most exchangeBurst install codes at once with
// Slack (oauth.v2.access), and exchangeRate a second after that. Anyone
// can start an install and come back with a made-up code, each time a
// call from us to Slack; unbounded, that would spend our app's rate limit
// at Slack and fail real installs. People install an app far more slowly.
const (
	exchangeRate  = 1
	exchangeBurst = 10
)

// oauth is what the "Add to Slack" install needs; nil when it is off.
type oauth struct {
	clientID, clientSecret string
	redirect               string // PublicURL + callbackPath
	installURL             string // PublicURL + installPath, for "not installed" answers
	authorize              string
	secureCookie           bool
	cookiePath             string // the callback's path as the browser sees it
	stateKey               []byte // signs states (seal.Derive "slack-oauth-state")
	sealer                 *seal.Sealer
	dedupe                 bot.Deduper
	exchanges              *rate.Limiter // the calls to oauth.v2.access
}

// newOAuth checks the install's part of cfg; it returns nil, nil when
// ClientID is unset (installs off).
func newOAuth(cfg Config) (*oauth, error) {
	if cfg.ClientID == "" && cfg.ClientSecret == "" {
		return nil, nil
	}
	switch {
	case cfg.ClientID == "" || cfg.ClientSecret == "":
		return nil, errors.New("slack: installs need both the client id and the client secret")
	case cfg.AppToken != "":
		return nil, errors.New("slack: installs (a client id) need HTTP mode: Slack does not distribute Socket Mode apps")
	case cfg.SigningSecret == "":
		return nil, errors.New("slack: installs need the signing secret")
	case cfg.Installations == nil:
		return nil, errors.New("slack: installs need a store that keeps installations")
	case cfg.Deduper == nil:
		return nil, errors.New("slack: installs need a Deduper (single-use install states)")
	}
	pub, err := url.Parse(strings.TrimRight(cfg.PublicURL, "/"))
	if err != nil || pub.Host == "" || (pub.Scheme != "https" && pub.Scheme != "http") || pub.RawQuery != "" {
		return nil, errors.New("slack: installs need the public https URL of the server")
	}
	sealer, err := seal.New(cfg.SecretKey)
	if err != nil {
		return nil, fmt.Errorf("slack: installs need the secret key: %w", err)
	}
	o := &oauth{
		clientID:     cfg.ClientID,
		clientSecret: cfg.ClientSecret,
		redirect:     pub.String() + callbackPath,
		installURL:   pub.String() + installPath,
		authorize:    cfg.AuthorizeURL,
		secureCookie: pub.Scheme == "https",
		cookiePath:   pub.Path + callbackPath, // behind a proxy's path prefix too
		stateKey:     seal.Derive(cfg.SecretKey, "slack-oauth-state"),
		sealer:       sealer,
		dedupe:       cfg.Deduper,
		exchanges:    rate.NewLimiter(exchangeRate, exchangeBurst),
	}
	if o.authorize == "" {
		o.authorize = DefaultAuthorizeURL
	}
	return o, nil
}

// stateMAC is the MAC of a state: the browser's nonce and the expiry.
func (o *oauth) stateMAC(nonce []byte, exp int64) []byte {
	m := hmac.New(sha256.New, o.stateKey)
	m.Write(nonce)
	m.Write([]byte(":" + strconv.FormatInt(exp, 10)))
	return m.Sum(nil)
}

// serveInstall starts an install: a fresh nonce in a cookie, and a 302 to
// Slack's authorize page with a state that carries its expiry and the
// MAC of both. It writes nothing to any store (the endpoint is public, so
// a flood of it costs the store nothing) and sends nothing to Slack.
func (a *Adapter) serveInstall(w http.ResponseWriter, r *http.Request) {
	o := a.oauth
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	exp := a.clock.Now().Add(StateTTL).Unix()
	state := strconv.FormatInt(exp, 10) + "." + base64.RawURLEncoding.EncodeToString(o.stateMAC(nonce, exp))
	http.SetCookie(w, &http.Cookie{
		Name:     stateCookie,
		Value:    base64.RawURLEncoding.EncodeToString(nonce),
		Path:     o.cookiePath,
		MaxAge:   int(StateTTL / time.Second),
		HttpOnly: true,
		Secure:   o.secureCookie,
		SameSite: http.SameSiteLaxMode, // Slack's redirect back is a top-level GET
	})
	q := url.Values{
		"client_id":    {o.clientID},
		"scope":        {strings.Join(Scopes, ",")},
		"redirect_uri": {o.redirect},
		"state":        {state},
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, o.authorize+"?"+q.Encode(), http.StatusFound)
}

// checkState reports why the callback's state is not good, or "" when it
// is: well formed, not expired, and the MAC of the cookie's nonce. It
// writes nothing; the caller then spends the state once.
func (a *Adapter) checkState(r *http.Request, state string) string {
	expText, macText, ok := strings.Cut(state, ".")
	if !ok || len(state) > 128 {
		return "malformed state"
	}
	exp, err := strconv.ParseInt(expText, 10, 64)
	mac, err2 := base64.RawURLEncoding.DecodeString(macText)
	if err != nil || err2 != nil {
		return "malformed state"
	}
	c, err := r.Cookie(stateCookie)
	if err != nil {
		return "no state cookie"
	}
	nonce, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(nonce) != 16 {
		return "malformed state cookie"
	}
	if !hmac.Equal(mac, a.oauth.stateMAC(nonce, exp)) {
		return "state does not match the cookie"
	}
	if !a.clock.Now().Before(time.Unix(exp, 0)) {
		return "state expired"
	}
	return ""
}

// serveCallback finishes an install: Slack sends the browser back with a
// code and our state (or an error such as access_denied). The state is
// checked against the cookie and spent (single-use, on every replica)
// before the code is exchanged; only then is the installation sealed and
// stored. Any failure is a 400 page, with nothing exchanged or stored.
func (a *Adapter) serveCallback(w http.ResponseWriter, r *http.Request) {
	o := a.oauth
	q := r.URL.Query()
	refuse := func(status int, reason, page string) {
		a.installRefusals.Refused(r.Pattern, reason) // the reasons are constants
		installPage(w, status, page, o.installURL)
	}
	if q.Get("error") != "" {
		// access_denied: the person cancelled on Slack's page. The error
		// is Slack's word, never shown raw.
		refuse(http.StatusBadRequest, "slack error", "The install was cancelled, so nothing was added to your workspace.")
		return
	}
	state, code := q.Get("state"), q.Get("code")
	if why := a.checkState(r, state); why != "" {
		refuse(http.StatusBadRequest, why, "This install link is not valid any more (it is good once, for 10 minutes, in the browser that started it).")
		return
	}
	if code == "" || len(code) > maxCodeLen {
		refuse(http.StatusBadRequest, "no code", "Slack did not send the install code back.")
		return
	}
	// Before the state is spent: a person turned away keeps a link that
	// works a minute later.
	if !o.exchanges.AllowN(a.clock.Now(), 1) {
		a.installRefusals.Refused(r.Pattern, "too many installs at once")
		w.Header().Set("Retry-After", "60")
		installPage(w, http.StatusServiceUnavailable, "Many installs are under way right now. Please open this link again in a minute.", "")
		return
	}
	sum := sha256.Sum256([]byte(state))
	first, err := o.dedupe.FirstSeen(r.Context(), "slack-oauth-state:"+hex.EncodeToString(sum[:16]), StateTTL+time.Minute)
	if err != nil {
		a.log.Error("slack install: the state could not be spent", "err", err)
		installPage(w, http.StatusServiceUnavailable, "Something went wrong on our side. Please try again in a minute.", o.installURL)
		return
	}
	if !first {
		refuse(http.StatusBadRequest, "state reused", "This install link was used already. Start again to install once more.")
		return
	}
	resp, err := slack.GetOAuthV2ResponseContext(r.Context(), a.http, o.clientID, o.clientSecret, code, o.redirect, slack.OAuthOptionAPIURL(a.apiURL))
	if err != nil {
		const page = "Slack did not accept this install. Please start again."
		if errorCode(err) != "" {
			// Slack refused the code: anyone with a fresh state can send
			// a made-up one, so the line is rate-limited like the others.
			refuse(http.StatusBadRequest, codeRefusal(errorCode(err)), page)
			return
		}
		a.log.Warn("slack install: the code exchange failed", "status", http.StatusBadGateway)
		installPage(w, http.StatusBadGateway, page, o.installURL)
		return
	}
	in, err := installationOf(resp, a.clock.Now())
	if err != nil {
		a.log.Warn("slack install: unusable answer from oauth.v2.access", "err", err)
		installPage(w, http.StatusBadRequest, "This kind of install is not supported: add coachbot to one workspace at a time.", o.installURL)
		return
	}
	if err := a.putInstallation(r.Context(), in); err != nil {
		a.log.Error("slack install: storing the installation failed", "team", teamHash(in.Team), "err", err)
		installPage(w, http.StatusServiceUnavailable, "Something went wrong on our side. Please try again in a minute.", o.installURL)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: "", Path: o.cookiePath, MaxAge: -1, HttpOnly: true, Secure: o.secureCookie, SameSite: http.SameSiteLaxMode})
	a.log.Info("slack workspace installed", "team", teamHash(in.Team), "rotating", !in.Expires.IsZero())
	installPage(w, http.StatusOK, "coachbot is installed in "+in.TeamName+". Type /coach help in Slack to start.", "")
}

// pageTemplate is the small HTML page the install endpoints answer.
var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>coachbot for Slack</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 36em; margin: 4em auto">
<h1>coachbot for Slack</h1>
<p>{{.Text}}</p>
{{if .Again}}<p><a href="{{.Again}}">Add to Slack</a></p>{{end}}
</body></html>
`))

// installPage writes the page with status; again, when set, links to a
// fresh install.
func installPage(w http.ResponseWriter, status int, text, again string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = pageTemplate.Execute(w, struct{ Text, Again string }{text, again})
}

// errNotInstalled is what a Slack call for a workspace without an
// installation (and no bot token of our own) gets.
var errNotInstalled = bot.Errorf(bot.NotFound, "coachbot is not installed in this Slack workspace.")

// installation is what the adapter keeps about a workspace that installed
// the app, sealed (JSON, then seal.Sealer) before any store sees it.
type installation struct {
	Team         string    `json:"team"`
	TeamName     string    `json:"team_name,omitempty"`
	AppID        string    `json:"app_id,omitempty"`
	BotUser      string    `json:"bot_user"`
	BotToken     string    `json:"bot_token"`
	Scopes       []string  `json:"scopes"`
	RefreshToken string    `json:"refresh_token,omitempty"` // token rotation on
	Expires      time.Time `json:"expires,omitzero"`        // when BotToken expires (rotation on)
	Installed    time.Time `json:"installed"`
}

// installationOf reads oauth.v2.access's answer (an install or a
// refresh) at now.
func installationOf(r *slack.OAuthV2Response, now time.Time) (installation, error) {
	switch {
	case r.IsEnterpriseInstall || r.Team.ID == "":
		return installation{}, errors.New("an org-wide (Enterprise Grid) install")
	case bot.ValidateTeam(r.Team.ID) != nil:
		return installation{}, errors.New("a malformed team id")
	case r.TokenType != "bot" || r.AccessToken == "":
		return installation{}, errors.New("no bot token")
	}
	in := installation{
		Team: r.Team.ID, TeamName: r.Team.Name, AppID: r.AppID, BotUser: r.BotUserID,
		BotToken: r.AccessToken, Scopes: strings.Split(r.Scope, ","), Installed: now.UTC(),
	}
	if r.RefreshToken != "" && r.ExpiresIn > 0 {
		in.RefreshToken = r.RefreshToken
		in.Expires = now.Add(time.Duration(r.ExpiresIn) * time.Second).UTC()
	}
	return in, nil
}

// sealContext binds a sealed installation to its team: a value copied to
// another team's key does not open.
func sealContext(team string) string { return "slack-installation:" + team }

func (a *Adapter) putInstallation(ctx context.Context, in installation) error {
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("slack: installation: %w", err)
	}
	return a.inst.PutInstallation(ctx, in.Team, a.oauth.sealer.Seal(b, sealContext(in.Team)))
}

// installationFor reads and opens team's installation (errNotInstalled
// when there is none).
func (a *Adapter) installationFor(ctx context.Context, team string) (installation, error) {
	sealed, err := a.inst.Installation(ctx, team)
	if errors.Is(err, bot.ErrNoInstallation) || bot.ValidateTeam(team) != nil {
		return installation{}, errNotInstalled
	}
	if err != nil {
		return installation{}, err
	}
	return a.openInstallation(team, sealed)
}

// openInstallation opens team's sealed installation. An error (coded
// Internal) means another COACH_SECRET_KEY or a damaged value: the
// workspace must install again; nothing else can open it.
func (a *Adapter) openInstallation(team string, sealed []byte) (installation, error) {
	plain, err := a.oauth.sealer.Open(sealed, sealContext(team))
	if err != nil {
		return installation{}, bot.WrapError(bot.Internal, fmt.Errorf("slack: installation: %w", err), "")
	}
	var in installation
	if err := json.Unmarshal(plain, &in); err != nil {
		return installation{}, bot.WrapError(bot.Internal, fmt.Errorf("slack: installation: %w", err), "")
	}
	return in, nil
}

// codeRefusal is the refusal reason for Slack's answer to a code exchange.
// Reasons must be constants (webhook.Refusals); the codes an operator can
// act on (a wrong secret or redirect URL) are kept, any other is not.
func codeRefusal(slackError string) string {
	switch slackError {
	case "invalid_client_id", "bad_client_secret", "bad_redirect_uri", "invalid_grant_type":
		return "code refused by Slack: " + slackError
	}
	return "code refused by Slack"
}
