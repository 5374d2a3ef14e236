package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/google/go-cmp/cmp"
)

func newTestDiscordGen(t *testing.T, lines ...string) *discordGen {
	t.Helper()
	g, err := newDiscordGen(ed25519.NewKeyFromSeed(testSeed), "", lines, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestDiscordSignature: the signature is Ed25519 over timestamp + body
// with the key, as Discord signs; it verifies with the public half only.
func TestDiscordSignature(t *testing.T) {
	g := newTestDiscordGen(t, "salary mid")
	now := time.Now()
	body, h := g.newBuilder().build(1, 2, 0, now)
	ts := h.Get("X-Signature-Timestamp")
	if ts != strconv.FormatInt(now.Unix(), 10) {
		t.Errorf("X-Signature-Timestamp %q, want the time of signing in unix seconds", ts)
	}
	sig, err := hex.DecodeString(h.Get("X-Signature-Ed25519"))
	if err != nil {
		t.Fatal(err)
	}
	pub := ed25519.NewKeyFromSeed(testSeed).Public().(ed25519.PublicKey)
	other := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey)
	tests := []struct {
		name string
		key  ed25519.PublicKey
		msg  string
		want bool
	}{
		{"timestamp + body", pub, ts + string(body), true},
		{"body alone", pub, string(body), false},
		{"another key", other, ts + string(body), false},
		{"another timestamp", pub, strconv.FormatInt(now.Unix()+1, 10) + string(body), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ed25519.Verify(tt.key, []byte(tt.msg), sig); got != tt.want {
				t.Errorf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
	if ct := h.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
}

// option is a discordgo option as plain values, to compare.
type option struct {
	Name    string
	Type    discordgo.ApplicationCommandOptionType
	Value   any
	Options []option
}

func plain(opts []*discordgo.ApplicationCommandInteractionDataOption) []option {
	var out []option
	for _, o := range opts {
		out = append(out, option{o.Name, o.Type, o.Value, plain(o.Options)})
	}
	return out
}

// TestDiscordPayload: discordgo, which coachbot's Discord adapter is built
// on, reads each request as the application command interaction Discord
// would send for the command line: type 2, /coach with the subcommand
// (group) and typed options, a fresh id, the pool's user in a server or in
// a DM, the application id and an interaction token.
func TestDiscordPayload(t *testing.T) {
	sub := discordgo.ApplicationCommandOptionSubCommand
	group := discordgo.ApplicationCommandOptionSubCommandGroup
	str := discordgo.ApplicationCommandOptionString
	tests := []struct {
		line string
		user uint64 // dmEvery-1 talks in a DM
		want []option
	}{
		{"salary mid", 0, []option{{"salary", sub, nil, []option{{"level", str, "mid", nil}}}}},
		{"salary", 1, []option{{"salary", sub, nil, nil}}},
		{"roadmap next", 2, []option{{"roadmap", group, nil, []option{{"next", sub, nil, nil}}}}},
		{"roadmap", 3, []option{{"roadmap", group, nil, []option{{"overview", sub, nil, nil}}}}},
		{"/coach roadmap done 3", 4, []option{{"roadmap", group, nil, []option{{"done", sub, nil, []option{{"step", str, "3", nil}}}}}}},
		{"roadmap reset confirm", 5, []option{{"roadmap", group, nil, []option{{"reset", sub, nil, []option{{"confirm", discordgo.ApplicationCommandOptionBoolean, true, nil}}}}}}},
		{"progress", 6, []option{{"progress", sub, nil, nil}}},
		{"skills", 7, []option{{"skills", sub, nil, nil}}},
		{"skills security", 8, []option{{"skills", sub, nil, []option{{"skill", str, "security", nil}}}}},
		{"tip", 11, []option{{"tip", sub, nil, nil}}},
		{"remind daily 07:30 Asia/Kolkata weekdays", 12, []option{{"remind", group, nil, []option{{"daily", sub, nil,
			[]option{{"time", str, "07:30", nil}, {"zone", str, "Asia/Kolkata", nil}, {"days", str, "weekdays", nil}}}}}}},
		{"remind daily 19:00 mon,wed,fri", 13, []option{{"remind", group, nil, []option{{"daily", sub, nil,
			[]option{{"time", str, "19:00", nil}, {"days", str, "mon,wed,fri", nil}}}}}}},
		{"remind", 14, []option{{"remind", group, nil, []option{{"status", sub, nil, nil}}}}},
		{"help remind", 15, []option{{"help", sub, nil, []option{{"command", str, "remind", nil}}}}},
	}
	lines := make([]string, len(tests))
	for i, tt := range tests {
		lines[i] = tt.line
	}
	g := newTestDiscordGen(t, lines...)
	b := g.newBuilder()
	for i, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			seq := uint64(100 + i)
			body, _ := b.build(seq, tt.user, i, time.Now())
			var ic discordgo.InteractionCreate
			if err := json.Unmarshal(body, &ic); err != nil {
				t.Fatalf("%v\n%s", err, body)
			}
			if ic.Type != discordgo.InteractionApplicationCommand {
				t.Fatalf("type %v, want an application command", ic.Type)
			}
			if want := strconv.FormatUint(g.base+seq, 10); ic.ID != want {
				t.Errorf("id %q, want %q", ic.ID, want)
			}
			if ic.AppID != DefaultDiscordAppID {
				t.Errorf("application_id %q", ic.AppID)
			}
			tok, err := base64.RawURLEncoding.DecodeString(ic.Token)
			if err != nil || string(tok) != "interaction:"+ic.ID+":coachload" {
				t.Errorf("token %q (%q, %v), want base64url of interaction:<id>:…", ic.Token, tok, err)
			}
			wantUser := strconv.FormatUint(discordUserID(tt.user), 10)
			if tt.user%dmEvery == dmEvery-1 {
				if ic.Member != nil || ic.User == nil || ic.User.ID != wantUser || ic.GuildID != "" {
					t.Errorf("a DM from %s: member %v, user %v, guild %q", wantUser, ic.Member, ic.User, ic.GuildID)
				}
			} else if ic.User != nil || ic.Member == nil || ic.Member.User == nil || ic.Member.User.ID != wantUser || ic.GuildID != discordGuildID {
				t.Errorf("a server message from %s: member %v, user %v, guild %q", wantUser, ic.Member, ic.User, ic.GuildID)
			}
			data := ic.ApplicationCommandData()
			if data.Name != "coach" || data.CommandType != discordgo.ChatApplicationCommand {
				t.Errorf("command %q of type %v, want coach, a chat command", data.Name, data.CommandType)
			}
			if d := cmp.Diff(tt.want, plain(data.Options)); d != "" {
				t.Errorf("options differ (-want +got):\n%s", d)
			}
		})
	}
}

func TestDiscordOptionsRefused(t *testing.T) {
	tests := []struct{ line, want string }{
		{"", "empty"},
		{"coach", "empty"},
		{"salaries mid", "no subcommand \"salaries\""},
		{"roadmap later", "no subcommand \"later\""},
		{"salary mid senior", "too many words"},
		{"forget now", "not confirm"},
		{"progress please", "too many words"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			_, err := discordOptions(tt.line)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("discordOptions(%q) = %v, want an error saying %s", tt.line, err, tt.want)
			}
		})
	}
}

