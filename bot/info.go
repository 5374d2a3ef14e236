package bot

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
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
		r := Reply{Title: sk.Name, Text: t.String()}
		var steps []string
		for _, ref := range sk.Steps {
			i, s, ok := b.pack.Step(ref)
			if !ok {
				continue
			}
			steps = append(steps, fmt.Sprintf("Step %d, %s", i+1, s.Title))
			// A button for every step that teaches the skill, not only
			// the first: debugging is learnt in steps 1 and 8.
			r.Buttons = append(r.Buttons, Button{Label: fmt.Sprintf("Open step %d", i+1), Command: fmt.Sprintf("roadmap step %d", i+1)})
		}
		if len(steps) > 0 {
			r.Fields = []Field{{Name: "Taught in", Value: strings.Join(steps, "\n")}}
		}
		return r, nil
	}
	var lines []string
	for _, sk := range b.pack.Skills {
		lines = append(lines, fmt.Sprintf("- **%s** (%s): %s", sk.Name, sk.ID, sk.Summary))
	}
	return Reply{
		Title:  "Key skills of a backend developer",
		Text:   strings.Join(lines, "\n"),
		Footer: "skills NAME shows one skill, by its name, a word of it or the word in brackets, for example: skills " + b.pack.Skills[0].ID,
	}, nil
}

// salary shows the salary bands, or the band of one career level, always
// with the source. The region and year are named once, in the title.
func (b *Bot) salary(ctx context.Context, req *Request) (Reply, error) {
	if len(b.pack.Salaries) == 0 {
		return Reply{}, Errorf(NotFound, "I have no salary figures yet.")
	}
	t := &b.pack.Salaries[0]
	key := req.Command.Path()
	if id := req.Arg("level"); id != "" {
		key += " " + id
	}
	r := Reply{Footer: sourceLine(t, req.Now), CacheKey: key + " " + ageKey(t, req.Now)}
	if id := req.Arg("level"); id != "" {
		l, _ := b.pack.Level(id)
		band, ok := t.BandOf(l)
		if !ok {
			// Not an error: the level is real, the source has no figure.
			top := t.Bands[len(t.Bands)-1]
			r.Title = fmt.Sprintf("%s salary (%s, %d)", l.Title, t.Region, t.Year)
			r.Text = fmt.Sprintf("The source's table stops at %d years of experience, so I have no figure for %s. Its highest band, %s, is **%s** a %s for %s years.",
				t.MaxYears(), l.Title, top.Title, t.RangeText(top), t.Period, top.Years)
			r.Buttons = []Button{{Label: "All salary bands", Command: "salary"}, {Label: "About this level", Command: "career " + l.ID}}
			return r, nil
		}
		r.Title = fmt.Sprintf("%s backend developer salary (%s, %d)", band.Title, t.Region, t.Year)
		r.Text = fmt.Sprintf("**%s** a %s for %s years of experience.", t.RangeText(*band), t.Period, band.Years)
		if !strings.HasPrefix(strings.ToLower(l.Title), strings.ToLower(band.Title)) {
			// "Beginner" is the source's word for a Junior Developer.
			r.Text += fmt.Sprintf("\n\nOn the career ladder that is **%s**.", l.Title)
		}
		r.Buttons = []Button{{Label: "About this level", Command: "career " + l.ID}, {Label: "All salary bands", Command: "salary"}}
		return r, nil
	}
	r.Title = fmt.Sprintf("Backend developer salaries (%s, %d)", t.Region, t.Year)
	for _, band := range t.Bands {
		value := fmt.Sprintf("%s a %s", t.RangeText(band), t.Period)
		if l := b.levelOf(band); l != nil && !strings.HasPrefix(strings.ToLower(l.Title), strings.ToLower(band.Title)) {
			value += " (" + l.Title + ")"
		}
		r.Fields = append(r.Fields, Field{Name: fmt.Sprintf("%s (%s years)", band.Title, band.Years), Value: value, Inline: true})
	}
	r.Text = fmt.Sprintf("Pay by years of experience, as the source gives it. Real offers vary with city, company and skills. The table stops at %d years: %s.",
		t.MaxYears(), b.bandlessLevels(t))
	return r, nil
}

// levelOf returns the career level a salary band belongs to.
func (b *Bot) levelOf(band content.SalaryBand) *content.Level {
	for i := range b.pack.Levels {
		if b.pack.Levels[i].Salary == band.Level {
			return &b.pack.Levels[i]
		}
	}
	return nil
}

// bandlessLevels says which levels the table has no figure for.
func (b *Bot) bandlessLevels(t *content.SalaryTable) string {
	var names []string
	for i := range b.pack.Levels {
		if _, ok := t.BandOf(&b.pack.Levels[i]); !ok {
			names = append(names, b.pack.Levels[i].Title)
		}
	}
	if len(names) == 0 {
		return "every level has a band"
	}
	if len(names) == 1 {
		return names[0] + " has no figure"
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1] + " have no figure"
}

