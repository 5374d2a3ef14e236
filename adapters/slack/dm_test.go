package slack_test

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
	"github.com/coachbot/coachbot/bot/bottest"
)

// formChannel is the DM channel the fake opens first for the form's user.
const formChannel = "D0001" + formUser

// postedBlocks decodes the blocks of a chat.postMessage call.
func postedBlocks(t *testing.T, c apiCall) []any {
	t.Helper()
	var blocks []any
	if err := json.Unmarshal([]byte(c.Form.Get("blocks")), &blocks); err != nil {
		t.Fatalf("chat.postMessage blocks are not JSON: %v\n%s", err, c.Form.Get("blocks"))
	}
	return blocks
}

// TestReminderDM runs a reminder end to end: set over HTTP as a Slack user,
// claimed by the real scheduler on the fake clock, delivered by the
// adapter: conversations.open, then chat.postMessage to that channel with
// the reminder's blocks and its three buttons. The second reminder reuses
// the cached channel.
func TestReminderDM(t *testing.T) {
	e := newEnv(t)
	e.slash("/coach", "remind in 1m")
	e.h.Clock.Advance(2 * time.Minute)
	if st := e.h.Deliver(t); st.Sent != 1 {
		t.Fatalf("delivery: %+v, want one sent", st)
	}

	// "remind in" reads the profile's zone (users.info) to say when, in
	// the user's own time, the reminder comes; the delivery is the rest.
	if got, want := e.fake.Methods(), []string{"users.info", "conversations.open", "chat.postMessage"}; !cmp.Equal(got, want) {
		t.Fatalf("Slack got %v, want %v", got, want)
	}
	calls := e.fake.Calls("conversations.open", "chat.postMessage")
	if got := calls[0].Form.Get("users"); got != formUser {
		t.Errorf("conversations.open users=%q, want %q", got, formUser)
	}
	post := calls[1]
	if got := post.Form.Get("channel"); got != formChannel {
		t.Errorf("chat.postMessage channel=%q, want the opened %q", got, formChannel)
	}
	if !strings.HasPrefix(post.Form.Get("text"), "⏰ Today: 1.1 ") {
		t.Errorf("fallback text %q", post.Form.Get("text"))
	}

	// The blocks are the rendered reminder: the same as a twin bot's
	// reminder for a user in the same state.
	twin := bottest.New(t)
	twin.Say("remind in 1m")
	twin.Clock.Advance(2 * time.Minute)
	twin.Deliver(t)
	want := wire(t, twin.Messenger.DMs()[0].Reply)["blocks"]
	if d := cmp.Diff(want, any(postedBlocks(t, post))); d != "" {
		t.Errorf("reminder blocks (-want +got):\n%s", d)
	}
	msg := map[string]any{"blocks": postedBlocks(t, post)}
	if header(msg) != "⏰ Today: 1.1 Pick one language and stay with it" {
		t.Errorf("header %q", header(msg))
	}
	wantButtons := map[string]string{"roadmap done 1.1": "Topic done ✅", "checkin": "Check in", "remind snooze 1h": "Snooze 1 hour"}
	if d := cmp.Diff(wantButtons, buttons(msg)); d != "" {
		t.Errorf("buttons (-want +got):\n%s", d)
	}

	u, err := e.h.Store.User(context.Background(), formUserID)
	if err != nil || u.DMChannel != formChannel {
		t.Errorf("cached DM channel %q (%v), want %q", u.DMChannel, err, formChannel)
	}
	e.slash("/coach", "remind in 5m")
	e.h.Clock.Advance(6 * time.Minute)
	if st := e.h.Deliver(t); st.Sent != 1 {
		t.Fatalf("second delivery: %+v", st)
	}
	if got := len(e.fake.Calls("conversations.open")); got != 1 {
		t.Errorf("conversations.open called %d times, want once: the channel is cached", got)
	}
	if posts := e.fake.Calls("chat.postMessage"); len(posts) != 2 || posts[1].Form.Get("channel") != formChannel {
		t.Errorf("second post: %+v", posts)
	}
}

