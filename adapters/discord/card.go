package discord

import (
	"bytes"

	"github.com/bwmarrin/discordgo"

	"github.com/coachbot/coachbot/adapters/internal/card"
	"github.com/coachbot/coachbot/bot"
)

// CardFile is the name of the progress card's attachment; the embed shows
// it as its image through attachment://progress.png.
const CardFile = "progress.png"

// cardCacheSize bounds the PNGs an adapter keeps (about 50 KB each).
const cardCacheSize = 128

// cardPNG renders the reply's card, nil when the reply has none or it
// does not render: the reply then goes without its picture rather than
// not at all.
func (a *Adapter) cardPNG(r bot.Reply) []byte {
	if r.Card == nil {
		return nil
	}
	png, err := a.cards.PNG(r.Card)
	if err != nil {
		a.log.Warn("discord progress card", "err", err)
		return nil
	}
	return png
}

// cardFile is the upload of the reply's card, nil when there is none. A
// File's reader is read once, so each request needs a new one.
func (a *Adapter) cardFile(r bot.Reply) *discordgo.File { return pngFile(a.cardPNG(r)) }

func pngFile(png []byte) *discordgo.File {
	if png == nil {
		return nil
	}
	return &discordgo.File{Name: CardFile, ContentType: "image/png", Reader: bytes.NewReader(png)}
}

// attachCard shows the uploaded card as the first embed's image, and
// returns the attachments list that names it (which, on an update,
// replaces the message's earlier picture rather than adding to it).
func attachCard(embeds []*discordgo.MessageEmbed) []*discordgo.MessageAttachment {
	if len(embeds) > 0 {
		embeds[0].Image = &discordgo.MessageEmbedImage{URL: "attachment://" + CardFile}
	}
	return []*discordgo.MessageAttachment{{ID: "0", Filename: CardFile}}
}

// newCards returns the adapter's card cache.
func newCards() *card.Renderer { return card.NewRenderer(cardCacheSize) }