// goldenCommand is an entry of adapters/discord/testdata/commands.golden.json:
// the commands coachbot registers with Discord.
type goldenCommand struct {
	Name    string         `json:"name"`
	Type    int            `json:"type"`
	Options []goldenOption `json:"options"`
}

type goldenOption struct {
	Name     string         `json:"name"`
	Type     int            `json:"type"`
	Required bool           `json:"required"`
	Options  []goldenOption `json:"options"`
	Choices  []struct {
		Value any `json:"value"`
	} `json:"choices"`
}

// TestDiscordTreeMatchesCoachbot holds discordTree to the commands
// coachbot registers (its Discord adapter's golden file), so that the two
// cannot drift apart: the same subcommands, groups and option names and
// types, the same default-less leaves.
func TestDiscordTreeMatchesCoachbot(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "adapters", "discord", "testdata", "commands.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cmds []goldenCommand
	if err := json.Unmarshal(raw, &cmds); err != nil {
		t.Fatal(err)
	}
	var coach *goldenCommand
	for i := range cmds {
		if cmds[i].Name == discordUmbrella {
			coach = &cmds[i]
		}
	}
	if coach == nil {
		t.Fatal("coachbot registers no /coach")
	}
	type leaf struct {
		Name string
		Type int
	}
	leaves := func(args []discordArg) []leaf {
		var out []leaf
		for _, a := range args {
			typ := optString
			if a.kind == argConfirm {
				typ = optBoolean
			}
			out = append(out, leaf{a.name, typ})
		}
		return out
	}
	// The golden file lists required options first, as Discord demands;
	// order does not matter to coachbot, so compare as sets by name.
	goldenLeaves := func(opts []goldenOption, order []discordArg) []leaf {
		byName := map[string]leaf{}
		for _, o := range opts {
			byName[o.Name] = leaf{o.Name, o.Type}
		}
		var out []leaf
		for _, a := range order {
			if l, ok := byName[a.name]; ok {
				out = append(out, l)
				delete(byName, a.name)
			}
		}
		for _, o := range opts {
			if l, ok := byName[o.Name]; ok {
				out = append(out, l)
			}
		}
		return out
	}
	seen := map[string]bool{}
	for _, o := range coach.Options {
		seen[o.Name] = true
		t.Run(o.Name, func(t *testing.T) {
			c, ok := discordTree[o.Name]
			if !ok {
				t.Fatalf("coachbot registers /coach %s; discordTree lacks it", o.Name)
			}
			switch o.Type {
			case optSubCommand:
				if c.subs != nil {
					t.Fatalf("/coach %s is a subcommand; discordTree has it as a group", o.Name)
				}
				if d := cmp.Diff(goldenLeaves(o.Options, c.args), leaves(c.args)); d != "" {
					t.Errorf("options differ (-coachbot +discordTree):\n%s", d)
				}
			case optSubCommandGroup:
				if c.subs == nil {
					t.Fatalf("/coach %s is a group; discordTree has it as a subcommand", o.Name)
				}
				if _, ok := c.subs[c.def]; !ok {
					t.Errorf("the default %q is not a subcommand", c.def)
				}
				var names []string
				for _, s := range o.Options {
					names = append(names, s.Name)
					if d := cmp.Diff(goldenLeaves(s.Options, c.subs[s.Name]), leaves(c.subs[s.Name])); d != "" {
						t.Errorf("%s: options differ (-coachbot +discordTree):\n%s", s.Name, d)
					}
				}
				for name := range c.subs {
					if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+name+" ") {
						t.Errorf("discordTree has /coach %s %s; coachbot does not register it", o.Name, name)
					}
				}
			default:
				t.Errorf("/coach %s has option type %d", o.Name, o.Type)
			}
		})
	}
	for name := range discordTree {
		if !seen[name] {
			t.Errorf("discordTree has /coach %s; coachbot does not register it", name)
		}
	}
	// And the default mix is made of lines the tree understands.
	for _, line := range splitCommands(DefaultCommands) {
		if _, err := discordOptions(line); err != nil {
			t.Errorf("the default mix: %v", err)
		}
	}
}

