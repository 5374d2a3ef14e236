package slack_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	coachslack "github.com/coachbot/coachbot/adapters/slack"
	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

// golden compares got with testdata/name.golden, or rewrites the file
// when the test runs with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./adapters/slack -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("Render differs from %s (-want +got); if the change is intended, run go test ./adapters/slack -update:\n%s", path, d)
	}
}

// renderJSON is the message Render makes, as indented JSON: what the
// golden files hold.
func renderJSON(t *testing.T, r bot.Reply) []byte {
	t.Helper()
	msg := coachslack.Render(r)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]any{"response_type": msg.ResponseType, "text": msg.Text, "blocks": msg.Blocks.BlockSet}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// units counts like Slack's limits: UTF-16 code units.
func units(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}

// checkBlocks fails when a message breaks a Block Kit rule, which Slack
// would answer with invalid_blocks: the limits on blocks, texts, fields
// and buttons, unique ids, and buttons whose command does not parse.
func checkBlocks(t *testing.T, spec *bot.Spec, r bot.Reply) {
	t.Helper()
	msg := coachslack.Render(r)
	m := roundTrip(t, map[string]any{"blocks": msg.Blocks.BlockSet})
	blocks, _ := m["blocks"].([]any)
	if len(blocks) > 50 {
		t.Errorf("%d blocks, Slack takes 50", len(blocks))
	}
	if units(msg.Text) > 3000 {
		t.Errorf("fallback text of %d units", units(msg.Text))
	}
	if len(blocks) > 0 && strings.TrimSpace(msg.Text) == "" && r.Title+r.Text+r.Footer != "" {
		t.Errorf("blocks without a fallback text")
	}
	text := func(where string, v any, kind string, limit int) {
		obj, _ := v.(map[string]any)
		s, _ := obj["text"].(string)
		if obj["type"] != kind {
			t.Errorf("%s: text of type %v, want %s", where, obj["type"], kind)
		}
		if strings.TrimSpace(s) == "" {
			t.Errorf("%s: empty text", where)
		}
		if units(s) > limit {
			t.Errorf("%s: text of %d units, limit %d", where, units(s), limit)
		}
	}
	blockIDs, actionIDs := map[string]bool{}, map[string]bool{}
	for i, b := range blocks {
		blk := b.(map[string]any)
		where := fmt.Sprintf("block %d (%v)", i, blk["type"])
		if id, ok := blk["block_id"].(string); ok {
			if blockIDs[id] {
				t.Errorf("%s: block_id %q repeats", where, id)
			}
			blockIDs[id] = true
		}
		switch blk["type"] {
		case "header":
			text(where, blk["text"], "plain_text", 150)
		case "section":
			fields, _ := blk["fields"].([]any)
			if blk["text"] == nil && len(fields) == 0 {
				t.Errorf("%s: neither text nor fields", where)
			}
			if blk["text"] != nil {
				text(where, blk["text"], "mrkdwn", 3000)
			}
			if len(fields) > 10 {
				t.Errorf("%s: %d fields, Slack takes 10", where, len(fields))
			}
			for _, f := range fields {
				text(where+" field", f, "mrkdwn", 2000)
			}
		case "context":
			elems, _ := blk["elements"].([]any)
			if len(elems) == 0 || len(elems) > 10 {
				t.Errorf("%s: %d elements", where, len(elems))
			}
			for _, el := range elems {
				text(where, el, "mrkdwn", 3000)
			}
		case "image":
			if blk["image_url"] == "" || units(fmt.Sprint(blk["alt_text"])) > 2000 || blk["alt_text"] == "" {
				t.Errorf("%s: bad image %v", where, blk)
			}
		case "actions":
			elems, _ := blk["elements"].([]any)
			if len(elems) == 0 || len(elems) > 25 {
				t.Errorf("%s: %d elements, Slack takes 1 to 25", where, len(elems))
			}
			for _, el := range elems {
				e := el.(map[string]any)
				id, _ := e["action_id"].(string)
				if actionIDs[id] || !strings.HasPrefix(id, coachslack.ButtonActionPrefix) {
					t.Errorf("%s: action_id %q repeats or is not a command button", where, id)
				}
				actionIDs[id] = true
				text(where+" button", e["text"], "plain_text", 75)
				if st, ok := e["style"]; ok && st != "primary" && st != "danger" {
					t.Errorf("%s: style %v", where, st)
				}
				value, _ := e["value"].(string)
				if _, err := spec.Parse(value); spec != nil && err != nil {
					t.Errorf("%s: the button's command %q does not parse: %v", where, value, err)
				}
			}
		default:
			t.Errorf("%s: unexpected block type", where)
		}
	}
}

