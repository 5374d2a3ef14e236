package bot_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

// dmText is a DM as the closing note shows it.
func dmText(r bot.Reply) string {
	return strings.TrimSpace(text(r)) + "\n[buttons: " + strings.Join(commands(r), " | ") + "]"
}

// TestSixtyDaysOfCoaching runs the daily loop for 60 days on a fake clock:
// a learner in London with a daily reminder at 19:00 and a plan marks the
// topic of the day done every third day, checks in before the reminder on
// most days (which skips it), after it on some, and not at all on days 10
// and 30. The DMs move on with the topics, never come on a day already
// checked in, and warn when the streak is at risk.
func TestSixtyDaysOfCoaching(t *testing.T) {
	var mu sync.Mutex
	outcomes := map[string]int{}
	h := bottest.New(t, bottest.WithConfig(func(c *bot.Config) {
		c.Reminders.OnDelivery = func(outcome string, _ time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			outcomes[outcome]++
		}
	}))
	h.Say("remind daily 19:00 Europe/London")
	h.Say("plan 20")
	late := map[int]bool{1: true, 2: true, 5: true, 8: true, 15: true, 22: true, 29: true, 31: true, 36: true, 45: true, 52: true}
	missed := map[int]bool{10: true, 30: true}
	london, _ := time.LoadLocation("Europe/London")

	dms := map[int]bot.Reply{}
	var lastTitle string
	markedSince := false
	for day := 1; day <= 60; day++ {
		date := bottest.Start.In(london).AddDate(0, 0, day-1)
		at := func(hour int) time.Time {
			return time.Date(date.Year(), date.Month(), date.Day(), hour, 0, 0, 0, london)
		}
		h.Clock.Set(at(12))
		if day%3 == 0 {
			done := h.Say("today").Buttons[0]
			if !strings.HasPrefix(done.Command, "roadmap done ") {
				t.Fatalf("day %d: today's first button is %q", day, done.Command)
			}
			h.Say(done.Command)
			markedSince = true
		}
		if !late[day] && !missed[day] {
			h.Say("checkin 45m")
		}

		h.Clock.Set(at(19))
		before := len(h.Messenger.DMs())
		st := h.Deliver(t)
		sent := h.Messenger.DMs()[before:]
		switch {
		case late[day] || missed[day]:
			if len(sent) != 1 || st.Sent != 1 {
				t.Fatalf("day %d: not checked in, yet %d DMs (%+v)", day, len(sent), st)
			}
			dm := sent[0].Reply
			dms[day] = dm
			if markedSince && dm.Title == lastTitle {
				t.Errorf("day %d: a topic was marked done since the last DM, which named the same topic: %q", day, dm.Title)
			}
			lastTitle, markedSince = dm.Title, false
		default:
			if len(sent) != 0 || st.Skipped != 1 {
				t.Fatalf("day %d: checked in before the reminder, yet %d DMs (%+v)", day, len(sent), st)
			}
		}
		if late[day] {
			h.Clock.Set(at(21))
			h.Say("checkin 30m after the reminder")
		}
	}

	// Day 10 had no check-in by 19:00, after 9 days in a row: at risk.
	wantContains(t, dms[10], "Your **9-day streak** is at risk today")
	// Day 30 too, after 19 days (11 to 29); on day 31 it has ended.
	wantContains(t, dms[30], "Your **19-day streak** is at risk today")
	wantContains(t, dms[31], "You missed a day, so your 19-day streak ended")
	wantContains(t, dms[1], "Check in when you're done to start a streak")
	wantContains(t, dms[2], "Your streak: **1 day**")
	if dms[1].Footer != "Every day at 19:00 (Europe/London)." {
		t.Errorf("the DM's footer is %q, want it as remind status says it", dms[1].Footer)
	}
	if dms[1].Title != dms[2].Title || dms[1].Text == dms[2].Text {
		t.Errorf("days 1 and 2 (no topic marked between) should name the same topic with another resource:\n%s\n---\n%s", dmText(dms[1]), dmText(dms[2]))
	}
	for _, pair := range [][2]int{{2, 15}, {15, 45}} {
		if dms[pair[0]].Title == dms[pair[1]].Title {
			t.Errorf("days %d and %d name the same topic: %q", pair[0], pair[1], dms[pair[0]].Title)
		}
	}
	mu.Lock()
	if want := map[string]int{"sent": 13, "skipped": 47}; !cmp.Equal(want, outcomes) {
		t.Errorf("delivery outcomes %v, want %v", outcomes, want)
	}
	mu.Unlock()

	for _, day := range []int{1, 2, 10, 15, 31, 45} {
		t.Logf("DM of day %d:\n%s\n", day, dmText(dms[day]))
	}
	t.Logf("digest on day 60:\n%s", dmText(h.Say("digest")))
}

