package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

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
	TipsShown  int              `json:"tips_shown"`
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
		TipsShown: u.TipsShown,
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
	yes := Button{Label: "Yes, delete everything", Command: "forget confirm", Style: Danger}
	if req.Arg("confirm") == "" {
		return Reply{
			Title:   "Delete everything?",
			Text:    "This deletes your roadmap progress, streak and reminders, and it cannot be undone. **export** shows what I keep. To go ahead, " + pressOrType(req, yes) + ".",
			Buttons: []Button{yes},
		}, nil
	}
	u, err := b.user(ctx, req)
	if err != nil {
		return Reply{}, err
	}
	if u.IsZero() {
		return Reply{
			Title: "Nothing to delete",
			Text:  "I keep nothing about you: no progress, streak or reminders. There was nothing to forget.",
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
