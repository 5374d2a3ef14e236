package discord_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/bwmarrin/discordgo"

	"github.com/coachbot/coachbot/adapters/discord"
	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

func renderJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRender pins the rendering of the Reply model's parts.
func TestRender(t *testing.T) {
	tests := []struct {
		name  string
		reply bot.Reply
	}{
		{"empty", bot.Reply{}},
		{"title-only", bot.Reply{Title: "Tip"}},
		{
			"markdown",
			bot.Reply{
				Title: "Step 3 of 8: Databases",
				Text: "Learn **SQL** first, then _indexes_; read [the PostgreSQL docs](https://www.postgresql.org/docs/) and https://sqlite.org/about_this.html.\n\n" +
					"**Topics**\n" +
					"- **Relational modelling**: tables, keys and [normal forms](https://en.wikipedia.org/wiki/Database_normalization)\n" +
					"- snake_case, a*b, `code`, ~tilde~ and a|pipe are shown as typed\n" +
					"- a link whose text is its address: [https://go.dev/](https://go.dev/)\n" +
					"```sql\nSELECT * FROM users WHERE name LIKE 'a_%';\n```",
			},
		},
		{
			"fields",
			bot.Reply{
				Title: "Your progress",
				Fields: []bot.Field{
					{Name: "Roadmap", Value: "3 of 8 steps done", Inline: true},
					{Name: "Study streak", Value: "**2 days** (best 5 days)", Inline: true},
					{Name: "Where the roadmap teaches it", Value: "Step 3: Databases\n- a bullet in a field"},
					{Name: "", Value: "a field without a name"},
					{Name: "A name without a value", Value: ""},
				},
			},
		},
		{
			"progress",
			bot.Reply{Title: "The backend roadmap", Text: "✅ **1. Programming Languages**\n⬜ **2. Version Control**", Progress: &bot.Progress{Done: 3, Total: 8}},
		},
		{"progress-only", bot.Reply{Progress: &bot.Progress{Done: 0, Total: 8}}},
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
			bot.Reply{Title: "Mid-level backend developer salary (India, 2025)", Text: "**₹10 L – ₹14 L** a year.", Footer: `Source: [A *title*](https://example.com/salaries), Publisher.`},
		},
		{
			"select",
			bot.Reply{
				Title: "Step 2 of 8: Databases",
				Text:  "**Topics** (1 of 7 finished)",
				Select: &bot.Select{Placeholder: "Tick the topics you finished", Command: "roadmap done", Options: []bot.Option{
					{Label: "2.1 The relational model", Value: "2.1"}, {Label: "2.2 SQL", Value: "2.2"}, {Label: "", Value: "2.4"},
					{Label: "a value too long for Discord", Value: strings.Repeat("x", 101)},
				}},
				Buttons: []bot.Button{{Label: "Mark step 2 done", Command: "roadmap done 2", Style: bot.Primary}, {Label: "All steps", Command: "roadmap"}},
			},
		},
		{"public-image", bot.Reply{Title: "Roadmap", Text: "The whole path at a glance.", Image: "https://example.com/roadmap.png", Public: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, "reply-"+tt.name+".golden.json", renderJSON(t, discord.Render(tt.reply)))
		})
	}
}

// TestRenderBotReplies renders what the real bot answers, so a change in a
// handler or in Render shows up as a reviewed golden diff.
func TestRenderBotReplies(t *testing.T) {
	tests := []struct {
		name  string
		setup []string
		line  string
	}{
		{"roadmap-next", nil, "roadmap next"},
		{"roadmap", []string{"roadmap done 1", "roadmap done 2"}, "roadmap"},
		{"roadmap-step", nil, "roadmap step 3"},
		{"salary-mid", nil, "salary mid"},
		{"salary", nil, "salary"},
		{"salary-lead", nil, "salary lead"},
		{"career-senior", nil, "career senior"},
		{"welcome", nil, "hi"},
		{"skills-security", nil, "skills security"},
		{"progress", []string{"roadmap done 1", "checkin"}, "progress"},
		{"remind-daily", nil, "remind daily 07:30 Asia/Kolkata weekdays"},
		{"help", nil, "help"},
		{"usage-error", nil, "remind daily"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := bottest.New(t)
			user := bot.DiscordUser(guildUser)
			for _, l := range tt.setup {
				h.SayAs(user, l)
			}
			data := discord.Render(h.SayAs(user, tt.line))
			golden(t, "bot-"+tt.name+".golden.json", renderJSON(t, data))
			checkLimits(t, data.Embeds, data.Components)
			// Every button is a command line the bot understands.
			for _, id := range customIDs(data.Components) {
				id = strings.TrimPrefix(id, "menu: ") // a menu's command parses with a value chosen
				if strings.HasPrefix(id, "roadmap done") && !strings.Contains(id, " done ") {
					id += " 2.1"
				}
				if _, err := h.Spec().Parse(id); err != nil {
					t.Errorf("button %q does not parse: %v", id, err)
				}
			}
		})
	}
}

