package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const discordPath = "/discord/interactions"

// discordEpoch is the first millisecond of 2015, where Discord's snowflake
// ids count from.
const discordEpoch = 1420070400000

// The guild, channel and command the load comes from. The shapes are
// Discord's (adapters/discord/testdata/interaction-command-*.json); the
// ids belong to nothing real.
const (
	discordGuildID   = "1187426035688247377"
	discordChannelID = "1187426036216729632"
	discordDMChannel = "1275510000000000001"
	// discordCommandID is the umbrella command's registered id. coachbot
	// goes by the command's name, so any snowflake does.
	discordCommandID = "1275506264962138174"
	// DefaultDiscordAppID is the application id the interactions carry when
	// -discord-app-id is not given; coachbot uses it only for follow-ups.
	DefaultDiscordAppID = "1187425437211394058"
)

// The payloads of an application command (type 2) for the umbrella
// command, as Discord sends them to an interactions endpoint: in a server
// (the user is member.user) and in a DM with the bot (the user is user).
// They are interaction-command-guild.json and interaction-command-dm.json
// of adapters/discord/testdata with the per-request values as {{fields}}:
// id (a fresh snowflake), token (the interaction's webhook token), app,
// user (the user's snowflake), name (their username) and data (the
// command and its options).
const (
	discordGuildTemplate = `{"app_permissions":"562949953601536","application_id":"{{app}}",` +
		`"authorizing_integration_owners":{"0":"` + discordGuildID + `"},` +
		`"channel":{"flags":0,"guild_id":"` + discordGuildID + `","id":"` + discordChannelID + `","last_message_id":"1275503434331996253",` +
		`"name":"general","nsfw":false,"parent_id":"1187426036216729630","permissions":"2251799813685247","position":0,` +
		`"rate_limit_per_user":0,"topic":null,"type":0},"channel_id":"` + discordChannelID + `","context":0,` +
		`"data":{{data}},"entitlement_sku_ids":[],"entitlements":[],` +
		`"guild":{"features":[],"id":"` + discordGuildID + `","locale":"en-US"},"guild_id":"` + discordGuildID + `","guild_locale":"en-US",` +
		`"id":"{{id}}","locale":"en-GB",` +
		`"member":{"avatar":null,"banner":null,"communication_disabled_until":null,"deaf":false,"flags":0,` +
		`"joined_at":"2023-12-20T18:58:15.482000+00:00","mute":false,"nick":null,"pending":false,` +
		`"permissions":"2251799813685247","premium_since":null,"roles":[],"unusual_dm_activity_until":null,` +
		`"user":{"avatar":null,"avatar_decoration_data":null,"clan":null,"discriminator":"0","global_name":"Load User",` +
		`"id":"{{user}}","public_flags":0,"username":"{{name}}"}},` +
		`"token":"{{token}}","type":2,"version":1}`

	discordDMTemplate = `{"app_permissions":"562949953601536","application_id":"{{app}}",` +
		`"authorizing_integration_owners":{"0":"` + discordGuildID + `"},` +
		`"channel":{"flags":0,"id":"` + discordDMChannel + `","last_message_id":"1275509998887766554",` +
		`"recipients":[{"avatar":null,"avatar_decoration_data":null,"clan":null,"discriminator":"0","global_name":"Load User",` +
		`"id":"{{user}}","public_flags":0,"username":"{{name}}"}],"type":1},` +
		`"channel_id":"` + discordDMChannel + `","context":1,` +
		`"data":{{data}},"entitlement_sku_ids":[],"entitlements":[],` +
		`"id":"{{id}}","locale":"en-US","token":"{{token}}","type":2,` +
		`"user":{"avatar":null,"avatar_decoration_data":null,"clan":null,"discriminator":"0","global_name":"Load User",` +
		`"id":"{{user}}","public_flags":0,"username":"{{name}}"},"version":1}`
)

// dmEvery: every dmEvery-th user of the pool talks to the bot in a DM, the
// others in a server, so both shapes of the user field are exercised.
const dmEvery = 4

