package bot

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// MaxPlanHours is the most study hours a week a plan takes: a full-time
// learner's week and a half.
const MaxPlanHours = 60

// plan shows, sets ("plan 10") or ends ("plan off") the user's study plan.
func (b *Bot) plan(ctx context.Context, req *Request) (Reply, error) {
	arg := strings.ToLower(strings.TrimSpace(req.Arg("hours")))
	switch arg {
	case "":
		u, err := b.user(ctx, req)
		if err != nil {
			return Reply{}, err
		}
		if u.Plan.Hours == 0 {
			return Reply{
				Title:   "No study plan yet",
				Text:    fmt.Sprintf("Tell me how many hours a week you can study and I'll work out when you finish each step: **plan 8** for 8 hours a week. The roadmap has **%d hours** left for you, by our estimates.", b.hoursLeft(u)),
				Buttons: []Button{{Label: "Plan 5 h a week", Command: "plan 5"}, {Label: "Plan 10 h a week", Command: "plan 10"}},
			}, nil
		}
		return b.planReply(u, req.Now, "Your study plan"), nil
	case "off", "stop", "none", "0":
		had := false
		if _, err := b.update(ctx, req, func(u *User) error {
			had = u.Plan != (Plan{})
			u.Plan = Plan{}
			return nil
		}); err != nil {
			return Reply{}, err
		}
		if !had {
			return Reply{Title: "No study plan", Text: "You had no plan to stop. Set one with **plan HOURS**, like **plan 8**."}, nil
		}
		return Reply{Title: "Plan stopped", Text: "I forgot your study plan. Set a new one any time with **plan HOURS**."}, nil
	}
	hours, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSuffix(arg, "h"), " "))
	if err != nil || hours < 1 || hours > MaxPlanHours {
		return Reply{}, Errorf(Invalid, "A plan is study hours a week, a whole number from 1 to %d: **plan 8**. **plan off** stops it.", MaxPlanHours)
	}
	u, err := b.update(ctx, req, func(u *User) error {
		u.Plan = Plan{Hours: hours, Started: req.Now.UTC().Truncate(time.Millisecond), Left: b.hoursLeft(*u)}
		return nil
	})
	if err != nil {
		return Reply{}, err
	}
	return b.planReply(u, req.Now, "Study plan set 🗓️"), nil
}

// planReply lists the finish date of each unfinished step and of the roadmap.
func (b *Bot) planReply(u User, now time.Time, title string) Reply {
	left := b.hoursLeft(u)
	if left == 0 {
		return Reply{Title: title, Text: "You have finished every topic of the roadmap, so there is nothing left to plan. 🎉"}
	}
	var lines []string
	for i, when := range b.stepFinishes(u, now) {
		if when.IsZero() {
			continue
		}
		s := &b.pack.Steps[i]
		lines = append(lines, fmt.Sprintf("- **%d. %s**: %s (%d h left)", i+1, s.Title, when.Format("Mon 2 Jan 2006"), b.hoursLeftIn(u, i)))
	}
	finish := b.planFinish(u, now)
	return Reply{
		Title: title,
		Text: fmt.Sprintf("At **%d hours a week**, the **%d hours** left take you to **%s**.\n\n**When each step is done**\n%s",
			u.Plan.Hours, left, finish.Format("Monday 2 January 2006"), strings.Join(lines, "\n")),
		Fields: []Field{{Name: "Pace", Value: b.planStatus(u, now)}},
		Footer: "Hours are our estimates per topic; plan HOURS changes the pace, plan off stops it.",
		Buttons: []Button{
			{Label: "What to study today", Command: "today", Style: Primary},
		},
	}
}

// hoursLeftIn returns the hours of step si's unfinished topics.
func (b *Bot) hoursLeftIn(u User, si int) int {
	n := 0
	for j, t := range b.pack.Steps[si].Topics {
		if !b.topicState(u, si, j).finished() {
			n += t.Hours
		}
	}
	return n
}

// daysFor returns the days hours of study take at the plan's pace: whole
// days, rounded up.
func daysFor(hours, perWeek int) int {
	if perWeek <= 0 {
		return 0
	}
	return (hours*7 + perWeek - 1) / perWeek
}

// stepFinishes returns the local date on which each step is finished at
// the plan's pace, studying the steps in order from today; the zero time
// for steps already finished.
func (b *Bot) stepFinishes(u User, now time.Time) []time.Time {
	out := make([]time.Time, len(b.pack.Steps))
	today := b.localDay(u, now)
	cum := 0
	for i := range b.pack.Steps {
		h := b.hoursLeftIn(u, i)
		if h == 0 {
			continue
		}
		cum += h
		out[i] = (today + Day(daysFor(cum, u.Plan.Hours))).Date()
	}
	return out
}

// planFinish returns the local date the roadmap is finished at the plan's pace.
func (b *Bot) planFinish(u User, now time.Time) time.Time {
	return (b.localDay(u, now) + Day(daysFor(b.hoursLeft(u), u.Plan.Hours))).Date()
}

// planDays returns how many days ahead (> 0) or behind (< 0) of the plan u
// is: the hours finished since it started, against the hours it asked for
// in the days since, in days of study at its pace.
func (b *Bot) planDays(u User, now time.Time) int {
	if u.Plan.Hours == 0 {
		return 0
	}
	elapsed := int(b.localDay(u, now)) - int(DayOf(u.Plan.Started, b.zoneOf(u)))
	want := float64(u.Plan.Hours) * float64(max(elapsed, 0)) / 7
	got := float64(u.Plan.Left - b.hoursLeft(u))
	return int(math.Round((got - want) * 7 / float64(u.Plan.Hours)))
}

// planStatus says where u stands on the plan: "on track", "3 days behind".
func (b *Bot) planStatus(u User, now time.Time) string {
	if u.Plan.Hours == 0 {
		return "no plan yet: **plan HOURS** sets one"
	}
	return fmt.Sprintf("%s at %d h a week; finish %s", planPace(b.planDays(u, now)), u.Plan.Hours, b.planFinish(u, now).Format("2 Jan 2006"))
}

// planPace says how d days ahead of the plan (behind when negative) reads:
// "on track", "3 days behind".
func planPace(d int) string {
	switch {
	case d == 0:
		return "on track"
	case d > 0:
		return days(d) + " ahead"
	default:
		return days(-d) + " behind"
	}
}
