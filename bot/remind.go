package bot

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// remindDaily sets the user's daily reminder.
func (b *Bot) remindDaily(ctx context.Context, req *Request) (Reply, error) {
	hour, minute, err := ParseClock(req.Arg("time"))
	if err != nil {
		return Reply{}, err
	}
	days := EveryDay
	if d := req.Arg("days"); d != "" {
		if days, err = ParseWeekdays(d); err != nil {
			return Reply{}, err
		}
	}
	u, err := b.user(ctx, req)
	if err != nil {
		return Reply{}, err
	}
	r, loc, why, err := b.setRepeating(ctx, req, u, Daily, hour, minute, days, "remind daily "+FormatClock(hour, minute))
	if err != nil {
		return Reply{}, err
	}

	text := fmt.Sprintf("I'll send you a direct message at **%s** (%s) %s. The first one comes **%s**.",
		r.At, r.Zone, daysPhrase(days), formatWhen(r.Next, loc, req.Now))
	if why != "" {
		text += "\n\n" + why
	}
	return Reply{
		Title:   "Study reminder set ⏰",
		Text:    text,
		Buttons: []Button{{Label: "Stop the daily reminder", Command: "remind off daily", Style: Danger}},
		Footer:  "Each reminder has buttons to check in, snooze or stop.",
	}, nil
}

// exampleZones are offered in hints, never the one just used.
var exampleZones = []string{"Europe/Berlin", "Asia/Kolkata", "America/New_York"}

// defaultZone picks the zone for a reminder set without one, in the order
// of DESIGN §3: the platform profile's (the machine's on the console),
// else the one the user chose before, else UTC. The second value says
// which, naming the zone, with a hint that shows how to type another
// (line is the command to show it on) and never suggests the zone used.
func (b *Bot) defaultZone(ctx context.Context, req *Request, u User, line string) (zone, why string) {
	hint := func(used string) string {
		ex := exampleZones[0]
		for _, z := range exampleZones {
			if z != used {
				ex = z
				break
			}
		}
		return fmt.Sprintf(" To use another, add it: **%s %s**.", line, ex)
	}
	if zf, ok := b.messenger(req.User.Platform()).(ZoneFinder); ok {
		zctx, cancel := context.WithTimeout(ctx, time.Second)
		z, err := zf.UserZone(zctx, req.User)
		cancel()
		if err != nil {
			b.log.Warn("profile time zone", "user", HashUser(req.User), "err", err)
		} else if loc, lerr := LoadZone(z); z != "" && lerr == nil {
			whose := "your profile's time zone"
			if req.User.Platform() == "console" {
				whose = "this computer's time zone"
			}
			return loc.String(), fmt.Sprintf("I used %s, %s.%s", whose, loc.String(), hint(loc.String()))
		}
	}
	if u.Zone != "" {
		return u.Zone, fmt.Sprintf("I used the time zone you chose before, %s.%s", u.Zone, hint(u.Zone))
	}
	return "UTC", "I used UTC because I don't know your time zone." + hint("UTC")
}

// remindIn sets a one-off reminder after a delay.
func (b *Bot) remindIn(ctx context.Context, req *Request) (Reply, error) {
	return b.remindOnce(ctx, req, "Reminder set ⏰", "I'll remind you in %s, **%s**.")
}

// remindSnooze is remindIn worded for the reminder's snooze button.
func (b *Bot) remindSnooze(ctx context.Context, req *Request) (Reply, error) {
	return b.remindOnce(ctx, req, "Snoozed 😴", "I'll remind you again in %s, **%s**.")
}