// Discord's option types (the API's numbers).
const (
	optSubCommand      = 1
	optSubCommandGroup = 2
	optString          = 3
	optBoolean         = 5
)

// discordOption is one option of an interaction's data, as Discord sends it.
type discordOption struct {
	Name    string          `json:"name"`
	Type    int             `json:"type"`
	Value   any             `json:"value,omitempty"`
	Options []discordOption `json:"options,omitempty"`
}

// argKind says how a word of a command line becomes an option.
type argKind int

const (
	argWord    argKind = iota // one word, a string option
	argRest                   // the rest of the line, a string option
	argZone                   // a time zone: taken only when the word looks like one
	argConfirm                // the word "confirm", a boolean option set to true
)

type discordArg struct {
	name string
	kind argKind
}

// discordCommand is one command below /coach: its options, or its
// subcommands (then it is a subcommand group) with the one run when none
// is given.
type discordCommand struct {
	args []discordArg
	subs map[string][]discordArg
	def  string
}

// discordTree is the /coach command as coachbot registers it with Discord
// (adapters/discord.Commands; its testdata/commands.golden.json, which a
// test holds this table to). Only canonical names: Discord's client sends
// those, never the text grammar's aliases.
var discordTree = map[string]discordCommand{
	"roadmap": {def: "overview", subs: map[string][]discordArg{
		"overview": nil,
		"next":     nil,
		"step":     {{"step", argWord}},
		"done":     {{"step", argWord}},
		"learning": {{"topic", argWord}},
		"skip":     {{"topic", argWord}},
		"undo":     {{"step", argWord}},
		"reset":    {{"confirm", argConfirm}},
	}},
	"skills":   {args: []discordArg{{"skill", argRest}}},
	"salary":   {args: []discordArg{{"level", argWord}}},
	"career":   {args: []discordArg{{"level", argWord}}},
	"today":    {args: []discordArg{{"resource", argWord}}},
	"plan":     {args: []discordArg{{"hours", argWord}}},
	"progress": {},
	"checkin":  {args: []discordArg{{"time", argWord}, {"note", argRest}}},
	"digest":   {},
	"remind": {def: "status", subs: map[string][]discordArg{
		"daily":  {{"time", argWord}, {"zone", argZone}, {"days", argRest}},
		"weekly": {{"day", argWord}, {"time", argWord}, {"zone", argZone}},
		"in":     {{"delay", argWord}},
		"off":    {{"kind", argWord}},
		"status": nil,
	}},
	"quiz": {def: "ask", subs: map[string][]discordArg{
		"ask":   {{"step", argRest}},
		"stats": nil,
	}},
	"review": {},
	"tip":    {},
	"export": {},
	"forget": {args: []discordArg{{"confirm", argConfirm}}},
	"help":   {args: []discordArg{{"command", argRest}}},
}

// discordUmbrella is the command every line is sent as: "/coach salary
// mid" reaches every command, whichever are also registered on their own.
const discordUmbrella = "coach"

// discordOptions turns a command line of the text grammar into the options
// of /coach that Discord would send for it: "salary mid" is the
// subcommand salary with level=mid; "roadmap next" the group roadmap with
// the subcommand next.
func discordOptions(line string) ([]discordOption, error) {
	words := strings.Fields(line)
	if len(words) > 0 {
		words[0] = strings.TrimPrefix(words[0], "/")
		if words[0] == discordUmbrella {
			words = words[1:]
		}
	}
	if len(words) == 0 || words[0] == "" {
		return nil, fmt.Errorf("discord: empty command line %q", line)
	}
	name := strings.ToLower(words[0])
	cmd, ok := discordTree[name]
	if !ok {
		return nil, fmt.Errorf("discord: %q: /coach has no subcommand %q (use the command's own name, not an alias)", line, name)
	}
	rest := words[1:]
	if cmd.subs == nil {
		opts, err := argOptions(line, cmd.args, rest)
		if err != nil {
			return nil, err
		}
		return []discordOption{{Name: name, Type: optSubCommand, Options: opts}}, nil
	}
	sub := cmd.def
	if len(rest) > 0 {
		sub = strings.ToLower(rest[0])
		rest = rest[1:]
	}
	args, ok := cmd.subs[sub]
	if !ok {
		return nil, fmt.Errorf("discord: %q: /coach %s has no subcommand %q", line, name, sub)
	}
	opts, err := argOptions(line, args, rest)
	if err != nil {
		return nil, err
	}
	return []discordOption{{Name: name, Type: optSubCommandGroup, Options: []discordOption{{Name: sub, Type: optSubCommand, Options: opts}}}}, nil
}

