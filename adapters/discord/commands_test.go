package discord_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
	"github.com/google/go-cmp/cmp"

	"github.com/coachbot/coachbot/adapters/discord"
	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

// TestSyncCommands: one bulk overwrite, to the global path or the guild's.
// The global body is the golden command set, each command offered for
// both installations (integration_types [0, 1]: server and user account)
// in every context (contexts [0, 1, 2]: server, the bot's DM, other DMs).
// The guild body is the same commands without those two fields, which
// Discord reads on global commands only.
func TestSyncCommands(t *testing.T) {
	tests := []struct {
		name, guild, path string
	}{
		{"global", "", "PUT /api/v10/applications/" + testAppID + "/commands"},
		{"guild", "1187426035688247377", "PUT /api/v10/applications/" + testAppID + "/guilds/1187426035688247377/commands"},
	}
	bodies := map[string][]map[string]any{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *discord.Config) { c.GuildID = tt.guild })
			if err := e.a.SyncCommands(context.Background()); err != nil {
				t.Fatal(err)
			}
			calls := e.fake.Calls()
			if len(calls) != 1 || calls[0].String() != tt.path {
				t.Fatalf("calls %v, want one %s", calls, tt.path)
			}
			if ct := calls[0].Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			var cmds []map[string]any
			if err := json.Unmarshal(calls[0].Body, &cmds); err != nil {
				t.Fatal(err)
			}
			bodies[tt.name] = cmds
			if tt.guild == "" {
				golden(t, "commands.golden.json", calls[0].Body)
			}
			for _, c := range cmds {
				types, contexts := c["integration_types"], c["contexts"]
				if tt.guild != "" {
					if types != nil || contexts != nil {
						t.Errorf("guild command %v has integration_types %v, contexts %v", c["name"], types, contexts)
					}
					continue
				}
				if !cmp.Equal(types, []any{0.0, 1.0}) || !cmp.Equal(contexts, []any{0.0, 1.0, 2.0}) {
					t.Errorf("command %v: integration_types %v, contexts %v; want [0 1] and [0 1 2]", c["name"], types, contexts)
				}
			}
		})
	}
	for _, c := range bodies["global"] {
		delete(c, "integration_types")
		delete(c, "contexts")
	}
	if diff := cmp.Diff(bodies["global"], bodies["guild"]); diff != "" {
		t.Errorf("the guild overwrite differs from the global one beyond the installation fields (-global +guild):\n%s", diff)
	}
}