// TestSalarySourceIsALink: the salary source is a link that can be
// clicked, which an embed footer cannot hold (issue 12): it is the last
// field, in markdown, and the footer is empty.
func TestSalarySourceIsALink(t *testing.T) {
	h := bottest.New(t)
	for _, line := range []string{"salary", "salary mid", "career mid"} {
		e := discord.Render(h.SayAs(bot.DiscordUser(guildUser), line)).Embeds[0]
		if e.Footer != nil {
			t.Errorf("%s: the source is in the footer, where its link is raw text: %q", line, e.Footer.Text)
		}
		if len(e.Fields) == 0 {
			t.Errorf("%s: no fields, so no linked source", line)
			continue
		}
		last := e.Fields[len(e.Fields)-1].Value
		if !strings.Contains(last, "[\"How to Become a Backend Developer in 2025\"](https://www.geeksforgeeks.org/blogs/back-end-developer-roadmap/)") {
			t.Errorf("%s: the last field is not the linked source: %q", line, last)
		}
	}
}

// TestProgressBarLeads: the bar opens the description, so it does not sit
// between a step's topics and its project (issue 12).
func TestProgressBarLeads(t *testing.T) {
	h := bottest.New(t)
	e := discord.Render(h.SayAs(bot.DiscordUser(guildUser), "roadmap step 3")).Embeds[0]
	if !strings.HasPrefix(e.Description, "`░") {
		t.Errorf("description does not start with the progress bar:\n%s", e.Description)
	}
	if strings.Contains(e.Description[strings.Index(e.Description, "Topics"):], "`") {
		t.Errorf("the bar comes after the topics:\n%s", e.Description)
	}
}

// TestRenderMessage: a DM is the same embed and buttons, never ephemeral.
func TestRenderMessage(t *testing.T) {
	h := bottest.New(t)
	r := h.SayAs(bot.DiscordUser(guildUser), "roadmap next")
	msg := discord.RenderMessage(r)
	data := discord.Render(r)
	if string(renderJSON(t, msg.Embeds)) != string(renderJSON(t, data.Embeds)) || string(renderJSON(t, msg.Components)) != string(renderJSON(t, data.Components)) {
		t.Error("a DM renders differently from an interaction answer")
	}
	if msg.Flags != 0 {
		t.Errorf("DM flags %d, want none", msg.Flags)
	}
}

func units(s string) int { return len(utf16.Encode([]rune(s))) }

// checkLimits fails when a message breaks one of Discord's limits, which
// would make Discord refuse the whole answer.
func checkLimits(t *testing.T, embeds []*discordgo.MessageEmbed, rows []discordgo.MessageComponent) {
	t.Helper()
	for _, e := range embeds {
		total := units(e.Title) + units(e.Description)
		if units(e.Title) > 256 || units(e.Description) > 4096 {
			t.Errorf("title %d or description %d over the limit", units(e.Title), units(e.Description))
		}
		if len(e.Fields) > 25 {
			t.Errorf("%d fields", len(e.Fields))
		}
		for _, f := range e.Fields {
			if f.Name == "" || f.Value == "" || units(f.Name) > 256 || units(f.Value) > 1024 {
				t.Errorf("field %q (%d) / %d units breaks a limit", f.Name, units(f.Name), units(f.Value))
			}
			total += units(f.Name) + units(f.Value)
		}
		if e.Footer != nil {
			total += units(e.Footer.Text)
			if units(e.Footer.Text) > 2048 {
				t.Errorf("footer of %d units", units(e.Footer.Text))
			}
		}
		if total > 6000 {
			t.Errorf("embed of %d units, Discord allows 6000", total)
		}
	}
	if len(rows) > 5 {
		t.Errorf("%d rows of buttons", len(rows))
	}
	seen := map[string]bool{}
	for _, r := range rows {
		row := r.(discordgo.ActionsRow)
		if len(row.Components) == 0 || len(row.Components) > 5 {
			t.Errorf("a row of %d buttons", len(row.Components))
		}
		for _, c := range row.Components {
			if m, ok := c.(discordgo.SelectMenu); ok {
				if len(row.Components) != 1 || m.CustomID == "" || units(m.CustomID) > 100 || seen[m.CustomID] || len(m.Options) == 0 || len(m.Options) > 25 || m.MaxValues != len(m.Options) {
					t.Errorf("select menu %+v breaks a limit", m)
				}
				for _, o := range m.Options {
					if o.Label == "" || units(o.Label) > 100 || o.Value == "" || units(o.Value) > 100 {
						t.Errorf("select option %+v", o)
					}
				}
				seen[m.CustomID] = true
				continue
			}
			b := c.(discordgo.Button)
			if b.CustomID == "" || units(b.CustomID) > 100 || seen[b.CustomID] || b.URL != "" {
				t.Errorf("button %+v: bad or repeated custom_id", b)
			}
			if b.Label == "" || units(b.Label) > 80 {
				t.Errorf("button label %q", b.Label)
			}
			seen[b.CustomID] = true
		}
	}
}

