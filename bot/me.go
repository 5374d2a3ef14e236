package bot

import (
	"context"
	"encoding/json"
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
		Fields: []Field{
			{Name: "Roadmap", Value: fmt.Sprintf("%d of %d steps done", p.Done, p.Total), Inline: true},
			{Name: "Study streak", Value: streakText(streak, u.Streak.Best), Inline: true},
			{Name: "Days studied", Value: fmt.Sprint(u.Streak.Days), Inline: true},
		},
	}
	if i, s := b.nextStep(u); s != nil {
		r.Fields = append(r.Fields, Field{Name: "Next step", Value: fmt.Sprintf("Step %d: %s", i+1, s.Title)})
		r.Buttons = append(r.Buttons, Button{Label: "Show my next step", Command: "roadmap next", Style: Primary})
	} else {
		r.Fields = append(r.Fields, Field{Name: "Next step", Value: "None left: you finished the roadmap 🎉"})
	}
	if u.Streak.Last != b.today(u, req.Now) {
		r.Buttons = append(r.Buttons, Button{Label: "Check in today", Command: "checkin"})
		if streak > 0 {
			r.Footer = "Check in today to keep your streak going."
		}
	}
	return r, nil
}

// checkin records a study day in the user's own time zone.
func (b *Bot) checkin(ctx context.Context, req *Request) (Reply, error) {
	var already bool
	loc := b.zoneOf(User{})
	u, err := b.update(ctx, req, func(u *User) error {
		loc = b.zoneOf(*u)
		today := req.Now.In(loc)
		day := today.Format(time.DateOnly)
		already = u.Streak.Last == day
		if already {
			return nil
		}
		yesterday := time.Date(today.Year(), today.Month(), today.Day()-1, 12, 0, 0, 0, loc).Format(time.DateOnly)
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
	if already {
		r.Title = "Already checked in today"
		r.Text = fmt.Sprintf("You checked in for %s already. See you tomorrow!", when)
	} else {
		r.Title = "Checked in 🔥"
		r.Text = fmt.Sprintf("Study logged for %s. Small steps every day add up.", when)
		if u.Streak.Current > 1 && u.Streak.Current == u.Streak.Best {
			r.Text += " That's your best streak yet!"
		}
	}
	if _, s := b.nextStep(u); s != nil {
		r.Buttons = []Button{{Label: "Show my next step", Command: "roadmap next"}}
	}
	return r, nil
}

// today returns the user's local date.
func (b *Bot) today(u User, now time.Time) string {
	return now.In(b.zoneOf(u)).Format(time.DateOnly)
}

// currentStreak is the stored streak if it is still alive (last check-in
// today or yesterday in the user's zone), else 0.
func (b *Bot) currentStreak(u User, now time.Time) int {
	loc := b.zoneOf(u)
	t := now.In(loc)
	yesterday := time.Date(t.Year(), t.Month(), t.Day()-1, 12, 0, 0, 0, loc).Format(time.DateOnly)
	if u.Streak.Last == t.Format(time.DateOnly) || u.Streak.Last == yesterday {
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

// exportData is the JSON shape of "export". Field names are part of what we
// promise users, so they are spelled out rather than derived.
type exportData struct {
	User       UserID           `json:"user"`
	ExportedAt time.Time        `json:"exported_at"`
	Created    *time.Time       `json:"created,omitempty"`
	Zone       string           `json:"time_zone,omitempty"`
	StepsDone  []string         `json:"roadmap_steps_done"`
	Streak     exportStreak     `json:"streak"`
	Reminders  []exportReminder `json:"reminders"`
	Notice     string           `json:"pending_notice,omitempty"`
	DMChannel  string           `json:"dm_channel,omitempty"`
}

type exportStreak struct {
	LastDay string `json:"last_day,omitempty"`
	Current int    `json:"current"`
	Best    int    `json:"best"`
	Days    int    `json:"days_studied"`
}

type exportReminder struct {
	Kind   ReminderKind `json:"kind"`
	At     string       `json:"at,omitempty"`
	Zone   string       `json:"time_zone,omitempty"`
	Days   string       `json:"days,omitempty"`
	Next   time.Time    `json:"next"`
	Paused string       `json:"paused,omitempty"`
}

// export returns everything kept about the user as JSON.
func (b *Bot) export(ctx context.Context, req *Request) (Reply, error) {
	u, err := b.user(ctx, req)
	if err != nil {
		return Reply{}, err
	}
	rems := u.Reminders
	d := exportData{
		User: req.User, ExportedAt: req.Now.UTC(), Zone: u.Zone, StepsDone: u.Done,
		Streak:    exportStreak{LastDay: u.Streak.Last, Current: u.Streak.Current, Best: u.Streak.Best, Days: u.Streak.Days},
		Reminders: []exportReminder{},
		Notice:    u.Notice,
		DMChannel: u.DMChannel,
	}
	if d.StepsDone == nil {
		d.StepsDone = []string{}
	}
	if !u.Created.IsZero() {
		c := u.Created.UTC()
		d.Created = &c
	}
	for _, r := range rems {
		e := exportReminder{Kind: r.Kind, At: r.At, Zone: r.Zone, Next: r.Next.UTC(), Paused: r.Paused}
		if r.Kind == Daily {
			e.Days = r.Days.Token()
		}
		d.Reminders = append(d.Reminders, e)
	}
	js, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return Reply{}, fmt.Errorf("export: %w", err)
	}
	return Reply{
		Title:  "Everything I keep about you",
		Text:   "```json\n" + string(js) + "\n```",
		Footer: "forget deletes all of it",
	}, nil
}

// forget deletes everything about the user after they confirm.
func (b *Bot) forget(ctx context.Context, req *Request) (Reply, error) {
	if req.Arg("confirm") == "" {
		return Reply{
			Title:   "Delete everything?",
			Text:    "This deletes your roadmap progress, streak and reminders, and it cannot be undone. **export** shows what I keep. To go ahead, type **forget confirm**.",
			Buttons: []Button{{Label: "Yes, delete everything", Command: "forget confirm", Style: Danger}},
		}, nil
	}
	if err := b.store.Forget(ctx, req.User); err != nil {
		return Reply{}, err
	}
	req.profile = &User{ID: req.User} // nothing left to show a notice from
	return Reply{
		Title: "Everything deleted",
		Text:  "I deleted your progress, streak and reminders. If you come back, we start fresh.",
	}, nil
}
