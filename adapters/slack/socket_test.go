package slack_test

import (
	"bytes"
	"context"
	"image/png"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coachbot/coachbot/adapters/internal/card"
	coachslack "github.com/coachbot/coachbot/adapters/slack"
	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

// The user of testdata/socket-slash-command.json.
var socketUserID = bot.SlackUser("T0123ABC", "U0123ABC")

const socketEnvelopeID = "1d3c79ab-0ffb-41f3-a080-d19e85f53649"

// newSocketEnv starts the adapter in Socket Mode against the fake, after
// setup (which may plan failures) ran. The test's end stops Run and checks
// that it returned.
func newSocketEnv(t *testing.T, setup func(*env), mods ...func(*coachslack.Config)) *env {
	t.Helper()
	e := newEnv(t, append([]func(*coachslack.Config){func(c *coachslack.Config) { c.AppToken, c.SigningSecret = appToken, "" }}, mods...)...)
	coachslack.SetRestartBackoff(e.a, time.Millisecond, 10*time.Millisecond)
	if setup != nil {
		setup(e)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(bottest.WaitLimit):
			t.Errorf("Run did not return after its context ended")
		}
	})
	return e
}

// slashEnvelope is testdata/socket-slash-command.json with its envelope
// id, command and text set.
func slashEnvelope(t *testing.T, e *env, id, command, text string) []byte {
	t.Helper()
	m := decode(t, []byte(strings.ReplaceAll(string(readTestdata(t, "socket-slash-command.json")), "{{HOOKS}}", e.fake.HooksURL())))
	m["envelope_id"] = id
	p := m["payload"].(map[string]any)
	p["command"], p["text"] = command, text
	return mustJSON(t, m)
}

func TestSocketModeCommand(t *testing.T) {
	e := newSocketEnv(t, nil)
	twin := bottest.New(t)
	e.fake.WaitConnected(1)

	tests := []struct{ id, command, text, line string }{
		{socketEnvelopeID, "/salary", "mid", "salary mid"},
		{"2e4d8a6b-1111-4c2b-9d55-0a1b2c3d4e5f", "/coach", "remind in 45m", "remind in 45m"},
		{"3f5e9b7c-2222-4d3c-8e66-1b2c3d4e5f60", "/roadmap", "done 1", "roadmap done 1"},
		{"4a6f0c8d-3333-4e4d-9f77-2c3d4e5f6071", "/coach", "roadmapp", "roadmapp"},
	}
	for _, tt := range tests {
		t.Run(tt.command+" "+tt.text, func(t *testing.T) {
			e.fake.Send(slashEnvelope(t, e, tt.id, tt.command, tt.text))
			ack := e.fake.WaitAck(tt.id)
			diffJSON(t, "the ack's payload", wire(t, twin.SayAs(socketUserID, tt.line)), decode(t, ack.Payload))
		})
	}
	// The answers came in the acks: nothing went to response_url, and
	// none had a picture to upload.
	if hooks := e.fake.Calls("hook"); len(hooks) != 0 {
		t.Errorf("%d response_url posts, want none", len(hooks))
	}
	if ups := e.fake.Calls("files.getUploadURLExternal"); len(ups) != 0 {
		t.Errorf("%d uploads, want none", len(ups))
	}
	if u, _ := e.h.Store.User(context.Background(), socketUserID); len(u.Done) != 1 {
		t.Errorf("the command did not run as the Socket Mode user: %+v", u)
	}
}

