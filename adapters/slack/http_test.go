package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	coachslack "github.com/coachbot/coachbot/adapters/slack"
	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

// errorTitles are the titles of the bot's error replies.
var errorTitles = []string{"Hmm, not quite", "Something went wrong", "I can't reach my memory"}

// TestSlashCommandsGrammar sends every line of the grammar (DESIGN §3) as a
// signed slash command over real HTTP, the way Slack sends it: /coach with
// the line, or the command's own slash command with the rest. Each answer
// must be what the bot answers that line, rendered, and not an error; a
// twin bot that is told the same lines directly is the reference.
func TestSlashCommandsGrammar(t *testing.T) {
	e := newEnv(t)
	twin := bottest.New(t)
	tests := []struct {
		command, text string
		line          string // what the twin is told
		public        bool
	}{
		{"/roadmap", "", "roadmap", false},
		{"/roadmap", "next", "roadmap next", false},
		{"/roadmap", "step 3", "roadmap step 3", false},
		{"/roadmap", "step databases", "roadmap step databases", false},
		{"/roadmap", "done 1", "roadmap done 1", false},
		{"/roadmap", "undo 1", "roadmap undo 1", false},
		{"/roadmap", "done 2", "roadmap done 2", false},
		{"/roadmap", "reset", "roadmap reset", false},
		{"/roadmap", "reset confirm", "roadmap reset confirm", false},
		{"/skills", "", "skills", false},
		{"/skills", "security", "skills security", false},
		{"/salary", "", "salary", false},
		{"/salary", "mid", "salary mid", false},
		{"/salary", "junior", "salary junior", false},
		{"/salary", "senior", "salary senior", false},
		{"/career", "", "career", false},
		{"/career", "senior", "career senior", false},
		{"/progress", "", "progress", false},
		{"/coach", "checkin", "checkin", false},
		{"/coach", "remind daily 19:00 Asia/Kolkata weekdays", "remind daily 19:00 Asia/Kolkata weekdays", false},
		{"/coach", "remind daily 07:30 Europe/Berlin mon,wed,fri", "remind daily 07:30 Europe/Berlin mon,wed,fri", false},
		{"/coach", "remind in 45m", "remind in 45m", false},
		{"/coach", "remind status", "remind status", false},
		{"/coach", "remind", "remind", false},
		{"/coach", "remind off", "remind off", false},
		{"/coach", "tip", "tip", false},
		{"/coach", "export", "export", false},
		{"/coach", "forget", "forget", false},
		{"/coach", "forget confirm", "forget confirm", false},
		{"/coach", "help", "help", false},
		{"/coach", "help remind", "help remind", false},
		{"/coach", "", "help", false},
		{"/coach", "roadmap next", "roadmap next", false},
		{"/coach", "salary mid", "salary mid", false},
		// A workspace that has a /coach already installs the umbrella
		// under another name.
		{"/coachbot", "career lead", "career lead", false},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSpace(tt.command+" "+tt.text), func(t *testing.T) {
			got := e.slash(tt.command, tt.text)
			want := wire(t, twin.SayAs(formUserID, tt.line))
			diffJSON(t, "the answer", want, got)
			if h := header(got); h == "" || contains(errorTitles, h) {
				t.Errorf("the answer's title is %q: the line did not work\n%s", h, allText(got))
			}
			if got["response_type"] != "ephemeral" {
				t.Errorf("response_type %v, want ephemeral", got["response_type"])
			}
		})
	}
	// The commands ran as the Slack user: their record is under
	// slack:T0001:U2147483697 (forget confirm emptied it; set something).
	e.slash("/roadmap", "done 4")
	u, err := e.h.Store.User(context.Background(), formUserID)
	if err != nil || len(u.Done) != 1 {
		t.Errorf("the store has %+v (%v) for %s, want step 4 done", u, err, formUserID)
	}
}

func TestCommandAnswerIsJSON(t *testing.T) {
	e := newEnv(t)
	body := commandForm(t, "/salary", "mid", e.fake.HooksURL()+"/c")
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/slack/commands", bytes.NewReader(body))
	req.Header = signedHeader(signingSecret, time.Now(), body)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
}

