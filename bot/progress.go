package bot

import (
	"context"
	"fmt"
	"time"
)

// progress shows the user's roadmap progress, streak and next step.
func (b *Bot) progress(ctx context.Context, req *Request) (Reply, error) {
	u, err := b.user(ctx, req)
	if err != nil {
		return Reply{}, err
	}
	p := b.progressOf(u)
	streak := b.currentStreak(u, req.Now)
	r := Reply{
		Title:    "Your progress",
		Progress: p,
		Card:     b.card(u, req.Now),
		Fields: []Field{
			{Name: "Roadmap", Value: fmt.Sprintf("%d of %d steps done", p.Done, p.Total), Inline: true},
			{Name: "Study streak", Value: streakText(streak, u.Streak.Best), Inline: true},
			{Name: "Days studied", Value: fmt.Sprint(u.Streak.Days), Inline: true},
		},
	}
	if u.Plan.Hours > 0 {
		r.Fields = append(r.Fields, Field{Name: "Plan", Value: b.planStatus(u, req.Now)})
	}
	if i, s := b.nextStep(u); s != nil {
		r.Fields = append(r.Fields, Field{Name: "Next step", Value: fmt.Sprintf("Step %d: %s", i+1, s.Title)})
		r.Buttons = append(r.Buttons, Button{Label: "Show my next step", Command: "roadmap next", Style: Primary})
	} else {
		r.Fields = append(r.Fields, Field{Name: "Next step", Value: "None left: you finished the roadmap 🎉"})
	}
	if u.Streak.Last != b.todayDate(u, req.Now) {
		r.Buttons = append(r.Buttons, Button{Label: "Check in today", Command: "checkin"})
		if streak > 0 {
			r.Footer = "Check in today to keep your streak going."
		}
	}
	return r, nil
}

// checkin records a study day in the user's own time zone, with the
// minutes and note given; a second check-in the same day adds to the first.
func (b *Bot) checkin(ctx context.Context, req *Request) (Reply, error) {
	var minutes int
	if v := req.Arg("time"); v != "" {
		m, err := ParseMinutes(v)
		if err != nil {
			return Reply{}, err
		}
		minutes = m
	}
	note := oneLine(req.Arg("note"))
	var already bool
	loc := b.zoneOf(User{})
	u, err := b.update(ctx, req, func(u *User) error {
		loc = b.zoneOf(*u)
		day, yesterday := b.localDates(*u, req.Now)
		already = u.Streak.Last == day
		addCheckin(u, b.localDay(*u, req.Now), minutes, note)
		if already {
			return nil
		}
		if u.Streak.Last == yesterday {
			u.Streak.Current++
		} else {
			u.Streak.Current = 1
		}
		u.Streak.Last = day
		u.Streak.Best = max(u.Streak.Best, u.Streak.Current)
		u.Streak.Days++
		return nil
	})
	if err != nil {
		return Reply{}, err
	}
	when := req.Now.In(loc).Format("Monday 2 January")
	r := Reply{Fields: []Field{
		{Name: "Streak", Value: days(u.Streak.Current), Inline: true},
		{Name: "Best", Value: days(u.Streak.Best), Inline: true},
	}}
	c, _ := checkinOn(u, DayOf(req.Now, loc))
	if c.Minutes > 0 {
		r.Fields = append(r.Fields, Field{Name: "Today", Value: minutesText(c.Minutes), Inline: true})
	}
	switch {
	case already && (minutes > 0 || note != ""):
		r.Title = "Added to today ✍️"
		r.Text = fmt.Sprintf("I added that to your check-in for %s.", when)
	case already:
		r.Title = "Already checked in today"
		r.Text = fmt.Sprintf("You checked in for %s already. See you tomorrow! To log more, add the time or a note: **checkin 30m read about indexes**.", when)
	default:
		r.Title = "Checked in 🔥"
		r.Text = fmt.Sprintf("Study logged for %s. Small steps every day add up.", when)
		if u.Streak.Current > 1 && u.Streak.Current == u.Streak.Best {
			r.Text += " That's your best streak yet!"
		}
	}
	if c.Note != "" {
		r.Fields = append(r.Fields, Field{Name: "Note", Value: c.Note})
	}
	if _, s := b.nextStep(u); s != nil {
		r.Buttons = []Button{{Label: "What to study next", Command: "today"}}
	}
	return r, nil
}

// todayDate returns the user's local date, YYYY-MM-DD.
func (b *Bot) todayDate(u User, now time.Time) string {
	return b.localDay(u, now).String()
}

// localDates returns the user's local date at now and the day before,
// YYYY-MM-DD, as Streak.Last keeps them.
func (b *Bot) localDates(u User, now time.Time) (today, yesterday string) {
	d := b.localDay(u, now)
	return d.String(), (d - 1).String()
}

// currentStreak is the stored streak if it is still alive (last check-in
// today or yesterday in the user's zone), else 0.
func (b *Bot) currentStreak(u User, now time.Time) int {
	today, yesterday := b.localDates(u, now)
	if u.Streak.Last == today || u.Streak.Last == yesterday {
		return u.Streak.Current
	}
	return 0
}

// zoneOf returns the user's zone, UTC when they have none or it no longer
// loads.
func (b *Bot) zoneOf(u User) *time.Location {
	if u.Zone != "" {
		if loc, err := time.LoadLocation(u.Zone); err == nil {
			return loc
		}
	}
	return time.UTC
}

// streakText reads well for a newcomer too: "no check-ins yet" rather than
// "0 days (best 0 days)".
func streakText(current, best int) string {
	if best == 0 {
		return "no check-ins yet"
	}
	return fmt.Sprintf("%s (best %s)", days(current), days(best))
}

func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}
