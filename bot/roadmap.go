package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/coachbot/coachbot/content"
)

// roadmapOverview lists every step with the user's progress.
func (b *Bot) roadmapOverview(ctx context.Context, req *Request) (Reply, error) {
	u, err := b.user(ctx, req)
	if err != nil {
		return Reply{}, err
	}
	var lines []string
	for i, s := range b.pack.Steps {
		mark := "⬜"
		if slices.Contains(u.Done, s.ID) {
			mark = "✅"
		}
		lines = append(lines, fmt.Sprintf("%s **%d. %s** (%s) · about %s weeks", mark, i+1, s.Title, s.ID, s.Weeks))
	}
	r := Reply{
		Title:    "The backend roadmap",
		Text:     strings.Join(lines, "\n"),
		Progress: b.progressOf(u),
		Footer:   "roadmap step N shows a step (its number, the word in brackets or words of its title) · roadmap done N marks it finished · weeks at " + content.StudyPace.String() + " hours a week, our estimate",
	}
	if _, next := b.nextStep(u); next != nil {
		r.Buttons = []Button{{Label: "Show my next step", Command: "roadmap next", Style: Primary}}
	}
	return r, nil
}

// roadmapNext shows the first step the user has not finished.
func (b *Bot) roadmapNext(ctx context.Context, req *Request) (Reply, error) {
	u, err := b.user(ctx, req)
	if err != nil {
		return Reply{}, err
	}
	i, step := b.nextStep(u)
	if step == nil {
		return Reply{
			Title:    "You finished the whole roadmap 🎉",
			Text:     "Every step is marked done. Keep your skills sharp with a bigger project, read **career** to plan your next level, or **roadmap reset** to walk the path again.",
			Progress: b.progressOf(u),
			Buttons:  []Button{{Label: "Career ladder", Command: "career"}},
		}, nil
	}
	return b.stepReply(u, i, step), nil
}

// roadmapStep shows one step in detail.
func (b *Bot) roadmapStep(ctx context.Context, req *Request) (Reply, error) {
	u, err := b.user(ctx, req)
	if err != nil {
		return Reply{}, err
	}
	i, step, _ := b.pack.Step(req.Arg("step"))
	return b.stepReply(u, i, step), nil
}

// stepReply renders step i (0-based) for user u. The reply depends on the
// user only through the step's state and the count of steps done, so it is
// the same for everyone in that state: it is built once per state (a few
// hundred at most, bounded by the content) and shared, and adapters render
// it once per state too (its CacheKey). Callers must not modify its slices.
func (b *Bot) stepReply(u User, i int, s *content.Step) Reply {
	done := slices.Contains(u.Done, s.ID)
	p := b.progressOf(u)
	key := fmt.Sprintf("step %d done=%t %d/%d", i+1, done, p.Done, p.Total)
	r, _ := b.steps.Get(key, func() (Reply, error) { return b.buildStepReply(i, s, done, p, key), nil })
	return r
}

func (b *Bot) buildStepReply(i int, s *content.Step, done bool, p *Progress, key string) Reply {
	var t strings.Builder
	t.WriteString(s.Why)
	t.WriteString("\n\n**Topics**")
	for _, tp := range s.Topics {
		links := make([]string, len(tp.Resources))
		for j, r := range tp.Resources {
			links[j] = fmt.Sprintf("[%s](%s)", r.Title, r.URL)
		}
		fmt.Fprintf(&t, "\n- **%s** (about %d h): %s Read: %s", tp.Title, tp.Hours, withStop(tp.Summary), strings.Join(links, " · "))
	}
	title := fmt.Sprintf("Step %d of %d: %s", i+1, len(b.pack.Steps), s.Title)
	if done {
		title += " ✅"
	}
	r := Reply{
		Title: title,
		Text:  t.String(),
		Fields: []Field{
			{Name: "Project", Value: "**" + s.Project.Title + "**. " + s.Project.Description},
			{Name: "Time", Value: fmt.Sprintf("About %s weeks: %d hours at %s hours a week (our estimate)", s.Weeks, s.Hours(), content.StudyPace), Inline: true},
		},
		Progress: p,
		CacheKey: key,
	}
	n := fmt.Sprint(i + 1)
	if done {
		r.Buttons = []Button{{Label: "Mark not done", Command: "roadmap undo " + n}}
	} else {
		r.Buttons = []Button{{Label: "Mark step " + n + " done", Command: "roadmap done " + n, Style: Primary}}
	}
	r.Buttons = append(r.Buttons, Button{Label: "All steps", Command: "roadmap"})
	return r
}

