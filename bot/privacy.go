package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// exportData is the JSON shape of "export": everything kept about the
// user, the scheduler's bookkeeping included. Field names are part of what
// we promise users, so they are spelled out rather than derived.
type exportData struct {
	User        UserID           `json:"user"`
	ExportedAt  time.Time        `json:"exported_at"`
	Created     *time.Time       `json:"created,omitempty"`
	Updated     *time.Time       `json:"updated,omitempty"`
	Zone        string           `json:"time_zone,omitempty"`
	StepsDone   []string         `json:"roadmap_steps_done"`
	Streak      exportStreak     `json:"streak"`
	Reminders   []exportReminder `json:"reminders"`
	Notice      string           `json:"pending_notice,omitempty"`
	DMChannel   string           `json:"dm_channel,omitempty"`
	TipsShown   int              `json:"tips_shown"`
	DeadLetters []exportDead     `json:"dead_letters"`
}

type exportStreak struct {
	LastDay string `json:"last_day,omitempty"`
	Current int    `json:"current"`
	Best    int    `json:"best"`
	Days    int    `json:"days_studied"`
}

type exportReminder struct {
	Kind    ReminderKind `json:"kind"`
	At      string       `json:"at,omitempty"`
	Zone    string       `json:"time_zone,omitempty"`
	Days    string       `json:"days,omitempty"`
	Next    time.Time    `json:"next"`
	Paused  string       `json:"paused,omitempty"`
	Created *time.Time   `json:"created,omitempty"`
	// The scheduler's state of the occurrence next: failed sends of it,
	// when it is tried again, and the last occurrence delivered.
	Attempts      int        `json:"attempts"`
	RetryAt       *time.Time `json:"retry_at,omitempty"`
	LastDelivered *time.Time `json:"last_delivered,omitempty"`
}

// exportDead is a reminder the scheduler gave up on, as the store keeps it
// for an operator (DeadLetters).
type exportDead struct {
	Kind     ReminderKind `json:"kind"`
	Due      time.Time    `json:"due"`
	Attempts int          `json:"attempts"`
	Reason   string       `json:"reason"`
}

// exportTime returns t in UTC, or nil for the zero time, for an optional field.
func exportTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// export returns everything kept about the user as JSON: the record and
// the dead letters the store keeps about them.
func (b *Bot) export(ctx context.Context, req *Request) (Reply, error) {
	u, err := b.user(ctx, req)
	if err != nil {
		return Reply{}, err
	}
	d := exportData{
		User: req.User, ExportedAt: req.Now.UTC(), Created: exportTime(u.Created), Updated: exportTime(u.Updated),
		Zone: u.Zone, StepsDone: u.Done,
		Streak:      exportStreak{LastDay: u.Streak.Last, Current: u.Streak.Current, Best: u.Streak.Best, Days: u.Streak.Days},
		Reminders:   []exportReminder{},
		Notice:      u.Notice,
		DMChannel:   u.DMChannel,
		TipsShown:   u.TipsShown,
		DeadLetters: []exportDead{},
	}
	if d.StepsDone == nil {
		d.StepsDone = []string{}
	}
	for _, r := range u.Reminders {
		e := exportReminder{
			Kind: r.Kind, At: r.At, Zone: r.Zone, Next: r.Next.UTC(), Paused: r.Paused, Created: exportTime(r.Created),
			Attempts: r.Attempts, RetryAt: exportTime(r.RetryAt), LastDelivered: exportTime(r.Sent),
		}
		if r.Kind == Daily {
			e.Days = r.Days.Token()
		}
		d.Reminders = append(d.Reminders, e)
	}
	if b.deadLetters != nil {
		dead, err := b.deadLetters.DeadLettersOf(ctx, req.User)
		if err != nil {
			return Reply{}, err
		}
		for _, e := range dead {
			d.DeadLetters = append(d.DeadLetters, exportDead{Kind: e.Kind, Due: e.Due.UTC(), Attempts: e.Attempts, Reason: e.Reason})
		}
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