// TestReminderRateLimited: a 429 is honoured: the reminder is retried after
// Retry-After, not before, and then delivered.
func TestReminderRateLimited(t *testing.T) {
	for _, method := range []string{"chat.postMessage", "conversations.open"} {
		t.Run(method, func(t *testing.T) {
			e := newEnv(t)
			e.slash("/coach", "remind in 1m")
			e.fake.FailNext(method, failure{status: http.StatusTooManyRequests, retryAfter: "30"})
			e.h.Clock.Advance(2 * time.Minute)
			if st := e.h.Deliver(t); st.Retried != 1 || st.Sent != 0 {
				t.Fatalf("first pass: %+v, want one retry", st)
			}
			e.h.Clock.Advance(29 * time.Second)
			if st := e.h.Deliver(t); st.Claimed != 0 {
				t.Fatalf("pass before Retry-After ran out: %+v, want nothing claimed", st)
			}
			e.h.Clock.Advance(time.Second)
			if st := e.h.Deliver(t); st.Sent != 1 {
				t.Fatalf("pass after Retry-After: %+v, want one sent", st)
			}
			if got := len(e.fake.Calls("chat.postMessage")); got == 0 {
				t.Errorf("no chat.postMessage")
			}
		})
	}
}

// TestReminderClosedDM: a user Slack will not let the bot message is not
// retried: their daily reminder pauses and their next command says why,
// once.
func TestReminderClosedDM(t *testing.T) {
	e := newEnv(t)
	e.slash("/coach", "remind daily 19:00 UTC")
	e.fake.FailNext("chat.postMessage", failure{code: "cannot_dm_bot"})
	e.h.Clock.Set(time.Date(2026, 11, 23, 19, 0, 30, 0, time.UTC))
	if st := e.h.Deliver(t); st.Paused != 1 {
		t.Fatalf("delivery: %+v, want the reminder paused", st)
	}
	// The next day nothing is tried again.
	e.h.Clock.Set(time.Date(2026, 11, 24, 19, 0, 30, 0, time.UTC))
	if st := e.h.Deliver(t); st.Claimed != 0 {
		t.Errorf("next day: %+v, want nothing claimed", st)
	}
	if got := len(e.fake.Calls("chat.postMessage")); got != 1 {
		t.Errorf("chat.postMessage called %d times, want once", got)
	}

	next := allText(e.slash("/progress", ""))
	if !strings.Contains(next, "Slack won't let me message you directly") || !strings.Contains(next, "paused") {
		t.Errorf("the next command does not say why reminders stopped:\n%s", next)
	}
	if again := allText(e.slash("/progress", "")); strings.Contains(again, "won't let me") {
		t.Errorf("the notice shows twice:\n%s", again)
	}
}

