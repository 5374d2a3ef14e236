package discord

import (
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

// BenchmarkDecode is why decode.go, a hand-written decoder, is kept rather
// than encoding/json. It decodes each real payload in testdata three ways:
//
//   - hand: decodeInteraction, what the endpoint uses;
//   - discordgo: json.Unmarshal into discordgo.Interaction, what the library
//     does for the gateway (its UnmarshalJSON decodes the payload twice, and
//     a message's components twice more);
//   - fields: json.Unmarshal into a struct of only the fields dispatch reads
//     (decode_test.go's reference), then data into discordgo's types.
//
// verify is the Ed25519 check every HTTP interaction pays anyway, as the
// unit: a whole "/salary mid" request costs about 1.5 verifies
// (BenchmarkInteractionHTTP's x-verify).
//
// Measured on the 2-core development VM (Go 1.26.8, discordgo v0.28.1,
// go test -run '^$' -bench Decode -benchmem -count 5 ./adapters/discord,
// medians): command-guild hand 2.3 µs, discordgo 31 µs, fields 25 µs;
// component-guild hand 3.8 µs, discordgo 90 µs, fields 29 µs; ping hand
// 0.7 µs, discordgo 8.5 µs; verify about 50 µs. With discordgo's decoding
// swapped into the handler, BenchmarkInteractionHTTP/salary-mid went from
// 1.46 to 2.22 verifies: the hand decoder saves about a third of a
// command's CPU (a tenth of a PING's), well over the 10% that would not be
// worth 588 lines. If a new encoding/json or discordgo brings discordgo or
// fields within ~10% of a whole request of hand, delete decode.go.
func BenchmarkDecode(b *testing.B) {
	files, err := filepath.Glob("testdata/interaction-*.json")
	if err != nil || len(files) == 0 {
		b.Fatalf("no payloads in testdata (%v)", err)
	}
	decoders := []struct {
		name   string
		decode func([]byte) error
	}{
		{"hand", func(body []byte) error { _, err := decodeInteraction(body); return err }},
		{"discordgo", func(body []byte) error { var i discordgo.Interaction; return json.Unmarshal(body, &i) }},
		{"fields", func(body []byte) error { _, err := decodeFields(body); return err }},
	}
	for _, f := range files { // the contenders must do the same work
		body, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		hand, err1 := decodeInteraction(body)
		fields, err2 := decodeFields(body)
		if err1 != nil || err2 != nil || summarize(hand) != summarize(fields) || !reflect.DeepEqual(usedData(hand.Data), usedData(fields.Data)) {
			b.Fatalf("%s: hand and fields decode differently (%v, %v)", f, err1, err2)
		}
	}
	for _, d := range decoders {
		for _, f := range files {
			body, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "interaction-"), ".json")
			b.Run(d.name+"/"+name, func(b *testing.B) {
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					if err := d.decode(body); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	b.Run("verify", func(b *testing.B) {
		body, err := os.ReadFile("testdata/interaction-command-guild.json")
		if err != nil {
			b.Fatal(err)
		}
		key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
		msg := append([]byte("1700000000"), body...)
		sig := ed25519.Sign(key, msg)
		pub := key.Public().(ed25519.PublicKey)
		b.ReportAllocs()
		for b.Loop() {
			if !ed25519.Verify(pub, msg, sig) {
				b.Fatal("verify failed")
			}
		}
	})
}

// decodeFields is the "fields" contender of BenchmarkDecode: encoding/json
// reading what decodeInteraction reads, into the same discordgo form.
func decodeFields(body []byte) (*interaction, error) {
	var r reference
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, err
	}
	i := &interaction{
		Interaction: discordgo.Interaction{ID: r.ID, AppID: r.AppID, Type: r.Type, Token: r.Token, GuildID: r.GuildID, ChannelID: r.ChannelID},
		context:     contextUnknown,
		owners:      ownersOf(r.Owners),
	}
	if r.Context != nil {
		i.context = place(*r.Context)
	}
	if r.Member != nil {
		i.Member = &discordgo.Member{}
		if r.Member.User != nil {
			i.Member.User = &discordgo.User{ID: r.Member.User.ID}
		}
	}
	if r.User != nil {
		i.User = &discordgo.User{ID: r.User.ID}
	}
	if r.Message != nil {
		i.Message = &discordgo.Message{ID: r.Message.ID, Flags: r.Message.Flags}
	}
	var err error
	switch r.Type {
	case discordgo.InteractionApplicationCommand, discordgo.InteractionApplicationCommandAutocomplete:
		var d discordgo.ApplicationCommandInteractionData
		if len(r.Data) > 0 {
			err = json.Unmarshal(r.Data, &d)
		}
		i.Data = d
	case discordgo.InteractionMessageComponent:
		var d discordgo.MessageComponentInteractionData
		if len(r.Data) > 0 {
			err = json.Unmarshal(r.Data, &d)
		}
		i.Data = d
	}
	return i, err
}