func (b *Bot) remindOnce(ctx context.Context, req *Request, title, format string) (Reply, error) {
	d, err := ParseDelay(req.Arg("delay"))
	if err != nil {
		return Reply{}, err
	}
	u, err := b.user(ctx, req)
	if err != nil {
		return Reply{}, err
	}
	// The time shown is read in the zone a daily reminder would use, and
	// the reply names it, since a bare "10:01" may not be the user's clock.
	zone, _ := b.defaultZone(ctx, req, u, "")
	loc, err := LoadZone(zone)
	if err != nil {
		loc = time.UTC
	}
	r := Reminder{User: req.User, Kind: Once, Zone: loc.String(), Next: req.Now.Add(d).UTC(), Created: req.Now.UTC()}
	var old Reminder
	var had bool
	if _, err := b.update(ctx, req, func(u *User) error {
		old, had = u.Reminder(Once)
		u.SetReminder(r) // a one-off never touches the daily or weekly one
		return nil
	}); err != nil {
		return Reply{}, err
	}
	text := fmt.Sprintf(format, FormatDelay(d), formatWhen(r.Next, loc, req.Now)+" ("+loc.String()+")")
	if had && old.Paused == "" {
		text += fmt.Sprintf(" It replaces the one-off reminder you had for %s: you have one at a time.", formatWhen(old.Next, loc, req.Now))
	}
	return Reply{
		Title:   title,
		Text:    text,
		Buttons: []Button{{Label: "Cancel it", Command: "remind off once"}},
	}, nil
}

// remindOff deletes the user's reminders of one kind, or all of them.
func (b *Bot) remindOff(ctx context.Context, req *Request) (Reply, error) {
	which := req.Arg("kind")
	if which == "" {
		which = "all"
	}
	had := false
	if _, err := b.update(ctx, req, func(u *User) error {
		if which == "all" {
			had = len(u.Reminders) > 0
			u.Reminders = nil
			return nil
		}
		_, had = u.Reminder(ReminderKind(which))
		u.DeleteReminder(ReminderKind(which))
		return nil
	}); err != nil {
		return Reply{}, err
	}
	names := map[string]string{"all": "reminders", "daily": "daily reminder", "weekly": "weekly digest", "once": "one-off reminder"}
	if !had {
		return Reply{Title: "Nothing to stop", Text: fmt.Sprintf("You have no %s to stop. Set one with **remind daily HH:MM**, **remind weekly sun 18:00** or **remind in 2h**.", names[which])}, nil
	}
	text := "I won't send you any more reminders. Set a new one any time with **remind daily HH:MM**."
	if which != "all" {
		text = fmt.Sprintf("I stopped your %s; any other reminders stay. **remind** lists them.", names[which])
	}
	return Reply{Title: "Stopped", Text: text}, nil
}

// setRepeating stores a daily or weekly reminder at hour:minute on days,
// in the zone the user typed or else the one defaultZone picks (again is
// the command line to show in its hint). why says which zone was used when
// the user typed none. The zone is remembered for check-ins, and a pending
// notice about paused reminders is stale now that the user set a new one.
func (b *Bot) setRepeating(ctx context.Context, req *Request, u User, kind ReminderKind, hour, minute int, days Weekdays, again string) (r Reminder, loc *time.Location, why string, err error) {
	zone := req.Arg("zone")
	if zone == "" {
		zone, why = b.defaultZone(ctx, req, u, again)
	}
	if loc, err = LoadZone(zone); err != nil {
		return Reminder{}, nil, "", err
	}
	r = Reminder{
		User: req.User, Kind: kind, At: FormatClock(hour, minute), Zone: loc.String(), Days: days,
		Next: NextDaily(req.Now, hour, minute, loc, days), Created: req.Now.UTC(),
	}
	if _, err := b.update(ctx, req, func(u *User) error {
		u.SetReminder(r)
		u.Zone, u.Notice = r.Zone, ""
		return nil
	}); err != nil {
		return Reminder{}, nil, "", err
	}
	return r, loc, why, nil
}

// remindWeekly sets the weekly digest: one weekday at a local time.
func (b *Bot) remindWeekly(ctx context.Context, req *Request) (Reply, error) {
	day, err := ParseWeekdays(req.Arg("day"))
	if err != nil {
		return Reply{}, err
	}
	hour, minute, err := ParseClock(req.Arg("time"))
	if err != nil {
		return Reply{}, err
	}
	u, err := b.user(ctx, req)
	if err != nil {
		return Reply{}, err
	}
	r, loc, why, err := b.setRepeating(ctx, req, u, Weekly, hour, minute, day, "remind weekly "+req.Arg("day")+" "+FormatClock(hour, minute))
	if err != nil {
		return Reply{}, err
	}
	text := fmt.Sprintf("Every **%s at %s** (%s) I'll send you a recap of your week: topics finished, days studied, your streak and plan, and what's next. The first one comes **%s**.",
		weekdayName(day), r.At, r.Zone, formatWhen(r.Next, loc, req.Now))
	if why != "" {
		text += "\n\n" + why
	}
	return Reply{
		Title:   "Weekly digest set 🗓️",
		Text:    text,
		Buttons: []Button{{Label: "See this week's now", Command: "digest"}, {Label: "Stop the weekly digest", Command: "remind off weekly", Style: Danger}},
	}, nil
}

