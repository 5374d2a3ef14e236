package bot_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

// TestProgressCard checks the card `progress` carries for the learner of
// the closing note: steps, percent, streaks, plan and the heatmap's days.
func TestProgressCard(t *testing.T) {
	h := bottest.Learner(t)
	r := h.Say("progress")
	c := r.Card
	if c == nil {
		t.Fatal("progress carries no card")
	}
	got := struct {
		Done    []int
		Percent int
		Streak  int
		Best    int
		Plan    string
		Today   string
		Row     int
	}{Percent: c.Percent, Streak: c.Streak, Best: c.Best, Plan: c.PlanStatus, Today: c.Today.Format(time.DateOnly), Row: c.HeatRow()}
	for _, s := range c.Steps {
		got.Done = append(got.Done, s.Done)
	}
	want := got
	want.Done = []int{c.Steps[0].Total, c.Steps[1].Total, c.Steps[2].Total, 2, 0, 0, 0, 0}
	want.Streak, want.Best = 12, 12
	want.Today, want.Row = "2026-11-23", 0
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("card (-want +got):\n%s", diff)
	}
	if len(c.Steps) != 8 || c.PlanFinish.IsZero() || c.PlanHours != 8 || c.Percent <= 0 || c.Percent >= 100 {
		t.Errorf("card: %d steps, plan finish %v, %d h, %d%%", len(c.Steps), c.PlanFinish, c.PlanHours, c.Percent)
	}
	// Today (Monday 23 November) is the first day of the last column;
	// the 12-day streak fills the week before and back to Thursday 12
	// November; Wednesday 11 November has no check-in.
	last := c.Heat[bot.HeatWeeks-1]
	if !last[0].Checked || last[1].Checked {
		t.Errorf("last column %v: want today checked and nothing after", last)
	}
	for i, d := range c.Heat[bot.HeatWeeks-2] {
		if !d.Checked {
			t.Errorf("last week's day %d not checked: the streak covers it", i)
		}
	}
	if c.Heat[bot.HeatWeeks-3][2].Checked || !c.Heat[bot.HeatWeeks-3][3].Checked {
		t.Error("want Wednesday 11 November empty, Thursday 12 checked")
	}
	n := 0
	for _, w := range c.Heat {
		for _, d := range w {
			if d.Checked {
				n++
			}
		}
	}
	if n < 30 || n > 84 {
		t.Errorf("%d days checked in the heatmap", n)
	}
	// A new revision or a new day gives a new key; the same record on the
	// same day the same one.
	if k := h.Say("progress").Card.Key; k != c.Key {
		t.Errorf("key changed on reading again: %q, %q", c.Key, k)
	}
	h.Say("checkin 10m")
	if k := h.Say("progress").Card.Key; k == c.Key {
		t.Error("key kept after a check-in")
	}
	if c := bottest.New(t).Say("progress").Card; c == nil || c.Streak != 0 || c.PlanStatus != "" || c.Percent != 0 {
		t.Errorf("a new user's card: %+v", c)
	}
}