// TestSyncCommandsError: a refusal from Discord is returned, not waited out.
func TestSyncCommandsError(t *testing.T) {
	e := newEnv(t, func(c *discord.Config) { c.Token = "wrong" })
	err := e.a.SyncCommands(context.Background())
	var rest *discordgo.RESTError
	if err == nil || !errors.As(err, &rest) || rest.Response.StatusCode != 401 {
		t.Fatalf("err = %v, want the 401 from Discord", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("the error quotes the token: %v", err)
	}
}

var nameRE = regexp.MustCompile(`^[-_\p{Ll}\p{N}]{1,32}$`)

// TestCommandsShape checks the command set against Discord's rules, which
// the API would otherwise enforce by refusing the whole overwrite.
func TestCommandsShape(t *testing.T) {
	h := bottest.New(t)
	cmds := discord.Commands(h.Spec())

	var top []string
	for _, c := range cmds {
		top = append(top, c.Name)
	}
	if want := []string{"coach", "roadmap", "skills", "salary", "career", "quiz", "progress", "remind"}; !cmp.Equal(want, top) {
		t.Errorf("top-level commands %v, want %v", top, want)
	}

	for _, c := range cmds {
		t.Run(c.Name, func(t *testing.T) {
			if c.Type != discordgo.ChatApplicationCommand {
				t.Errorf("type %d, want a slash command", c.Type)
			}
			size := checkText(t, c.Name, c.Name, c.Description)
			size += checkOptions(t, c.Name, c.Options, 0)
			// Discord caps a command's names, descriptions and choices at 8000 characters.
			if size > 8000 {
				t.Errorf("%d characters in all, Discord allows 8000", size)
			}
		})
	}

	// The umbrella reaches every visible command; the defaults exist as subcommands.
	coach := cmds[0]
	for _, c := range h.Spec().Commands {
		if c.Hidden {
			continue
		}
		i := slices.IndexFunc(coach.Options, func(o *discordgo.ApplicationCommandOption) bool { return o.Name == c.Name })
		if i < 0 {
			t.Errorf("/coach has no %s", c.Name)
			continue
		}
		o := coach.Options[i]
		if len(c.Subs) > 0 {
			if o.Type != discordgo.ApplicationCommandOptionSubCommandGroup {
				t.Errorf("/coach %s is type %d, want a subcommand group", c.Name, o.Type)
			}
			if c.Default != "" && !slices.ContainsFunc(o.Options, func(s *discordgo.ApplicationCommandOption) bool { return s.Name == c.Default }) {
				t.Errorf("/coach %s has no subcommand %s (its default)", c.Name, c.Default)
			}
		} else if o.Type != discordgo.ApplicationCommandOptionSubCommand {
			t.Errorf("/coach %s is type %d, want a subcommand", c.Name, o.Type)
		}
	}
}

// checkText checks a name and a description and returns their length.
func checkText(t *testing.T, where, name, desc string) int {
	t.Helper()
	if !nameRE.MatchString(name) {
		t.Errorf("%s: name %q is not a valid Discord name", where, name)
	}
	if n := utf8.RuneCountInString(desc); n < 1 || n > 100 {
		t.Errorf("%s: description of %d characters, want 1-100: %q", where, n, desc)
	}
	return utf8.RuneCountInString(name) + utf8.RuneCountInString(desc)
}

func checkOptions(t *testing.T, where string, opts []*discordgo.ApplicationCommandOption, depth int) int {
	t.Helper()
	if len(opts) > 25 {
		t.Errorf("%s: %d options, Discord allows 25", where, len(opts))
	}
	size := 0
	optional := false
	for _, o := range opts {
		w := where + " " + o.Name
		size += checkText(t, w, o.Name, o.Description)
		switch o.Type {
		case discordgo.ApplicationCommandOptionSubCommandGroup, discordgo.ApplicationCommandOptionSubCommand:
			if depth >= 2 || (o.Type == discordgo.ApplicationCommandOptionSubCommandGroup && depth > 0) {
				t.Errorf("%s: nested too deep for Discord", w)
			}
			size += checkOptions(t, w, o.Options, depth+1)
			continue
		}
		if o.Autocomplete && len(o.Choices) > 0 {
			t.Errorf("%s: both choices and autocomplete", w)
		}
		if len(o.Choices) > 25 {
			t.Errorf("%s: %d choices", w, len(o.Choices))
		}
		for _, c := range o.Choices {
			v, _ := c.Value.(string)
			if c.Name == "" || utf8.RuneCountInString(c.Name) > 100 || v == "" || len(v) > 100 {
				t.Errorf("%s: bad choice %+v", w, c)
			}
			size += utf8.RuneCountInString(c.Name) + len(v)
		}
		if o.Required && optional {
			t.Errorf("%s: required after an optional option", w)
		}
		optional = optional || !o.Required
	}
	return size
}

// TestOptionTypes pins how argument kinds become option types.
func TestOptionTypes(t *testing.T) {
	cmds := discord.Commands(bottest.New(t).Spec())
	find := func(path ...string) *discordgo.ApplicationCommandOption {
		for _, c := range cmds {
			if c.Name != path[0] {
				continue
			}
			opts := c.Options
			var o *discordgo.ApplicationCommandOption
			for _, name := range path[1:] {
				i := slices.IndexFunc(opts, func(o *discordgo.ApplicationCommandOption) bool { return o.Name == name })
				if i < 0 {
					t.Fatalf("no option %v", path)
				}
				o, opts = opts[i], opts[i].Options
			}
			return o
		}
		t.Fatalf("no command %v", path)
		return nil
	}
	type shape struct {
		Type         discordgo.ApplicationCommandOptionType
		Required     bool
		Autocomplete bool
		Choices      []string
	}
	get := func(o *discordgo.ApplicationCommandOption) shape {
		s := shape{Type: o.Type, Required: o.Required, Autocomplete: o.Autocomplete}
		for _, c := range o.Choices {
			s.Choices = append(s.Choices, c.Name+"="+c.Value.(string))
		}
		return s
	}
	str, boolean := discordgo.ApplicationCommandOptionString, discordgo.ApplicationCommandOptionBoolean
	tests := []struct {
		path []string
		want shape
	}{
		{[]string{"roadmap", "step", "step"}, shape{Type: str, Required: true, Autocomplete: true}},
		{[]string{"coach", "roadmap", "done", "step"}, shape{Type: str, Required: true, Autocomplete: true}},
		{[]string{"roadmap", "reset", "confirm"}, shape{Type: boolean}},
		{[]string{"coach", "forget", "confirm"}, shape{Type: boolean}},
		{[]string{"skills", "skill"}, shape{Type: str, Autocomplete: true}},
		// career and salary offer the same levels (issue 12).
		{[]string{"salary", "level"}, shape{Type: str, Choices: []string{
			"Junior Developer=junior", "Mid-Level Developer=mid", "Senior Developer=senior",
			"Lead / Principal=lead", "Backend Architect=architect"}}},
		{[]string{"career", "level"}, shape{Type: str, Choices: []string{
			"Junior Developer=junior", "Mid-Level Developer=mid", "Senior Developer=senior",
			"Lead / Principal=lead", "Backend Architect=architect"}}},
		{[]string{"remind", "daily", "time"}, shape{Type: str, Required: true}},
		{[]string{"remind", "daily", "zone"}, shape{Type: str, Autocomplete: true}},
		{[]string{"remind", "daily", "days"}, shape{Type: str}},
		{[]string{"remind", "in", "delay"}, shape{Type: str, Required: true}},
		{[]string{"coach", "help", "command"}, shape{Type: str}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.path, " "), func(t *testing.T) {
			if diff := cmp.Diff(tt.want, get(find(tt.path...))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// A boolean confirm says what True does (issue 12): "Type confirm"
	// made no sense for a True/False option.
	for _, path := range [][]string{{"roadmap", "reset", "confirm"}, {"coach", "forget", "confirm"}} {
		if d := find(path...).Description; !strings.Contains(d, "True") || strings.Contains(d, "Type confirm") {
			t.Errorf("%v description %q: want it to say what True does", path, d)
		}
	}
	// Hidden commands (a button's plumbing) are not offered.
	for _, c := range cmds {
		if c.Name == "remind" && slices.ContainsFunc(c.Options, func(o *discordgo.ApplicationCommandOption) bool { return o.Name == "snooze" }) {
			t.Error("/remind offers the hidden snooze")
		}
	}
}

// TestZoneSuggestionsLoad: every zone offered is one the parser accepts.
func TestZoneSuggestionsLoad(t *testing.T) {
	zones := discord.Zones()
	if len(zones) < 400 {
		t.Errorf("only %d zones", len(zones))
	}
	for _, z := range zones {
		if _, err := bot.LoadZone(z); err != nil {
			t.Errorf("zone %q is offered but does not load: %v", z, err)
		}
	}
	if !slices.IsSorted(zones) {
		t.Error("zones are not sorted")
	}
}

// TestNewConfig: a configuration that cannot work is refused at start-up.
func TestNewConfig(t *testing.T) {
	h := bottest.New(t)
	good := func() discord.Config {
		return discord.Config{Token: testToken, AppID: testAppID, Bot: h.Bot, Store: h.Store,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	}
	tests := []struct {
		name   string
		change func(*discord.Config)
		want   string // in the error; "" for no error
	}{
		{"gateway defaults", func(*discord.Config) {}, ""},
		{"http mode", func(c *discord.Config) { c.Mode = discord.ModeHTTP; c.PublicKey = hex.EncodeToString(publicKey) }, ""},
		{"sharded", func(c *discord.Config) { c.ShardID, c.ShardCount = 1, 2 }, ""},
		{"no bot", func(c *discord.Config) { c.Bot = nil }, "Bot"},
		{"no store", func(c *discord.Config) { c.Store = nil }, "Store"},
		{"no token", func(c *discord.Config) { c.Token = " " }, "Token"},
		{"no app id", func(c *discord.Config) { c.AppID = "" }, "AppID"},
		{"unknown mode", func(c *discord.Config) { c.Mode = "websocket" }, "Mode"},
		{"http mode without key", func(c *discord.Config) { c.Mode = discord.ModeHTTP }, "PublicKey"},
		{"short key", func(c *discord.Config) { c.Mode = discord.ModeHTTP; c.PublicKey = "abcd" }, "PublicKey"},
		{"shard out of range", func(c *discord.Config) { c.ShardID, c.ShardCount = 2, 2 }, "ShardID"},
		{"API URL without scheme", func(c *discord.Config) { c.APIURL = "discord.com/api/v10" }, "APIURL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good()
			tt.change(&cfg)
			_, err := discord.New(cfg)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("New: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("New: %v, want an error naming %s", err, tt.want)
			case err != nil && strings.Contains(err.Error(), testToken):
				t.Errorf("the error quotes the token: %v", err)
			}
		})
	}
}
