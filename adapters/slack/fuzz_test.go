package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/coachbot/coachbot/adapters/internal/webhook"
	coachslack "github.com/coachbot/coachbot/adapters/slack"
	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
	"github.com/coachbot/coachbot/content"
)

// The fuzz targets of the HTTP endpoints, after verification: every body
// is signed correctly, so what is exercised is the form and payload parsing
// and the dispatch behind them. Seeds are below (f.Add) and in
// testdata/fuzz/<Name>/;
//
//	go test -run '^$' -fuzz '^FuzzSlashCommand$' -fuzztime 3m -parallel 1 ./adapters/slack
//
// explores from them.

// errNoNetwork is what every dial of a fuzzed adapter gets: a fuzzed
// response_url may point anywhere, and no input may reach the network.
var errNoNetwork = errors.New("fuzz: the network is off")

// fuzzTarget is a Slack adapter on a real bot (fresh MemStore, fake clock,
// the embedded pack) whose HTTP client cannot dial, serving its endpoints
// on a mux that the fuzz function calls directly, so a panic in a handler
// reaches the fuzzer instead of net/http's recover.
type fuzzTarget struct {
	mux  *http.ServeMux
	logs *bottest.Buffer // written by the request's goroutines, read after they end
}

func newFuzzTarget(t testing.TB, pack *content.Pack) *fuzzTarget {
	ft := &fuzzTarget{mux: http.NewServeMux(), logs: bottest.NewBuffer()}
	clock := bottest.NewClock(bottest.Start)
	store := bottest.NewMemStore(clock)
	b, err := bot.New(bot.Config{Store: store, Content: pack, Clock: clock, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	refuse := func(ctx context.Context, network, addr string) (net.Conn, error) {
		return nil, errNoNetwork
	}
	a, err := coachslack.New(coachslack.Config{
		BotToken:      botToken,
		SigningSecret: signingSecret,
		APIURL:        "http://slack.invalid/api/",
		Bot:           b,
		Store:         store,
		Logger:        slog.New(slog.NewTextHandler(ft.logs, nil)),
		HTTPClient: &http.Client{
			Timeout:   time.Second,
			Transport: &http.Transport{DialContext: refuse, DialTLSContext: refuse, Proxy: nil},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	b.SetMessenger("slack", a) // users.info for a profile zone: refused at once
	a.Register(ft.mux)
	return ft
}

// serve posts body, correctly signed, to path and waits until every
// goroutine the request started (a button's dispatch and its follow-up)
// has ended, so that each input is judged on all of its work.
func (ft *fuzzTarget) serve(t *testing.T, path string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	base := runtime.NumGoroutine()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	for k, v := range signedHeader(signingSecret, time.Now(), body) {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	ft.mux.ServeHTTP(rec, req)
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines still run 5 s after the request (%d before it)", runtime.NumGoroutine(), base)
		}
		time.Sleep(20 * time.Microsecond)
	}
	return rec
}

// checkStatus holds an answer to the statuses the endpoints use for a
// verified request: 200, 400 for a malformed form or payload, 413 for an
// oversize body. A verified request is never 401.
func checkStatus(t *testing.T, rec *httptest.ResponseRecorder, body []byte) {
	t.Helper()
	switch rec.Code {
	case http.StatusOK, http.StatusBadRequest:
	case http.StatusRequestEntityTooLarge:
		if len(body) <= webhook.MaxBodyBytes {
			t.Fatalf("413 for a body of %d bytes", len(body))
		}
	default:
		t.Fatalf("status %d for a verified request: %s", rec.Code, rec.Body)
	}
}

// checkLogSecrets fails when the adapter's log holds a secret or the
// response_url of the input, which works as a credential.
func (ft *fuzzTarget) checkLogSecrets(t *testing.T, responseURL string) {
	t.Helper()
	logs := ft.logs.String()
	for _, secret := range []string{botToken, signingSecret} {
		if strings.Contains(logs, secret) {
			t.Fatalf("the log holds %q:\n%s", secret, logs)
		}
	}
	u, err := url.Parse(responseURL)
	if err != nil || u.Scheme == "" {
		return
	}
	for _, p := range []string{u.Path, u.EscapedPath()} { // net/http logs it re-encoded
		if len(p) >= 8 && strings.Contains(logs, p) {
			t.Fatalf("the log holds the response_url %q:\n%s", responseURL, logs)
		}
	}
}

// FuzzSlashCommand posts arbitrary signed bodies to /slack/commands: the
// adapter never panics, answers 200, 400 or 413, and a 200 is a Slack
// message in JSON that Slack would show.
func FuzzSlashCommand(f *testing.F) {
	form := readTestdata(f, "slash-command.form")
	f.Add(form)
	for _, c := range []struct{ command, text, responseURL string }{
		{"/coach", "roadmap done 3", "https://hooks.slack.com/commands/T0001/1/x"},
		{"/coach", "", ""},
		{"/coach", "/coach", "http://127.0.0.1:1/hooks/x"},
		{"/roadmap", "next", "http://[::1]:9/hooks"},
		{"/salary", "mid", "file:///etc/passwd"},
		{"/coachbot", "remind daily 07:00", "https://hooks.slack.com/commands/T0001/1/x"},
		{"/coach", "remind daily 9pm weekdays", "not a url"},
		{"/coach", "help \"remind\" 'daily'", "https://example.com"},
		{"/coach", "roadmap\x00next\u202e", ""},
		{"/coach", strings.Repeat("x", 4000), ""},
		{"/coach", strings.Repeat("😀", 300), ""},
	} {
		f.Add(commandForm(f, c.command, c.text, c.responseURL))
	}
	for _, raw := range []string{
		"", "=", "&&&", "team_id=T1&user_id=U1", "team_id=T1&user_id=U1&command=%2Fcoach&text=%zz",
		"team_id=T1&user_id=U1&text=a;b", "team_id=&user_id=U1&text=help", "text=help",
		"team_id=T1&team_id=T2&user_id=U1&text=roadmap&text=tip",
	} {
		f.Add([]byte(raw))
	}
	f.Add(append([]byte("team_id=T1&user_id=U1&text="), bytes.Repeat([]byte("a"), webhook.MaxBodyBytes)...))

	pack := content.MustDefault()
	f.Fuzz(func(t *testing.T, body []byte) {
		ft := newFuzzTarget(t, pack)
		rec := ft.serve(t, "/slack/commands", body)
		checkStatus(t, rec, body)
		if q, err := url.ParseQuery(string(body)); err == nil {
			ft.checkLogSecrets(t, q.Get("response_url"))
		}
		if rec.Code != http.StatusOK {
			return
		}
		if rec.Body.Len() == 0 {
			return // the answer follows through response_url
		}
		var msg struct {
			ResponseType string            `json:"response_type"`
			Text         string            `json:"text"`
			Blocks       []json.RawMessage `json:"blocks"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &msg); err != nil {
			t.Fatalf("the 200 answer is not a JSON message: %v\n%s", err, rec.Body)
		}
		switch {
		case msg.ResponseType != slack.ResponseTypeEphemeral && msg.ResponseType != slack.ResponseTypeInChannel:
			t.Fatalf("response_type %q", msg.ResponseType)
		case strings.TrimSpace(msg.Text) == "":
			t.Fatalf("the message has no text: %s", rec.Body)
		case !utf8.ValidString(msg.Text):
			t.Fatalf("the message text is not UTF-8: %q", msg.Text)
		case len(msg.Blocks) > 50:
			t.Fatalf("the message has %d blocks; Slack takes 50", len(msg.Blocks))
		}
	})
}

// FuzzInteraction posts arbitrary payloads, signed, to /slack/interactions:
// the adapter never panics, answers 200 (with an empty body: the reply
// follows through response_url) or 400, dispatches a button's line as the
// presser without ever reaching the network, and keeps the response_url
// out of its log.
func FuzzInteraction(f *testing.F) {
	doc := readTestdata(f, "block-actions.json")
	for _, hooks := range []string{"https://hooks.slack.com", "http://127.0.0.1:1", "http://[::1]:9", "unix:///tmp/x", "https://hooks.slack.com/a^b"} {
		f.Add(bytes.ReplaceAll(doc, []byte("{{HOOKS}}"), []byte(hooks)))
	}
	for _, v := range []struct{ id, value string }{
		{"cmd:0", "checkin"}, {"cmd:1", "remind snooze 1h"}, {"cmd:2", "remind off"}, {"cmd:3", "roadmap done 3"},
		{"cmd:4", "forget confirm"}, {"cmd:5", "   "}, {"other", "checkin"}, {"cmd:6", "/coach\x00"}, {"cmd:7", strings.Repeat("x", 600)},
	} {
		f.Add(blockActions(f, "https://hooks.slack.com", v.id, v.value))
	}
	for _, raw := range []string{
		``, `null`, `{}`, `[]`, `"x"`, `{"type":"block_actions"}`,
		`{"type":"block_actions","user":{"id":"U1","team_id":"T1"},"actions":[null]}`,
		`{"type":"block_actions","user":{"id":"U1"},"team":{"id":"T1"},"actions":[{"action_id":"cmd:0","block_id":"b","value":"tip"}]}`,
		`{"type":"block_actions","user":{"id":"U1"},"team":{"id":"T1"},"response_url":"https://hooks.slack.com/actions/T1/2/secret","actions":[{"action_id":"cmd:0","block_id":"b","value":"tip"}]}`,
		`{"type":"view_submission","user":{"id":"U1"},"view":{"state":{"values":{}}}}`,
		`{"type":"block_actions","actions":{"action_id":"cmd:0"}}`,
		`{"type":"block_actions","user":{"id":1}}`,
		`{"type":"block_actions","message":{"blocks":[{"type":"nope"}]}}`,
		`{"type":"block_actions","state":{"values":{"b":{"a":{"type":"datepicker","selected_date":"x"}}}}}`,
		`{"type":"shortcut","callback_id":"` + strings.Repeat("\\u0000", 50) + `"}`,
	} {
		f.Add([]byte(raw))
	}

	pack := content.MustDefault()
	f.Fuzz(func(t *testing.T, payload []byte) {
		ft := newFuzzTarget(t, pack)
		body := []byte("payload=" + url.QueryEscape(string(payload)))
		rec := ft.serve(t, "/slack/interactions", body)
		checkStatus(t, rec, body)
		var ic slack.InteractionCallback
		if json.Unmarshal(payload, &ic) == nil {
			ft.checkLogSecrets(t, ic.ResponseURL)
		}
		if rec.Code == http.StatusOK && rec.Body.Len() != 0 {
			t.Fatalf("the acknowledgement has a body: %q", rec.Body)
		}
	})
}
