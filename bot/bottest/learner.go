package bottest

import (
	"fmt"
	"testing"
	"time"
)

// Learner returns a harness whose user is the learner the progress card
// is shown with (DESIGN §11): three steps and two topics of the fourth
// done over ten weeks, a plan of 8 hours a week set three weeks ago, a few weeks of patchy check-ins with
// different minutes, then a 12-day streak up to Start (a Monday), when the
// clock stands again.
func Learner(t testing.TB, opts ...Option) *Harness {
	t.Helper()
	h := New(t, opts...)
	h.MakeLearner()
	return h
}

// MakeLearner makes h.User the learner of Learner, moving the clock back
// and leaving it at Start. Adapter tests use it with their platform's user.
func (h *Harness) MakeLearner() {
	h.Clock.Set(Start.AddDate(0, 0, -70))
	marks := map[int]string{21: "plan 8", 60: "roadmap done 1", 38: "roadmap done 2", 9: "roadmap done 3", 2: "roadmap done 4.1 4.2"}
	mins := []int{20, 45, 90, 30, 150, 60, 25}
	for d := 70; d >= 0; d-- {
		// Before the streak: four days in seven, none in the week 5 weeks
		// back; the streak itself: the last 12 days.
		h.Clock.Set(Start.AddDate(0, 0, -d).Add(8 * time.Hour))
		if m, ok := marks[d]; ok {
			h.Say(m)
		}
		if d == 12 || d > 12 && (d%7 == 1 || d%7 == 4 || d/7 == 5) {
			continue
		}
		line := "checkin"
		if m := mins[d%len(mins)]; d%5 != 2 {
			line = fmt.Sprintf("checkin %dm", m)
		}
		h.Say(line)
	}
	h.Clock.Set(Start)
}
