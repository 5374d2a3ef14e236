package discord

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/bwmarrin/discordgo"
)

// reference is how encoding/json reads the fields decodeInteraction reads.
type reference struct {
	ID        string                    `json:"id"`
	AppID     string                    `json:"application_id"`
	Type      discordgo.InteractionType `json:"type"`
	Token     string                    `json:"token"`
	GuildID   string                    `json:"guild_id"`
	ChannelID string                    `json:"channel_id"`
	Data      json.RawMessage           `json:"data"`
	Member    *struct {
		User *struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"member"`
	User *struct {
		ID string `json:"id"`
	} `json:"user"`
	Message *struct {
		ID    string                 `json:"id"`
		Flags discordgo.MessageFlags `json:"flags"`
	} `json:"message"`
	Context *uint8             `json:"context"`
	Owners  map[string]*string `json:"authorizing_integration_owners"`
}

// summary is what dispatch uses of an interaction.
type summary struct {
	ID, AppID, Token, GuildID, ChannelID string
	Type                                 discordgo.InteractionType
	MemberUser, User                     string
	HasMember, HasUser, HasMessage       bool
	MessageID                            string
	Flags                                discordgo.MessageFlags
	Context                              place
	Owners                               owners
}

func summarize(i *interaction) summary {
	s := summary{ID: i.ID, AppID: i.AppID, Token: i.Token, GuildID: i.GuildID, ChannelID: i.ChannelID, Type: i.Type, Context: i.context, Owners: i.owners}
	if i.Member != nil {
		s.HasMember = true
		if i.Member.User != nil {
			s.MemberUser = i.Member.User.ID
		}
	}
	if i.User != nil {
		s.HasUser, s.User = true, i.User.ID
	}
	if i.Message != nil {
		s.HasMessage, s.MessageID, s.Flags = true, i.Message.ID, i.Message.Flags
	}
	return s
}

func summarizeReference(r reference) summary {
	s := summary{ID: r.ID, AppID: r.AppID, Token: r.Token, GuildID: r.GuildID, ChannelID: r.ChannelID, Type: r.Type}
	if r.Member != nil {
		s.HasMember = true
		if r.Member.User != nil {
			s.MemberUser = r.Member.User.ID
		}
	}
	if r.User != nil {
		s.HasUser, s.User = true, r.User.ID
	}
	if r.Message != nil {
		s.HasMessage, s.MessageID, s.Flags = true, r.Message.ID, r.Message.Flags
	}
	s.Context = contextUnknown
	if r.Context != nil {
		s.Context = place(*r.Context)
	}
	s.Owners = ownersOf(r.Owners)
	return s
}

// ownersOf is the set of installations a decoded
// authorizing_integration_owners names (with an id, not null).
func ownersOf(m map[string]*string) owners {
	var o owners
	if m["0"] != nil {
		o |= ownerGuild
	}
	if m["1"] != nil {
		o |= ownerUser
	}
	return o
}

func seeds(t interface{ Fatal(...any) }) [][]byte {
	files, _ := filepath.Glob("testdata/interaction-*.json")
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestDecodeInteraction: the walker reads real payloads as discordgo does.
func TestDecodeInteraction(t *testing.T) {
	for _, b := range seeds(t) {
		got, err := decodeInteraction(b)
		if err != nil {
			t.Fatal(err)
		}
		var want discordgo.Interaction
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		var ref reference
		if err := json.Unmarshal(b, &ref); err != nil {
			t.Fatal(err)
		}
		// discordgo does not read context and owners: those are held to
		// the reference.
		wantSummary := summarize(&interaction{Interaction: want})
		refSummary := summarizeReference(ref)
		wantSummary.Context, wantSummary.Owners = refSummary.Context, refSummary.Owners
		if summarize(got) != wantSummary {
			t.Errorf("walker %+v\ndiscordgo %+v", summarize(got), wantSummary)
		}
		if !reflect.DeepEqual(usedData(got.Data), usedData(want.Data)) {
			t.Errorf("data: walker %#v, discordgo %#v", got.Data, want.Data)
		}
	}
	for _, bad := range []string{``, `{`, `[]`, `{"id":"1","type":2`, `{"id":"1","type":2}x`, `{"id":1,"type":2}`, `{"id":"1","type":300}`,
		`{"id":"1","type":2,"data":{"name":"x"`, `{"id":"1","type":2,"member":{"user":[}}`, `{"id":"1" "type":2}`, `{"id":"\x01","type":2}`} {
		if _, err := decodeInteraction([]byte(bad)); err == nil {
			t.Errorf("decodeInteraction(%q) succeeded", bad)
		}
	}
}

// TestDecodeWhere: the walker reads where each testdata payload ran and
// which installations authorised it, and private says whether the answer
// must be the user's alone.
func TestDecodeWhere(t *testing.T) {
	tests := []struct {
		file    string
		context place
		owners  owners
		private bool
	}{
		{"interaction-command-guild.json", contextGuild, ownerGuild, false},
		{"interaction-component-guild.json", contextGuild, ownerGuild, false},
		{"interaction-command-dm.json", contextBotDM, ownerGuild, false},
		{"interaction-component-dm.json", contextBotDM, ownerGuild, false},
		{"interaction-command-private.json", contextPrivate, ownerUser, true},
		{"interaction-component-private.json", contextPrivate, ownerUser, true},
		{"interaction-command-user-guild.json", contextGuild, ownerUser, true},
		{"interaction-ping.json", contextUnknown, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			i, err := decodeInteraction(b)
			if err != nil {
				t.Fatal(err)
			}
			if i.context != tt.context || i.owners != tt.owners || i.private() != tt.private {
				t.Errorf("context %d, owners %02b, private %t; want %d, %02b, %t", i.context, i.owners, i.private(), tt.context, tt.owners, tt.private)
			}
		})
	}
	for _, tt := range []struct {
		json    string
		context place
		owners  owners
	}{
		{`{"id":"1","type":2,"context":null,"authorizing_integration_owners":null}`, contextUnknown, 0},
		{`{"id":"1","type":2,"context":2,"context":1}`, contextBotDM, 0},
		{`{"id":"1","type":2,"authorizing_integration_owners":{"0":"0","1":"5"}}`, -1, ownerGuild | ownerUser},
		{`{"id":"1","type":2,"authorizing_integration_owners":{"1":"5"},"authorizing_integration_owners":{"0":"7"}}`, -1, ownerGuild | ownerUser},
		{`{"id":"1","type":2,"authorizing_integration_owners":{"1":"5","1":null,"2":{"x":[1]}}}`, -1, 0},
		{`{"id":"1","type":2,"authorizing_integration_owners":{"1":"5"},"authorizing_integration_owners":null}`, -1, 0},
		{`{"id":"1","type":2,"authorizing_integration_owners":{"\u0031":"5"}}`, -1, ownerUser},
	} {
		i, err := decodeInteraction([]byte(tt.json))
		if err != nil {
			t.Errorf("%s: %v", tt.json, err)
			continue
		}
		if i.context != tt.context || i.owners != tt.owners {
			t.Errorf("%s: context %d, owners %02b; want %d, %02b", tt.json, i.context, i.owners, tt.context, tt.owners)
		}
	}
	for _, bad := range []string{`{"id":"1","type":2,"context":"1"}`, `{"id":"1","type":2,"context":256}`, `{"id":"1","type":2,"context":-1}`,
		`{"id":"1","type":2,"authorizing_integration_owners":[]}`, `{"id":"1","type":2,"authorizing_integration_owners":{"1":5}}`,
		`{"id":"1","type":2,"authorizing_integration_owners":{"0":"1"`} {
		if _, err := decodeInteraction([]byte(bad)); err == nil {
			t.Errorf("decodeInteraction(%q) succeeded", bad)
		}
	}
}

// FuzzDecodeInteraction holds the walker to encoding/json: it never panics,
// and on valid JSON that encoding/json reads it reads the same fields.
func FuzzDecodeInteraction(f *testing.F) {
	for _, b := range seeds(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"id":"1","type":3,"user":{"id":"2"},"user":{},"message":{"id":"m","flags":64},"message":null,"message":{"flags":1}}`))
	f.Add([]byte(`{"id":"1","type":2,"member":{"user":{"id":"\u0032"}},"token":"a\"b","data":null}`))
	// A repeated "data" whose last value is null: the last one wins, as in
	// encoding/json (found by the fuzzer).
	f.Add([]byte(`{"id":"1","type":3,"user":{"id":"2"},"data":{"custom_id":"cmd:roadmap done 3"},"data":null}`))
	f.Add([]byte(`{"id":"1","type":4,"data":{"name":"coach","options":[{"name":"remind","type":2,"options":[{"name":"daily","type":1,"options":[{"name":"zone","type":3,"value":"Eu\u0072ope","focused":true},{"name":"n","type":10,"value":-1.5e2},{"name":"b","type":5,"value":false}]}]}]}}`))
	// Where it ran: repeated, null and escaped keys, ids of every kind.
	f.Add([]byte(`{"id":"1","type":2,"context":2,"context":null,"authorizing_integration_owners":{"1":"5"},"authorizing_integration_owners":{"0":"0","1":null},"user":{"id":"5"}}`))
	f.Add([]byte(`{"id":"1","type":3,"context":0,"authorizing_integration_owners":{"\u0030":"7","2":"x","1":"5","1":"6"},"member":{"user":{"id":"5"}},"message":{"flags":0}}`))
	f.Add([]byte(`{"id":"1","type":2,"authorizing_integration_owners":{},"authorizing_integration_owners":null,"context":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeInteraction(b)
		if !json.Valid(b) || bytes.ContainsAny(b, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			return // invalid JSON may be refused either way; encoding/json folds key case
		}
		var ref reference
		refErr := json.Unmarshal(b, &ref)
		if refErr != nil || ref.ID == "" || ref.Type == 0 {
			return // a field of another type, or no interaction: refusing is right, accepting harmless
		}
		if err != nil {
			// The data part is decoded by encoding/json into discordgo's
			// types, which may refuse what the reference took as raw.
			var probe discordgo.Interaction
			if json.Unmarshal(b, &probe) != nil {
				return
			}
			t.Fatalf("walker refused %q: %v", b, err)
		}
		if g, w := summarize(got), summarizeReference(ref); g != w {
			t.Fatalf("walker %+v\nencoding/json %+v\ninput %q", g, w, b)
		}
		var probe discordgo.Interaction
		if json.Unmarshal(b, &probe) == nil && !reflect.DeepEqual(usedData(got.Data), usedData(probe.Data)) {
			t.Fatalf("data: walker %#v\ndiscordgo %#v\ninput %q", got.Data, probe.Data, b)
		}
	})
}

// usedData is the part of an interaction's data the adapter uses.
func usedData(d discordgo.InteractionData) any {
	switch d := d.(type) {
	case discordgo.ApplicationCommandInteractionData:
		d.Resolved = nil
		if reflect.ValueOf(d).IsZero() {
			return nil // "data": null reads as no data, or as empty data: the same to dispatch
		}
		return d
	case discordgo.MessageComponentInteractionData:
		if d.CustomID == "" && d.ComponentType == 0 && len(d.Values) == 0 {
			return nil
		}
		if len(d.Values) == 0 {
			d.Values = nil // [] and null mean the same: nothing chosen
		}
		return [3]any{d.CustomID, d.ComponentType, d.Values}
	}
	return d
}
