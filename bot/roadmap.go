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
		n, total := b.stepCount(u, i)
		mark := "⬜"
		switch {
		case n == total:
			mark = "✅"
		case n > 0 || b.stepLearning(u, i):
			mark = "📖"
		}
		lines = append(lines, fmt.Sprintf("%s **%d. %s** (%s) · %d/%d topics · about %s weeks", mark, i+1, s.Title, s.ID, n, total, s.Weeks))
	}
	r := Reply{
		Title:    "The backend roadmap",
		Text:     strings.Join(lines, "\n"),
		Progress: b.progressOf(u),
		Footer:   "roadmap step N shows a step and its topics (2.3 is step 2, topic 3) · roadmap done 2.3 marks a topic done · weeks at " + content.StudyPace.String() + " hours a week, our estimate",
	}
	if _, next := b.nextStep(u); next != nil {
		r.Buttons = []Button{{Label: "Show my next step", Command: "roadmap next", Style: Primary}}
	}
	return r, nil
}

// stepLearning reports whether u is learning a topic of step si.
func (b *Bot) stepLearning(u User, si int) bool {
	for ti := range b.pack.Steps[si].Topics {
		if b.topicState(u, si, ti) == TopicLearning {
			return true
		}
	}
	return false
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

// stepReply renders step i (0-based) for user u: each topic with its
// state, and a menu to tick topics done. It depends on the step's topic
// states and the steps done, no more, so it is built once per such state
// and shared (its CacheKey names the state): most learners are in a few
// states, and building and rendering a step is most of a command's CPU.
func (b *Bot) stepReply(u User, i int, s *content.Step) Reply {
	var key strings.Builder
	fmt.Fprintf(&key, "step %d ", i)
	for j := range s.Topics {
		key.WriteByte('0' + byte(b.topicState(u, i, j)))
	}
	fmt.Fprintf(&key, " %d", b.progressOf(u).Done)
	r, _ := b.steps.Get(key.String(), func() (Reply, error) { return b.buildStep(u, i, s), nil })
	r.CacheKey = key.String()
	return r
}

// buildStep is stepReply's work, for the first user in a state.
func (b *Bot) buildStep(u User, i int, s *content.Step) Reply {
	n, total := b.stepCount(u, i)
	done := n == total
	var t strings.Builder
	t.WriteString(s.Why)
	fmt.Fprintf(&t, "\n\n**Topics** (%d of %d finished)", n, total)
	var open []Option
	for j, tp := range s.Topics {
		links := make([]string, len(tp.Resources))
		for k, r := range tp.Resources {
			links[k] = fmt.Sprintf("[%s](%s)", r.Title, r.URL)
		}
		st := b.topicState(u, i, j)
		fmt.Fprintf(&t, "\n- %s **%s %s** (about %d h): %s Read: %s", st.icon(), topicRef(i, j), tp.Title, tp.Hours, withStop(tp.Summary), strings.Join(links, " · "))
		if !st.finished() {
			open = append(open, Option{Label: topicRef(i, j) + " " + tp.Title, Value: topicRef(i, j)})
		}
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
		Progress: b.progressOf(u),
	}
	num := fmt.Sprint(i + 1)
	if done {
		r.Buttons = []Button{{Label: "Mark not done", Command: "roadmap undo " + num}}
	} else {
		r.Buttons = []Button{{Label: "Mark step " + num + " done", Command: "roadmap done " + num, Style: Primary}}
	}
	r.Buttons = append(r.Buttons, Button{Label: "All steps", Command: "roadmap"})
	if len(open) > 0 {
		r.Select = &Select{Placeholder: "Tick the topics you finished", Command: "roadmap done", Options: open}
	}
	return r
}

// withStop ends a sentence with a full stop unless it has one.
func withStop(s string) string {
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

// roadmapDone marks a step (all its topics) or topics done.
func (b *Bot) roadmapDone(ctx context.Context, req *Request) (Reply, error) {
	if isTopicRefs(req.Arg("step")) {
		return b.markTopics(ctx, req, TopicDone)
	}
	return b.markStep(ctx, req, true)
}

// roadmapUndo marks a step or topics not started again.
func (b *Bot) roadmapUndo(ctx context.Context, req *Request) (Reply, error) {
	if isTopicRefs(req.Arg("step")) {
		return b.markTopics(ctx, req, NotStarted)
	}
	return b.markStep(ctx, req, false)
}

// roadmapLearning marks the topic the user is learning now.
func (b *Bot) roadmapLearning(ctx context.Context, req *Request) (Reply, error) {
	return b.markTopics(ctx, req, TopicLearning)
}

// roadmapSkip skips a topic.
func (b *Bot) roadmapSkip(ctx context.Context, req *Request) (Reply, error) {
	return b.markTopics(ctx, req, TopicSkipped)
}

// isTopicRefs tells topic refs ("2.1 2.4") from a step id, which the
// parser made the argument.
func isTopicRefs(v string) bool { return strings.Contains(v, ".") }

// markTopics sets the state of the topics in the argument.
func (b *Bot) markTopics(ctx context.Context, req *Request, st TopicState) (Reply, error) {
	arg := req.Arg("step")
	if arg == "" {
		arg = req.Arg("topic")
	}
	type ref struct{ si, ti int }
	var refs []ref
	for _, w := range strings.Fields(arg) {
		si, ti, ok := b.pack.Topic(w)
		if ok {
			refs = append(refs, ref{si, ti})
		}
	}
	var changed []ref
	var before User
	u, err := b.update(ctx, req, func(u *User) error {
		before, changed = *u, nil
		day := b.localDay(*u, req.Now)
		for _, r := range refs {
			if b.topicState(*u, r.si, r.ti) == st {
				continue
			}
			b.setTopic(u, r.si, r.ti, st, day)
			changed = append(changed, r)
		}
		return nil
	})
	if err != nil {
		return Reply{}, err
	}
	names := func(rs []ref) string {
		out := make([]string, len(rs))
		for i, r := range rs {
			out[i] = topicName(b.pack, r.si, r.ti)
		}
		return strings.Join(out, ", ")
	}
	r := Reply{Progress: b.progressOf(u)}
	switch {
	case len(changed) == 0:
		r.Title = "Nothing changed"
		r.Text = fmt.Sprintf("%s %s already %s.", names(refs), isAre(len(refs)), st)
	case st == TopicDone:
		r.Title = "Topic done ✅"
		if len(changed) > 1 {
			r.Title = "Topics done ✅"
		}
		r.Text = fmt.Sprintf("Marked done: %s. Nice work!", names(changed))
	case st == TopicLearning:
		r.Title = "Learning now 📖"
		r.Text = fmt.Sprintf("You are learning %s. **today** will start from it until you mark it done.", names(changed))
	case st == TopicSkipped:
		r.Title = "Topic skipped ⏭️"
		r.Text = fmt.Sprintf("Skipped %s. It counts as finished; **roadmap undo %s** brings it back.", names(changed), topicRef(changed[0].si, changed[0].ti))
	default:
		r.Title = "Back to not started"
		r.Text = fmt.Sprintf("%s %s not started again.", names(changed), isAre(len(changed)))
	}
	for _, c := range changed {
		if st.finished() && !b.stepFinished(before, c.si) && b.stepFinished(u, c.si) {
			s := &b.pack.Steps[c.si]
			r.Text += fmt.Sprintf("\n\nThat finishes **Step %d, %s** 🎉 Now build its project to make it stick: **%s**. %s", c.si+1, s.Title, s.Project.Title, s.Project.Description)
			break
		}
	}
	if _, next := b.nextStep(u); next != nil {
		r.Buttons = []Button{{Label: "What to study today", Command: "today", Style: Primary}}
	} else {
		r.Text += "\n\nThat was the last one: you have finished the whole roadmap! 🎉"
	}
	return r, nil
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// markStep marks a step finished, all its topics done, or not started.
// A finished step is kept as its id in Done, without its topics: ten
// bytes where marks of its topics take a hundred.
func (b *Bot) markStep(ctx context.Context, req *Request, done bool) (Reply, error) {
	i, step, _ := b.pack.Step(req.Arg("step"))
	var changed bool
	u, err := b.update(ctx, req, func(u *User) error {
		has := slices.Contains(u.Done, step.ID)
		changed = done != has
		for _, t := range step.Topics {
			if _, ok := u.Topics[TopicNum(t.Num)]; ok {
				changed = changed || !done
				b.setMark(u, TopicNum(t.Num), NotStarted, 0)
			}
		}
		u.Done = slices.DeleteFunc(slices.Clone(u.Done), func(id string) bool { return id == step.ID })
		if done {
			u.Done = b.inRoadmapOrder(append(u.Done, step.ID))
		}
		if len(u.Done) == 0 {
			u.Done = nil
		}
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
		r.Text = fmt.Sprintf("%s is marked finished, all %d topics. Well done!", name, len(step.Topics))
	case done:
		r.Title = "Already done"
		r.Text = fmt.Sprintf("%s was already marked finished.", name)
	case changed:
		r.Title = "Step reopened"
		r.Text = fmt.Sprintf("%s is marked not finished again, and its topics not started.", name)
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
	u, err := b.update(ctx, req, func(u *User) error { u.Done, u.Topics = nil, nil; return nil })
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
		if !b.stepFinished(u, i) {
			return i, &b.pack.Steps[i]
		}
	}
	return -1, nil
}

// progressOf counts the finished steps that are in the roadmap: a content
// pack may drop a step someone had finished.
func (b *Bot) progressOf(u User) *Progress {
	n := 0
	for i := range b.pack.Steps {
		if b.stepFinished(u, i) {
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
