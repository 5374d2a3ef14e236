package slack_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	coachslack "github.com/coachbot/coachbot/adapters/slack"
	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ and deploy/slack-app-manifest.yaml with the current output")

// signingSecret is a made-up secret the tests sign with.
const signingSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// The user of testdata/slash-command.form.
const (
	formTeam = "T0001"
	formUser = "U2147483697"
)

var formUserID = bot.SlackUser(formTeam, formUser)

// env is a real bot on a fake clock and a MemStore, the Slack adapter on a
// fake Slack, and the adapter's endpoints on a real HTTP server.
type env struct {
	t        *testing.T
	h        *bottest.Harness
	fake     *fakeSlack
	a        *coachslack.Adapter
	srv      *httptest.Server
	logs     *bottest.Buffer
	commands atomic.Int64 // commands the bot handled (OnCommand)
}

func newEnv(t *testing.T, mods ...func(*coachslack.Config)) *env {
	t.Helper()
	e := &env{t: t, logs: bottest.NewBuffer()}
	// The bot and the adapter share one log, which checkLogs reads.
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.h = bottest.New(t, bottest.WithConfig(func(c *bot.Config) {
		c.OnCommand = func(string, bot.Code, time.Duration) { e.commands.Add(1) }
		c.Logger = logger
	}))
	e.fake = newFakeSlack(t)
	cfg := coachslack.Config{
		BotToken:      botToken,
		SigningSecret: signingSecret,
		APIURL:        e.fake.APIURL(),
		Bot:           e.h.Bot,
		Store:         e.h.Store,
		Logger:        logger,
		Clock:         e.h.Clock,
	}
	for _, m := range mods {
		m(&cfg)
	}
	a, err := coachslack.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.a = a
	e.h.SetMessenger("slack", a)
	mux := http.NewServeMux()
	a.Register(mux)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	t.Cleanup(func() { checkLogs(t, e.logs.String()) })
	return e
}

// checkLogs fails when the adapter's log holds a secret, a raw user id or
// a response_url, which the log must never show.
func checkLogs(t *testing.T, logs string) {
	t.Helper()
	for _, secret := range []string{botToken, appToken, signingSecret, formUser, "UA8RXUSPL", "U0123ABC", "/hooks/"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q:\n%s", secret, logs)
		}
	}
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signature is Slack's v0 signature of body at ts.
func signature(secret string, ts time.Time, body []byte) (timestamp, sig string) {
	timestamp = strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + timestamp + ":"))
	mac.Write(body)
	return timestamp, "v0=" + hex.EncodeToString(mac.Sum(nil))
}

func signedHeader(secret string, ts time.Time, body []byte) http.Header {
	timestamp, sig := signature(secret, ts, body)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", timestamp)
	h.Set("X-Slack-Signature", sig)
	return h
}

// post sends body to path on the adapter's server with the given headers
// and returns the status and the body of the answer.
func (e *env) post(path string, body []byte, h http.Header) (int, []byte) {
	e.t.Helper()
	res, out := e.postResponse(path, body, h)
	return res.StatusCode, out
}

// postResponse is post, returning the whole response (its body read and
// closed, and returned apart).
func (e *env) postResponse(path string, body []byte, h http.Header) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return res, out
}

// postSigned sends body signed now with the signing secret.
func (e *env) postSigned(path string, body []byte) (int, []byte) {
	e.t.Helper()
	return e.post(path, body, signedHeader(signingSecret, time.Now(), body))
}

// commandForm is testdata/slash-command.form (Slack's documented example)
// with the command, its text and the response_url replaced.
func commandForm(t testing.TB, command, text, responseURL string) []byte {
	t.Helper()
	form, err := url.ParseQuery(string(readTestdata(t, "slash-command.form")))
	if err != nil {
		t.Fatal(err)
	}
	form.Set("command", command)
	form.Set("text", text)
	form.Set("response_url", responseURL)
	form.Set("trigger_id", nextTrigger())
	return []byte(form.Encode())
}

// triggers numbers the requests the tests make: Slack gives every request
// its own trigger_id, so no two have the same signed bytes (the adapter
// refuses a copy as a replay).
var triggers atomic.Int64

func nextTrigger() string {
	return fmt.Sprintf("13345224609.738474920.%x", triggers.Add(1))
}

// slash runs a signed slash command through HTTP and returns the answer,
// failing unless it is a 200 with a JSON message.
func (e *env) slash(command, text string) map[string]any {
	e.t.Helper()
	status, body := e.postSigned("/slack/commands", commandForm(e.t, command, text, e.fake.HooksURL()+"/commands/T0001/1/x"))
	if status != http.StatusOK {
		e.t.Fatalf("%s %s: status %d: %s", command, text, status, body)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		e.t.Fatalf("%s %s: the answer is not JSON: %v\n%s", command, text, err, body)
	}
	return m
}

// blockActions is testdata/block-actions.json (Slack's documented example)
// with its response_url on the fake and its action's id and value set.
func blockActions(t testing.TB, hooks, actionID, value string) []byte {
	t.Helper()
	raw := strings.ReplaceAll(string(readTestdata(t, "block-actions.json")), "{{HOOKS}}", hooks)
	var p map[string]any
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		t.Fatal(err)
	}
	act := p["actions"].([]any)[0].(map[string]any)
	act["action_id"] = actionID
	act["value"] = value
	p["trigger_id"] = nextTrigger()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The presser of testdata/block-actions.json.
var presserID = bot.SlackUser("T9TK3CUKW", "UA8RXUSPL")

// wire is how Slack reads a message the adapter sends for r, as generic
// JSON, to compare with what came over the wire.
func wire(t testing.TB, r bot.Reply) map[string]any {
	t.Helper()
	msg := coachslack.Render(r)
	m := map[string]any{"response_type": msg.ResponseType, "text": msg.Text}
	if len(msg.Blocks.BlockSet) > 0 {
		m["blocks"] = msg.Blocks.BlockSet
	}
	return roundTrip(t, m)
}

func roundTrip(t testing.TB, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func decode(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return m
}

// header returns the text of a message's header block, "" without one.
func header(m map[string]any) string {
	blocks, _ := m["blocks"].([]any)
	for _, b := range blocks {
		blk, _ := b.(map[string]any)
		if blk["type"] == "header" {
			text, _ := blk["text"].(map[string]any)
			s, _ := text["text"].(string)
			return s
		}
	}
	return ""
}

// buttons returns a message's buttons as value -> label.
func buttons(m map[string]any) map[string]string {
	out := map[string]string{}
	blocks, _ := m["blocks"].([]any)
	for _, b := range blocks {
		blk, _ := b.(map[string]any)
		if blk["type"] != "actions" {
			continue
		}
		elems, _ := blk["elements"].([]any)
		for _, el := range elems {
			e, _ := el.(map[string]any)
			text, _ := e["text"].(map[string]any)
			out[e["value"].(string)], _ = text["text"].(string)
		}
	}
	return out
}

// allText is every text of a message, for "does it say X" checks.
func allText(m map[string]any) string {
	b, _ := json.Marshal(m)
	var s strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if k == "text" {
					if str, ok := x.(string); ok {
						s.WriteString(str + "\n")
						continue
					}
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	var g any
	_ = json.Unmarshal(b, &g)
	walk(g)
	return s.String()
}

func diffJSON(t testing.TB, what string, want, got map[string]any) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s differs (-want +got):\n%s", what, d)
	}
}

func newServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
