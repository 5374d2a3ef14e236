package slack_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	coachslack "github.com/coachbot/coachbot/adapters/slack"
	"github.com/coachbot/coachbot/bot"
)

// publicURL is where the tests say the server is reachable; the OAuth
// redirect is under it. Nothing connects to it: the browser of the tests
// talks to the httptest server and sends the cookie itself.
const publicURL = "https://coach.example.test"

// secretKey is a made-up COACH_SECRET_KEY.
var secretKey = bytes.Repeat([]byte{7}, 32)

// installEnv is newEnv with "Add to Slack" on and no bot token of our own:
// every workspace's calls use the token its install stored.
func newInstallEnv(t *testing.T, mods ...func(*coachslack.Config)) *env {
	t.Helper()
	e := newEnv(t, append([]func(*coachslack.Config){func(c *coachslack.Config) {
		c.BotToken = ""
		c.ClientID, c.ClientSecret = clientID, clientSecret
		c.PublicURL, c.SecretKey = publicURL, secretKey
		c.Installations = c.Store.(bot.Installations)
		c.Deduper = bot.NewLocalLimits(c.Clock)
	}}, mods...)...)
	e.fake.redirectURI = publicURL + "/slack/oauth/callback"
	return e
}

// browser is a person's browser: it keeps the install cookie and logs
// every request it makes with its status (the flow's transcript).
type browser struct {
	t      *testing.T
	e      *env
	cookie *http.Cookie
}

func (e *env) browser() *browser { return &browser{t: e.t, e: e} }

// get fetches path (with the cookie, when the browser has one), without
// following redirects, and logs "GET path → status".
func (b *browser) get(path string) *http.Response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	if b.cookie != nil {
		req.AddCookie(b.cookie)
	}
	c := *b.e.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(body))
	shown, _, _ := strings.Cut(path, "?")
	if q := req.URL.Query(); len(q) > 0 {
		var keys []string
		for k := range q {
			keys = append(keys, k+"=…") // values are secrets: never logged
		}
		slices.Sort(keys)
		shown += "?" + strings.Join(keys, "&")
	}
	b.t.Logf("transcript: GET %s → %d", shown, res.StatusCode)
	return res
}

