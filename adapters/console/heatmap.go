package console

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/coachbot/coachbot/adapters/internal/card"
	"github.com/coachbot/coachbot/bot"
)

// shades are the heatmap's five levels (bot.HeatDay.Level) as characters.
var shades = [5]string{"·", "░", "▒", "▓", "█"}

// Heatmap draws a card's heatmap as text: a column a week, oldest on the
// left, a row a weekday from Monday, a shade by minutes; days after today
// are blank. It ends with a newline.
func Heatmap(c *bot.Card) string {
	var b strings.Builder
	b.WriteString("Study, last 12 weeks: · none  ░ under 30 min  ▒ under 1 h  ▓ under 2 h  █ 2 h or more\n")
	today := c.HeatRow()
	for row, name := range []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"} {
		line := name + " "
		for wk := range bot.HeatWeeks {
			if wk == bot.HeatWeeks-1 && row > today {
				break
			}
			line += shades[c.Heat[wk][row].Level()]
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// WriteCard answers `progress` for the console user and writes its card
// as a PNG to w: what `coachbot card -o FILE` does.
func WriteCard(ctx context.Context, b *bot.Bot, user string, w io.Writer) error {
	r := b.Handle(ctx, userID(user), "progress")
	if r.Code != "" || r.Card == nil {
		return &bot.Error{Code: r.Code, Message: "no progress card: " + strings.TrimSpace(r.Text)}
	}
	png, err := card.Render(r.Card)
	if err != nil {
		return fmt.Errorf("console: card: %w", err)
	}
	_, err = w.Write(png)
	return err
}