// TestWeeklyDigestAcrossDST sends the weekly digest on Sundays at 18:00 in
// London across the change to summer time (28 March 2027): it comes at
// 18:00 local both weeks (18:00 and 17:00 UTC) and recaps the 7 local days
// before it.
func TestWeeklyDigestAcrossDST(t *testing.T) {
	h := bottest.New(t)
	london, _ := time.LoadLocation("Europe/London")
	h.Clock.Set(time.Date(2027, 3, 19, 12, 0, 0, 0, time.UTC)) // Friday
	wantContains(t, h.Say("remind weekly sunday 18:00 Europe/London"), "Every **Sunday at 18:00** (Europe/London)", "Sunday 21 March at 18:00")
	h.Say("plan 6")

	// The first digest, Sunday 21 March, 18:00 GMT.
	h.Clock.Set(time.Date(2027, 3, 21, 17, 59, 0, 0, time.UTC))
	if st := h.Deliver(t); st.Claimed != 0 {
		t.Fatalf("digest early: %+v", st)
	}
	h.Clock.Set(time.Date(2027, 3, 21, 18, 0, 0, 0, time.UTC))
	if st := h.Deliver(t); st.Sent != 1 {
		t.Fatalf("first digest: %+v", st)
	}

	// The week recapped next: Sunday 21 to Saturday 27 March, local.
	for _, c := range []struct {
		at   time.Time
		line string
	}{
		{time.Date(2027, 3, 21, 20, 0, 0, 0, time.UTC), "checkin 20m"},          // Sunday 21, in the week
		{time.Date(2027, 3, 24, 8, 0, 0, 0, time.UTC), "roadmap done 1.1"},      // Wednesday
		{time.Date(2027, 3, 24, 8, 1, 0, 0, time.UTC), "checkin 1h"},            // Wednesday
		{time.Date(2027, 3, 27, 23, 30, 0, 0, time.UTC), "checkin 40m"},         // Saturday 23:30 GMT
		{time.Date(2027, 3, 28, 0, 30, 0, 0, time.UTC), "checkin 10m"},          // Sunday 28, 00:30 GMT: next week's
		{time.Date(2027, 3, 28, 1, 30, 0, 0, time.UTC), "roadmap done 1.2"},     // Sunday 28, 02:30 BST: next week's
		{time.Date(2027, 3, 20, 12, 0, 0, 0, time.UTC).AddDate(0, 0, 8), "tip"}, // nothing
	} {
		h.Clock.Set(c.at)
		h.Say(c.line)
	}
	h.Clock.Set(time.Date(2027, 3, 28, 16, 59, 0, 0, time.UTC))
	if st := h.Deliver(t); st.Claimed != 0 {
		t.Fatalf("digest early: %+v", st)
	}
	h.Clock.Set(time.Date(2027, 3, 28, 17, 0, 0, 0, time.UTC)) // 18:00 BST
	if st := h.Deliver(t); st.Sent != 1 {
		t.Fatalf("second digest: %+v", st)
	}
	dms := h.Messenger.DMs()
	if len(dms) != 2 {
		t.Fatalf("%d DMs, want 2", len(dms))
	}
	for i, dm := range dms {
		if got := dm.At.In(london).Format("Mon 15:04"); got != "Sun 18:00" {
			t.Errorf("digest %d at %s local, want Sun 18:00", i+1, got)
		}
	}
	d := dms[1].Reply
	wantContains(t, d, "Your week: Sun 21 Mar – Sat 27 Mar", "You finished 1 topic: **1.1 ", "Days studied: 3 of 7, 2 h", "Streak:", "Plan: ", "Next week: **1.3 ", "Weekly on Sunday at 18:00 (Europe/London)")
	if strings.Contains(text(d), "1.2 ") && !strings.Contains(text(d), "Next week") {
		t.Errorf("a topic finished after the week is in it:\n%s", text(d))
	}
	if diff := cmp.Diff([]string{"today", "remind off weekly"}, commands(d)); diff != "" {
		t.Errorf("digest buttons (-want +got):\n%s", diff)
	}
	// The Sunday DM carries the progress card, as of its sending: the
	// week's three check-ins are on the heatmap.
	if d.Card == nil {
		t.Error("the weekly digest DM carries no progress card")
	} else if n := checkedDays(d.Card); n < 3 {
		t.Errorf("the digest's card shows %d check-ins, want at least 3", n)
	}
	t.Logf("weekly digest DM:\n%s", dmText(d))
}

