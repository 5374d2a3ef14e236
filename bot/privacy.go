package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
)

// exportData is the JSON shape of "export": everything kept about the
// user, the scheduler's bookkeeping included. Field names are part of what
// we promise users, so they are spelled out rather than derived.
type exportData struct {
	User       UserID     `json:"user"`
	ExportedAt time.Time  `json:"exported_at"`
	Created    *time.Time `json:"created,omitempty"`
	Updated    *time.Time `json:"updated,omitempty"`
	Zone       string     `json:"time_zone,omitempty"`
	StepsDone  []string   `json:"roadmap_steps_done"`
	// Topics is each marked topic's state by "step/topic" (a topic no
	// longer in the roadmap by "#" and its num): "done", "learning",
	// "skipped", or the stored number for a state this build does not
	// know. TopicDays says on which local day each was set.
	Topics      map[string]any    `json:"topics"`
	TopicDays   map[string]string `json:"topic_days"`
	Plan        *exportPlan       `json:"plan,omitempty"`
	Checkins    []exportCheckin   `json:"checkins"`
	Streak      exportStreak      `json:"streak"`
	Reminders   []exportReminder  `json:"reminders"`
	Notice      string            `json:"pending_notice,omitempty"`
	DMChannel   string            `json:"dm_channel,omitempty"`
	TipsShown   int               `json:"tips_shown"`
	DeadLetters []exportDead      `json:"dead_letters"`
	Quiz        []exportCard      `json:"quiz"`
}

// exportCard is one quiz card (DESIGN §9's field names).
type exportCard struct {
	Question   string    `json:"question"` // the question id; "#key" for one no longer in the bank
	State      string    `json:"state"`
	Due        time.Time `json:"due"`
	Stability  float64   `json:"stability"`
	Difficulty float64   `json:"difficulty"`
	Reps       int       `json:"reps"`
	Lapses     int       `json:"lapses"`
	Wrong      int       `json:"wrong"`
	LastReview time.Time `json:"last_review"`
	LastRating string    `json:"last_rating,omitempty"`
}

type exportPlan struct {
	Hours   int       `json:"hours_per_week"`
	Started time.Time `json:"started"`
	Left    int       `json:"hours_left_at_start"`
	Finish  string    `json:"finish,omitempty"` // the roadmap's finish date at this pace
}

type exportCheckin struct {
	Date    string `json:"date"`
	Minutes int    `json:"minutes"`
	Note    string `json:"note,omitempty"`
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

// exportTopics returns the topics' states and days by "step/topic": those
// of finished steps kept as a step id (Done) too, as done on an unknown day.
func (b *Bot) exportTopics(u User) (map[string]any, map[string]string) {
	states, days := map[string]any{}, map[string]string{}
	known := map[TopicNum]bool{}
	for i, s := range b.pack.Steps {
		for j, t := range s.Topics {
			known[TopicNum(t.Num)] = true
			st := b.topicState(u, i, j)
			if st == NotStarted {
				continue
			}
			key := s.ID + "/" + t.ID
			states[key] = st.String()
			if m, ok := u.Topics[TopicNum(t.Num)]; ok && !slices.Contains(u.Done, s.ID) {
				days[key] = m.Day().String()
			}
		}
	}
	for num, m := range u.Topics {
		if known[num] {
			continue
		}
		id := fmt.Sprintf("#%d", num) // no longer in the roadmap
		switch m.State() {
		case TopicDone, TopicLearning, TopicSkipped:
			states[id] = m.State().String()
		default:
			states[id] = uint32(m)
		}
		days[id] = m.Day().String()
	}
	return states, days
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
		Zone:        u.Zone,
		Streak:      exportStreak{LastDay: u.Streak.Last, Current: u.Streak.Current, Best: u.Streak.Best, Days: u.Streak.Days},
		Reminders:   []exportReminder{},
		Notice:      u.Notice,
		DMChannel:   u.DMChannel,
		TipsShown:   u.TipsShown,
		DeadLetters: []exportDead{},
	}
	d.StepsDone = []string{}
	for i, st := range b.pack.Steps {
		if b.stepFinished(u, i) {
			d.StepsDone = append(d.StepsDone, st.ID)
		}
	}
	for _, id := range u.Done { // finished steps no longer in the roadmap
		if !slices.Contains(d.StepsDone, id) {
			d.StepsDone = append(d.StepsDone, id)
		}
	}
	d.Topics, d.TopicDays = b.exportTopics(u)
	d.Checkins = []exportCheckin{}
	listed := map[Day]bool{}
	for _, c := range u.Checkins.List() {
		listed[c.Day] = true
		d.Checkins = append(d.Checkins, exportCheckin{Date: c.Day.String(), Minutes: c.Minutes, Note: c.Note})
	}
	for day, note := range u.Checkins.Notes { // a note whose day is not in the log (never written so)
		if !listed[day] {
			d.Checkins = append(d.Checkins, exportCheckin{Date: day.String(), Note: note})
		}
	}
	if u.Plan != (Plan{}) {
		d.Plan = &exportPlan{Hours: u.Plan.Hours, Started: u.Plan.Started.UTC(), Left: u.Plan.Left}
		if u.Plan.Hours > 0 {
			d.Plan.Finish = b.planFinish(u, req.Now).Format(time.DateOnly)
		}
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
	d.Quiz = []exportCard{}
	for _, k := range slices.Sorted(maps.Keys(u.Cards)) {
		c := u.Cards[k]
		id := fmt.Sprintf("#%d", k)
		if q, ok := b.questionOf(k); ok {
			id = q.ID
		}
		d.Quiz = append(d.Quiz, exportCard{
			Question: id, State: c.State(), Due: cardTime(c.Due), LastReview: cardTime(c.Last), LastRating: c.LastRating(),
			Stability: math.Round(float64(c.Stability)*1000) / 1000, Difficulty: float64(c.Difficulty) / 100,
			Reps: int(c.Reps), Lapses: int(c.Lapses), Wrong: int(c.Wrong),
		})
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
			Text:    "This deletes your roadmap progress, check-ins and notes, plan, streak and reminders, and it cannot be undone. **export** shows what I keep. To go ahead, " + pressOrType(req, yes) + ".",
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
