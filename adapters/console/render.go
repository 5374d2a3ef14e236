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
	// section starts a block, separated from the one before by a blank line.
	section := func() {
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "─\n") {
			b.WriteString("\n")
		}
	}
	if r.Title != "" {
		b.WriteString(r.Title + "\n")
		b.WriteString(strings.Repeat("─", min(displayWidth(r.Title), 60)) + "\n")
	}
	if r.Text != "" {
		b.WriteString(bot.FormatText(r.Text, bot.PlainText) + "\n")
	}
	if len(r.Fields) > 0 {
		section()
		for _, f := range r.Fields {
			v := bot.FormatText(f.Value, bot.PlainText)
			switch {
			case f.Name == "":
				b.WriteString(v + "\n")
			case strings.Contains(v, "\n") || utf8.RuneCountInString(f.Name+v) > 70:
				b.WriteString(f.Name + ":\n  " + strings.ReplaceAll(v, "\n", "\n  ") + "\n")
			default:
				b.WriteString(f.Name + ": " + v + "\n")
			}
		}
	}
	if r.Progress != nil {
		section()
		b.WriteString(r.Progress.Bar(20) + "\n")
	}
	if r.Card != nil {
		section()
		b.WriteString(Heatmap(r.Card))
	}
	if r.Image != "" {
		section()
		b.WriteString("Image: " + r.Image + "\n")
	}
	if r.Footer != "" {
		section()
		b.WriteString(bot.FormatText(r.Footer, bot.PlainText) + "\n")
	}
	if s := r.Select; s != nil && len(s.Options) > 0 {
		// No menus on a terminal: say what to type, with an example.
		section()
		ex := []string{s.Options[0].Value}
		if len(s.Options) > 1 {
			ex = append(ex, s.Options[1].Value)
		}
		b.WriteString(s.Placeholder + ": type " + s.Line(ex) + "\n")
	}
	if len(r.Buttons) > 0 {
		section()
		for _, btn := range r.Buttons {
			b.WriteString("  → " + btn.Command + "  (" + btn.Label + ")\n")
		}
	}
	return b.String()
}

// displayWidth approximates how many terminal cells s takes: emoji and
// other wide symbols take two, variation selectors none. It only sizes the
// title's underline, so an approximation is enough.
func displayWidth(s string) int {
	w := 0
	for _, r := range s {
		switch {
		case r == 0xFE0F || r == 0x200D:
		case r >= 0x1F000 || (r >= 0x2300 && r <= 0x23FF) || (r >= 0x2600 && r <= 0x27BF) || (r >= 0x1100 && r <= 0x115F) || (r >= 0x2E80 && r <= 0xA4CF) || (r >= 0xAC00 && r <= 0xD7A3) || (r >= 0xF900 && r <= 0xFAFF) || (r >= 0xFF00 && r <= 0xFF60):
			w += 2
		default:
			w++
		}
	}
	return w
}