// TestRemindOffKinds: each kind stops on its own, a one-off never removes
// the daily one, and a second one-off replaces the first and says so.
func TestRemindOffKinds(t *testing.T) {
	h := bottest.New(t)
	kinds := func() []bot.ReminderKind {
		var ks []bot.ReminderKind
		for _, r := range reminders(t, h, h.User) {
			ks = append(ks, r.Kind)
		}
		return ks
	}
	h.Say("remind daily 19:00 UTC")
	h.Say("remind weekly sun 18:00 UTC")
	r := h.Say("remind in 2h")
	if strings.Contains(r.Text, "replaces") || !cmp.Equal(commands(r), []string{"remind off once"}) {
		t.Errorf("first one-off: %s %v", r.Text, commands(r))
	}
	wantContains(t, h.Say("remind in 3h"), "It replaces the one-off reminder you had for today at 12:00")
	if diff := cmp.Diff([]bot.ReminderKind{bot.Daily, bot.Once, bot.Weekly}, kinds()); diff != "" {
		t.Errorf("reminders (-want +got):\n%s", diff)
	}
	wantContains(t, h.Say("remind"), "**Weekly digest** on Sunday at 18:00 (UTC)", "**Every day** at 19:00", "**Once**: next today at 13:00")
	wantContains(t, h.Say("remind off once"), "stopped your one-off reminder")
	if diff := cmp.Diff([]bot.ReminderKind{bot.Daily, bot.Weekly}, kinds()); diff != "" {
		t.Errorf("after remind off once (-want +got):\n%s", diff)
	}
	wantContains(t, h.Say("remind off weekly"), "stopped your weekly digest")
	wantContains(t, h.Say("remind off weekly"), "You have no weekly digest to stop")
	if diff := cmp.Diff([]bot.ReminderKind{bot.Daily}, kinds()); diff != "" {
		t.Errorf("after remind off weekly (-want +got):\n%s", diff)
	}
	h.Say("remind in 1h")
	wantContains(t, h.Say("remind off daily"), "stopped your daily reminder")
	if diff := cmp.Diff([]bot.ReminderKind{bot.Once}, kinds()); diff != "" {
		t.Errorf("after remind off daily (-want +got):\n%s", diff)
	}
	wantContains(t, h.Say("remind off"), "any more reminders")
	if len(kinds()) != 0 {
		t.Errorf("remind off left %v", kinds())
	}
}

// checkedDays counts the days checked in on a card's heatmap.
func checkedDays(c *bot.Card) int {
	n := 0
	for _, w := range c.Heat {
		for _, d := range w {
			if d.Checked {
				n++
			}
		}
	}
	return n
}