// sourceLine names a salary table's source, its date (and age, once it is
// more than a year old: pay moves) and the currency and unit. The region
// is in the reply's title, so it is not repeated here.
func sourceLine(t *content.SalaryTable, now time.Time) string {
	src := fmt.Sprintf("%q", t.Source.Title)
	if t.Source.URL != "" {
		src = fmt.Sprintf("[%s](%s)", src, t.Source.URL)
	}
	if t.Source.Publisher != "" {
		src += ", " + t.Source.Publisher
	}
	if d, err := time.Parse(time.DateOnly, t.Source.Updated); err == nil {
		src += ", updated " + d.Format("2 January 2006")
		switch n := yearsSince(d, now); {
		case n == 1:
			src += ", over a year ago"
		case n > 1:
			src += fmt.Sprintf(", over %d years ago", n)
		}
	}
	line := fmt.Sprintf("Source: %s. Amounts in %s", src, t.Currency)
	if t.UnitName != "" {
		line += fmt.Sprintf("; %s = %s", t.Unit, t.UnitName)
	}
	return line + "."
}

// yearsSince counts the whole years from d to now.
func yearsSince(d, now time.Time) int {
	n := now.Year() - d.Year()
	if now.YearDay() < d.YearDay() {
		n--
	}
	return max(n, 0)
}

// ageKey is the part of a salary reply's cache key that changes with the
// source's age, so a reply cached last year is not served this year.
func ageKey(t *content.SalaryTable, now time.Time) string {
	d, err := time.Parse(time.DateOnly, t.Source.Updated)
	if err != nil {
		return "age=?"
	}
	return "age=" + strconv.Itoa(yearsSince(d, now))
}

// career shows the career ladder, or one level with its salary band.
func (b *Bot) career(ctx context.Context, req *Request) (Reply, error) {
	if id := req.Arg("level"); id != "" {
		l, _ := b.pack.Level(id)
		i := 0
		for i < len(b.pack.Levels) && b.pack.Levels[i].ID != l.ID {
			i++
		}
		var t strings.Builder
		t.WriteString(l.Role)
		t.WriteString("\n\n**What you do**")
		for _, resp := range l.Responsibilities {
			t.WriteString("\n- " + resp)
		}
		r := Reply{Title: l.Title, Text: t.String()}
		if !l.Years.IsZero() {
			r.Title = fmt.Sprintf("%s (%s years)", l.Title, l.Years)
		}
		if len(b.pack.Salaries) > 0 {
			st := &b.pack.Salaries[0]
			name := fmt.Sprintf("Pay (%s, %d)", st.Region, st.Year)
			if band, ok := st.BandOf(l); ok {
				r.Fields = append(r.Fields, Field{Name: name, Value: fmt.Sprintf("%s a %s (the source's %s band)", st.RangeText(*band), st.Period, band.Title)})
			} else {
				r.Fields = append(r.Fields, Field{Name: name, Value: fmt.Sprintf("No figure: the source's table stops at %d years of experience.", st.MaxYears())})
			}
			r.Footer = sourceLine(st, req.Now)
			r.CacheKey = "career " + l.ID + " " + ageKey(st, req.Now)
		}
		if i+1 < len(b.pack.Levels) {
			next := b.pack.Levels[i+1]
			r.Fields = append(r.Fields, Field{Name: "Towards " + next.Title, Value: l.NextLevel})
			r.Buttons = []Button{{Label: "Next level: " + next.Title, Command: "career " + next.ID}}
		}
		return r, nil
	}
	var lines []string
	for i, l := range b.pack.Levels {
		years := ""
		if !l.Years.IsZero() {
			years = fmt.Sprintf(" (%s years)", l.Years)
		}
		lines = append(lines, fmt.Sprintf("%d. **%s**%s: %s", i+1, l.Title, years, firstSentence(l.Role)))
	}
	return Reply{
		Title:  "The backend career ladder",
		Text:   strings.Join(lines, "\n"),
		Footer: "Years follow the salary source's experience bands; people move at their own pace. career LEVEL shows one level, for example: career " + b.pack.Levels[0].ID,
	}, nil
}

// firstSentence keeps list lines short.
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

// tipStoreTimeout bounds the tip's store round trip: a tip still comes,
// possibly one seen before, when the store is slow or down.
const tipStoreTimeout = 500 * time.Millisecond

