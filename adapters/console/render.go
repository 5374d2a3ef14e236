package console

import (
	"strings"
	"unicode/utf8"

	"github.com/coachbot/coachbot/bot"
)

// Render writes a Reply as plain text for a terminal: the title underlined,
// the text, fields as "Name: value", the progress bar, the footer, and each
// button as the command line that does the same, so it can be typed.
// The result ends with a newline.
func Render(r bot.Reply) string {
	var b strings.Builder
	if r.Title != "" {
		b.WriteString(r.Title + "\n")
		b.WriteString(strings.Repeat("─", min(utf8.RuneCountInString(r.Title), 60)) + "\n")
	}
	if r.Text != "" {
		b.WriteString(bot.FormatText(r.Text, bot.PlainText) + "\n")
	}
	if len(r.Fields) > 0 {
		b.WriteString("\n")
		for _, f := range r.Fields {
			v := bot.FormatText(f.Value, bot.PlainText)
			if strings.Contains(v, "\n") || utf8.RuneCountInString(f.Name+v) > 70 {
				b.WriteString(f.Name + ":\n  " + strings.ReplaceAll(v, "\n", "\n  ") + "\n")
			} else {
				b.WriteString(f.Name + ": " + v + "\n")
			}
		}
	}
	if r.Progress != nil {
		b.WriteString("\n" + r.Progress.Bar(20) + "\n")
	}
	if r.Image != "" {
		b.WriteString("\nImage: " + r.Image + "\n")
	}
	if r.Footer != "" {
		b.WriteString("\n" + bot.FormatText(r.Footer, bot.PlainText) + "\n")
	}
	if len(r.Buttons) > 0 {
		b.WriteString("\n")
		for _, btn := range r.Buttons {
			b.WriteString("  → " + btn.Command + "  (" + btn.Label + ")\n")
		}
	}
	return b.String()
}
