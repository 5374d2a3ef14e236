package bot

import (
	"context"
	"fmt"
	"time"
)

// HeatWeeks is how many weeks of check-ins a Card's heatmap shows.
const HeatWeeks = 12

// Card is the data of the progress picture (DESIGN §11): plain values the
// core fills and adapters draw (adapters/internal/card renders it as a
// PNG, the console as text). The core draws nothing.
type Card struct {
	// Key names this card's content: the user, the revision of their
	// record (Updated) and the local day, which moves the heatmap and the
	// streak on. Renderers cache by it; it is never shown or sent.
	Key string

	Steps   []CardStep // every roadmap step, in order
	Percent int        // topics finished out of all topics, 0-100
	Streak  int        // the current study streak in days (0 when it lapsed)
	Best    int        // the longest streak ever

	// PlanFinish is the local date the plan finishes the roadmap; zero
	// when there is no plan or nothing is left. PlanStatus is the pace in
	// a few words ("on track", "3 days behind"), "" without a plan.
	PlanFinish time.Time
	PlanStatus string
	PlanHours  int // hours a week; 0 without a plan

	// Heat is the last HeatWeeks weeks of check-ins by local day: one
	// column a week, oldest first, rows Monday to Sunday; the last column
	// is the week of Today. Days after Today are zero.
	Heat  [HeatWeeks][7]HeatDay
	Today time.Time // the user's local date (midnight UTC of it)
}

// CardStep is one roadmap step on a Card.
type CardStep struct {
	Title string
	Done  int // topics finished (done or skipped)
	Total int // topics in the step
}

// HeatDay is one day of the heatmap.
type HeatDay struct {
	Checked bool // the user checked in that day
	Minutes int  // minutes logged; 0 for a check-in without a time
}

// Level buckets a day into one of five shades: 0 no check-in, 1 a
// check-in of under 30 minutes (or no time given), 2 under an hour, 3 under
// two hours, 4 two hours or more.
func (d HeatDay) Level() int {
	switch {
	case !d.Checked:
		return 0
	case d.Minutes < 30:
		return 1
	case d.Minutes < 60:
		return 2
	case d.Minutes < 120:
		return 3
	}
	return 4
}

// HeatRow returns today's row in the last column: 0 Monday to 6 Sunday.
func (c *Card) HeatRow() int { return (int(c.Today.Weekday()) + 6) % 7 }

// card fills the progress card of u at now.
func (b *Bot) card(u User, now time.Time) *Card {
	today := b.localDay(u, now)
	c := &Card{
		Key:    fmt.Sprintf("%s|%d|%d", u.ID, u.Updated.UnixNano(), today),
		Streak: b.currentStreak(u, now),
		Best:   u.Streak.Best,
		Today:  today.Date(),
	}
	done, total := 0, 0
	for i, s := range b.pack.Steps {
		n, t := b.stepCount(u, i)
		c.Steps = append(c.Steps, CardStep{Title: s.Title, Done: n, Total: t})
		done += n
		total += t
	}
	c.Percent = Progress{Done: done, Total: total}.Percent()
	if u.Plan.Hours > 0 && b.hoursLeft(u) > 0 {
		c.PlanHours = u.Plan.Hours
		c.PlanFinish = b.planFinish(u, now)
		c.PlanStatus = planPace(b.planDays(u, now))
	}
	// The first column starts on the Monday HeatWeeks-1 weeks before
	// this week's.
	// Int arithmetic: Day is unsigned.
	first := int(today) - c.HeatRow() - 7*(HeatWeeks-1)
	for _, ck := range u.Checkins.List() {
		i := int(ck.Day) - first
		if i < 0 || ck.Day > today {
			continue
		}
		c.Heat[i/7][i%7] = HeatDay{Checked: true, Minutes: ck.Minutes}
	}
	return c
}

// ProgressCard returns the progress card of user id as it stands now, for
// an adapter that serves the picture apart from the reply (a Slack image
// URL fetched later). A user the store does not know is NotFound.
func (b *Bot) ProgressCard(ctx context.Context, id UserID) (*Card, error) {
	u, err := b.store.User(ctx, id)
	if err != nil {
		return nil, err
	}
	if u.IsZero() {
		return nil, Errorf(NotFound, "no such user")
	}
	u.ID = id
	return b.card(u, b.clock.Now()), nil
}