// TestSocketModeSlowCommand: a command that overruns the inline budget is
// acknowledged at once without a payload, and its answer is posted to the
// command's response_url when it is ready.
func TestSocketModeSlowCommand(t *testing.T) {
	clock := bottest.NewClock(bottest.Start)
	store := &blockingStore{Store: bottest.NewMemStore(clock), release: make(chan struct{})}
	slow := bottest.New(t, bottest.WithStore(store))
	e := newSocketEnv(t, func(e *env) { coachslack.SetInlineBudget(e.a, 10*time.Millisecond) },
		func(c *coachslack.Config) { c.Bot, c.Store = slow.Bot, store })
	e.fake.WaitConnected(1)

	e.fake.Send(slashEnvelope(t, e, socketEnvelopeID, "/progress", ""))
	ack := e.fake.WaitAck(socketEnvelopeID)
	if p := strings.TrimSpace(string(ack.Payload)); p != "" && p != "null" {
		t.Fatalf("the ack of a slow command carries %s, want no payload", p)
	}
	if hooks := e.fake.Calls("hook"); len(hooks) != 0 {
		t.Fatalf("%d response_url posts before the command finished", len(hooks))
	}
	close(store.release)
	hook := e.fake.WaitCall("hook")
	if got := header(decode(t, hook.JSON)); got != "Your progress" {
		t.Errorf("the follow-up's title is %q, want Your progress", got)
	}
}

