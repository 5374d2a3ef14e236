package discord_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
	"github.com/google/go-cmp/cmp"

	"github.com/coachbot/coachbot/adapters/discord"
	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

// commandCase is one command as a Discord user gives it: the words (the
// command, subcommand group and subcommand, without "coach"), the typed
// options, and the command line the bot must answer.
type commandCase struct {
	words []string
	opts  []opt
	line  string
}

// commandCases covers every visible command of the spec (a test checks
// that), with and without its optional arguments.
var commandCases = []commandCase{
	{[]string{"roadmap", "overview"}, nil, "roadmap overview"},
	{[]string{"roadmap", "next"}, nil, "roadmap next"},
	{[]string{"roadmap", "step"}, []opt{{"step", "3"}}, "roadmap step 3"},
	{[]string{"roadmap", "done"}, []opt{{"step", "databases"}}, "roadmap done databases"},
	{[]string{"roadmap", "undo"}, []opt{{"step", "2"}}, "roadmap undo 2"},
	{[]string{"roadmap", "done"}, []opt{{"step", "2.1 2.4"}}, "roadmap done 2.1 2.4"},
	{[]string{"roadmap", "learning"}, []opt{{"topic", "databases/indexes"}}, "roadmap learning 2.4"},
	{[]string{"roadmap", "skip"}, []opt{{"topic", "1.5"}}, "roadmap skip 1.5"},
	{[]string{"today"}, nil, "today"},
	{[]string{"today"}, []opt{{"resource", "2"}}, "today 2"},
	{[]string{"plan"}, nil, "plan"},
	{[]string{"plan"}, []opt{{"hours", "8"}}, "plan 8"},
	{[]string{"digest"}, nil, "digest"},
	{[]string{"checkin"}, []opt{{"time", "45m"}, {"note", "built the add command"}}, "checkin 45m built the add command"},
	{[]string{"remind", "weekly"}, []opt{{"day", "sun"}, {"time", "18:00"}, {"zone", "Europe/London"}}, "remind weekly sun 18:00 Europe/London"},
	{[]string{"remind", "off"}, []opt{{"kind", "daily"}}, "remind off daily"},
	{[]string{"roadmap", "reset"}, nil, "roadmap reset"},
	{[]string{"roadmap", "reset"}, []opt{{"confirm", false}}, "roadmap reset"},
	{[]string{"roadmap", "reset"}, []opt{{"confirm", true}}, "roadmap reset confirm"},
	{[]string{"skills"}, nil, "skills"},
	{[]string{"skills"}, []opt{{"skill", "security"}}, "skills security"},
	{[]string{"skills"}, []opt{{"skill", "version  control"}}, "skills version control"},
	{[]string{"salary"}, nil, "salary"},
	{[]string{"salary"}, []opt{{"level", "mid"}}, "salary mid"},
	{[]string{"career"}, nil, "career"},
	{[]string{"career"}, []opt{{"level", "senior"}}, "career senior"},
	{[]string{"progress"}, nil, "progress"},
	{[]string{"quiz", "ask"}, nil, "quiz ask"},
	{[]string{"quiz", "ask"}, []opt{{"step", "1.3"}}, "quiz ask 1.3"},
	{[]string{"quiz", "stats"}, nil, "quiz stats"},
	{[]string{"review"}, nil, "review"},
	{[]string{"checkin"}, nil, "checkin"},
	// Discord sends options in the order the user filled them in.
	{[]string{"remind", "daily"}, []opt{{"days", "weekdays"}, {"time", "19:00"}, {"zone", "Europe/London"}}, "remind daily 19:00 Europe/London weekdays"},
	{[]string{"remind", "daily"}, []opt{{"time", "07:30"}, {"days", "mon,wed,fri"}}, "remind daily 07:30 mon,wed,fri"},
	{[]string{"remind", "daily"}, []opt{{"time", "21:15"}, {"zone", "Asia/Kolkata"}}, "remind daily 21:15 Asia/Kolkata"},
	{[]string{"remind", "in"}, []opt{{"delay", "45m"}}, "remind in 45m"},
	{[]string{"remind", "status"}, nil, "remind status"},
	{[]string{"remind", "off"}, nil, "remind off"},
	{[]string{"tip"}, nil, "tip"},
	{[]string{"export"}, nil, "export"},
	{[]string{"help"}, nil, "help"},
	{[]string{"help"}, []opt{{"command", "remind daily"}}, "help remind daily"},
	{[]string{"forget"}, nil, "forget"},
	{[]string{"forget"}, []opt{{"confirm", true}}, "forget confirm"},
}