// weekdayName names the first day of w: "Sunday".
func weekdayName(w Weekdays) string {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if w.Has(d) {
			return d.String()
		}
	}
	return "no day"
}

// remindStatus lists the user's reminders and when they fire next.
func (b *Bot) remindStatus(ctx context.Context, req *Request) (Reply, error) {
	u, err := b.user(ctx, req)
	if err != nil {
		return Reply{}, err
	}
	rems := u.Reminders
	if len(rems) == 0 {
		return Reply{
			Title: "No reminders",
			Text:  "A daily nudge helps you keep going. Try **remind daily 19:00 Europe/London** (your time and zone), or **remind in 45m** for a single reminder.",
		}, nil
	}
	var lines []string
	for _, r := range rems {
		loc, err := LoadZone(r.Zone)
		if err != nil {
			loc = time.UTC
		}
		var line string
		switch r.Kind {
		case Daily:
			// "Every day at 19:00", not "Daily at 19:00 every day".
			line = fmt.Sprintf("- **%s** at %s (%s)", upperFirst(daysPhrase(r.Days)), r.At, r.Zone)
		case Weekly:
			line = fmt.Sprintf("- **Weekly digest** on %s at %s (%s)", weekdayName(r.Days), r.At, r.Zone)
		default:
			line = "- **Once**"
		}
		if r.Paused != "" {
			line += fmt.Sprintf(": ⏸ paused, because %s. Set it again to resume.", strings.TrimSuffix(r.Paused, "."))
		} else {
			line += ": next " + formatWhen(r.Next, loc, req.Now)
		}
		lines = append(lines, line)
	}
	return Reply{
		Title:   "Your reminders",
		Text:    strings.Join(lines, "\n"),
		Buttons: []Button{{Label: "Stop reminders", Command: "remind off", Style: Danger}},
	}, nil
}

// upperFirst capitalises the first letter of an ASCII phrase.
func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// daysPhrase reads well after a time: "every day", "on weekdays", "on Mon, Wed".
func daysPhrase(d Weekdays) string {
	if d == 0 || d == EveryDay {
		return "every day"
	}
	return "on " + d.String()
}

// formatWhen says when t is for a reader in loc at now: "today at 19:00",
// "tomorrow at 07:30" or "Monday 30 November at 19:00".
func formatWhen(t time.Time, loc *time.Location, now time.Time) string {
	lt, ln := t.In(loc), now.In(loc)
	clock := lt.Format("15:04")
	y, m, d := ln.Date()
	switch lt.Format(time.DateOnly) {
	case ln.Format(time.DateOnly):
		return "today at " + clock
	case time.Date(y, m, d+1, 12, 0, 0, 0, loc).Format(time.DateOnly):
		return "tomorrow at " + clock
	}
	if lt.Year() != ln.Year() {
		return lt.Format("Monday 2 January 2006") + " at " + clock
	}
	return lt.Format("Monday 2 January") + " at " + clock
}

// Token returns the days as the grammar spells them: "daily", "weekdays",
// "weekends" or "mon,wed,fri". ParseWeekdays reads it back.
func (w Weekdays) Token() string {
	switch w {
	case 0, EveryDay:
		return "daily"
	case WorkDays:
		return "weekdays"
	case Weekend:
		return "weekends"
	}
	names := []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	var out []string
	for i := 1; i <= 7; i++ { // Monday first, as people read a week
		if d := time.Weekday(i % 7); w.Has(d) {
			out = append(out, names[d])
		}
	}
	return strings.Join(out, ",")
}

// formatDelayToken spells a delay as the grammar reads it: "1h30m", "45m", "2d".
func formatDelayToken(d time.Duration) string {
	d = d.Round(time.Minute)
	var b strings.Builder
	if days := d / (24 * time.Hour); days > 0 {
		fmt.Fprintf(&b, "%dd", days)
		d -= days * 24 * time.Hour
	}
	if h := d / time.Hour; h > 0 {
		fmt.Fprintf(&b, "%dh", h)
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 || b.Len() == 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	return b.String()
}