// argOptions gives words to args in order, as typed options.
func argOptions(line string, args []discordArg, words []string) ([]discordOption, error) {
	var opts []discordOption
	i := 0
	for _, a := range args {
		if i == len(words) {
			break
		}
		switch a.kind {
		case argConfirm:
			if words[i] != "confirm" {
				return nil, fmt.Errorf("discord: %q: %q is not confirm", line, words[i])
			}
			opts = append(opts, discordOption{Name: a.name, Type: optBoolean, Value: true})
			i++
		case argZone:
			// The text grammar tells a zone from the days by its shape;
			// so does this, simply: Area/City or UTC.
			if strings.Contains(words[i], "/") || strings.EqualFold(words[i], "UTC") {
				opts = append(opts, discordOption{Name: a.name, Type: optString, Value: words[i]})
				i++
			}
		case argRest:
			opts = append(opts, discordOption{Name: a.name, Type: optString, Value: strings.Join(words[i:], " ")})
			i = len(words)
		default:
			opts = append(opts, discordOption{Name: a.name, Type: optString, Value: words[i]})
			i++
		}
	}
	if i < len(words) {
		return nil, fmt.Errorf("discord: %q: too many words (%q)", line, strings.Join(words[i:], " "))
	}
	return opts, nil
}

// discordData is an interaction's "data" for a command line.
func discordData(line string) ([]byte, error) {
	opts, err := discordOptions(line)
	if err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		ID      string          `json:"id"`
		Name    string          `json:"name"`
		Options []discordOption `json:"options"`
		Type    int             `json:"type"`
	}{discordCommandID, discordUmbrella, opts, 1})
}

// templatePart is a literal piece of a payload template, or a field.
type templatePart struct {
	lit   string
	field string // "" for a literal
}

// compileTemplate splits a payload template at its {{fields}}, once, so
// that each request is a few appends.
func compileTemplate(t string) []templatePart {
	var parts []templatePart
	for {
		i := strings.Index(t, "{{")
		if i < 0 {
			break
		}
		j := strings.Index(t[i:], "}}")
		if j < 0 {
			break
		}
		parts = append(parts, templatePart{lit: t[:i]}, templatePart{field: t[i+2 : i+j]})
		t = t[i+j+2:]
	}
	return append(parts, templatePart{lit: t})
}

// discordGen makes signed application-command interactions: POST
// /discord/interactions, signed with the application's Ed25519 key as
// Discord signs them.
type discordGen struct {
	key   ed25519.PrivateKey
	app   string
	base  uint64   // the first interaction id: a snowflake of the generator's creation
	data  [][]byte // per command line
	guild []templatePart
	dm    []templatePart
}

func newDiscordGen(key ed25519.PrivateKey, appID string, lines []string, now time.Time) (*discordGen, error) {
	if appID == "" {
		appID = DefaultDiscordAppID
	}
	g := &discordGen{
		key:   key,
		app:   appID,
		base:  snowflake(now),
		guild: compileTemplate(discordGuildTemplate),
		dm:    compileTemplate(discordDMTemplate),
	}
	for _, line := range lines {
		d, err := discordData(line)
		if err != nil {
			return nil, err
		}
		g.data = append(g.data, d)
	}
	return g, nil
}

// snowflake is the first Discord id of the millisecond t: the time in the
// top 42 bits. Ids made from it by adding a counter stay unique across
// runs, since the next run starts at a later millisecond (4 Mi ids each),
// and coachbot refuses a repeated interaction id for 15 minutes.
func snowflake(t time.Time) uint64 {
	return uint64(t.UnixMilli()-discordEpoch) << 22
}