// TestCommandCasesCoverSpec keeps commandCases complete: a command added to
// the spec must be tried through Discord too.
func TestCommandCasesCoverSpec(t *testing.T) {
	h := bottest.New(t)
	covered := map[string]bool{}
	for _, c := range commandCases {
		covered[strings.Join(c.words, " ")] = true
	}
	var walk func(cmds []*bot.Command)
	walk = func(cmds []*bot.Command) {
		for _, c := range cmds {
			switch {
			case c.Hidden:
			case len(c.Subs) > 0:
				walk(c.Subs)
			case !covered[c.Path()]:
				t.Errorf("no case in commandCases for %q", c.Path())
			}
		}
	}
	walk(h.Spec().Commands)
}

// variants is each case as Discord users can give it: as its own slash
// command where the spec has one, and always below /coach.
type variant struct {
	name  string
	words []string // as sent: the top-level command first
	c     commandCase
}

func variants(t *testing.T) []variant {
	spec := bottest.New(t).Spec()
	var vs []variant
	for _, c := range commandCases {
		name := strings.Join(c.words, " ")
		for _, o := range c.opts {
			name += fmt.Sprintf(" %s:%v", o.name, o.value)
		}
		if spec.Find(c.words[0]).Slash {
			vs = append(vs, variant{"/" + name, c.words, c})
		}
		vs = append(vs, variant{"/coach " + name, append([]string{discord.Umbrella}, c.words...), c})
	}
	return vs
}

// TestCommands sends every command through both modes and checks that the
// answer is what the bot says to the command line it stands for, rendered
// as an ephemeral message. A reference bot hears the same lines in the same
// order, so replies that depend on earlier ones (progress, tips) match.
func TestCommands(t *testing.T) {
	for _, mode := range []string{discord.ModeHTTP, discord.ModeGateway} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, withMode(mode))
			if mode == discord.ModeGateway {
				e.runGateway(t)
			}
			ref := bottest.New(t)
			for n, v := range variants(t) {
				t.Run(v.name, func(t *testing.T) {
					file, user := "interaction-command-guild.json", guildUser
					if n%3 == 2 {
						file, user = "interaction-command-dm.json", dmUser
					}
					body := payload(t, file, fmt.Sprintf("1276%015d", n), commandData(v.words, v.c.opts...))
					got := e.answer(t, body)
					reply := ref.SayAs(bot.DiscordUser(user), v.c.line)
					if reply.Title == "Hmm, not quite" || reply.Title == "Something went wrong" {
						t.Fatalf("the reference bot did not accept %q: %s", v.c.line, reply.Text)
					}
					if diff := cmp.Diff(asJSON(t, wantResponse(reply)), got.JSON); diff != "" {
						t.Errorf("answer differs from the bot's reply to %q (-want +got):\n%s", v.c.line, diff)
					}
					if got.Data == nil || got.Data.Flags != discordgo.MessageFlagsEphemeral {
						t.Errorf("answer is not ephemeral")
					}
				})
			}
		})
	}
}

// TestUnknownCommand: a command registered once but gone from the spec is
// answered with the bot's own help, not dropped.
func TestUnknownCommand(t *testing.T) {
	e := newEnv(t)
	got := e.postOK(t, payload(t, "interaction-command-guild.json", "1277000000000000001", commandData([]string{"coach", "horoscope"})))
	want := wantResponse(bottest.New(t).SayAs(bot.DiscordUser(guildUser), "horoscope"))
	if diff := cmp.Diff(asJSON(t, want), got.JSON); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestComponents presses buttons: the command line in custom_id runs as the
// presser; the message is updated when it is the presser's own (a DM, an
// ephemeral answer) and answered privately when everyone sees it.
func TestComponents(t *testing.T) {
	public := func(m map[string]any) { m["message"].(map[string]any)["flags"] = 0 }
	tests := []struct {
		name     string
		file     string
		set      []func(map[string]any)
		customID string
		user     string
		update   bool
	}{
		{"reminder DM: done for today", "interaction-component-dm.json", nil, "checkin", dmUser, true},
		{"reminder DM: snooze", "interaction-component-dm.json", nil, "remind snooze 1h", dmUser, true},
		{"reminder DM: stop", "interaction-component-dm.json", nil, "remind off", dmUser, true},
		{"ephemeral answer: mark done", "interaction-component-guild.json", nil, "roadmap done 1", guildUser, true},
		{"ephemeral answer: all steps", "interaction-component-guild.json", nil, "roadmap", guildUser, true},
		{"public message: answered privately", "interaction-component-guild.json", []func(map[string]any){public}, "roadmap done 1", guildUser, false},
		// A quiz question is the asker's own (ephemeral): the answer
		// replaces it, so its buttons go. A second press of the same
		// showing (a replay) is answered but not rated again.
		{"ephemeral quiz: answer", "interaction-component-quiz.json", nil, "quiz answer languages/tooling/1 1 0", guildUser, true},
		{"ephemeral quiz: the same showing again", "interaction-component-quiz.json", nil, "quiz answer languages/tooling/1 1 0", guildUser, true},
		{"public quiz message: answered privately", "interaction-component-quiz.json", []func(map[string]any){public}, "quiz answer languages/tooling/1 2 0", guildUser, false},
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
					data := map[string]any{"component_type": 2, "custom_id": tt.customID, "id": 2}
					body := payload(t, tt.file, fmt.Sprintf("1278%015d", n), data, tt.set...)
					got := e.answer(t, body)
					reply := ref.SayAs(bot.DiscordUser(tt.user), tt.customID)
					want := wantResponse(reply)
					if tt.update {
						want = wantUpdate(reply)
					}
					if diff := cmp.Diff(asJSON(t, want), got.JSON); diff != "" {
						t.Errorf("(-want +got):\n%s", diff)
					}
				})
			}
		})
	}
}