func TestRender(t *testing.T) {
	long := strings.Repeat("A line of text that makes the reply long, with **bold** and a [link](https://example.com/a?b=1&c=2).\n", 80)
	var many []bot.Field
	for i := range 13 {
		many = append(many, bot.Field{Name: fmt.Sprintf("Field %d", i+1), Value: "value", Inline: true})
	}
	var lots []bot.Button
	for i := range 27 {
		lots = append(lots, bot.Button{Label: fmt.Sprintf("Step %d", i+1), Command: fmt.Sprintf("roadmap step %d", i%8+1)})
	}
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
			"escaping",
			bot.Reply{
				Title: "Fish & chips <b>",
				Text:  "a < b && c > d; <!channel> and <@U123> stay text; [x|y](https://example.com/?q=a|b&r=<1>)",
				Fields: []bot.Field{
					{Name: "R&D <team>", Value: "1 < 2", Inline: true},
				},
				Footer: "<https://evil.example|click me>",
			},
		},
		{
			"code-block",
			bot.Reply{Title: "Everything I keep about you", Text: "```json\n{\n  \"user\": \"slack:T1:U1\",\n  \"note\": \"a < b\"\n}\n```", Footer: "forget deletes all of it"},
		},
		{
			"fields",
			bot.Reply{
				Title: "Your progress",
				Fields: []bot.Field{
					{Name: "Roadmap", Value: "3 of 8 steps done", Inline: true},
					{Name: "Study streak", Value: "**2 days** (best 5 days)", Inline: true},
					{Name: "Project: A URL shortener", Value: "Build an HTTP service that stores short codes in a database, redirects visitors and counts clicks."},
					{Name: "Where the roadmap teaches it", Value: "Step 3: Databases\nStep 6: Caching\n- a bullet in a field"},
					{Name: "", Value: "a field without a name"},
					{Name: "Empty", Value: ""},
				},
			},
		},
		{"many-fields", bot.Reply{Title: "Thirteen fields", Fields: many}},
		{"long-title", bot.Reply{Title: strings.Repeat("A very long title that goes on ", 6) + "and on", Text: "The header stops at 150 characters."}},
		{"long-text", bot.Reply{Title: "Long", Text: long}},
		{"progress", bot.Reply{Title: "The backend roadmap", Text: "✅ **1. Programming Languages**\n⬜ **2. Version Control**", Progress: &bot.Progress{Done: 3, Total: 8}}},
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
					{Label: "", Command: "tip"},
					{Label: "Nothing to do", Command: "  "},
					{Label: strings.Repeat("A label far too long for a Slack button ", 3), Command: "help"},
				},
				Footer: "Daily at 19:00 (Europe/London) every day.",
			},
		},
		{"many-buttons", bot.Reply{Title: "Steps", Buttons: lots}},
		{"select", bot.Reply{
			Title: "Step 2 of 8: Databases",
			Select: &bot.Select{Placeholder: "Tick the topics you *finished*", Command: "roadmap done", Options: []bot.Option{
				{Label: "2.1 The relational model", Value: "2.1"}, {Label: "", Value: "2.2"},
				{Label: "too long a value", Value: strings.Repeat("x", 151)},
			}},
			Buttons: []bot.Button{{Label: "Mark step 2 done", Command: "roadmap done 2", Style: bot.Primary}},
		}},
		{"image-public", bot.Reply{Title: "Roadmap", Text: "The whole path at a glance.", Image: "https://example.com/roadmap.png", Public: true}},
	}
	spec := bottest.New(t).Spec()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, "reply-"+tt.name, renderJSON(t, tt.reply))
			checkBlocks(t, spec, tt.reply)
		})
	}
}