// TestInteractionIDs: every request has a new id, and a generator made
// later starts above every id of an earlier one, so that coachbot (which
// refuses a repeated id for 15 minutes) never sees one twice across runs.
func TestInteractionIDs(t *testing.T) {
	now := time.Now()
	key := ed25519.NewKeyFromSeed(testSeed)
	g1, err := newDiscordGen(key, "", []string{"tip"}, now)
	if err != nil {
		t.Fatal(err)
	}
	g2, err := newDiscordGen(key, "", []string{"tip"}, now.Add(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	id := func(g *discordGen, seq uint64) string {
		body, _ := g.newBuilder().build(seq, 0, 0, now)
		var p struct{ ID string }
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	seen := map[string]bool{}
	for seq := range uint64(50) {
		s := id(g1, seq)
		if seen[s] {
			t.Fatalf("id %s twice", s)
		}
		seen[s] = true
	}
	last, _ := strconv.ParseUint(id(g1, 1<<22-1), 10, 64) // four million requests into the first run
	first, _ := strconv.ParseUint(id(g2, 0), 10, 64)
	if first <= last {
		t.Errorf("a run a millisecond later starts at id %d, at or below the earlier run's %d", first, last)
	}
	if ts := int64(first>>22) + discordEpoch; ts != now.Add(time.Millisecond).UnixMilli() {
		t.Errorf("id %d holds the time %d, want %d", first, ts, now.Add(time.Millisecond).UnixMilli())
	}
}

func TestDiscordCheck(t *testing.T) {
	g := newTestDiscordGen(t, "tip")
	tests := []struct {
		body             string
		ok, wantDeferred bool
	}{
		{`{"type":4,"data":{"content":"ok"}}`, true, false},
		{`{"type":5,"data":{"flags":64}}`, true, true},
		{`{"type":1}`, false, false},
		{"--b0\r\nContent-Disposition: form-data; name=\"payload_json\"\r\nContent-Type: application/json\r\n\r\n{\"type\":4,\"data\":{}}\r\n--b0\r\nContent-Disposition: form-data; name=\"files[0]\"; filename=\"progress.png\"\r\n\r\n\x89PNG\r\n--b0--\r\n", true, false},
		{"--b0\r\nContent-Disposition: form-data; name=\"files[0]\"\r\n\r\n{\"type\":4}", false, false},
		{`repeated interaction`, false, false},
		{``, false, false},
	}
	for _, tt := range tests {
		ok, deferred := g.check([]byte(tt.body))
		if ok != tt.ok || deferred != tt.wantDeferred {
			t.Errorf("check(%q) = %v, %v; want %v, %v", tt.body, ok, deferred, tt.ok, tt.wantDeferred)
		}
	}
}
