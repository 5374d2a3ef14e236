package bot

import (
	"fmt"
	"strings"
)

// Reply is the bot's answer, independent of any platform. Adapters render it:
// Slack as Block Kit, Discord as an embed with components, the console as
// plain text.
//
// Text and field values use a small markdown subset that every platform can
// show: **bold**, _italics_, [links](https://…) and lines starting with "- "
// as bullet lists. FormatText converts it to a platform's own syntax.
type Reply struct {
	Title    string
	Text     string
	Fields   []Field
	Progress *Progress
	Buttons  []Button
	// Select, when set, is a multiple choice under the reply (a Discord
	// select menu, a Slack checkbox group): choosing dispatches its
	// Command followed by the chosen values, as a button does.
	Select *Select
	Public bool   // visible to everyone in the channel; by default only the asker sees it
	Image  string // an https URL, optional
	Card   *Card  // the progress picture's data (DESIGN §11); adapters draw it
	Footer string // a short line of context under everything else

	// CacheKey is set on replies that are the same for every user who gets
	// it: those that depend on nothing but the content pack and the command
	// line (salary, skills, career, help, one tip), and a roadmap step,
	// which depends only on the step's state and how many steps are done.
	// An adapter may keep what it renders from such a reply under this key
	// (see Cache) instead of rendering it again. Keys come from the content,
	// never from what users type, so they are bounded. It is empty on
	// anything else and on errors.
	CacheKey string

	// Code is the error code when the reply reports an error (the user's
	// mistake or ours), "" otherwise. Chat adapters show the reply either
	// way; `coachbot ask` exits 1 on it.
	Code Code
}

// Field is a labelled value shown in a grid where the platform has one.
type Field struct {
	Name   string
	Value  string
	Inline bool // may sit beside other inline fields
}

// Progress is a done-out-of-total value shown as a bar.
type Progress struct {
	Done  int
	Total int
}

// Percent returns the percentage done rounded to the nearest whole number
// (3 of 8 is 38%, as people round), 0 when Total is 0.
func (p Progress) Percent() int {
	if p.Total <= 0 {
		return 0
	}
	return (p.Done*200 + p.Total) / (2 * p.Total)
}

// Bar draws the progress as a text bar of width cells followed by the count
// and percentage, for example "▓▓▓░░░░░ 3/8 (37%)".
func (p Progress) Bar(width int) string {
	filled := 0
	if p.Total > 0 {
		filled = p.Done * width / p.Total
	}
	filled = min(max(filled, 0), width)
	return fmt.Sprintf("%s%s %d/%d (%d%%)", strings.Repeat("▓", filled), strings.Repeat("░", width-filled), p.Done, p.Total, p.Percent())
}

// Button is an action under a reply. Pressing it dispatches Command, a
// command line of the text grammar, as the user who pressed it, through the
// same router as typed commands.
type Button struct {
	Label   string
	Command string
	Style   ButtonStyle
}

// ButtonStyle hints at a button's weight; platforms without styles ignore it.
type ButtonStyle int

// The button styles.
const (
	Secondary ButtonStyle = iota
	Primary
	Danger
)

// Select is a multiple choice under a reply. Choosing one or more options
// dispatches Command followed by their values, separated by spaces
// ("roadmap done 2.1 2.4"), through the same router as typed commands.
type Select struct {
	Placeholder string
	Command     string
	Options     []Option // at most 25, Discord's limit
}

// Option is one choice of a Select.
type Option struct {
	Label string // what the user reads, at most 75 characters
	Value string // appended to the command line
}

// Line returns the command line that choosing values dispatches.
func (s *Select) Line(values []string) string {
	return strings.TrimSpace(s.Command + " " + strings.Join(values, " "))
}