// TestRefusedRequests checks that a request that fails verification gets
// its status and touches nothing: no command runs and the store keeps no
// trace of the user, on both endpoints.
func TestRefusedRequests(t *testing.T) {
	now := time.Now()
	big := append(commandForm(t, "/coach", "checkin", "https://hooks.slack.com/x"), []byte("&pad="+strings.Repeat("a", 100<<10))...)
	tests := []struct {
		name   string
		header func(body []byte) http.Header
		body   func(e *env, path string) []byte
		want   int
	}{
		{
			name:   "bad signature",
			header: func(b []byte) http.Header { return signedHeader("not-the-secret", now, b) },
			want:   http.StatusUnauthorized,
		},
		{
			name: "signature of another body",
			header: func(b []byte) http.Header {
				return signedHeader(signingSecret, now, append(bytes.Clone(b), 'x'))
			},
			want: http.StatusUnauthorized,
		},
		{
			name:   "stale timestamp",
			header: func(b []byte) http.Header { return signedHeader(signingSecret, now.Add(-6*time.Minute), b) },
			want:   http.StatusUnauthorized,
		},
		{
			name:   "timestamp from the future",
			header: func(b []byte) http.Header { return signedHeader(signingSecret, now.Add(6*time.Minute), b) },
			want:   http.StatusUnauthorized,
		},
		{
			name: "timestamp not the signed one",
			header: func(b []byte) http.Header {
				h := signedHeader(signingSecret, now, b)
				h.Set("X-Slack-Request-Timestamp", h.Get("X-Slack-Request-Timestamp")+"1")
				return h
			},
			want: http.StatusUnauthorized,
		},
		{
			name:   "missing headers",
			header: func([]byte) http.Header { return http.Header{} },
			want:   http.StatusUnauthorized,
		},
		{
			name: "missing signature",
			header: func(b []byte) http.Header {
				h := signedHeader(signingSecret, now, b)
				h.Del("X-Slack-Signature")
				return h
			},
			want: http.StatusUnauthorized,
		},
		{
			name: "missing timestamp",
			header: func(b []byte) http.Header {
				h := signedHeader(signingSecret, now, b)
				h.Del("X-Slack-Request-Timestamp")
				return h
			},
			want: http.StatusUnauthorized,
		},
		{
			name: "signature not hex",
			header: func(b []byte) http.Header {
				h := signedHeader(signingSecret, now, b)
				h.Set("X-Slack-Signature", "v0=zz")
				return h
			},
			want: http.StatusUnauthorized,
		},
		{
			name:   "100 KiB body, signed",
			header: func(b []byte) http.Header { return signedHeader(signingSecret, now, b) },
			body:   func(*env, string) []byte { return big },
			want:   http.StatusRequestEntityTooLarge,
		},
	}
	for _, path := range []string{"/slack/commands", "/slack/interactions"} {
		for _, tt := range tests {
			t.Run(path+"/"+tt.name, func(t *testing.T) {
				e := newEnv(t)
				body := commandForm(t, "/coach", "checkin", e.fake.HooksURL()+"/c")
				if path == "/slack/interactions" {
					body = []byte("payload=" + url.QueryEscape(string(blockActions(t, e.fake.HooksURL(), "cmd:0", "checkin"))))
				}
				if tt.body != nil {
					body = tt.body(e, path)
				}
				status, answer := e.post(path, body, tt.header(body))
				if status != tt.want {
					t.Errorf("status %d, want %d (%s)", status, tt.want, answer)
				}
				wantCommands := int64(0)
				if path == "/slack/interactions" {
					// Presses run in the background: send a valid one
					// (help writes nothing; tip now counts the tips
					// shown) and wait for its answer, so work the
					// refused press started would show too.
					e.postSigned(path, []byte("payload="+url.QueryEscape(string(blockActions(t, e.fake.HooksURL(), "cmd:1", "help")))))
					e.fake.WaitCall("hook")
					wantCommands = 1
				}
				if n := e.commands.Load(); n != wantCommands {
					t.Errorf("the bot handled %d commands, want %d", n, wantCommands)
				}
				for _, id := range []bot.UserID{formUserID, presserID} {
					if u, err := e.h.Store.User(context.Background(), id); err != nil || !u.IsZero() {
						t.Errorf("the store has %+v (%v) for %s", u, err, id)
					}
				}
				if calls := e.fake.Calls(); len(calls) != int(wantCommands) {
					t.Errorf("Slack was called: %v", e.fake.Methods())
				}
			})
		}
	}
}

