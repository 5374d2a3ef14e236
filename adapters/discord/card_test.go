package discord_test

import (
	"bytes"
	"fmt"
	"image/png"
	"sync/atomic"
	"testing"

	"github.com/coachbot/coachbot/adapters/discord"
	"github.com/coachbot/coachbot/adapters/internal/card"
	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

// TestProgressCardAttachment: `progress` answers with the card uploaded
// as progress.png (multipart/form-data: payload_json, then files[0]) and
// shown as the embed's image, over the HTTP endpoint (the HTTP response
// itself is multipart) and over the gateway (the callback the fake
// Discord receives is).
func TestProgressCardAttachment(t *testing.T) {
	for _, mode := range []string{discord.ModeHTTP, discord.ModeGateway} {
		t.Run(mode, func(t *testing.T) {
			h := bottest.New(t)
			h.User = bot.DiscordUser(guildUser)
			h.MakeLearner()
			e := newEnvWith(t, h, new(atomic.Int64), withMode(mode))
			if mode == discord.ModeGateway {
				e.runGateway(t)
			}
			body := payload(t, "interaction-command-guild.json", "1290000000000000001", commandData([]string{"progress"}))
			var got response
			if mode == discord.ModeHTTP {
				w := e.post(t, body)
				if w.Code != 200 {
					t.Fatalf("status %d: %s", w.Code, w.Body)
				}
				logWire(t, "HTTP response", w.Header().Get("Content-Type"), w.Body.Bytes())
				got = decodeWire(t, w.Header(), w.Body.Bytes())
			} else {
				got = e.viaGateway(t, body)
				c := e.fake.CallsTo("POST /api/v10/interactions/")[0]
				logWire(t, c.String()[:len("POST /api/v10/interactions/")]+"{id}/{token}/callback", c.Header.Get("Content-Type"), c.Body)
			}
			if len(got.Files) != 1 {
				t.Fatalf("%d files uploaded, want 1", len(got.Files))
			}
			f := got.Files[0]
			if f.Field != "files[0]" || f.Name != discord.CardFile || f.ContentType != "image/png" {
				t.Errorf("file part %q %q %q, want files[0] progress.png image/png", f.Field, f.Name, f.ContentType)
			}
			img, err := png.Decode(bytes.NewReader(f.Body))
			if err != nil {
				t.Fatalf("progress.png: %v", err)
			}
			if b := img.Bounds(); b.Dx() != card.Width || b.Dy() != card.Height {
				t.Errorf("progress.png is %v", b)
			}
			if got.Data == nil || len(got.Data.Embeds) != 1 || got.Data.Embeds[0].Image == nil || got.Data.Embeds[0].Image.URL != "attachment://progress.png" {
				t.Fatalf("embed does not show the attachment: %+v", got.JSON)
			}
			atts, _ := got.JSON.(map[string]any)["data"].(map[string]any)["attachments"].([]any)
			if len(atts) != 1 || fmt.Sprint(atts[0].(map[string]any)["filename"]) != discord.CardFile {
				t.Errorf("attachments %v, want one naming progress.png", atts)
			}
		})
	}
}

// logWire logs a multipart body as Discord receives it: the content type,
// then each part's headers and size (the JSON in full, being short).
func logWire(t *testing.T, what, contentType string, body []byte) {
	t.Helper()
	t.Logf("%s: Content-Type: %s, %d bytes", what, contentType, len(body))
	_, params, _ := mimeParse(contentType)
	if params["boundary"] == "" {
		return // not multipart: the test says what is wrong
	}
	parts := readParts(t, body, params["boundary"])
	for _, p := range parts {
		line := fmt.Sprintf("  part %s: %d bytes", p.header, len(p.body))
		if p.json {
			line += "\n    " + string(p.body)
		}
		t.Log(line)
	}
}
