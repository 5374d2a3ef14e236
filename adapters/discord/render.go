package discord

import (
	"strings"
	"unicode/utf16"

	"github.com/bwmarrin/discordgo"

	"github.com/coachbot/coachbot/bot"
)

// Discord's limits on messages, counted in UTF-16 code units as Discord's
// clients count them.
const (
	maxTitle       = 256
	maxDescription = 4096
	maxFields      = 25
	maxFieldName   = 256
	maxFieldValue  = 1024
	maxFooter      = 2048
	maxEmbedTotal  = 6000 // title, description, field names and values, footer together
	maxButtons     = 25
	maxRowButtons  = 5
	maxLabel       = 80
	maxCustomID    = 100
	maxRows        = 5   // action rows under a message
	maxMenuOptions = 25  // options of a select menu
	maxOptionLabel = 100 // an option's label and value
)

// embedColor is the accent stripe of every embed.
const embedColor = 0x5865F2

// progressWidth is the number of cells in a progress bar.
const progressWidth = 16

// empty stands in for a required text that is empty: Discord refuses an
// empty field name or value, and an empty message.
const empty = "\u200b"

// Markdown is how Discord writes the Reply markdown subset. Discord's own
// markdown is close to it: only the bullet differs (a "•" renders the same
// in every client) and plain text needs its markdown characters escaped.
var Markdown = bot.TextFormat{
	Bold:   func(s string) string { return "**" + s + "**" },
	Italic: func(s string) string { return "_" + s + "_" },
	Link: func(text, url string) string {
		if text == url {
			return url
		}
		return "[" + text + "](" + url + ")"
	},
	Bullet: "• ",
	Escape: escape,
}

// escape backslash-escapes the characters Discord reads as markdown in
// plain text, leaving bare links alone (an escape inside a URL breaks it).
func escape(s string) string {
	if !strings.ContainsAny(s, "\\*_~`|") {
		return s
	}
	var b strings.Builder
	for _, word := range strings.SplitAfter(s, " ") {
		link := len(word)
		if i := strings.Index(word, "https://"); i >= 0 {
			link = i
		} else if i := strings.Index(word, "http://"); i >= 0 {
			link = i
		}
		for _, r := range word[:link] {
			switch r {
			case '\\', '*', '_', '~', '`', '|':
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		b.WriteString(word[link:])
	}
	return b.String()
}

// Render makes the answer to an interaction from a Reply: an embed and
// buttons, visible to the asker only unless the Reply is Public.
func Render(r bot.Reply) *discordgo.InteractionResponseData {
	embeds, content := renderEmbeds(r)
	data := &discordgo.InteractionResponseData{
		Content:    content,
		Embeds:     embeds,
		Components: renderComponents(r),
	}
	if !r.Public {
		data.Flags = discordgo.MessageFlagsEphemeral
	}
	return data
}

// RenderMessage makes a direct message from a Reply, rendered like Render.
func RenderMessage(r bot.Reply) *discordgo.MessageSend {
	embeds, content := renderEmbeds(r)
	return &discordgo.MessageSend{Content: content, Embeds: embeds, Components: renderComponents(r)}
}

// renderEmbeds returns the reply's embed, or no embed and a placeholder
// content for an empty reply (Discord refuses an empty message). The slice
// is never nil: an update must clear the embeds of the message it replaces.
func renderEmbeds(r bot.Reply) ([]*discordgo.MessageEmbed, string) {
	e := &discordgo.MessageEmbed{Color: embedColor}
	e.Title = clip(bot.FormatText(r.Title, bot.PlainText), maxTitle)

	// The progress bar leads, under the title: it sums up the reply, and
	// at the end of the text it sat between a step's topics and its
	// project (the first field).
	desc := bot.FormatText(r.Text, Markdown)
	if r.Progress != nil {
		bar := "`" + r.Progress.Bar(progressWidth) + "`"
		if desc != "" {
			bar += "\n\n"
		}
		desc = bar + desc
	}
	// An embed footer shows no markdown, so a link there would be raw
	// text. A footer with a link (a salary source) is the last field
	// instead, where the link can be clicked.
	linkFooter := r.Footer != "" && strings.Contains(r.Footer, "](")
	room := maxFields
	if linkFooter {
		room--
	}
	for _, f := range r.Fields {
		if len(e.Fields) == room {
			break
		}
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{
			Name:   orEmpty(clip(bot.FormatText(f.Name, bot.PlainText), maxFieldName)),
			Value:  orEmpty(clip(bot.FormatText(f.Value, Markdown), maxFieldValue)),
			Inline: f.Inline,
		})
	}
	switch {
	case linkFooter:
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: empty, Value: clip(bot.FormatText(r.Footer, Markdown), maxFieldValue)})
	case r.Footer != "":
		e.Footer = &discordgo.MessageEmbedFooter{Text: clip(bot.FormatText(r.Footer, bot.PlainText), maxFooter)}
	}
	if r.Image != "" {
		e.Image = &discordgo.MessageEmbedImage{URL: r.Image}
	}

	// Keep the whole embed within Discord's total: the description gives
	// way first, then fields from the end.
	used := units(e.Title)
	if e.Footer != nil {
		used += units(e.Footer.Text)
	}
	for _, f := range e.Fields {
		used += units(f.Name) + units(f.Value)
	}
	for used > maxEmbedTotal-min(units(desc), 64) && len(e.Fields) > 0 {
		f := e.Fields[len(e.Fields)-1]
		used -= units(f.Name) + units(f.Value)
		e.Fields = e.Fields[:len(e.Fields)-1]
	}
	e.Description = clip(desc, min(maxDescription, maxEmbedTotal-used))
	if len(e.Fields) == 0 {
		e.Fields = nil
	}

	if e.Title == "" && e.Description == "" && e.Fields == nil && e.Footer == nil && e.Image == nil {
		return []*discordgo.MessageEmbed{}, empty
	}
	return []*discordgo.MessageEmbed{e}, ""
}