// withStop ends a sentence with a full stop unless it has one.
func withStop(s string) string {
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

// roadmapDone marks a step finished.
func (b *Bot) roadmapDone(ctx context.Context, req *Request) (Reply, error) {
	return b.markStep(ctx, req, true)
}

// roadmapUndo marks a step not finished.
func (b *Bot) roadmapUndo(ctx context.Context, req *Request) (Reply, error) {
	return b.markStep(ctx, req, false)
}

func (b *Bot) markStep(ctx context.Context, req *Request, done bool) (Reply, error) {
	i, step, _ := b.pack.Step(req.Arg("step"))
	var changed bool
	u, err := b.update(ctx, req, func(u *User) error {
		has := slices.Contains(u.Done, step.ID)
		changed = has != done
		if done && !has {
			u.Done = append(u.Done, step.ID)
		}
		if !done && has {
			u.Done = slices.DeleteFunc(u.Done, func(id string) bool { return id == step.ID })
		}
		u.Done = b.inRoadmapOrder(u.Done)
		return nil
	})
	if err != nil {
		return Reply{}, err
	}
	name := fmt.Sprintf("Step %d, %s,", i+1, step.Title)
	r := Reply{Progress: b.progressOf(u)}
	switch {
	case done && changed:
		r.Title = "Step done ✅"
		r.Text = fmt.Sprintf("%s is marked finished. Well done!", name)
	case done:
		r.Title = "Already done"
		r.Text = fmt.Sprintf("%s was already marked finished.", name)
	case changed:
		r.Title = "Step reopened"
		r.Text = fmt.Sprintf("%s is marked not finished again.", name)
	default:
		r.Title = "Not marked done"
		r.Text = fmt.Sprintf("%s was not marked finished, so there was nothing to undo.", name)
	}
	if _, next := b.nextStep(u); next != nil {
		r.Buttons = []Button{{Label: "Show my next step", Command: "roadmap next", Style: Primary}}
	} else {
		r.Text += "\n\nThat was the last one: you have finished the whole roadmap! 🎉"
	}
	return r, nil
}

// roadmapReset forgets the roadmap progress after the user confirms.
func (b *Bot) roadmapReset(ctx context.Context, req *Request) (Reply, error) {
	if req.Arg("confirm") == "" {
		yes := Button{Label: "Yes, reset my roadmap", Command: "roadmap reset confirm", Style: Danger}
		return Reply{
			Title:   "Reset your roadmap?",
			Text:    "This forgets which roadmap steps you finished. Your streak and reminders stay. To go ahead, " + pressOrType(req, yes) + ".",
			Buttons: []Button{yes},
		}, nil
	}
	u, err := b.update(ctx, req, func(u *User) error { u.Done = nil; return nil })
	if err != nil {
		return Reply{}, err
	}
	return Reply{
		Title:    "Roadmap reset",
		Text:     "Your roadmap progress is cleared. A fresh start!",
		Progress: b.progressOf(u),
		Buttons:  []Button{{Label: "Show my next step", Command: "roadmap next", Style: Primary}},
	}, nil
}

// nextStep returns the first step u has not finished and its 0-based index,
// or nil when every step is done.
func (b *Bot) nextStep(u User) (int, *content.Step) {
	for i := range b.pack.Steps {
		if !slices.Contains(u.Done, b.pack.Steps[i].ID) {
			return i, &b.pack.Steps[i]
		}
	}
	return -1, nil
}

// progressOf counts the finished steps that are still in the roadmap: a
// content pack may drop a step someone had finished.
func (b *Bot) progressOf(u User) *Progress {
	n := 0
	for _, s := range b.pack.Steps {
		if slices.Contains(u.Done, s.ID) {
			n++
		}
	}
	return &Progress{Done: n, Total: len(b.pack.Steps)}
}

// inRoadmapOrder sorts step ids by their place in the roadmap; ids no longer
// in the roadmap keep their place at the end.
func (b *Bot) inRoadmapOrder(ids []string) []string {
	pos := func(id string) int {
		for i, s := range b.pack.Steps {
			if s.ID == id {
				return i
			}
		}
		return len(b.pack.Steps)
	}
	slices.SortStableFunc(ids, func(a, c string) int { return pos(a) - pos(c) })
	return ids
}
