package discord_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/coachbot/coachbot/bot"
)

const learner = "90351110224678913" // dmUser: the DM payloads' user

// sentMessage is the body of a message the adapter sent.
type sentMessage struct {
	Content string `json:"content"`
	Embeds  []struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		Footer      *struct {
			Text string `json:"text"`
		} `json:"footer"`
	} `json:"embeds"`
	Components []struct {
		Type       int `json:"type"`
		Components []struct {
			Type     int    `json:"type"`
			Label    string `json:"label"`
			Style    int    `json:"style"`
			CustomID string `json:"custom_id"`
		} `json:"components"`
	} `json:"components"`
	Flags int `json:"flags"`
}

func decodeMessage(t *testing.T, c call) sentMessage {
	t.Helper()
	var m sentMessage
	if err := json.Unmarshal(c.Body, &m); err != nil {
		t.Fatalf("decode %s: %v", c.Body, err)
	}
	return m
}

func deliver(t *testing.T, e *env) bot.DeliveryStats {
	t.Helper()
	st, err := e.h.DeliverDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestReminderDM runs a reminder end to end through the real scheduler: the
// DM channel is opened once and cached, the message carries the embed and
// the three buttons, and pressing one in the DM updates that message.
func TestReminderDM(t *testing.T) {
	e := newEnv(t)
	user := bot.DiscordUser(learner)
	e.h.SayAs(user, "remind in 1m")
	e.h.Clock.Advance(time.Minute)
	if st := deliver(t, e); st.Sent != 1 {
		t.Fatalf("stats %+v, want 1 sent", st)
	}

	calls := e.fake.Calls()
	if got := strings.Join(callNames(calls), "\n"); got != "POST /api/v10/users/@me/channels\nPOST /api/v10/channels/dm-"+learner+"/messages" {
		t.Fatalf("calls:\n%s", got)
	}
	if body := string(calls[0].Body); body != `{"recipient_id":"`+learner+`"}` {
		t.Errorf("channel create body %s", body)
	}
	m := decodeMessage(t, calls[1])
	if len(m.Embeds) != 1 || m.Embeds[0].Title != "⏰ Today: 1.1 Pick one language and stay with it" || !strings.Contains(m.Embeds[0].Description, "Step 1: Programming Languages") {
		t.Errorf("embed %+v", m.Embeds)
	}
	type button struct {
		Label, CustomID string
		Style           int
	}
	var buttons []button
	for _, row := range m.Components {
		for _, b := range row.Components {
			buttons = append(buttons, button{b.Label, b.CustomID, b.Style})
		}
	}
	want := []button{{"Topic done ✅", "roadmap done 1.1", 2}, {"Check in", "checkin", 1}, {"Snooze 1 hour", "remind snooze 1h", 2}}
	if diff := cmp.Diff(want, buttons); diff != "" {
		t.Errorf("buttons (-want +got):\n%s", diff)
	}
	if m.Flags != 0 {
		t.Errorf("DM flags %d, want none", m.Flags)
	}
	u, _ := e.h.Store.User(context.Background(), user)
	if u.DMChannel != "dm-"+learner {
		t.Errorf("DM channel cached as %q", u.DMChannel)
	}

	// Press "Done for today" in the DM: the reminder becomes the check-in.
	press := payload(t, "interaction-component-dm.json", "1282000000000000001", map[string]any{"component_type": 2, "custom_id": "checkin", "id": 2})
	got := e.postOK(t, press)
	if got.Type != 7 || got.Data == nil || len(got.Data.Embeds) != 1 || !strings.HasPrefix(got.Data.Embeds[0].Title, "Checked in") {
		t.Errorf("press answered %+v, want the message updated with the check-in", got.JSON)
	}

	// The next reminder reuses the cached channel.
	e.h.SayAs(user, "remind in 5m")
	e.h.Clock.Advance(5 * time.Minute)
	if st := deliver(t, e); st.Sent != 1 {
		t.Fatalf("second reminder: %+v", st)
	}
	if n := len(e.fake.CallsTo("POST /api/v10/users/@me/channels")); n != 1 {
		t.Errorf("%d channel creates, want 1", n)
	}
	if n := len(e.fake.CallsTo("POST /api/v10/channels/dm-" + learner + "/messages")); n != 2 {
		t.Errorf("%d messages, want 2", n)
	}
}

func callNames(calls []call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.String())
	}
	return out
}

// TestRateLimitedDM: a burst of 429s comes back as RetryAfter, the
// scheduler retries then, and the reminder is delivered.
func TestRateLimitedDM(t *testing.T) {
	e := newEnv(t)
	e.fake.onMessage = func(_ string, n int) (int, string, http.Header) {
		if n <= 3 {
			return rateLimited(1.5, n == 2)
		}
		return 0, "", nil
	}
	user := bot.DiscordUser(learner)

	// Directly: the error says how long to wait.
	err := e.a.SendDM(context.Background(), user, bot.Reply{Title: "hello"})
	var de *bot.DeliveryError
	if !errors.As(err, &de) || de.RetryAfter != 1500*time.Millisecond || de.Permanent {
		t.Fatalf("SendDM = %v, want a DeliveryError with RetryAfter 1.5s", err)
	}

	// Through the scheduler.
	e.h.SayAs(user, "remind in 1m")
	e.h.Clock.Advance(time.Minute)
	for i, want := range []bot.DeliveryStats{{Claimed: 1, Retried: 1}, {Claimed: 1, Retried: 1}, {Claimed: 1, Sent: 1}} {
		st := deliver(t, e)
		if st != want {
			t.Fatalf("pass %d: %+v, want %+v", i+1, st, want)
		}
		e.h.Clock.Advance(1500 * time.Millisecond)
	}
	if n := len(e.fake.CallsTo("POST /api/v10/channels/")); n != 4 {
		t.Errorf("%d sends, want 4 (3 refused, 1 delivered)", n)
	}
}

