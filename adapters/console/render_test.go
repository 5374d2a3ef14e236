package console_test

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coachbot/coachbot/adapters/console"
	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with the current output")

// golden compares got with testdata/name.golden, or rewrites the file
// when the test runs with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./adapters/console -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("Render differs from %s (-want +got); if the change is intended, run go test ./adapters/console -update:\n%s", path, diff)
	}
}

// checkPlain fails when markup of the Reply subset survived rendering: a
// terminal shows it literally, so it is always a rendering bug.
func checkPlain(t *testing.T, out string) {
	t.Helper()
	for _, bad := range []string{"**", "](http", "\n- "} {
		if strings.Contains(out, bad) {
			t.Errorf("rendered text still holds markup %q:\n%s", bad, out)
		}
	}
	if !strings.HasSuffix(out, "\n") {
		t.Errorf("rendered text does not end with a newline: %q", out)
	}
	if strings.Contains(out, "\n\n\n") {
		t.Errorf("rendered text has two blank lines in a row:\n%s", out)
	}
}

func TestRender(t *testing.T) {
	tests := []struct {
		name  string
		reply bot.Reply
	}{
		{"empty", bot.Reply{}},
		{"title-only", bot.Reply{Title: "Tip"}},
		{"text-only", bot.Reply{Text: "Just a sentence, no title."}},
		{
			"markdown",
			bot.Reply{
				Title: "Step 3 of 8: Databases",
				Text: "Learn **SQL** first, then _indexes_; read [the PostgreSQL docs](https://www.postgresql.org/docs/) and https://sqlite.org.\n\n" +
					"**Topics**\n" +
					"- **Relational modelling**: tables, keys and [normal forms](https://en.wikipedia.org/wiki/Database_normalization)\n" +
					"- snake_case and Asia/New_York stay as they are\n" +
					"- a link whose text is its address: [https://go.dev/](https://go.dev/)",
			},
		},
		{
			"code-block",
			bot.Reply{Title: "Everything I keep about you", Text: "```json\n{\n  \"user\": \"console:ana\"\n}\n```", Footer: "forget deletes all of it"},
		},
		{
			"fields",
			bot.Reply{
				Title: "Your progress",
				Fields: []bot.Field{
					{Name: "Roadmap", Value: "3 of 8 steps done", Inline: true},
					{Name: "Study streak", Value: "**2 days** (best 5 days)", Inline: true},
					{Name: "Project: A URL shortener", Value: "Build an HTTP service that stores short codes in a database, redirects visitors and counts clicks; add tests and a README that explains how to run it."},
					{Name: "Where the roadmap teaches it", Value: "Step 3: Databases\nStep 6: Caching\n- a bullet in a field"},
					{Name: "", Value: "a field without a name"},
				},
			},
		},
		{
			"long-title",
			bot.Reply{Title: strings.Repeat("A very long title that goes on ", 3) + "and on", Text: "The underline stops at 60 cells."},
		},
		{
			"progress",
			bot.Reply{Title: "The backend roadmap", Text: "✅ **1. Programming Languages**\n⬜ **2. Version Control**", Progress: &bot.Progress{Done: 3, Total: 8}},
		},
		{"progress-zero", bot.Reply{Progress: &bot.Progress{Done: 0, Total: 8}}},
		{"progress-full", bot.Reply{Progress: &bot.Progress{Done: 8, Total: 8}}},
		{
			"buttons",
			bot.Reply{
				Title: "Time to study ⏰",
				Text:  "Today's next step: **Step 1: Programming Languages**.",
				Buttons: []bot.Button{
					{Label: "Done for today", Command: "checkin", Style: bot.Primary},
					{Label: "Snooze 1 hour", Command: "remind snooze 1h"},
					{Label: "Stop reminders", Command: "remind off", Style: bot.Danger},
				},
				Footer: "Daily at 19:00 (Europe/London) every day.",
			},
		},
		{
			"footer-with-link",
			bot.Reply{Title: "Mid-level backend developer salary (India, 2025)", Text: "**₹10 L – ₹14 L** a year.", Footer: `Source: ["A title"](https://example.com/salaries), Publisher. India, amounts in INR.`},
		},
		{
			"image",
			bot.Reply{Title: "Roadmap", Text: "The whole path at a glance.", Image: "https://example.com/roadmap.png", Public: true},
		},
		{
			"everything",
			bot.Reply{
				Title:    "Step 2 of 8: Version Control ✅",
				Text:     "Why it matters.\n\n**Topics**\n- **Git basics**: commit, branch, merge ([Pro Git](https://git-scm.com/book/en/v2))",
				Fields:   []bot.Field{{Name: "Time", Value: "About 1-2 weeks", Inline: true}},
				Progress: &bot.Progress{Done: 2, Total: 8},
				Image:    "https://example.com/git.png",
				Footer:   "roadmap step N shows a step",
				Buttons:  []bot.Button{{Label: "Mark not done", Command: "roadmap undo 2"}, {Label: "All steps", Command: "roadmap"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := console.Render(tt.reply)
			golden(t, "reply-"+tt.name, out)
			if tt.name != "empty" && tt.name != "code-block" {
				checkPlain(t, out)
			}
		})
	}
}

// TestRenderEmpty pins what the golden file of the empty reply can't say
// loudly enough: an empty reply prints nothing at all, not a stray blank line.
func TestRenderEmpty(t *testing.T) {
	if got := console.Render(bot.Reply{}); got != "" {
		t.Errorf("Render(Reply{}) = %q, want \"\"", got)
	}
}

// buttonLine matches how Render shows a button: "  → COMMAND  (Label)".
var buttonLine = regexp.MustCompile(`(?m)^  → (.+?)  \((.+)\)$`)

// TestRenderBotReplies renders what the real bot answers, so a change in a
// handler's wording or in Render shows up as a reviewed golden diff.
func TestRenderBotReplies(t *testing.T) {
	tests := []struct {
		name  string
		setup []string // said first, replies ignored
		line  string
	}{
		{"roadmap-next", nil, "roadmap next"},
		{"roadmap-next-after-step-1", []string{"roadmap done 1"}, "roadmap next"},
		{"roadmap", []string{"roadmap done 1", "roadmap done 2"}, "roadmap"},
		{"salary", nil, "salary"},
		{"salary-mid", nil, "salary mid"},
		{"help", nil, "help"},
		{"help-remind", nil, "help remind"},
		{"progress-new-user", nil, "progress"},
		{"progress", []string{"roadmap done 1", "checkin"}, "progress"},
		{"career-senior", nil, "career senior"},
		{"skills-security", nil, "skills security"},
		{"remind-in", nil, "remind in 45m"},
		{"unknown-command", nil, "roadmapp"},
		{"usage-error", nil, "remind daily"},
		// What a newcomer types first (issue 12).
		{"career-mid", nil, "career mid"},
		{"salary-senior", nil, "salary senior"},
		{"salary-lead", nil, "salary lead"},
		{"skills", nil, "skills"},
		{"roadmap-step-hosting", nil, "roadmap step hosting"},
		{"hi", nil, "hi"},
		{"help-me", nil, "help me"},
		{"question", nil, "what should I learn next?"},
		{"forget", nil, "forget"},
		{"help-salary", nil, "help salary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := bottest.New(t)
			// A console user, so replies word buttons for the console.
			h.User = bot.ConsoleUser("ana")
			for _, l := range tt.setup {
				h.Say(l)
			}
			out := console.Render(h.Say(tt.line))
			golden(t, "bot-"+tt.name, out)
			checkPlain(t, out)

			// A console user presses a button by typing its command line,
			// so every command shown must parse as it is printed.
			for _, m := range buttonLine.FindAllStringSubmatch(out, -1) {
				if _, err := h.Spec().Parse(m[1]); err != nil {
					t.Errorf("button %q shows the command %q, which does not parse: %v", m[2], m[1], err)
				}
			}
		})
	}
}