// TestSelectMenu ticks topics in a step's select menu (the payload Discord
// sends for a string select: component_type 3 and the chosen values): the
// menu's command runs with the values appended, as the user who chose, and
// the DM it is on is updated; nothing chosen runs nothing.
func TestSelectMenu(t *testing.T) {
	for _, mode := range []string{discord.ModeHTTP, discord.ModeGateway} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, withMode(mode))
			if mode == discord.ModeGateway {
				e.runGateway(t)
			}
			got := e.answer(t, payload(t, "interaction-select-dm.json", "1279000000000000001", nil))
			ref := bottest.New(t)
			want := wantUpdate(ref.SayAs(bot.DiscordUser(dmUser), "roadmap done 2.1 2.4"))
			if diff := cmp.Diff(asJSON(t, want), got.JSON); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			u, _ := e.h.Store.User(context.Background(), bot.DiscordUser(dmUser))
			if len(u.Topics) != 2 {
				t.Errorf("topics marked: %v, want 2.1 and 2.4", u.Topics)
			}
			none := map[string]any{"component_type": 3, "custom_id": "roadmap done", "id": 5, "values": []any{}}
			got = e.answer(t, payload(t, "interaction-select-dm.json", "1279000000000000002", none))
			if !strings.Contains(fmt.Sprint(got.JSON), "I can only answer my commands and buttons") {
				t.Errorf("nothing chosen: %s", got.JSON)
			}
		})
	}
}

// TestAutocomplete: steps, skills, zones and choices are suggested from
// what was typed, at most 25.
func TestAutocomplete(t *testing.T) {
	focused := func(name, typed string) map[string]any {
		return map[string]any{"name": name, "type": 3, "value": typed, "focused": true}
	}
	data := func(words []string, options ...any) map[string]any {
		d := commandData(words)
		leaf := d
		for leaf["options"] != nil {
			leaf = leaf["options"].([]any)[0].(map[string]any)
		}
		leaf["options"] = options
		return d
	}
	tests := []struct {
		name string
		data map[string]any
		want []string // "name=value"
	}{
		{"step by title", data([]string{"roadmap", "step"}, focused("step", "data")), []string{"2. Databases=databases"}},
		{"step by number", data([]string{"roadmap", "done"}, focused("step", "7")), []string{"7. Version Control (Git)=version-control"}},
		{"step by id, umbrella", data([]string{"coach", "roadmap", "undo"}, focused("step", "SEC")), []string{"6. Security=security"}},
		{"step, nothing typed", data([]string{"roadmap", "step"}, focused("step", "")), []string{
			"1. Programming Languages=languages", "2. Databases=databases", "3. Backend Frameworks=frameworks", "4. APIs=apis",
			"5. Web Servers and Hosting=servers", "6. Security=security", "7. Version Control (Git)=version-control", "8. Real-World Projects=projects"}},
		{"step, no match", data([]string{"roadmap", "step"}, focused("step", "cooking")), []string{}},
		{"skill by alias", data([]string{"skills"}, focused("skill", "git")), []string{"Version Control (Git)=version-control"}},
		{"zone by city", data([]string{"remind", "daily"}, map[string]any{"name": "time", "type": 3, "value": "19:00"}, focused("zone", "kolk")),
			[]string{"Asia/Kolkata=Asia/Kolkata"}},
		{"zone with a space for the underscore", data([]string{"coach", "remind", "daily"}, focused("zone", "new york")), []string{"America/New_York=America/New_York"}},
		{"zone, a region: at most 25", data([]string{"remind", "daily"}, focused("zone", "europe/")), nil},
		{"zone UTC", data([]string{"remind", "daily"}, focused("zone", "utc")), []string{"UTC=UTC"}},
		{"unknown command", data([]string{"coach", "horoscope"}, focused("sign", "leo")), []string{}},
	}
	for _, mode := range []string{discord.ModeHTTP, discord.ModeGateway} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, withMode(mode))
			if mode == discord.ModeGateway {
				e.runGateway(t)
			}
			for n, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					body := payload(t, "interaction-autocomplete.json", fmt.Sprintf("1279%015d", n), tt.data)
					got := e.answer(t, body)
					if got.Type != discordgo.InteractionApplicationCommandAutocompleteResult || got.Data == nil {
						t.Fatalf("response %+v, want type 8 with choices", got)
					}
					names := []string{}
					for _, c := range got.Data.Choices {
						names = append(names, fmt.Sprintf("%s=%v", c.Name, c.Value))
					}
					if tt.want == nil {
						if len(names) != 25 {
							t.Errorf("%d choices, want 25: %v", len(names), names)
						}
						return
					}
					if diff := cmp.Diff(tt.want, names); diff != "" {
						t.Errorf("choices (-want +got):\n%s", diff)
					}
				})
			}
			if n := e.commands.Load(); n != 0 {
				t.Errorf("autocomplete ran %d commands, want none", n)
			}
		})
	}
}