func customIDs(rows []discordgo.MessageComponent) []string {
	var ids []string
	for _, r := range rows {
		for _, c := range r.(discordgo.ActionsRow).Components {
			if m, ok := c.(discordgo.SelectMenu); ok {
				ids = append(ids, "menu: "+m.CustomID)
				continue
			}
			ids = append(ids, c.(discordgo.Button).CustomID)
		}
	}
	return ids
}

// TestRenderLimits: whatever the Reply holds, the message fits Discord.
func TestRenderLimits(t *testing.T) {
	var fields []bot.Field
	for i := range 30 {
		fields = append(fields, bot.Field{Name: strings.Repeat("n", 300), Value: strings.Repeat("v", 1100) + fmt.Sprint(i)})
	}
	var buttons []bot.Button
	for i := range 30 {
		buttons = append(buttons, bot.Button{Label: strings.Repeat("L", 90), Command: fmt.Sprintf("roadmap step %d", i)})
	}
	buttons = append([]bot.Button{
		{Label: "too long", Command: "help " + strings.Repeat("x", 100)},
		{Label: "repeat", Command: "roadmap step 0"},
		{Label: "", Command: "tip"},
		{Label: "blank", Command: "  "},
	}, buttons...)
	r := bot.Reply{
		Title:   strings.Repeat("🎯", 200),
		Text:    strings.Repeat("word ", 2000),
		Fields:  fields,
		Footer:  strings.Repeat("f", 3000),
		Buttons: buttons,
	}
	data := discord.Render(r)
	checkLimits(t, data.Embeds, data.Components)

	e := data.Embeds[0]
	if !strings.HasSuffix(e.Title, "…") || units(e.Title) > 256 {
		t.Errorf("title not cut with an ellipsis: %d units", units(e.Title))
	}
	if strings.Contains(e.Title, "\ufffd") {
		t.Error("title cut inside a character")
	}
	ids := customIDs(data.Components)
	if len(ids) != 25 || ids[0] != "roadmap step 0" || ids[1] != "tip" || ids[2] != "roadmap step 1" {
		t.Errorf("buttons %v: want 25, the too-long, blank and repeated ones left out", ids)
	}
	if len(data.Components) != 5 {
		t.Errorf("%d rows, want 5", len(data.Components))
	}
	if label := data.Components[0].(discordgo.ActionsRow).Components[1].(discordgo.Button).Label; label != "tip" {
		t.Errorf("a button without a label shows %q, want its command", label)
	}
}

// TestRenderEmptyUpdate: a reply without buttons or embed still clears
// those of the message it updates (empty lists, not absent ones).
func TestRenderEmptyUpdate(t *testing.T) {
	var m map[string]any
	if err := json.Unmarshal(renderJSON(t, discord.Render(bot.Reply{Text: "ok"})), &m); err != nil {
		t.Fatal(err)
	}
	if c, ok := m["components"].([]any); !ok || len(c) != 0 {
		t.Errorf("components = %v, want []", m["components"])
	}
	if err := json.Unmarshal(renderJSON(t, discord.Render(bot.Reply{})), &m); err != nil {
		t.Fatal(err)
	}
	if e, ok := m["embeds"].([]any); !ok || len(e) != 0 || m["content"] == "" {
		t.Errorf("empty reply = %v, want no embed and a placeholder content", m)
	}
}
