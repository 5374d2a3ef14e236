package discord_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/google/go-cmp/cmp"

	"github.com/coachbot/coachbot/adapters/discord"
	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

// installedUser installed the app to their own account: the user of the
// user-install payloads in testdata (interaction-*-private.json,
// interaction-command-user-guild.json).
const installedUser = "70351110224678914"

// setOwners makes a payload's authorizing_integration_owners name the
// given installations ("0" server, "1" user) with their ids.
func setOwners(owners map[string]any) func(map[string]any) {
	return func(m map[string]any) { m["authorizing_integration_owners"] = owners }
}

// setMessageFlags sets the flags of the message a button was on.
func setMessageFlags(flags int) func(map[string]any) {
	return func(m map[string]any) { m["message"].(map[string]any)["flags"] = flags }
}

// TestUserInstall: interactions from people who installed the app to
// their own account (no member outside servers; context 1 or 2;
// authorizing_integration_owners naming "1") are answered like the rest,
// over HTTP and over the gateway. Where the bot is a guest (someone
// else's DM, a server that did not install the app) every answer is seen
// by the user alone, and a button press there never rewrites a message
// other people see.
func TestUserInstall(t *testing.T) {
	type update = bool
	tests := []struct {
		name   string
		file   string
		data   any // nil: the file's own
		set    []func(map[string]any)
		user   string
		line   string
		update update // answered by updating the message the button was on
	}{
		{name: "command in another person's DM", file: "interaction-command-private.json", user: installedUser, line: "roadmap next"},
		{name: "command in a server that did not install the app", file: "interaction-command-user-guild.json", user: installedUser, line: "progress"},
		{name: "command in the DM with the bot, user install", file: "interaction-command-dm.json", data: commandData([]string{"checkin"}),
			set: []func(map[string]any){setOwners(map[string]any{"1": dmUser})}, user: dmUser, line: "checkin"},
		{name: "command in a server with the app and the user install", file: "interaction-command-guild.json",
			set: []func(map[string]any){setOwners(map[string]any{"0": "1187426035688247377", "1": guildUser})}, user: guildUser, line: "roadmap next"},
		{name: "button on the user's own answer in another person's DM", file: "interaction-component-private.json", user: installedUser, line: "roadmap next", update: true},
		// Nothing the bot posts there is public, but a message others read
		// must not be replaced by one user's answer all the same.
		{name: "button on a message others see in another person's DM", file: "interaction-component-private.json",
			set: []func(map[string]any){setMessageFlags(0)}, user: installedUser, line: "roadmap next"},
		{name: "button on a message others see in a server that did not install the app", file: "interaction-component-guild.json",
			data: map[string]any{"component_type": 2, "custom_id": "roadmap next", "id": 2},
			set:  []func(map[string]any){setOwners(map[string]any{"1": guildUser}), setMessageFlags(0)}, user: guildUser, line: "roadmap next"},
	}
	for _, mode := range []string{discord.ModeHTTP, discord.ModeGateway} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, withMode(mode))
			if mode == discord.ModeGateway {
				e.runGateway(t)
			}
			ref := bottest.New(t)
			for n, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					body := payload(t, tt.file, fmt.Sprintf("1284%015d", n), tt.data, tt.set...)
					got := e.answer(t, body)
					reply := ref.SayAs(bot.DiscordUser(tt.user), tt.line)
					want := wantResponse(reply)
					if tt.update {
						want = wantUpdate(reply)
					} else if got.Data == nil || got.Data.Flags != discordgo.MessageFlagsEphemeral {
						t.Errorf("the answer is not ephemeral: %+v", got.JSON)
					}
					if diff := cmp.Diff(asJSON(t, want), got.JSON); diff != "" {
						t.Errorf("answer differs from the bot's reply to %q as %s (-want +got):\n%s", tt.line, tt.user, diff)
					}
				})
			}
		})
	}
}

// TestUserInstallReminderPaused: someone who installed the app to their
// account and shares no server with the bot sets a daily reminder from
// another person's DM; Discord refuses the reminder's DM with 50278, the
// reminder pauses, and the user's next command (there again) says why,
// privately.
func TestUserInstallReminderPaused(t *testing.T) {
	e := newEnv(t)
	e.fake.onMessage = func(string, int) (int, string, http.Header) { return noMutualGuilds() }
	set := e.postOK(t, payload(t, "interaction-command-private.json", "1285000000000000001",
		commandData([]string{"coach", "remind", "daily"}, opt{"time", "10:05"}, opt{"zone", "UTC"})))
	if set.Data == nil || len(set.Data.Embeds) == 0 || !strings.Contains(set.Data.Embeds[0].Description, "10:05") {
		t.Fatalf("remind daily was not accepted: %+v", set.JSON)
	}

	e.h.Clock.Advance(5 * time.Minute)
	if st := deliver(t, e); st.Paused != 1 {
		t.Fatalf("stats %+v, want 1 paused", st)
	}
	if n := len(e.fake.CallsTo("POST /api/v10/channels/dm-" + installedUser + "/messages")); n != 1 {
		t.Errorf("%d DMs tried, want 1", n)
	}

	next := e.postOK(t, payload(t, "interaction-command-private.json", "1285000000000000002", nil))
	if next.Data == nil || next.Data.Flags != discordgo.MessageFlagsEphemeral || len(next.Data.Embeds) == 0 {
		t.Fatalf("next answer %+v, want an ephemeral embed", next.JSON)
	}
	if d := next.Data.Embeds[0].Description; !strings.Contains(d, "paused") || !strings.Contains(d, "while we share no server") {
		t.Errorf("the next command does not say why the reminder paused: %q", d)
	}
	status := e.postOK(t, payload(t, "interaction-command-private.json", "1285000000000000003",
		commandData([]string{"coach", "remind", "status"})))
	if !strings.Contains(strings.ToLower(fmt.Sprint(status.JSON)), "paused") {
		t.Errorf("remind status does not show the pause: %+v", status.JSON)
	}
	e.h.Clock.Advance(48 * time.Hour)
	if st := deliver(t, e); st.Claimed != 0 {
		t.Errorf("a paused reminder was claimed again: %+v", st)
	}
}