// TestPing: Discord's endpoint check is answered with a PONG.
func TestPing(t *testing.T) {
	e := newEnv(t)
	got := e.postOK(t, payload(t, "interaction-ping.json", "1275511111111111111", nil))
	if got.Type != discordgo.InteractionResponsePong || got.Data != nil {
		t.Errorf("got %+v, want a bare PONG (type 1)", got)
	}
	// Pings touch nothing, so the same one may come again.
	if got := e.postOK(t, payload(t, "interaction-ping.json", "1275511111111111111", nil)); got.Type != discordgo.InteractionResponsePong {
		t.Errorf("second ping: %+v", got)
	}
}

// TestRegister mounts the endpoint in HTTP mode only.
func TestRegister(t *testing.T) {
	for _, tt := range []struct {
		mode string
		want int
	}{{discord.ModeHTTP, http.StatusOK}, {discord.ModeGateway, http.StatusNotFound}} {
		t.Run(tt.mode, func(t *testing.T) {
			e := newEnv(t, withMode(tt.mode))
			mux := http.NewServeMux()
			e.a.Register(mux)
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, signed(payload(t, "interaction-ping.json", "1275511111111111112", nil), e.h.Clock.Now()))
			if w.Code != tt.want {
				t.Errorf("status %d, want %d", w.Code, tt.want)
			}
		})
	}
}

// TestCachedAnswers: an answer that is the same for everyone is made once
// per kind of response (a new message, an update of the pressed message)
// and sent from the cache after that, identical to a fresh one.
func TestCachedAnswers(t *testing.T) {
	for _, mode := range []string{discord.ModeHTTP, discord.ModeGateway} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, withMode(mode))
			if mode == discord.ModeGateway {
				e.runGateway(t)
			}
			reply := bottest.New(t).SayAs(bot.DiscordUser(guildUser), "salary mid")
			salary := commandData([]string{"salary"}, opt{name: "level", value: "mid"})
			press := map[string]any{"component_type": 2, "custom_id": "salary mid", "id": 2}
			for n, step := range []struct {
				name string
				body []byte
				want discordgo.InteractionResponse
			}{
				{"command", payload(t, "interaction-command-guild.json", "1279000000000000001", salary), wantResponse(reply)},
				{"command again", payload(t, "interaction-command-guild.json", "1279000000000000002", salary), wantResponse(reply)},
				{"button on own message", payload(t, "interaction-component-guild.json", "1279000000000000003", press), wantUpdate(reply)},
				{"button again", payload(t, "interaction-component-guild.json", "1279000000000000004", press), wantUpdate(reply)},
				{"command after the button", payload(t, "interaction-command-dm.json", "1279000000000000005", salary), wantResponse(reply)},
			} {
				got := e.answer(t, step.body)
				if diff := cmp.Diff(asJSON(t, step.want), got.JSON); diff != "" {
					t.Errorf("step %d, %s (-want +got):\n%s", n+1, step.name, diff)
				}
			}
		})
	}
}