// TestSendDMErrors maps Slack's answers to what the scheduler needs: a
// DeliveryError with RetryAfter for rate limits, a Permanent one with a
// reason the user may read for users Slack will not let the bot message,
// and a plain error (retried with backoff) for the rest. A cached channel
// that went stale is forgotten and the DM reopened, once.
func TestSendDMErrors(t *testing.T) {
	const cached = "DCACHED01"
	tests := []struct {
		name       string
		cached     bool
		fails      map[string][]failure
		wantCalls  []string
		permanent  bool
		retryAfter time.Duration
		plain      bool   // a non-DeliveryError error
		wantCache  string // the DM channel cached afterwards
	}{
		{name: "delivered", wantCalls: []string{"conversations.open", "chat.postMessage"}, wantCache: formChannel},
		{name: "delivered to the cached channel", cached: true, wantCalls: []string{"chat.postMessage"}, wantCache: cached},
		{
			name:      "rate limited",
			fails:     map[string][]failure{"chat.postMessage": {{status: 429, retryAfter: "7"}}},
			wantCalls: []string{"conversations.open", "chat.postMessage"}, retryAfter: 7 * time.Second, wantCache: formChannel,
		},
		{
			name:      "rate limited without Retry-After",
			fails:     map[string][]failure{"chat.postMessage": {{status: 429}}},
			wantCalls: []string{"conversations.open", "chat.postMessage"}, retryAfter: 30 * time.Second, wantCache: formChannel,
		},
		{
			name:      "rate limited opening",
			fails:     map[string][]failure{"conversations.open": {{status: 429, retryAfter: "2"}}},
			wantCalls: []string{"conversations.open"}, retryAfter: 2 * time.Second,
		},
		{
			name:      "cannot_dm_bot",
			fails:     map[string][]failure{"chat.postMessage": {{code: "cannot_dm_bot"}}},
			wantCalls: []string{"conversations.open", "chat.postMessage"}, permanent: true, wantCache: formChannel,
		},
		{
			name:      "account_inactive",
			fails:     map[string][]failure{"chat.postMessage": {{code: "account_inactive"}}},
			wantCalls: []string{"conversations.open", "chat.postMessage"}, permanent: true, wantCache: formChannel,
		},
		{
			name:      "user_disabled when opening",
			fails:     map[string][]failure{"conversations.open": {{code: "user_disabled"}}},
			wantCalls: []string{"conversations.open"}, permanent: true,
		},
		{
			name:      "user_not_found when opening",
			fails:     map[string][]failure{"conversations.open": {{code: "user_not_found"}}},
			wantCalls: []string{"conversations.open"}, permanent: true,
		},
		{
			name:      "stale cached channel, reopened",
			cached:    true,
			fails:     map[string][]failure{"chat.postMessage": {{code: "channel_not_found"}}},
			wantCalls: []string{"chat.postMessage", "conversations.open", "chat.postMessage"}, wantCache: formChannel,
		},
		{
			name:      "archived cached channel, reopened",
			cached:    true,
			fails:     map[string][]failure{"chat.postMessage": {{code: "is_archived"}}},
			wantCalls: []string{"chat.postMessage", "conversations.open", "chat.postMessage"}, wantCache: formChannel,
		},
		{
			name:      "stale cached channel, and the fresh one fails too",
			cached:    true,
			fails:     map[string][]failure{"chat.postMessage": {{code: "channel_not_found"}, {code: "channel_not_found"}}},
			wantCalls: []string{"chat.postMessage", "conversations.open", "chat.postMessage"}, permanent: true,
		},
		{
			name:      "channel_not_found on a fresh channel",
			fails:     map[string][]failure{"chat.postMessage": {{code: "channel_not_found"}}},
			wantCalls: []string{"conversations.open", "chat.postMessage"}, permanent: true,
		},
		{
			name:      "server error",
			fails:     map[string][]failure{"chat.postMessage": {{status: 500}}},
			wantCalls: []string{"conversations.open", "chat.postMessage"}, plain: true, wantCache: formChannel,
		},
		{
			name:      "internal_error",
			fails:     map[string][]failure{"chat.postMessage": {{code: "internal_error"}}},
			wantCalls: []string{"conversations.open", "chat.postMessage"}, plain: true, wantCache: formChannel,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			// A reminder goes to a user the store keeps: only their record
			// caches a channel (bot.DMChannel never creates one).
			if _, err := e.h.Store.UpdateUser(ctx, formUserID, func(u *bot.User) error {
				if tt.cached {
					u.DMChannel = cached
				}
				u.Zone = "UTC"
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			for m, fs := range tt.fails {
				e.fake.FailNext(m, fs...)
			}
			err := e.a.SendDM(ctx, formUserID, bot.Reply{Title: "Time to study ⏰", Text: "Go."})

			var de *bot.DeliveryError
			isDE := errors.As(err, &de)
			switch {
			case tt.permanent:
				if !isDE || !de.Permanent {
					t.Fatalf("SendDM: %v, want a permanent DeliveryError", err)
				}
				if !strings.Contains(de.Reason, "Slack won't let me message you directly") || strings.Contains(de.Reason, "_") {
					t.Errorf("Reason %q is not a sentence for the user", de.Reason)
				}
			case tt.retryAfter > 0:
				if !isDE || de.RetryAfter != tt.retryAfter || de.Permanent {
					t.Fatalf("SendDM: %v, want RetryAfter %s", err, tt.retryAfter)
				}
			case tt.plain:
				if err == nil || isDE {
					t.Fatalf("SendDM: %v, want a plain error the scheduler retries", err)
				}
			default:
				if err != nil {
					t.Fatalf("SendDM: %v", err)
				}
			}
			if d := cmp.Diff(tt.wantCalls, e.fake.Methods()); d != "" {
				t.Errorf("Slack calls (-want +got):\n%s", d)
			}
			u, _ := e.h.Store.User(ctx, formUserID)
			if u.DMChannel != tt.wantCache {
				t.Errorf("cached channel %q, want %q", u.DMChannel, tt.wantCache)
			}
		})
	}

	t.Run("not a Slack user", func(t *testing.T) {
		e := newEnv(t)
		err := e.a.SendDM(context.Background(), bot.DiscordUser("123"), bot.Reply{Title: "x"})
		var de *bot.DeliveryError
		if !errors.As(err, &de) || !de.Permanent {
			t.Errorf("SendDM to a Discord user: %v, want a permanent DeliveryError", err)
		}
		if len(e.fake.Calls()) != 0 {
			t.Errorf("Slack was called: %v", e.fake.Methods())
		}
	})
}

// TestProfileZone: a reminder set without a zone uses the Slack profile's
// (users.info tz); without one, UTC.
func TestProfileZone(t *testing.T) {
	t.Run("profile zone", func(t *testing.T) {
		e := newEnv(t)
		e.fake.SetZone(formUser, "Asia/Kolkata")
		text := allText(e.slash("/coach", "remind daily 19:00"))
		if !strings.Contains(text, "Asia/Kolkata") || !strings.Contains(text, "profile's time zone") {
			t.Errorf("the reply does not use the profile's zone:\n%s", text)
		}
		infos := e.fake.Calls("users.info")
		if len(infos) != 1 || infos[0].Form.Get("user") != formUser {
			t.Errorf("users.info calls: %+v", infos)
		}
		rems, err := e.h.Store.Reminders(context.Background(), formUserID)
		if err != nil || len(rems) != 1 || rems[0].Zone != "Asia/Kolkata" || rems[0].At != "19:00" {
			t.Fatalf("reminders %+v (%v)", rems, err)
		}
		// 19:00 in Kolkata is 13:30 UTC: the DM goes out then.
		e.h.Clock.Set(time.Date(2026, 11, 23, 13, 29, 0, 0, time.UTC))
		if st := e.h.Deliver(t); st.Claimed != 0 {
			t.Errorf("claimed before 19:00 Kolkata: %+v", st)
		}
		e.h.Clock.Set(time.Date(2026, 11, 23, 13, 30, 5, 0, time.UTC))
		if st := e.h.Deliver(t); st.Sent != 1 {
			t.Errorf("at 19:00 Kolkata: %+v, want one sent", st)
		}
	})
	t.Run("a zone typed wins", func(t *testing.T) {
		e := newEnv(t)
		e.fake.SetZone(formUser, "Asia/Kolkata")
		text := allText(e.slash("/coach", "remind daily 19:00 Europe/Berlin"))
		if !strings.Contains(text, "Europe/Berlin") {
			t.Errorf("reply:\n%s", text)
		}
		if n := len(e.fake.Calls("users.info")); n != 0 {
			t.Errorf("users.info called %d times for a reminder with a zone", n)
		}
	})
	t.Run("no profile", func(t *testing.T) {
		e := newEnv(t) // the fake knows no zone: users.info answers user_not_found
		text := allText(e.slash("/coach", "remind daily 19:00"))
		if !strings.Contains(text, "UTC") {
			t.Errorf("the reply does not fall back to UTC:\n%s", text)
		}
		if _, err := e.a.UserZone(context.Background(), formUserID); err == nil {
			t.Error("UserZone without a profile did not fail")
		}
		if _, err := e.a.UserZone(context.Background(), bot.ConsoleUser("ana")); err == nil {
			t.Error("UserZone of a console user did not fail")
		}
	})
}