// TestRenderBotReplies renders what the real bot answers on Slack, so a
// change in a handler's wording or in Render is a reviewed golden diff.
func TestRenderBotReplies(t *testing.T) {
	tests := []struct {
		name  string
		setup []string // said first, replies ignored
		line  string
	}{
		{"roadmap-next", nil, "roadmap next"},
		{"roadmap", []string{"roadmap done 1", "roadmap done 2"}, "roadmap"},
		{"salary", nil, "salary"},
		{"salary-mid", nil, "salary mid"},
		{"help", nil, "help"},
		{"progress", []string{"roadmap done 1", "checkin"}, "progress"},
		{"remind-status", []string{"remind daily 19:00 Asia/Kolkata weekdays"}, "remind status"},
		{"skills-security", nil, "skills security"},
		{"export", []string{"roadmap done 1"}, "export"},
		{"usage-error", nil, "remind daily"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := bottest.New(t)
			for _, l := range tt.setup {
				h.Say(l)
			}
			r := h.Say(tt.line)
			golden(t, "bot-"+tt.name, renderJSON(t, r))
			checkBlocks(t, h.Spec(), r)
		})
	}

	t.Run("reminder-dm", func(t *testing.T) {
		h := bottest.New(t)
		h.Say("roadmap done 1")
		h.Say("remind daily 19:00 Europe/London")
		h.Clock.Set(time.Date(2026, 11, 23, 19, 0, 30, 0, time.UTC))
		if st := h.Deliver(t); st.Sent != 1 {
			t.Fatalf("delivery: %+v, want one sent", st)
		}
		r := h.Messenger.DMs()[0].Reply
		golden(t, "bot-reminder-dm", renderJSON(t, r))
		checkBlocks(t, h.Spec(), r)
	})
}

func TestRenderResponseType(t *testing.T) {
	for _, tt := range []struct {
		public bool
		want   string
	}{{false, "ephemeral"}, {true, "in_channel"}} {
		if got := coachslack.Render(bot.Reply{Title: "x", Public: tt.public}).ResponseType; got != tt.want {
			t.Errorf("Public %v: response_type %q, want %q", tt.public, got, tt.want)
		}
	}
}

func TestMrkdwn(t *testing.T) {
	tests := []struct{ in, want string }{
		{"**bold** and _italic_", "*bold* and _italic_"},
		{"[Go](https://go.dev/)", "<https://go.dev/|Go>"},
		{"[https://go.dev/](https://go.dev/)", "<https://go.dev/>"},
		{"[a & b](https://x.example/?a=1&b=2)", "<https://x.example/?a=1&amp;b=2|a &amp; b>"},
		{"[pipe](https://x.example/a|b)", "<https://x.example/a%7Cb|pipe>"},
		{"1 < 2 > 0 & done", "1 &lt; 2 &gt; 0 &amp; done"},
		{"<!here> <@U1>", "&lt;!here&gt; &lt;@U1&gt;"},
		{"- one\n- two", "• one\n• two"},
		{"snake_case stays", "snake_case stays"},
		{"```\nif a < b {}\n```", "```\nif a &lt; b {}\n```"},
		{"**[Go](https://go.dev/)**", "*<https://go.dev/|Go>*"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := bot.FormatText(tt.in, coachslack.Mrkdwn); got != tt.want {
				t.Errorf("FormatText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestFallbackIsASummary: beside blocks, the top-level text is what a
// notification shows, so it is the title and the first paragraph, never a
// second copy of the whole answer.
func TestFallbackIsASummary(t *testing.T) {
	long := strings.Repeat("A long second paragraph. ", 200)
	for _, tc := range []struct {
		name string
		r    bot.Reply
		want string
	}{
		{"title and paragraphs", bot.Reply{Title: "Step 1", Text: "First paragraph.\n\n" + long}, "Step 1\nFirst paragraph."},
		{"one paragraph", bot.Reply{Text: "Only this."}, "Only this."},
		{"title only", bot.Reply{Title: "Done", Fields: []bot.Field{{Name: "a", Value: "b"}}}, "Done"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := coachslack.Render(tc.r).Text; got != tc.want {
				t.Errorf("fallback = %q, want %q", got, tc.want)
			}
		})
	}
	if got := coachslack.Render(bot.Reply{Text: long}).Text; len([]rune(got)) > 300 {
		t.Errorf("a long first paragraph gives a fallback of %d characters, want at most 300", len([]rune(got)))
	}
}
