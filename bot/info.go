package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/coachbot/coachbot/content"
)

// skills lists the key skills, or shows one.
func (b *Bot) skills(ctx context.Context, req *Request) (Reply, error) {
	if id := req.Arg("skill"); id != "" {
		sk, _ := b.pack.Skill(id)
		var t strings.Builder
		t.WriteString(sk.Why)
		t.WriteString("\n\n**How to practise**")
		for _, p := range sk.Practice {
			t.WriteString("\n- " + p)
		}
		var steps []string
		for _, ref := range sk.Steps {
			if i, s, ok := b.pack.Step(ref); ok {
				steps = append(steps, fmt.Sprintf("Step %d, %s", i+1, s.Title))
			}
		}
		r := Reply{Title: sk.Name, Text: t.String()}
		if len(steps) > 0 {
			r.Fields = []Field{{Name: "Taught in", Value: strings.Join(steps, "\n")}}
			i, _, _ := b.pack.Step(sk.Steps[0])
			r.Buttons = []Button{{Label: fmt.Sprintf("Open step %d", i+1), Command: fmt.Sprintf("roadmap step %d", i+1)}}
		}
		return r, nil
	}
	var lines []string
	for _, sk := range b.pack.Skills {
		lines = append(lines, fmt.Sprintf("- **%s**: %s", sk.Name, sk.Summary))
	}
	return Reply{
		Title:  "Key skills of a backend developer",
		Text:   strings.Join(lines, "\n"),
		Footer: "skills NAME shows one skill, for example: skills " + b.pack.Skills[0].ID,
	}, nil
}

// salary shows the salary bands, or one band, always with the source.
func (b *Bot) salary(ctx context.Context, req *Request) (Reply, error) {
	level := req.Arg("level")
	var r Reply
	for _, t := range b.pack.Salaries {
		where := fmt.Sprintf("%s, %d", t.Region, t.Year)
		if level != "" {
			band, ok := t.Band(level)
			if !ok {
				continue
			}
			r.Title = fmt.Sprintf("%s backend developer salary (%s)", band.Title, where)
			r.Text += fmt.Sprintf("**%s** a %s for %s years of experience.\n", t.RangeText(*band), t.Period, band.Years)
			r.Footer = joinFooter(r.Footer, sourceLine(&t))
			continue
		}
		r.Title = "Backend developer salaries"
		for _, band := range t.Bands {
			r.Fields = append(r.Fields, Field{
				Name:   fmt.Sprintf("%s (%s years), %s", band.Title, band.Years, where),
				Value:  fmt.Sprintf("%s a %s", t.RangeText(band), t.Period),
				Inline: true,
			})
		}
		r.Footer = joinFooter(r.Footer, sourceLine(&t))
	}
	if r.Title == "" {
		return Reply{}, Errorf(NotFound, "I have no salary figures for that level yet.")
	}
	r.Text = strings.TrimSpace(r.Text)
	if level == "" {
		r.Text = "Yearly pay by years of experience. Real offers vary with city, company and skills."
	}
	return r, nil
}

// sourceLine names a salary table's source, currency and units, which every
// figure must carry.
func sourceLine(t *content.SalaryTable) string {
	src := fmt.Sprintf("%q", t.Source.Title)
	if t.Source.URL != "" {
		src = fmt.Sprintf("[%s](%s)", src, t.Source.URL)
	}
	if t.Source.Publisher != "" {
		src += ", " + t.Source.Publisher
	}
	if d, err := time.Parse(time.DateOnly, t.Source.Updated); err == nil {
		src += ", updated " + d.Format("2 January 2006")
	}
	line := fmt.Sprintf("Source: %s. %s, amounts in %s", src, t.Region, t.Currency)
	if t.UnitName != "" {
		line += fmt.Sprintf("; %s = %s", t.Unit, t.UnitName)
	}
	return line + "."
}

func joinFooter(a, b string) string {
	if a == "" {
		return b
	}
	return a + " " + b
}

// career shows the career ladder, or one level.
func (b *Bot) career(ctx context.Context, req *Request) (Reply, error) {
	if id := req.Arg("level"); id != "" {
		for i, l := range b.pack.Levels {
			if l.ID != id {
				continue
			}
			var t strings.Builder
			t.WriteString(l.Role)
			t.WriteString("\n\n**What you do**")
			for _, resp := range l.Responsibilities {
				t.WriteString("\n- " + resp)
			}
			r := Reply{
				Title:  fmt.Sprintf("%s (%s years)", l.Title, l.Years),
				Text:   t.String(),
				Footer: "Years are typical, not rules: people move at their own pace.",
			}
			if i+1 < len(b.pack.Levels) {
				next := b.pack.Levels[i+1]
				r.Fields = []Field{{Name: "Towards " + next.Title, Value: l.NextLevel}}
				r.Buttons = []Button{{Label: "Next level: " + next.Title, Command: "career " + next.ID}}
			}
			return r, nil
		}
	}
	var lines []string
	for i, l := range b.pack.Levels {
		lines = append(lines, fmt.Sprintf("%d. **%s** (%s years): %s", i+1, l.Title, l.Years, firstSentence(l.Role)))
	}
	return Reply{
		Title:  "The backend career ladder",
		Text:   strings.Join(lines, "\n"),
		Footer: "career LEVEL shows one level, for example: career " + b.pack.Levels[0].ID,
	}, nil
}

// firstSentence keeps list lines short.
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

// tip shows a random tip.
func (b *Bot) tip(ctx context.Context, req *Request) (Reply, error) {
	i := b.rand(len(b.pack.Tips))
	return Reply{
		Title:    "Tip",
		Text:     b.pack.Tips[i].Text,
		Buttons:  []Button{{Label: "Another tip", Command: "tip"}},
		CacheKey: "tip " + strconv.Itoa(i),
	}, nil
}

// help lists the commands, or explains one, from the spec.
func (b *Bot) help(ctx context.Context, req *Request) (Reply, error) {
	if path := req.Arg("command"); path != "" {
		c := b.spec.Find(path)
		var t strings.Builder
		t.WriteString(c.Summary + ".")
		if c.Help != "" {
			t.WriteString("\n\n" + c.Help)
		}
		t.WriteString("\n\n**Usage**")
		for _, u := range usageLines(c) {
			t.WriteString("\n- " + u)
		}
		if ex := examples(c); len(ex) > 0 {
			t.WriteString("\n\n**Examples**")
			for _, e := range ex {
				t.WriteString("\n- " + e)
			}
		}
		return Reply{Title: "help " + c.Path(), Text: t.String()}, nil
	}
	var t strings.Builder
	for _, c := range b.spec.Commands {
		if c.Hidden {
			continue
		}
		fmt.Fprintf(&t, "- **%s**: %s\n", c.Usage(), c.Summary)
	}
	return Reply{
		Title:  "What I can do",
		Text:   strings.TrimSpace(t.String()),
		Footer: "help COMMAND explains one command, for example: help remind",
	}, nil
}