// tip shows the next tip of the user's own order, so none repeats until
// every tip has been shown, and "Another tip" never shows the same one.
func (b *Bot) tip(ctx context.Context, req *Request) (Reply, error) {
	n := len(b.pack.Tips)
	i := b.rand(n)
	sctx, cancel := context.WithTimeout(ctx, tipStoreTimeout)
	defer cancel()
	if _, err := b.store.UpdateUser(sctx, req.User, func(u *User) error {
		i = tipOrder(req.User, n, u.TipsShown)
		u.TipsShown++
		return nil
	}); err != nil {
		b.log.Debug("tip without the store", "user", HashUser(req.User), "err", err)
	}
	return Reply{
		Title:    "Tip",
		Text:     b.pack.Tips[i].Text,
		Buttons:  []Button{{Label: "Another tip", Command: "tip"}},
		CacheKey: "tip " + strconv.Itoa(i),
	}, nil
}

// tipOrder returns the index of the k-th tip (0-based) a user sees among n:
// the tips are shuffled afresh for each round of n, seeded by the user and
// the round, and a round never starts with the tip the last one ended on.
func tipOrder(user UserID, n, k int) int {
	if n <= 1 {
		return 0
	}
	round, pos := k/n, k%n
	perm := tipRound(user, n, round)
	if round > 0 && perm[0] == tipRound(user, n, round-1)[n-1] {
		perm[0], perm[1] = perm[1], perm[0]
	}
	return perm[pos]
}

func tipRound(user UserID, n, round int) []int {
	sum := sha256.Sum256([]byte(user))
	r := rand.New(rand.NewPCG(binary.LittleEndian.Uint64(sum[:8]), uint64(round)))
	return r.Perm(n)
}

// help lists the commands, or explains one, from the spec.
func (b *Bot) help(ctx context.Context, req *Request) (Reply, error) {
	path := req.Arg("command")
	if path == "coach" {
		return Reply{
			Title: "Help: coach",
			Text: "**coach** is the umbrella word: every command can start with it, and on Slack and Discord **/coach** reaches all of them. " +
				"**/coach roadmap next**, **coach roadmap next** and **roadmap next** do the same. " +
				"Some commands are also slash commands of their own, like **/roadmap** and **/salary**.",
			Buttons: []Button{{Label: "All commands", Command: "help"}},
		}, nil
	}
	if path != "" {
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
		if vals := b.validValues(c); vals != "" {
			t.WriteString("\n\n" + vals)
		}
		if ex := examples(c); len(ex) > 0 {
			t.WriteString("\n\n**Examples**")
			for _, e := range ex {
				t.WriteString("\n- " + e)
			}
		}
		return Reply{Title: "Help: " + c.Path(), Text: t.String()}, nil
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

// choiceList is "**level** is one of:" and a line per choice, with its
// label and aliases.
func choiceList(placeholder string, cs []Choice) string {
	var t strings.Builder
	fmt.Fprintf(&t, "**%s** is one of:", placeholder)
	for _, ch := range cs {
		fmt.Fprintf(&t, "\n- **%s** (%s)", ch.Value, ch.Label)
		if len(ch.Aliases) > 0 {
			t.WriteString(": also " + strings.Join(ch.Aliases, ", "))
		}
	}
	return t.String()
}

// validValues lists what a command's level or skill argument accepts, so
// "help salary" answers "which levels are there?".
func (b *Bot) validValues(c *Command) string {
	for _, a := range c.Args {
		switch a.Kind {
		case ArgChoice:
			return choiceList(a.Placeholder, a.Choices)
		case ArgSkill:
			skills := make([]Choice, len(b.pack.Skills))
			for i, sk := range b.pack.Skills {
				skills[i] = Choice{Value: sk.ID, Label: sk.Name, Aliases: sk.Aliases}
			}
			return choiceList(a.Placeholder, skills)
		case ArgStep:
			var t strings.Builder
			fmt.Fprintf(&t, "**%s** is a step's number, id or words of its title:", a.Placeholder)
			for i, s := range b.pack.Steps {
				fmt.Fprintf(&t, "\n- **%d** or **%s**: %s", i+1, s.ID, s.Title)
			}
			return t.String()
		}
	}
	return ""
}

// welcome answers a greeting, or a question the parser cannot read, with
// what the bot is for and where to start.
func (b *Bot) welcome(ctx context.Context, req *Request) (Reply, error) {
	start := Button{Label: "Start studying", Command: "today", Style: Primary}
	help := Button{Label: "Help", Command: "help"}
	return Reply{
		Title: "Hi, I'm your backend career coach 👋",
		Text: "I walk you through the backend roadmap one step at a time, explain the skills and career levels, show salary bands, and remind you to study. " +
			"I understand short commands rather than questions. To begin, " + pressOrType(req, start) + " for what to study today, or " + pressOrType(req, help) + " for everything I can do.",
		Buttons:  []Button{start, help},
		CacheKey: "welcome " + actionWord(req),
	}, nil
}