// start is GET /slack/install: it keeps the cookie and returns the state
// of the authorize URL it was sent to.
func (b *browser) start() (state string, authorize *url.URL) {
	b.t.Helper()
	res := b.get("/slack/install")
	if res.StatusCode != http.StatusFound {
		b.t.Fatalf("GET /slack/install: status %d, want 302", res.StatusCode)
	}
	for _, c := range res.Cookies() {
		if c.Name == "coachbot_slack_oauth" {
			// Only the callback gets it, only over https, never to
			// scripts, and for as long as the state is good.
			if c.Path != "/slack/oauth/callback" || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.MaxAge != 600 {
				b.t.Errorf("install cookie %+v", c)
			}
			b.cookie = &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	if b.cookie == nil {
		b.t.Fatal("GET /slack/install set no cookie")
	}
	u, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		b.t.Fatal(err)
	}
	return u.Query().Get("state"), u
}

// callback is Slack sending the browser back with q.
func (b *browser) callback(q url.Values) (int, string) {
	b.t.Helper()
	res := b.get("/slack/oauth/callback?" + q.Encode())
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// install runs a whole install of g's workspace in a fresh browser and
// fails unless it ends with the 200 page.
func (e *env) install(g grant) {
	e.t.Helper()
	b := e.browser()
	state, _ := b.start()
	code := "code-" + g.Team
	e.fake.Grant(code, g)
	status, page := b.callback(url.Values{"code": {code}, "state": {state}})
	if status != http.StatusOK || !strings.Contains(page, "installed in "+g.TeamName) {
		e.t.Fatalf("install of %s: status %d\n%s", g.Team, status, page)
	}
}

// slashAs runs a signed slash command as user of team.
func (e *env) slashAs(team, user, command, text string) map[string]any {
	e.t.Helper()
	form, err := url.ParseQuery(string(commandForm(e.t, command, text, e.fake.HooksURL()+"/commands/x")))
	if err != nil {
		e.t.Fatal(err)
	}
	form.Set("team_id", team)
	form.Set("user_id", user)
	status, body := e.postSigned("/slack/commands", []byte(form.Encode()))
	if status != http.StatusOK {
		e.t.Fatalf("%s %s as %s: status %d: %s", command, text, team, status, body)
	}
	return decode(e.t, body)
}

// checkNoSecrets fails when the log shows a token the fake issued, a
// state, a code or a team's raw id.
func checkNoSecrets(t *testing.T, e *env, more ...string) {
	t.Helper()
	logs := e.logs.String()
	e.fake.mu.Lock()
	for tok := range e.fake.tokens {
		more = append(more, tok)
	}
	e.fake.mu.Unlock()
	for _, s := range append(more, "xoxb-", "xoxe", "code-", clientSecret, string(secretKey)) {
		if s != "" && strings.Contains(logs, s) {
			t.Errorf("the log holds %q:\n%s", s, logs)
		}
	}
}

// TestInstallTwoWorkspaces installs the app in two workspaces through the
// real HTTP endpoints (one with token rotation), then a user of each sets
// a reminder and gets it: every call about a user went out with their
// workspace's own token, as the fake Slack saw it, and the store holds no
// token it can read.
func TestInstallTwoWorkspaces(t *testing.T) {
	e := newInstallEnv(t)
	b := e.browser()
	state, authorize := b.start()
	q := authorize.Query()
	if got := authorize.Scheme + "://" + authorize.Host + authorize.Path; got != coachslack.DefaultAuthorizeURL {
		t.Errorf("redirected to %s, want Slack's authorize page", got)
	}
	want := url.Values{"client_id": {clientID}, "scope": {strings.Join(coachslack.Scopes, ",")},
		"redirect_uri": {publicURL + "/slack/oauth/callback"}, "state": {state}}
	if d := cmp.Diff(want, q); d != "" {
		t.Errorf("authorize query (-want +got):\n%s", d)
	}
	e.fake.Grant("code-TACME1", grant{Team: "TACME1", TeamName: "Acme"})
	if status, page := b.callback(url.Values{"code": {"code-TACME1"}, "state": {state}}); status != http.StatusOK || !strings.Contains(page, "installed in Acme") {
		t.Fatalf("callback: %d\n%s", status, page)
	}
	e.install(grant{Team: "TBOOT2", TeamName: "Bootcamp", Rotate: true})
	if n := len(e.fake.Calls("oauth.v2.access")); n != 2 {
		t.Errorf("oauth.v2.access called %d times, want 2", n)
	}

	for _, team := range []string{"TACME1", "TBOOT2"} {
		raw, err := e.h.Store.Installation(context.Background(), team)
		if err != nil {
			t.Fatalf("installation of %s: %v", team, err)
		}
		if tok := e.fake.TokenOf(team); tok == "" || bytes.Contains(raw, []byte(tok)) || bytes.Contains(raw, []byte("xox")) {
			t.Errorf("the stored installation of %s shows its token: %q", team, raw)
		}
	}

	e.fake.SetZone("U1", "Europe/Berlin")
	e.fake.SetZone("U2", "Asia/Kolkata")
	e.slashAs("TACME1", "U1", "/coach", "remind in 1m")
	e.slashAs("TBOOT2", "U2", "/coach", "remind in 1m")
	e.h.Clock.Advance(2 * time.Minute)
	if st := e.h.Deliver(t); st.Sent != 2 {
		t.Fatalf("delivery: %+v, want two sent", st)
	}
	type seen struct{ Method, Team, User string }
	var got []seen
	for _, c := range e.fake.Calls("users.info", "conversations.open", "chat.postMessage") {
		u := c.Form.Get("user") + c.Form.Get("users")
		if u == "" {
			u = c.Form.Get("channel")[5:] // the fake names a DM channel D<n><user>
		}
		got = append(got, seen{c.Method, c.Team, u})
	}
	slices.SortFunc(got, func(a, b seen) int { return strings.Compare(a.Team+a.Method, b.Team+b.Method) })
	wantCalls := []seen{
		{"chat.postMessage", "TACME1", "U1"}, {"conversations.open", "TACME1", "U1"}, {"users.info", "TACME1", "U1"},
		{"chat.postMessage", "TBOOT2", "U2"}, {"conversations.open", "TBOOT2", "U2"}, {"users.info", "TBOOT2", "U2"},
	}
	if d := cmp.Diff(wantCalls, got); d != "" {
		t.Errorf("Slack calls by the token of the user's workspace (-want +got):\n%s", d)
	}
	checkNoSecrets(t, e, state, "TACME1", "TBOOT2")
}

// TestInstallRefused: a callback with a forged, expired, reused or
// foreign state, without the cookie, with Slack's access_denied, or
// without a code answers 400 and neither exchanges a code nor stores
// anything.
func TestInstallRefused(t *testing.T) {
	e := newInstallEnv(t)
	e.fake.Grant("code-TNINE9", grant{Team: "TNINE9", TeamName: "Nine"})
	// A state used once, in the browser that started it.
	reuse := e.browser()
	reuseState, _ := reuse.start()
	e.fake.Grant("code-R", grant{Team: "TSEVEN7", TeamName: "Seven"})
	if status, _ := reuse.callback(url.Values{"code": {"code-R"}, "state": {reuseState}}); status != http.StatusOK {
		t.Fatalf("first use of a state: %d", status)
	}
	exchanges := len(e.fake.Calls("oauth.v2.access"))

	cases := []struct {
		name, reason string // the case, and why the log says it was refused
		setup        func() (*browser, url.Values)
	}{
		{"forged state", "state does not match the cookie", func() (*browser, url.Values) {
			b := e.browser()
			state, _ := b.start()
			exp, _, _ := strings.Cut(state, ".")
			return b, url.Values{"code": {"code-TNINE9"}, "state": {exp + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}
		}},
		{"later expiry", "state does not match the cookie", func() (*browser, url.Values) {
			b := e.browser()
			state, _ := b.start()
			_, mac, _ := strings.Cut(state, ".")
			return b, url.Values{"code": {"code-TNINE9"}, "state": {fmt.Sprint(e.h.Clock.Now().Add(time.Hour).Unix()) + "." + mac}}
		}},
		{"no state", "malformed state", func() (*browser, url.Values) {
			b := e.browser()
			b.start()
			return b, url.Values{"code": {"code-TNINE9"}}
		}},
		{"no cookie", "no state cookie", func() (*browser, url.Values) {
			b := e.browser()
			state, _ := b.start()
			b.cookie = nil
			return b, url.Values{"code": {"code-TNINE9"}, "state": {state}}
		}},
		{"another browser's cookie", "state does not match the cookie", func() (*browser, url.Values) {
			b, other := e.browser(), e.browser()
			state, _ := b.start()
			other.start()
			b.cookie = other.cookie
			return b, url.Values{"code": {"code-TNINE9"}, "state": {state}}
		}},
		{"reused state", "state reused", func() (*browser, url.Values) {
			return reuse, url.Values{"code": {"code-TNINE9"}, "state": {reuseState}}
		}},
		{"expired", "state expired", func() (*browser, url.Values) {
			b := e.browser()
			state, _ := b.start()
			e.h.Clock.Advance(coachslack.StateTTL)
			return b, url.Values{"code": {"code-TNINE9"}, "state": {state}}
		}},
		{"access_denied", "slack error", func() (*browser, url.Values) {
			b := e.browser()
			state, _ := b.start()
			return b, url.Values{"error": {"access_denied"}, "state": {state}}
		}},
		{"no code", "no code", func() (*browser, url.Values) {
			b := e.browser()
			state, _ := b.start()
			return b, url.Values{"state": {state}}
		}},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			b, q := c.setup()
			b.t = t
			status, page := b.callback(q)
			if status != http.StatusBadRequest || !strings.Contains(page, "<html") {
				t.Errorf("status %d, want 400 and a page:\n%s", status, page)
			}
			if n := len(e.fake.Calls("oauth.v2.access")); n != exchanges {
				t.Errorf("oauth.v2.access called: %d calls, want %d", n, exchanges)
			}
			if _, err := e.h.Store.Installation(context.Background(), "TNINE9"); !errors.Is(err, bot.ErrNoInstallation) {
				t.Errorf("T9 installed: %v", err)
			}
			if want := `reason="` + c.reason + `"`; !strings.Contains(e.logs.String(), want) {
				t.Errorf("the log does not say %s:\n%s", want, e.logs.String())
			}
		})
	}

	// A code Slack refuses (spent, or made up) is exchanged once and
	// stores nothing.
	b := e.browser()
	state, _ := b.start()
	if status, _ := b.callback(url.Values{"code": {"made-up"}, "state": {state}}); status != http.StatusBadRequest {
		t.Errorf("a code Slack refuses: status %d, want 400", status)
	}
	if _, err := e.h.Store.Installation(context.Background(), "TNINE9"); !errors.Is(err, bot.ErrNoInstallation) {
		t.Errorf("T9 installed: %v", err)
	}
	checkNoSecrets(t, e, reuseState, state, "TNINE9", "TSEVEN7")
}

// TestNotInstalledWorkspace: a command from a workspace that never
// installed the app is answered with where to install it, once per
// request; nothing is kept about the user.
func TestNotInstalledWorkspace(t *testing.T) {
	e := newInstallEnv(t)
	m := e.slashAs("TNOPE5", "U5", "/coach", "roadmap next")
	if text := allText(m); !strings.Contains(text, "not installed") || !strings.Contains(text, publicURL+"/slack/install") {
		t.Errorf("answer: %s", text)
	}
	u, err := e.h.Store.User(context.Background(), bot.SlackUser("TNOPE5", "U5"))
	if err != nil || u.Kept() {
		t.Errorf("a record was kept for the user: %+v, %v", u, err)
	}
	// A copy of the request is refused: the answer does not go through
	// the bot, which would have refused it.
	form, _ := url.ParseQuery(string(commandForm(t, "/coach", "tip", e.fake.HooksURL()+"/commands/x")))
	form.Set("team_id", "TNOPE5")
	cmd := []byte(form.Encode())
	signed := signedHeader(signingSecret, time.Now(), cmd)
	for i, want := range []int{http.StatusOK, http.StatusUnauthorized} {
		if status, body := e.post("/slack/commands", cmd, signed.Clone()); status != want {
			t.Errorf("command, sent %d times: status %d %s, want %d", i+1, status, body, want)
		}
	}

	// A button pressed in that workspace gets the same answer, once: a
	// copy of the press posts nothing. (Slack's 200 goes out before the
	// press is handled; closing the server waits for the handlers.)
	body := []byte("payload=" + url.QueryEscape(string(blockActions(t, e.fake.HooksURL(), "cmd:0", "checkin"))))
	signed = signedHeader(signingSecret, time.Now(), body)
	for i := range 2 {
		if status, _ := e.post("/slack/interactions", body, signed.Clone()); status != http.StatusOK {
			t.Errorf("button press, sent %d times: status %d, want 200 (a copy gets Slack's 200, with nothing done)", i+1, status)
		}
	}
	e.srv.Close()
	hooks := e.fake.Calls("hook")
	if len(hooks) != 1 || !strings.Contains(string(hooks[0].JSON), "not installed") {
		t.Errorf("posts to response_url for a press and its copy: %+v, want one saying it is not installed", hooks)
	}
	if e.commands.Load() != 0 {
		t.Errorf("the bot handled %d commands", e.commands.Load())
	}
}

// event posts a signed Events API body.
func (e *env) event(body string) (int, []byte) {
	e.t.Helper()
	return e.postSigned("/slack/events", []byte(body))
}

// uninstalled and revoked are the two events that end team's install, as
// Slack dispatched them at the Unix second at.
func uninstalled(team string, at int64) string {
	return fmt.Sprintf(`{"token":"x","team_id":"%s","api_app_id":"A0COACH","event":{"type":"app_uninstalled","event_ts":"%d.0001"},"type":"event_callback","event_id":"Ev1%d","event_time":%d}`, team, at, at, at)
}

func revoked(team string, at int64) string {
	return fmt.Sprintf(`{"token":"x","team_id":"%s","api_app_id":"A0COACH","event":{"type":"tokens_revoked","tokens":{"oauth":[],"bot":["UBOT%s"]},"event_ts":"%d.0002"},"type":"event_callback","event_id":"Ev2%d","event_time":%d}`, team, team, at, at, at)
}

// TestUninstall: app_uninstalled and tokens_revoked, in either order,
// delete the workspace's installation and everything kept about its
// users, reminders included, and nothing of another workspace. Events
// are verified first; url_verification answers the challenge.
func TestUninstall(t *testing.T) {
	for _, order := range [][]func(string, int64) string{{uninstalled, revoked}, {revoked, uninstalled}} {
		first := "app_uninstalled"
		if strings.Contains(order[0]("TACME1", 0), "tokens_revoked") {
			first = "tokens_revoked"
		}
		t.Run(first+"_first", func(t *testing.T) {
			e := newInstallEnv(t)
			e.install(grant{Team: "TACME1", TeamName: "Acme"})
			e.install(grant{Team: "TBOOT2", TeamName: "Bootcamp"})
			e.slashAs("TACME1", "U1", "/coach", "remind in 1h")
			e.slashAs("TACME1", "U3", "/coach", "roadmap done 1")
			e.slashAs("TBOOT2", "U2", "/coach", "remind in 1h")
			ctx := context.Background()

			now := e.h.Clock.Now().Unix()
			if status, _ := e.post("/slack/events", []byte(uninstalled("TACME1", now)), nil); status != http.StatusUnauthorized {
				t.Errorf("unsigned event: status %d, want 401", status)
			}
			if _, err := e.h.Store.Installation(ctx, "TACME1"); err != nil {
				t.Fatalf("an unsigned event removed the installation: %v", err)
			}
			for i, ev := range order {
				if status, body := e.event(ev("TACME1", now)); status != http.StatusOK {
					t.Fatalf("event %d: status %d: %s", i+1, status, body)
				}
				if _, err := e.h.Store.Installation(ctx, "TACME1"); !errors.Is(err, bot.ErrNoInstallation) {
					t.Errorf("after event %d the installation is still there: %v", i+1, err)
				}
				if ids, err := e.h.Store.UsersWithPrefix(ctx, "slack:TACME1:"); err != nil || len(ids) != 0 {
					t.Errorf("after event %d users of T1 are kept: %v, %v", i+1, ids, err)
				}
			}
			if _, err := e.h.Store.Installation(ctx, "TBOOT2"); err != nil {
				t.Errorf("T2's installation went too: %v", err)
			}
			if u, _ := e.h.Store.User(ctx, bot.SlackUser("TBOOT2", "U2")); !u.Kept() || len(u.Reminders) != 1 {
				t.Errorf("T2's user lost their record: %+v", u)
			}
			e.h.Clock.Advance(2 * time.Hour)
			if st := e.h.Deliver(t); st.Sent != 1 {
				t.Errorf("delivery after the uninstall: %+v, want T2's one reminder only", st)
			}
			m := e.slashAs("TACME1", "U1", "/coach", "progress")
			if !strings.Contains(allText(m), "not installed") {
				t.Errorf("a command from the uninstalled workspace: %s", allText(m))
			}
			checkNoSecrets(t, e, "TACME1", "TBOOT2")
		})
	}

	t.Run("url_verification", func(t *testing.T) {
		e := newInstallEnv(t)
		status, body := e.event(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
		if status != http.StatusOK || string(body) != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
			t.Errorf("url_verification: %d %q", status, body)
		}
		if status, _ := e.event(`{"type":"event_callback","team_id":"TACME1","event":{"type":"tokens_revoked","tokens":{"oauth":["UX"]}}}`); status != http.StatusOK {
			t.Errorf("a user token revoked: status %d", status)
		}
		if status, _ := e.event(`{not json`); status != http.StatusBadRequest {
			t.Errorf("malformed event: status %d, want 400", status)
		}
	})
}

// TestTokenRefreshOnce: two replicas share a store and a Deduper; a
// rotating token near its expiry is refreshed by exactly one of them
// while both send DMs at once, and both DMs go out with a valid token.
func TestTokenRefreshOnce(t *testing.T) {
	e := newInstallEnv(t)
	dedupe := bot.NewLocalLimits(e.h.Clock)
	replica := func() *coachslack.Adapter {
		a, err := coachslack.New(coachslack.Config{
			SigningSecret: signingSecret, APIURL: e.fake.APIURL(), Bot: e.h.Bot, Store: e.h.Store,
			ClientID: clientID, ClientSecret: clientSecret, PublicURL: publicURL, SecretKey: secretKey,
			Installations: e.h.Store, Deduper: dedupe, Clock: e.h.Clock,
			Logger: slog.New(slog.NewTextHandler(e.logs, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	e.install(grant{Team: "TBOOT2", TeamName: "Bootcamp", Rotate: true})
	old := e.fake.TokenOf("TBOOT2")
	a, b := replica(), replica()
	e.h.Clock.Advance(12*time.Hour - 20*time.Minute) // within refreshBefore of expiry

	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, r := range []*coachslack.Adapter{a, b} {
		wg.Go(func() {
			errs[i] = r.SendDM(context.Background(), bot.SlackUser("TBOOT2", fmt.Sprintf("U%d", i)), bot.Reply{Text: "hello"})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("SendDM: %v", err)
	}
	var refreshes int
	for _, c := range e.fake.Calls("oauth.v2.access") {
		if c.Form.Get("grant_type") == "refresh_token" {
			refreshes++
		}
	}
	if refreshes != 1 {
		t.Errorf("%d refreshes, want 1", refreshes)
	}
	posts := e.fake.Calls("chat.postMessage")
	if len(posts) != 2 || posts[0].Team != "TBOOT2" || posts[1].Team != "TBOOT2" {
		t.Errorf("DMs: %+v, want two with T2's tokens", posts)
	}
	fresh := e.fake.TokenOf("TBOOT2")
	if fresh == old {
		t.Fatal("no new token was issued")
	}
	// The stored installation has the new token: a later send (another
	// replica, after the old token expired) refreshes nothing.
	e.fake.Revoke("TBOOT2")
	e.fake.mu.Lock()
	e.fake.tokens[fresh] = "TBOOT2"
	e.fake.mu.Unlock()
	e.h.Clock.Advance(time.Hour)
	if err := replica().SendDM(context.Background(), bot.SlackUser("TBOOT2", "U9"), bot.Reply{Text: "again"}); err != nil {
		t.Errorf("SendDM with the refreshed token: %v", err)
	}
	if n := len(e.fake.Calls("oauth.v2.access")); n != 2 {
		t.Errorf("oauth.v2.access calls: %d, want 2 (the install and one refresh)", n)
	}
	checkNoSecrets(t, e, "TBOOT2")
}

// TestRefusedLogsBounded: a flood of forged callbacks, which anyone can
// send, logs a bounded number of lines and writes nothing anywhere.
func TestRefusedLogsBounded(t *testing.T) {
	e := newInstallEnv(t)
	b := e.browser()
	b.start()
	for range 100 {
		if status, _ := b.callback(url.Values{"code": {"x"}, "state": {"1.AAAA"}}); status != http.StatusBadRequest {
			t.Fatalf("status %d", status)
		}
	}
	if n := strings.Count(e.logs.String(), "slack install refused"); n == 0 || n > 10 {
		t.Errorf("%d log lines for 100 forged callbacks, want 1 to 10", n)
	}
	if n := len(e.fake.Calls()); n != 0 {
		t.Errorf("Slack got %d calls", n)
	}
}

// TestInstallExchangesBounded: anyone can start installs and come back
// with made-up codes, each a call from us to Slack; a replica makes at
// most 10 of those code exchanges at once and one a second after. A
// person turned away keeps a link that works a moment later.
func TestInstallExchangesBounded(t *testing.T) {
	e := newInstallEnv(t)
	for i := range 15 {
		b := e.browser()
		state, _ := b.start()
		want := http.StatusBadRequest // Slack refused the code
		if i >= 10 {
			want = http.StatusServiceUnavailable
		}
		if status, _ := b.callback(url.Values{"code": {"made-up"}, "state": {state}}); status != want {
			t.Fatalf("callback %d: status %d, want %d", i+1, status, want)
		}
	}
	if n := len(e.fake.Calls("oauth.v2.access")); n != 10 {
		t.Errorf("Slack got %d code exchanges for 15 callbacks, want 10", n)
	}

	b := e.browser()
	state, _ := b.start()
	e.fake.Grant("code-TACME1", grant{Team: "TACME1", TeamName: "Acme"})
	callback := url.Values{"code": {"code-TACME1"}, "state": {state}}
	if status, _ := b.callback(callback); status != http.StatusServiceUnavailable {
		t.Fatalf("a real install over the rate: status %d, want 503", status)
	}
	e.h.Clock.Advance(time.Second)
	if status, page := b.callback(callback); status != http.StatusOK {
		t.Fatalf("the same link a second later: status %d: %s", status, page)
	}
	if _, err := e.h.Store.Installation(context.Background(), "TACME1"); err != nil {
		t.Errorf("not installed: %v", err)
	}
	if n := strings.Count(e.logs.String(), "slack install refused"); n == 0 || n > 12 {
		t.Errorf("%d log lines for 6 refused callbacks and 10 refused codes, want 1 to 12", n)
	}
}

// TestInstallsBesideBotToken: with a bot token of our own as well, its
// workspace (which installed nothing) keeps working on that token, while
// an installed workspace uses its own.
func TestInstallsBesideBotToken(t *testing.T) {
	e := newInstallEnv(t, func(c *coachslack.Config) { c.BotToken = botToken })
	e.install(grant{Team: "TBOOT2", TeamName: "Bootcamp"})
	for _, team := range []string{"TOWN0", "TBOOT2"} {
		if m := e.slashAs(team, "U1", "/coach", "remind in 1m"); strings.Contains(allText(m), "not installed") {
			t.Errorf("%s: %s", team, allText(m))
		}
	}
	e.h.Clock.Advance(2 * time.Minute)
	if st := e.h.Deliver(t); st.Sent != 2 {
		t.Fatalf("delivery: %+v, want two sent", st)
	}
	var got []string
	for _, c := range e.fake.Calls("chat.postMessage") {
		got = append(got, c.Team)
	}
	slices.Sort(got)
	if want := []string{"", "TBOOT2"}; !slices.Equal(got, want) {
		t.Errorf("DMs went out with the tokens of %q, want %q (\"\": the bot token)", got, want)
	}
	checkNoSecrets(t, e, "TOWN0", "TBOOT2")
}

// countingInstallations counts the reads of installations (a command of
// an installed workspace should not read its installation every time) and
// the scans for a workspace's users (one per uninstall that is done).
type countingInstallations struct {
	bot.Installations
	reads, scans atomic.Int64
}

func (c *countingInstallations) UsersWithPrefix(ctx context.Context, prefix string) ([]bot.UserID, error) {
	c.scans.Add(1)
	return c.Installations.UsersWithPrefix(ctx, prefix)
}

func (c *countingInstallations) Installation(ctx context.Context, team string) ([]byte, error) {
	c.reads.Add(1)
	return c.Installations.Installation(ctx, team)
}

// TestUninstallEventAgain: an uninstall event that comes again, as Slack's
// retry (the same event, signed anew) or as a copy of the request, never
// removes the installation the workspace made after it, nor the records
// of its learners since; a copy is ignored before it costs a scan. A new
// uninstall still removes the new installation.
func TestUninstallEventAgain(t *testing.T) {
	var count *countingInstallations
	e := newInstallEnv(t, func(c *coachslack.Config) {
		count = &countingInstallations{Installations: c.Installations}
		c.Installations = count
	})
	ctx := context.Background()
	installed := func() bool {
		t.Helper()
		_, err := e.h.Store.Installation(ctx, "TACME1")
		if err != nil && !errors.Is(err, bot.ErrNoInstallation) {
			t.Fatal(err)
		}
		return err == nil
	}
	e.install(grant{Team: "TACME1", TeamName: "Acme"})
	e.slashAs("TACME1", "U1", "/coach", "remind in 1h")
	e.h.Clock.Advance(time.Minute)

	signedAt := time.Now()
	old := []byte(uninstalled("TACME1", e.h.Clock.Now().Unix()))
	copyOf := signedHeader(signingSecret, signedAt, old)
	if status, out := e.post("/slack/events", old, copyOf.Clone()); status != http.StatusOK || installed() {
		t.Fatalf("uninstall: %d %s, installed %v", status, out, installed())
	}
	scans := count.scans.Load()
	if status, _ := e.post("/slack/events", old, copyOf.Clone()); status != http.StatusOK {
		t.Errorf("a copy of the event: status %d, want 200", status)
	}
	if n := count.scans.Load() - scans; n != 0 {
		t.Errorf("a copy of the event scanned the store %d times, want 0", n)
	}

	// The workspace adds the app again; a learner starts over.
	e.h.Clock.Advance(2 * time.Minute)
	e.install(grant{Team: "TACME1", TeamName: "Acme"})
	e.slashAs("TACME1", "U1", "/coach", "roadmap done 1")
	retry := signedHeader(signingSecret, signedAt.Add(-30*time.Second), old) // signed anew
	retry.Set("X-Slack-Retry-Num", "1")
	retry.Set("X-Slack-Retry-Reason", "http_timeout")
	for name, h := range map[string]http.Header{"Slack's retry": retry, "a copy": copyOf.Clone()} {
		if status, out := e.post("/slack/events", old, h); status != http.StatusOK {
			t.Errorf("%s of the old event: status %d %s, want 200", name, status, out)
		}
		if !installed() {
			t.Fatalf("%s of the old event removed the new installation", name)
		}
		if u, err := e.h.Store.User(ctx, bot.SlackUser("TACME1", "U1")); err != nil || len(u.Done) != 1 {
			t.Fatalf("%s of the old event: the learner's record since is %+v, %v", name, u, err)
		}
	}

	e.h.Clock.Advance(time.Minute)
	if status, out := e.event(uninstalled("TACME1", e.h.Clock.Now().Unix())); status != http.StatusOK || installed() {
		t.Errorf("a new uninstall: %d %s, installed %v", status, out, installed())
	}
	if u, _ := e.h.Store.User(ctx, bot.SlackUser("TACME1", "U1")); u.Kept() {
		t.Errorf("a new uninstall kept the learner's record: %+v", u)
	}
}

// failingSeen is a Deduper that fails for the keys of Slack requests
// (their signatures) and works for the rest (install states).
type failingSeen struct{ bot.Deduper }

func (f failingSeen) FirstSeen(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if strings.HasPrefix(key, "slack:") {
		return false, bot.Errorf(bot.Unavailable, "down")
	}
	return f.Deduper.FirstSeen(ctx, key, ttl)
}

// TestUninstallReplayCheckFails: when the replay check cannot be made the
// uninstall waits for Slack to send the event again (503), and keeps
// everything meanwhile.
func TestUninstallReplayCheckFails(t *testing.T) {
	e := newInstallEnv(t, func(c *coachslack.Config) { c.Deduper = failingSeen{c.Deduper} })
	e.install(grant{Team: "TACME1", TeamName: "Acme"})
	if status, _ := e.event(uninstalled("TACME1", e.h.Clock.Now().Unix())); status != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", status)
	}
	if _, err := e.h.Store.Installation(context.Background(), "TACME1"); err != nil {
		t.Errorf("the installation went: %v", err)
	}
}

// TestInstalledWorkspaceRemembered: a replica reads a workspace's
// installation for its first command only, for a minute; the replica
// that gets the uninstall forgets the workspace at once, another one
// within the minute; a workspace not installed is never remembered.
func TestInstalledWorkspaceRemembered(t *testing.T) {
	var count *countingInstallations
	e := newInstallEnv(t, func(c *coachslack.Config) {
		count = &countingInstallations{Installations: c.Installations}
		c.Installations = count
	})
	// Replica b shares the store and the clock.
	b := newInstallEnv(t, func(c *coachslack.Config) {
		c.Bot, c.Store, c.Clock = e.h.Bot, e.h.Store, e.h.Clock
		c.Installations = count
	})
	b.fake = e.fake
	e.install(grant{Team: "TACME1", TeamName: "Acme"})

	count.reads.Store(0)
	for i := range 3 {
		if m := e.slashAs("TACME1", "U1", "/coach", "roadmap next"); strings.Contains(allText(m), "not installed") {
			t.Fatalf("command %d: %s", i+1, allText(m))
		}
	}
	if n := count.reads.Load(); n != 1 {
		t.Errorf("3 commands read the installation %d times, want 1", n)
	}
	b.slashAs("TACME1", "U2", "/coach", "roadmap next") // b reads it once too

	if status, body := e.event(uninstalled("TACME1", e.h.Clock.Now().Unix())); status != http.StatusOK {
		t.Fatalf("uninstall: %d %s", status, body)
	}
	if m := e.slashAs("TACME1", "U1", "/coach", "progress"); !strings.Contains(allText(m), "not installed") {
		t.Errorf("the replica that got the uninstall still answers: %s", allText(m))
	}
	e.h.Clock.Advance(time.Minute)
	if m := b.slashAs("TACME1", "U2", "/coach", "progress"); !strings.Contains(allText(m), "not installed") {
		t.Errorf("another replica still answers a minute after the uninstall: %s", allText(m))
	}

	// Not installed: asked every time, so an install counts at once.
	count.reads.Store(0)
	for range 2 {
		e.slashAs("TNOPE5", "U5", "/coach", "tip")
	}
	if n := count.reads.Load(); n != 2 {
		t.Errorf("2 commands of a workspace not installed read %d times, want 2", n)
	}
}
