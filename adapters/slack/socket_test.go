package slack_test

import (
	"context"
	"strings"
	"testing"
	"time"

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
	// The answers came in the acks: nothing went to response_url.
	if hooks := e.fake.Calls("hook"); len(hooks) != 0 {
		t.Errorf("%d response_url posts, want none", len(hooks))
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