// renderComponents lays out the reply's select menu, in a row of its own
// above the buttons, and its buttons.
func renderComponents(r bot.Reply) []discordgo.MessageComponent {
	buttons := renderButtons(r.Buttons)
	menu := renderSelect(r.Select)
	if menu == nil {
		return buttons
	}
	if len(buttons) == maxRows {
		buttons = buttons[:maxRows-1]
	}
	return append([]discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{*menu}}}, buttons...)
}

// renderSelect makes a multi-select menu whose custom_id is the command
// the chosen values are appended to (DESIGN §2); nil when there is no
// menu, or no option fits. Values too long for Discord are left out, not
// cut, as with buttons.
func renderSelect(s *bot.Select) *discordgo.SelectMenu {
	if s == nil {
		return nil
	}
	id := strings.TrimSpace(s.Command)
	if id == "" || units(id) > maxCustomID {
		return nil
	}
	var opts []discordgo.SelectMenuOption
	for _, o := range s.Options {
		if o.Value == "" || units(o.Value) > maxOptionLabel || len(opts) == maxMenuOptions {
			continue
		}
		label := strings.TrimSpace(o.Label)
		if label == "" {
			label = o.Value
		}
		opts = append(opts, discordgo.SelectMenuOption{Label: clip(label, maxOptionLabel), Value: o.Value})
	}
	if len(opts) == 0 {
		return nil
	}
	one := 1
	return &discordgo.SelectMenu{
		MenuType: discordgo.StringSelectMenu, CustomID: id, Placeholder: clip(s.Placeholder, maxOptionLabel),
		MinValues: &one, MaxValues: len(opts), Options: opts,
	}
}

// renderButtons lays buttons out in rows of five. A button carries its
// command line as its custom_id; one whose line is too long for Discord, or
// repeats an earlier one (Discord refuses duplicate ids), is left out
// rather than cut, since a cut command line would do something else. The
// slice is never nil, so an update clears the buttons it replaces.
func renderButtons(buttons []bot.Button) []discordgo.MessageComponent {
	rows := []discordgo.MessageComponent{}
	var row []discordgo.MessageComponent
	seen := map[string]bool{}
	n := 0
	for _, b := range buttons {
		id := strings.TrimSpace(b.Command)
		if id == "" || units(id) > maxCustomID || seen[id] || n == maxButtons {
			continue
		}
		seen[id] = true
		n++
		label := strings.TrimSpace(b.Label)
		if label == "" {
			label = id
		}
		row = append(row, discordgo.Button{Label: clip(label, maxLabel), Style: buttonStyle(b.Style), CustomID: id})
		if len(row) == maxRowButtons {
			rows = append(rows, discordgo.ActionsRow{Components: row})
			row = nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, discordgo.ActionsRow{Components: row})
	}
	return rows
}

func buttonStyle(s bot.ButtonStyle) discordgo.ButtonStyle {
	switch s {
	case bot.Primary:
		return discordgo.PrimaryButton
	case bot.Danger:
		return discordgo.DangerButton
	}
	return discordgo.SecondaryButton
}

func orEmpty(s string) string {
	if strings.TrimSpace(s) == "" {
		return empty
	}
	return s
}

// units is the length of s as Discord counts it: UTF-16 code units.
func units(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// clip shortens s to at most max UTF-16 units, ending it with "…" when cut.
// It never splits a character.
func clip(s string, max int) string {
	if units(s) <= max {
		return s
	}
	if max <= 0 {
		return ""
	}
	n := 0
	for i, r := range s {
		if n+utf16.RuneLen(r) > max-1 { // room for the ellipsis
			return strings.TrimRightFunc(s[:i], func(r rune) bool { return r == ' ' || r == '\n' }) + "…"
		}
		n += utf16.RuneLen(r)
	}
	return s
}