func (g *discordGen) path() string { return discordPath }

func (g *discordGen) newBuilder() builder { return &discordBuilder{g: g} }

var (
	discordAnswer   = []byte(`{"type":4`) // CHANNEL_MESSAGE_WITH_SOURCE
	discordDeferred = []byte(`{"type":5`) // DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
)

// check: a command's answer is a 200 whose JSON is an interaction response
// of type 4 (the message) or 5 (deferred: the message follows by edit).
// Both coachbot (encoding/json of discordgo's InteractionResponse, type
// first) and the baseline write the type first.
func (g *discordGen) check(body []byte) (ok, deferred bool) {
	b := bytes.TrimLeft(body, " \t\r\n")
	switch {
	case bytes.HasPrefix(b, discordAnswer):
		return true, false
	case bytes.HasPrefix(b, discordDeferred):
		return true, true
	case bytes.HasPrefix(b, []byte("--")):
		// An answer with a picture (progress) is multipart/form-data: the
		// answer is its first part, payload_json.
		if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 && bytes.Contains(b[:i], []byte(`name="payload_json"`)) {
			return g.check(b[i+4:])
		}
	}
	return false, false
}

// discordBuilder builds one worker's requests.
type discordBuilder struct {
	g   *discordGen
	msg []byte // timestamp + body, what is signed
	tok []byte
}

// discordUserID is user u of the pool as a Discord user snowflake.
func discordUserID(u uint64) uint64 { return 800000000000000000 + u }

func (b *discordBuilder) build(seq, user uint64, line int, now time.Time) ([]byte, http.Header) {
	g := b.g
	id := g.base + seq
	tmpl := g.guild
	if user%dmEvery == dmEvery-1 {
		tmpl = g.dm
	}
	body := make([]byte, 0, 2048)
	for _, p := range tmpl {
		switch p.field {
		case "":
			body = append(body, p.lit...)
		case "app":
			body = append(body, g.app...)
		case "id":
			body = strconv.AppendUint(body, id, 10)
		case "user":
			body = strconv.AppendUint(body, discordUserID(user), 10)
		case "name":
			body = append(body, "load.user."...)
			body = strconv.AppendUint(body, user, 10)
		case "data":
			body = append(body, g.data[line]...)
		case "token":
			// Discord's tokens are base64url of "interaction:<id>:<secret>".
			b.tok = append(append(append(b.tok[:0], "interaction:"...), strconv.FormatUint(id, 10)...), ":coachload"...)
			body = base64.RawURLEncoding.AppendEncode(body, b.tok)
		}
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	h := make(http.Header, 4)
	h["Content-Type"] = []string{"application/json"}
	h["X-Signature-Timestamp"] = []string{ts}
	h["X-Signature-Ed25519"] = []string{b.sign(ts, body)}
	return body, h
}

// sign is Discord's signature: hex(Ed25519(timestamp + body)).
func (b *discordBuilder) sign(ts string, body []byte) string {
	b.msg = append(append(b.msg[:0], ts...), body...)
	return hex.EncodeToString(ed25519.Sign(b.g.key, b.msg))
}

// parseDiscordKey reads -discord-key: a hex Ed25519 seed (32 bytes, what
// keygen prints) or a whole private key (64 bytes: seed and public key,
// which must belong together).
func parseDiscordKey(s string) (ed25519.PrivateKey, error) {
	raw, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("the Discord key is not hex")
	}
	switch len(raw) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(raw), nil
	case ed25519.PrivateKeySize:
		k := ed25519.NewKeyFromSeed(raw[:ed25519.SeedSize])
		if !bytes.Equal(k, raw) {
			return nil, errors.New("the Discord private key's public half does not match its seed")
		}
		return k, nil
	}
	return nil, fmt.Errorf("the Discord key is %d bytes; want a 32-byte seed or a 64-byte private key, in hex", len(raw))
}
