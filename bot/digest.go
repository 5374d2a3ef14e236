package bot

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// digest is the weekly recap, now.
func (b *Bot) digest(ctx context.Context, req *Request) (Reply, error) {
	u, err := b.user(ctx, req)
	if err != nil {
		return Reply{}, err
	}
	r := b.digestReply(u, req.Now)
	if _, ok := u.Reminder(Weekly); !ok {
		r.Footer = "Get this every week by direct message: remind weekly sun 18:00"
	}
	return r, nil
}

// digestReply recaps the 7 local days before now's (DESIGN §4): topics
// finished, check-in days and minutes, the streak, the plan's status, and
// the topics planned for the coming week.
func (b *Bot) digestReply(u User, now time.Time) Reply {
	today := b.localDay(u, now)
	from, to := today-7, today-1 // the week recapped, both included

	var finished []string
	for i, s := range b.pack.Steps {
		for j, t := range s.Topics {
			m, ok := u.Topics[TopicNum(t.Num)]
			if ok && m.State().finished() && m.Day() >= from && m.Day() <= to && b.topicState(u, i, j) == m.State() {
				finished = append(finished, topicName(b.pack, i, j))
			}
		}
	}
	studied, minutes := 0, 0
	for _, c := range u.Checkins.List() {
		if c.Day >= from && c.Day <= to {
			studied++
			minutes += c.Minutes
		}
	}

	var t strings.Builder
	switch len(finished) {
	case 0:
		t.WriteString("No topics finished this week.")
	case 1:
		t.WriteString("You finished 1 topic: " + finished[0] + ".")
	default:
		fmt.Fprintf(&t, "You finished %d topics: %s.", len(finished), strings.Join(finished, ", "))
	}
	switch {
	case studied == 0:
		t.WriteString(" No check-ins either: a short session this week gets you going again.")
	case studied >= 5:
		t.WriteString(" A strong week! 💪")
	}

	studiedText := fmt.Sprintf("%d of 7", studied)
	if minutes > 0 {
		studiedText += ", " + minutesText(minutes)
	}
	r := Reply{
		Title:    fmt.Sprintf("Your week: %s – %s", from.Date().Format("Mon 2 Jan"), to.Date().Format("Mon 2 Jan")),
		Text:     t.String(),
		Progress: b.progressOf(u),
		Fields: []Field{
			{Name: "Days studied", Value: studiedText, Inline: true},
			{Name: "Streak", Value: streakText(b.currentStreak(u, now), u.Streak.Best), Inline: true},
		},
	}
	if u.Plan.Hours > 0 {
		r.Fields = append(r.Fields, Field{Name: "Plan", Value: b.planStatus(u, now)})
	}
	if next := b.nextWeekTopics(u); len(next) > 0 {
		r.Fields = append(r.Fields, Field{Name: "Next week", Value: strings.Join(next, ", ")})
	}
	r.Buttons = []Button{{Label: "What to study today", Command: "today", Style: Primary}}
	return r
}

// nextWeekTopics lists the unfinished topics, in study order, that a week
// at the plan's pace covers (three without a plan).
func (b *Bot) nextWeekTopics(u User) []string {
	var out []string
	hours := 0
	for i, s := range b.pack.Steps {
		for j, t := range s.Topics {
			if b.topicState(u, i, j).finished() {
				continue
			}
			if u.Plan.Hours == 0 && len(out) == 3 || u.Plan.Hours > 0 && len(out) > 0 && hours >= u.Plan.Hours {
				return out
			}
			out = append(out, topicName(b.pack, i, j))
			hours += t.Hours
		}
	}
	return out
}
