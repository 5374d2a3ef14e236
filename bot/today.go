package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// today says what to study today.
func (b *Bot) today(ctx context.Context, req *Request) (Reply, error) {
	res := 0
	if v := req.Arg("resource"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 99 {
			return Reply{}, Errorf(Invalid, "**today N** shows the topic's resource number N, like **today 2**.")
		}
		res = n
	}
	u, err := b.user(ctx, req)
	if err != nil {
		return Reply{}, err
	}
	return b.todayReply(u, req.Now, res), nil
}

// todayReply is what u should study today: the topic being learnt, else
// the next neither done nor skipped; its summary and one resource (res,
// 1-based; 0 picks one by the day, so later days show the others), the
// step's project when this is its last topic, and the plan's status.
func (b *Bot) todayReply(u User, now time.Time, res int) Reply {
	si, ti, ok := b.currentTopic(u)
	if !ok {
		return b.withDue(Reply{
			Title:    "You've finished the roadmap 🎉",
			Text:     "Every topic is done or skipped, so today is for practice: build something bigger, or go deeper into a topic you enjoyed. **career** shows where to go next.",
			Progress: b.progressOf(u),
			Buttons:  []Button{{Label: "Career ladder", Command: "career"}},
		}, u, now)
	}
	s, t := &b.pack.Steps[si], &b.pack.Steps[si].Topics[ti]
	st := b.topicState(u, si, ti)
	ref := topicRef(si, ti)
	today := b.localDay(u, now)

	// The first resource on the day the topic became the one to study
	// (the day of the user's last mark, or of their first visit), the
	// next one each day after.
	n := len(t.Resources)
	since := today
	if !u.Created.IsZero() {
		since = DayOf(u.Created, b.zoneOf(u))
	}
	for _, m := range u.Topics {
		since = max(since, m.Day())
	}
	k := int(today) - int(since)
	if res > 0 {
		k = (res - 1) % n
	}
	k = (k + n) % n

	var text strings.Builder
	fmt.Fprintf(&text, "**Step %d: %s** · topic %d of %d · about %d h\n\n", si+1, s.Title, ti+1, len(s.Topics), t.Hours)
	if st == TopicLearning {
		text.WriteString("You're learning this one. ")
	} else {
		text.WriteString("Next up. ")
	}
	text.WriteString(withStop(t.Summary))
	r := t.Resources[k]
	fmt.Fprintf(&text, "\n\n📚 Today's read: [%s](%s)", r.Title, r.URL)
	if n > 1 {
		fmt.Fprintf(&text, " (%d of %d)", k+1, n)
	}
	reply := Reply{
		Title:    "Today: " + ref + " " + t.Title,
		Text:     text.String(),
		Progress: b.progressOf(u),
	}
	if b.lastOpenTopic(u, si, ti) {
		reply.Fields = append(reply.Fields, Field{Name: "Then build the project", Value: "**" + s.Project.Title + "**. " + s.Project.Description})
	}
	if u.Plan.Hours > 0 {
		reply.Fields = append(reply.Fields, Field{Name: "Plan", Value: b.planStatus(u, now)})
	}
	reply.Buttons = []Button{
		{Label: "Done ✅", Command: "roadmap done " + ref, Style: Primary},
		{Label: "Skip it", Command: "roadmap skip " + ref},
	}
	if n > 1 {
		reply.Buttons = append(reply.Buttons, Button{Label: "Next resource", Command: fmt.Sprintf("today %d", (k+1)%n+1)})
	}
	return b.withDue(reply, u, now)
}

// withDue adds the quiz questions due now, with a Review button: the
// daily DM bundles them, as flashcard bots do, instead of one DM a card.
func (b *Bot) withDue(r Reply, u User, now time.Time) Reply {
	n := len(b.dueCards(u, now))
	if n == 0 {
		return r
	}
	text := "1 question due"
	if n > 1 {
		text = fmt.Sprintf("%d questions due", n)
	}
	r.Fields = append(r.Fields, Field{Name: "Review", Value: text + " for review."})
	r.Buttons = append(r.Buttons, Button{Label: "Review", Command: "review"})
	return r
}

// lastOpenTopic reports whether topic ti is the only unfinished one of
// step si.
func (b *Bot) lastOpenTopic(u User, si, ti int) bool {
	for j := range b.pack.Steps[si].Topics {
		if j != ti && !b.topicState(u, si, j).finished() {
			return false
		}
	}
	return true
}