func TestMethodsAndMalformedBodies(t *testing.T) {
	e := newEnv(t)
	res, err := e.srv.Client().Get(e.srv.URL + "/slack/commands")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /slack/commands: %d, want 405", res.StatusCode)
	}
	// Signed, but not a slash command or not a payload: 400, no command.
	for path, body := range map[string]string{
		"/slack/commands":     "text=hello",
		"/slack/interactions": "payload=%7Bnot+json",
	} {
		if status, _ := e.postSigned(path, []byte(body)); status != http.StatusBadRequest {
			t.Errorf("%s %q: status %d, want 400", path, body, status)
		}
	}
	if e.commands.Load() != 0 {
		t.Errorf("the bot handled a malformed request")
	}
}

// onceReader is a request body that counts what is read from it.
type onceReader struct {
	r    *bytes.Reader
	read int
}

func (o *onceReader) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	o.read += n
	return n, err
}

func (o *onceReader) Close() error { return nil }

// TestVerifiedBodyIsTheOnlyCopy: the endpoints parse the bytes they
// verified and nothing else. The body is read once, to its end, and not put
// back into the request; nothing calls ParseForm, which would read the
// request a second time.
func TestVerifiedBodyIsTheOnlyCopy(t *testing.T) {
	e := newEnv(t)
	mux := http.NewServeMux() // e.srv would hide the *http.Request the handler saw
	e.a.Register(mux)
	for _, tc := range []struct {
		path string
		body []byte
	}{
		{"/slack/commands", commandForm(t, "/salary", "mid", e.fake.HooksURL()+"/c")},
		{"/slack/interactions", []byte("payload=" + url.QueryEscape(string(blockActions(t, e.fake.HooksURL(), "cmd:0", "tip"))))},
	} {
		t.Run(tc.path, func(t *testing.T) {
			body := &onceReader{r: bytes.NewReader(tc.body)}
			req := httptest.NewRequest(http.MethodPost, tc.path, nil)
			req.Body, req.ContentLength = body, int64(len(tc.body))
			for k, v := range signedHeader(signingSecret, time.Now(), tc.body) {
				req.Header[k] = v
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if body.read != len(tc.body) {
				t.Errorf("read %d bytes of the body, want all %d once", body.read, len(tc.body))
			}
			if req.Body != body {
				t.Errorf("the handler put a body back into the request (%T): a second reader could parse it", req.Body)
			}
			if req.Form != nil || req.PostForm != nil {
				t.Errorf("the request's form was parsed from the request (ParseForm), not from the verified bytes")
			}
		})
	}
	e.fake.WaitCall("hook") // the press's answer, so nothing outlives the test
}

// TestButtonPress presses buttons the way Slack reports it (block_actions)
// and checks that each command line runs as the presser, and that the
// answer comes through the payload's response_url as a new ephemeral
// message next to the one with the button.
func TestButtonPress(t *testing.T) {
	e := newEnv(t)
	twin := bottest.New(t)
	for _, line := range []string{"roadmap done 1", "checkin", "remind snooze 1h", "remind off", "roadmap next"} {
		t.Run(line, func(t *testing.T) {
			payload := blockActions(t, e.fake.HooksURL(), "cmd:0", line)
			status, body := e.postSigned("/slack/interactions", []byte("payload="+url.QueryEscape(string(payload))))
			if status != http.StatusOK || len(body) != 0 {
				t.Fatalf("status %d body %q, want an empty 200", status, body)
			}
			hook := e.fake.WaitCall("hook")
			if want := "/hooks/actions/T9TK3CUKW/1234567890123/ZwBwC8hPBLqHYEQx6uYFvO3P"; hook.Path != want {
				t.Errorf("posted to %s, want the payload's response_url %s", hook.Path, want)
			}
			got := decode(t, hook.JSON)
			want := wire(t, twin.SayAs(presserID, line))
			want["replace_original"], want["delete_original"] = false, false
			diffJSON(t, "the follow-up", want, got)
		})
	}
	u, err := e.h.Store.User(context.Background(), presserID)
	if err != nil || len(u.Done) != 1 || u.Streak.Days != 1 {
		t.Errorf("the presser's record is %+v (%v), want step 1 done and a check-in", u, err)
	}
}

// TestCheckboxes ticks topics in a step's checkbox group (the block_actions
// payload Slack sends for checkboxes: the action's selected_options): the
// group's command runs with the ticked values, as the presser, and the
// answer goes to the response_url; nothing ticked runs nothing.
func TestCheckboxes(t *testing.T) {
	e := newEnv(t)
	twin := bottest.New(t)
	raw := strings.ReplaceAll(string(readTestdata(t, "block-actions-checkboxes.json")), "{{HOOKS}}", e.fake.HooksURL())
	status, body := e.postSigned("/slack/interactions", []byte("payload="+url.QueryEscape(raw)))
	if status != http.StatusOK || len(body) != 0 {
		t.Fatalf("status %d body %q, want an empty 200", status, body)
	}
	hook := e.fake.WaitCall("hook")
	want := wire(t, twin.SayAs(presserID, "roadmap done 2.1 2.4"))
	want["replace_original"], want["delete_original"] = false, false
	diffJSON(t, "the follow-up", want, decode(t, hook.JSON))
	u, err := e.h.Store.User(context.Background(), presserID)
	if err != nil || len(u.Topics) != 2 {
		t.Errorf("the presser's topics are %v (%v), want 2.1 and 2.4", u.Topics, err)
	}

	// Unticking the last box sends no selected options: nothing runs.
	none := strings.Replace(raw, `"trigger_id": "`, `"trigger_id": "x`, 1)
	var p map[string]any
	if err := json.Unmarshal([]byte(none), &p); err != nil {
		t.Fatal(err)
	}
	p["actions"].([]any)[0].(map[string]any)["selected_options"] = []any{}
	b, _ := json.Marshal(p)
	before := e.commands.Load()
	if status, _ := e.postSigned("/slack/interactions", []byte("payload="+url.QueryEscape(string(b)))); status != http.StatusOK {
		t.Errorf("status %d", status)
	}
	if n := e.commands.Load(); n != before {
		t.Errorf("nothing ticked ran %d commands", n-before)
	}
}

// TestReplayRefused: a signed request sent again byte for byte, inside
// its 5 minutes, is refused: a slash command with 401, a button press
// (acknowledged with 200, as Slack gets before anything runs) with no
// second answer. A new request for the same command runs.
func TestReplayRefused(t *testing.T) {
	e := newEnv(t)
	body := commandForm(t, "/coach", "roadmap done 1", e.fake.HooksURL()+"/commands/T0001/1/x")
	h := signedHeader(signingSecret, time.Now(), body)
	if status, got := e.post("/slack/commands", body, h); status != http.StatusOK {
		t.Fatalf("first request: status %d: %s", status, got)
	}
	if status, got := e.post("/slack/commands", body, h); status != http.StatusUnauthorized {
		t.Fatalf("the same request again: status %d: %s, want 401", status, got)
	}
	if n := e.commands.Load(); n != 1 {
		t.Fatalf("the bot ran %d commands, want 1: the replay ran", n)
	}
	e.slash("/coach", "roadmap done 1") // the same command, newly signed by Slack
	if n := e.commands.Load(); n != 2 {
		t.Fatalf("the bot ran %d commands, want 2", n)
	}

	press := []byte("payload=" + url.QueryEscape(string(blockActions(t, e.fake.HooksURL(), "cmd:0", "checkin"))))
	ph := signedHeader(signingSecret, time.Now(), press)
	for range 2 {
		if status, got := e.post("/slack/interactions", press, ph); status != http.StatusOK || len(got) != 0 {
			t.Fatalf("press: status %d body %q, want an empty 200", status, got)
		}
	}
	e.fake.WaitCall("hook")
	e.logs.WaitFor(t, "request refused")
	if n := len(e.fake.Calls("hook")); n != 1 {
		t.Errorf("%d answers to one press sent twice, want 1", n)
	}
	if n := e.commands.Load(); n != 3 {
		t.Errorf("the bot ran %d commands, want 3", n)
	}
}

// TestButtonPressIgnored: presses that are not our command buttons, and
// interactions of other kinds, are acknowledged and run nothing.
func TestButtonPressIgnored(t *testing.T) {
	e := newEnv(t)
	for name, payload := range map[string][]byte{
		"foreign action id": blockActions(t, e.fake.HooksURL(), "approve_request", "checkin"),
		"empty value":       blockActions(t, e.fake.HooksURL(), "cmd:0", "  "),
		"view submission":   bytes.Replace(blockActions(t, e.fake.HooksURL(), "cmd:0", "checkin"), []byte(`"type":"block_actions"`), []byte(`"type":"view_submission"`), 1),
	} {
		t.Run(name, func(t *testing.T) {
			status, _ := e.postSigned("/slack/interactions", []byte("payload="+url.QueryEscape(string(payload))))
			if status != http.StatusOK {
				t.Errorf("status %d, want 200", status)
			}
		})
	}
	// A real press after them is the first thing the bot and Slack see.
	e.postSigned("/slack/interactions", []byte("payload="+url.QueryEscape(string(blockActions(t, e.fake.HooksURL(), "cmd:1", "tip")))))
	e.fake.WaitCall("hook")
	if n := e.commands.Load(); n != 1 {
		t.Errorf("the bot handled %d commands, want only the real press", n)
	}
	if got := e.fake.Methods(); len(got) != 1 {
		t.Errorf("Slack got %v, want one response_url post", got)
	}
}

// blockingStore is a Store whose User calls wait until released, to make
// a command slower than Slack's 3 seconds without sleeping.
type blockingStore struct {
	bot.Store
	once    sync.Once
	release chan struct{}
}

func (s *blockingStore) User(ctx context.Context, id bot.UserID) (bot.User, error) {
	select {
	case <-s.release:
	case <-ctx.Done():
		return bot.User{}, bot.WrapError(bot.Unavailable, ctx.Err(), "")
	}
	return s.Store.User(ctx, id)
}

// TestSlowCommandFollowsThroughResponseURL: a command that overruns the
// inline budget gets an empty 200 at once, and its answer is posted to the
// command's response_url when it is ready.
func TestSlowCommandFollowsThroughResponseURL(t *testing.T) {
	clock := bottest.NewClock(bottest.Start)
	store := &blockingStore{Store: bottest.NewMemStore(clock), release: make(chan struct{})}
	h := bottest.New(t, bottest.WithStore(store))
	fake := newFakeSlack(t)
	a, err := coachslack.New(coachslack.Config{BotToken: botToken, SigningSecret: signingSecret, APIURL: fake.APIURL(), Bot: h.Bot, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	coachslack.SetInlineBudget(a, 10*time.Millisecond)
	mux := http.NewServeMux()
	a.Register(mux)
	srv := newServer(t, mux)
	e := &env{t: t, h: h, fake: fake, a: a, srv: srv}

	form := commandForm(t, "/progress", "", fake.HooksURL()+"/commands/T0001/9/slow")
	res, body := e.postResponse("/slack/commands", form, signedHeader(signingSecret, time.Now(), form))
	if res.StatusCode != http.StatusOK || len(body) != 0 {
		t.Fatalf("status %d body %q, want an empty 200 while the command runs", res.StatusCode, body)
	}
	if !res.Close {
		t.Error("the early 200 keeps its connection open: Slack's next request would wait behind the command")
	}
	close(store.release)
	hook := fake.WaitCall("hook")
	if hook.Path != "/hooks/commands/T0001/9/slow" {
		t.Errorf("posted to %s, want the command's response_url", hook.Path)
	}
	if got := header(decode(t, hook.JSON)); got != "Your progress" {
		t.Errorf("the follow-up's title is %q, want Your progress", got)
	}
}

// TestEarlyAnswersCloseTheConnection: an answer sent while work goes on
// behind it on the handler's goroutine (a button press) closes its
// connection, so that Slack does not send its next request there; a
// command answered in full keeps its connection for the next one.
func TestEarlyAnswersCloseTheConnection(t *testing.T) {
	e := newEnv(t)
	form := commandForm(t, "/coach", "tip", e.fake.HooksURL()+"/commands/x")
	if res, _ := e.postResponse("/slack/commands", form, signedHeader(signingSecret, time.Now(), form)); res.StatusCode != http.StatusOK || res.Close {
		t.Errorf("a command: status %d, connection closed %v; want 200 on a kept connection", res.StatusCode, res.Close)
	}
	press := []byte("payload=" + url.QueryEscape(string(blockActions(t, e.fake.HooksURL(), "cmd:0", "tip"))))
	if res, _ := e.postResponse("/slack/interactions", press, signedHeader(signingSecret, time.Now(), press)); res.StatusCode != http.StatusOK || !res.Close {
		t.Errorf("a button press: status %d, connection closed %v; want 200, closed", res.StatusCode, res.Close)
	}
	e.fake.WaitCall("hook")
}

func TestNewChecksConfig(t *testing.T) {
	h := bottest.New(t)
	ok := coachslack.Config{BotToken: botToken, SigningSecret: signingSecret, Bot: h.Bot, Store: h.Store}
	tests := []struct {
		name string
		mod  func(*coachslack.Config)
		ok   bool
	}{
		{"complete", func(*coachslack.Config) {}, true},
		{"socket mode without a signing secret", func(c *coachslack.Config) { c.SigningSecret, c.AppToken = "", appToken }, true},
		{"no bot", func(c *coachslack.Config) { c.Bot = nil }, false},
		{"no store", func(c *coachslack.Config) { c.Store = nil }, false},
		{"no bot token", func(c *coachslack.Config) { c.BotToken = "" }, false},
		{"no signing secret over HTTP", func(c *coachslack.Config) { c.SigningSecret = "" }, false},
		{"a bot token as app token", func(c *coachslack.Config) { c.AppToken = botToken }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.mod(&cfg)
			_, err := coachslack.New(cfg)
			if (err == nil) != tt.ok {
				t.Errorf("New: %v, want ok %v", err, tt.ok)
			}
			if err != nil && (strings.Contains(err.Error(), botToken) || strings.Contains(err.Error(), signingSecret)) {
				t.Errorf("the error shows a secret: %v", err)
			}
		})
	}
}

// TestRunWithoutAppToken: over HTTP, Run only waits for the context.
func TestRunWithoutAppToken(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.a.Run(ctx) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(bottest.WaitLimit):
		t.Fatal("Run did not return after the context ended")
	}
	if calls := e.fake.Calls(); len(calls) != 0 {
		t.Errorf("Run called Slack over HTTP mode: %v", e.fake.Methods())
	}
}

// TestFollowUpFailureIsLoggedWithoutAReencodedURL: net/http names a URL
// as it re-encodes it (a^b is a%5Eb in its error), which the plain text
// search of redactURL missed, so the URL was logged (found by
// FuzzInteraction; checkLogs fails the test if the log shows /hooks/).
func TestFollowUpFailureIsLoggedWithoutAReencodedURL(t *testing.T) {
	dead := newServer(t, http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	// The dead server's host is the Web API's, so a follow-up may go there.
	e := newEnv(t, func(c *coachslack.Config) { c.APIURL = deadURL + "/api" })
	payload := blockActions(t, deadURL+"/hooks/a^b", "cmd:0", "tip")
	if status, _ := e.postSigned("/slack/interactions", []byte("payload="+url.QueryEscape(string(payload)))); status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	e.logs.WaitFor(t, "slack reply via response_url failed")
}

// TestFollowUpFailureIsLoggedWithoutTheURL: a response_url works as a
// credential for half an hour, so a failed post is logged without it
// (checkLogs fails the test if the log shows /hooks/).
func TestFollowUpFailureIsLoggedWithoutTheURL(t *testing.T) {
	dead := newServer(t, http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close() // connections to it are refused, and the error names the URL
	e := newEnv(t, func(c *coachslack.Config) { c.APIURL = deadURL + "/api" })
	payload := blockActions(t, deadURL+"/hooks", "cmd:0", "tip")
	if status, _ := e.postSigned("/slack/interactions", []byte("payload="+url.QueryEscape(string(payload)))); status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	e.logs.WaitFor(t, "slack reply via response_url failed")
	if !strings.Contains(e.logs.String(), "<response_url>") {
		t.Errorf("the log does not show where the URL was redacted:\n%s", e.logs.String())
	}

	// A response_url that answers 500 is logged too, and nothing retries.
	e = newEnv(t)
	e.fake.FailNext("hook", failure{status: http.StatusInternalServerError})
	e.postSigned("/slack/interactions", []byte("payload="+url.QueryEscape(string(blockActions(t, e.fake.HooksURL(), "cmd:0", "tip")))))
	e.fake.WaitCall("hook")
	e.logs.WaitFor(t, "500")
}

// TestCachedAnswers: answers that are the same for everyone are rendered
// once and served from the cache, identical to a fresh rendering, while
// personal answers are rendered for each request.
func TestCachedAnswers(t *testing.T) {
	e := newEnv(t)
	want := wire(t, e.h.Say("salary mid")) // rendered afresh, not from the cache
	for _, tc := range []struct{ command, text string }{
		{"/salary", "mid"}, {"/coach", "salary mid"}, {"/coach", "pay mid-level"}, {"/salary", "mid"},
	} {
		diffJSON(t, tc.command+" "+tc.text, want, e.slash(tc.command, tc.text))
	}
	if got := allText(e.slash("/salary", "beginner")); strings.Contains(got, "₹10 L – ₹14 L") {
		t.Errorf("salary beginner was answered from salary mid's cache entry: %s", got)
	}

	before := allText(e.slash("/roadmap", "next"))
	e.slash("/roadmap", "done 1")
	after := allText(e.slash("/roadmap", "next"))
	if before == after || !strings.Contains(after, "Step 2") {
		t.Errorf("roadmap next did not follow progress:\nbefore: %s\nafter: %s", before, after)
	}
}

// TestQuizAnswerButton presses an answer button of a quiz question
// (testdata/block-actions-quiz.json: the option's index in the question is
// in the value, whatever its place on screen) as the presser, twice, the
// way a double click reaches us: two payloads, each newly signed. Both are
// answered through the response_url; the card is rated once.
func TestQuizAnswerButton(t *testing.T) {
	e := newEnv(t)
	twin := bottest.New(t)
	raw := strings.ReplaceAll(string(readTestdata(t, "block-actions-quiz.json")), "{{HOOKS}}", e.fake.HooksURL())
	const line = "quiz answer languages/tooling/1 1 0"
	for i, want := range []string{"Right", "already answered"} {
		press := strings.Replace(raw, `"trigger_id": "`, `"trigger_id": "`+strconv.Itoa(i), 1)
		status, body := e.postSigned("/slack/interactions", []byte("payload="+url.QueryEscape(press)))
		if status != http.StatusOK || len(body) != 0 {
			t.Fatalf("press %d: status %d body %q, want an empty 200", i+1, status, body)
		}
		hook := e.fake.WaitCall("hook")
		got := decode(t, hook.JSON)
		reply := twin.SayAs(presserID, line)
		if !strings.Contains(reply.Text, want) {
			t.Errorf("press %d: the reply says %q, want %q", i+1, reply.Text, want)
		}
		w := wire(t, reply)
		w["replace_original"], w["delete_original"] = false, false
		diffJSON(t, "the follow-up", w, got)
	}
	u, err := e.h.Store.User(context.Background(), presserID)
	if err != nil || len(u.Cards) != 1 {
		t.Fatalf("the presser's cards are %v (%v), want one", u.Cards, err)
	}
	for _, c := range u.Cards {
		if c.Reps != 1 || c.Wrong != 0 {
			t.Errorf("card = %+v; want one rating, right", c)
		}
	}
}