// TestSocketModeProgressCard: in Socket Mode Slack cannot fetch a card
// from us, so after the progress reply (in the ack, with no image block)
// the card is uploaded into the learner's DM as progress.png, with a
// title and alt text, through Slack's upload flow; so is a DM's (the
// weekly digest). Without the
// files:write scope the upload is refused: a warning, and the reply
// stands.
func TestSocketModeProgressCard(t *testing.T) {
	e := newSocketEnv(t, nil, func(c *coachslack.Config) { c.PublicURL, c.SecretKey = "https://coach.example.com", secretKey })
	e.h.User = socketUserID
	e.h.MakeLearner()
	e.fake.WaitConnected(1)

	e.fake.Send(slashEnvelope(t, e, socketEnvelopeID, "/progress", ""))
	ack := e.fake.WaitAck(socketEnvelopeID)
	if got := header(decode(t, ack.Payload)); got != "Your progress" {
		t.Fatalf("the ack's title is %q, want Your progress", got)
	}
	if strings.Contains(string(ack.Payload), `"image"`) {
		t.Errorf("the ack has an image block, which Slack could not fetch: %s", ack.Payload)
	}
	done := e.fake.WaitCall("files.completeUploadExternal")
	asked := e.fake.Calls("files.getUploadURLExternal")
	up := e.fake.Calls("upload")
	opened := e.fake.Calls("conversations.open")
	if len(asked) != 1 || len(up) != 1 || len(opened) != 1 {
		t.Fatalf("%d upload URLs, %d uploads, %d DMs opened; want 1 each", len(asked), len(up), len(opened))
	}
	img, err := png.Decode(bytes.NewReader(up[0].File))
	if err != nil {
		t.Fatalf("the upload is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != card.Width || b.Dy() != card.Height {
		t.Errorf("the uploaded card is %v", b)
	}
	f := asked[0].Form
	if f.Get("filename") != "progress.png" || f.Get("length") != strconv.Itoa(len(up[0].File)) || !strings.HasPrefix(f.Get("alt_txt"), "Progress card: ") {
		t.Errorf("files.getUploadURLExternal %v for a %d-byte card", f, len(up[0].File))
	}
	ch := opened[0].Form.Get("users")
	if got := done.Form.Get("channel_id"); !strings.HasSuffix(got, ch) || ch != "U0123ABC" {
		t.Errorf("the card went to channel %q, want the DM opened with %q", got, ch)
	}
	if files := done.Form.Get("files"); !strings.Contains(files, `"title":"Your progress"`) {
		t.Errorf("files.completeUploadExternal files=%s, want the title Your progress", files)
	}
	if u, _ := e.h.Store.User(context.Background(), socketUserID); u.DMChannel == "" {
		t.Error("the DM channel was not kept for the next DM")
	}

	// A DM with the card (the weekly digest) brings it too, into the
	// same channel, after the text.
	c, err := e.h.Bot.ProgressCard(context.Background(), socketUserID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.a.SendDM(context.Background(), socketUserID, bot.Reply{Text: "Your week", Card: c}); err != nil {
		t.Fatalf("SendDM: %v", err)
	}
	if got := e.fake.WaitCall("files.completeUploadExternal").Form.Get("channel_id"); got != done.Form.Get("channel_id") {
		t.Errorf("the DM's card went to %q, want the DM %q", got, done.Form.Get("channel_id"))
	}
	if n := len(e.fake.Calls("upload")); n != 2 {
		t.Fatalf("%d uploads, want 2", n)
	}

	// No files:write: Slack refuses, the adapter warns and goes on.
	e.fake.FailNext("files.getUploadURLExternal", failure{code: "missing_scope"})
	const second = "5b7a1d9e-4444-4f5e-8a88-3d4e5f607182"
	e.fake.Send(slashEnvelope(t, e, second, "/progress", ""))
	if got := header(decode(t, e.fake.WaitAck(second).Payload)); got != "Your progress" {
		t.Errorf("the second ack's title is %q", got)
	}
	e.logs.WaitFor(t, "code=missing_scope")
	if n := len(e.fake.Calls("upload")); n != 2 {
		t.Errorf("%d uploads after the refusal, want still 2", n)
	}
}

func TestSocketModeButton(t *testing.T) {
	e := newSocketEnv(t, nil)
	e.fake.WaitConnected(1)
	envelope := strings.Replace(string(readTestdata(t, "socket-interactive.json")), "{{BLOCK_ACTIONS}}",
		string(blockActions(t, e.fake.HooksURL(), "cmd:0", "roadmap done 2")), 1)
	e.fake.Send([]byte(envelope))

	ack := e.fake.WaitAck("f4a3b2c1-52c9-4f7e-9b64-6f1f5a0e0d1e")
	if p := strings.TrimSpace(string(ack.Payload)); p != "" && p != "null" {
		t.Errorf("a button's ack carries %s, want nothing: the answer follows through response_url", p)
	}
	hook := e.fake.WaitCall("hook")
	want := wire(t, bottest.New(t).SayAs(presserID, "roadmap done 2"))
	want["replace_original"], want["delete_original"] = false, false
	diffJSON(t, "the follow-up", want, decode(t, hook.JSON))
	if u, _ := e.h.Store.User(context.Background(), presserID); len(u.Done) != 1 {
		t.Errorf("the press did not run as the presser: %+v", u)
	}
}

// TestSocketModeReconnect: after the connection drops, slack-go opens a new
// one (apps.connections.open again) and commands work on it.
func TestSocketModeReconnect(t *testing.T) {
	e := newSocketEnv(t, nil)
	e.fake.WaitConnected(1)
	e.fake.Drop()
	e.fake.WaitConnected(2)

	e.fake.Send(slashEnvelope(t, e, socketEnvelopeID, "/salary", "mid"))
	if ack := e.fake.WaitAck(socketEnvelopeID); header(decode(t, ack.Payload)) == "" {
		t.Errorf("the ack after the reconnect has no answer: %s", ack.Payload)
	}
	if n := len(e.fake.Calls("apps.connections.open")); n != 2 {
		t.Errorf("apps.connections.open called %d times, want 2", n)
	}
	e.logs.WaitFor(t, "slack socket mode connection lost: reconnecting")
}

// TestSocketModeRestart: when RunContext gives up (Slack refused the
// connection), Run starts it again after a backoff.
func TestSocketModeRestart(t *testing.T) {
	e := newSocketEnv(t, func(e *env) {
		e.fake.FailNext("apps.connections.open", failure{code: "invalid_auth"}, failure{code: "invalid_auth"})
	})
	e.fake.WaitConnected(1)
	e.fake.Send(slashEnvelope(t, e, socketEnvelopeID, "/coach", "tip"))
	e.fake.WaitAck(socketEnvelopeID)
	if n := len(e.fake.Calls("apps.connections.open")); n != 3 {
		t.Errorf("apps.connections.open called %d times, want 3 (two refused, one accepted)", n)
	}
	e.logs.WaitFor(t, "slack socket mode stopped: restarting")
}