// TestClosedDMs: a DM Discord refuses for good (50007: the user does not
// accept DMs from the bot; 50278: the user shares no server with it, as
// after a user install) pauses the user's reminders, and their next
// command tells them why, once.
func TestClosedDMs(t *testing.T) {
	tests := []struct {
		name    string
		refuse  func() (int, string, http.Header)
		because string // in the notice
	}{
		{"50007 closed DMs", cannotDM, "allow direct messages from server members"},
		{"50278 no mutual server", noMutualGuilds, "while we share no server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.fake.onMessage = func(string, int) (int, string, http.Header) { return tt.refuse() }
			user := bot.DiscordUser(learner)

			err := e.a.SendDM(context.Background(), user, bot.Reply{Title: "hello"})
			var de *bot.DeliveryError
			if !errors.As(err, &de) || !de.Permanent || !strings.Contains(de.Reason, tt.because) {
				t.Fatalf("SendDM = %v, want a permanent DeliveryError saying %q", err, tt.because)
			}

			e.h.SayAs(user, "remind daily 10:05")
			e.h.Clock.Advance(5 * time.Minute)
			if st := deliver(t, e); st.Paused != 1 {
				t.Fatalf("stats %+v, want 1 paused", st)
			}
			body := payload(t, "interaction-command-dm.json", "1283000000000000001", commandData([]string{"progress"}))
			got := e.postOK(t, body)
			if got.Data == nil || len(got.Data.Embeds) == 0 || !strings.Contains(got.Data.Embeds[0].Description, tt.because) {
				t.Errorf("next command does not explain the pause: %+v", got.JSON)
			}
			again := e.postOK(t, payload(t, "interaction-command-dm.json", "1283000000000000002", commandData([]string{"progress"})))
			if strings.Contains(again.Data.Embeds[0].Description, tt.because) {
				t.Error("the notice is shown twice")
			}
			e.h.Clock.Advance(48 * time.Hour)
			if st := deliver(t, e); st.Claimed != 0 {
				t.Errorf("a paused reminder was claimed again: %+v", st)
			}
		})
	}
}

// TestStaleDMChannel: a cached channel Discord no longer knows is
// forgotten, a new one opened and the message sent there.
func TestStaleDMChannel(t *testing.T) {
	e := newEnv(t)
	user := bot.DiscordUser(learner)
	if _, err := e.h.Store.UpdateUser(context.Background(), user, func(u *bot.User) error { u.DMChannel = "1111"; return nil }); err != nil {
		t.Fatal(err)
	}
	e.fake.onMessage = func(channel string, _ int) (int, string, http.Header) {
		if channel == "1111" {
			return unknownChannel()
		}
		return 0, "", nil
	}
	if err := e.a.SendDM(context.Background(), user, bot.Reply{Title: "hello"}); err != nil {
		t.Fatal(err)
	}
	want := []string{"POST /api/v10/channels/1111/messages", "POST /api/v10/users/@me/channels", "POST /api/v10/channels/dm-" + learner + "/messages"}
	if diff := cmp.Diff(want, callNames(e.fake.Calls())); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	u, _ := e.h.Store.User(context.Background(), user)
	if u.DMChannel != "dm-"+learner {
		t.Errorf("cached channel %q", u.DMChannel)
	}

	// A fresh channel that is unknown too is not retried forever.
	e.fake.onMessage = func(string, int) (int, string, http.Header) { return unknownChannel() }
	if err := e.a.SendDM(context.Background(), bot.DiscordUser("424242"), bot.Reply{Title: "hello"}); err == nil {
		t.Error("SendDM succeeded against a channel that does not exist")
	}
}

// TestPacingRespectsContext: with the global budget spent and too little
// time left, SendDM says when to retry instead of waiting past its deadline.
func TestPacingRespectsContext(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for {
		ok, _, err := e.limits.Allow(ctx, "discord:global", 50, 50)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
	}
	ctx, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	err := e.a.SendDM(ctx, bot.DiscordUser(learner), bot.Reply{Title: "hello"})
	var de *bot.DeliveryError
	if !errors.As(err, &de) || de.RetryAfter <= 0 {
		t.Fatalf("SendDM = %v, want a DeliveryError with RetryAfter", err)
	}
	if n := len(e.fake.Calls()); n != 0 {
		t.Errorf("%d requests went out over the budget", n)
	}
}

// TestSendDMNotDiscord: a user of another platform is an error, not a call.
func TestSendDMNotDiscord(t *testing.T) {
	e := newEnv(t)
	if err := e.a.SendDM(context.Background(), bot.SlackUser("T1", "U1"), bot.Reply{Title: "x"}); err == nil {
		t.Error("SendDM to a Slack user succeeded")
	}
	if n := len(e.fake.Calls()); n != 0 {
		t.Errorf("%d requests", n)
	}
}
