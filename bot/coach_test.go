package bot_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

// exported returns the user's export, decoded.
func exported(t *testing.T, h *bottest.Harness) map[string]any {
	t.Helper()
	js, ok := strings.CutPrefix(h.Say("export").Text, "```json\n")
	if !ok {
		t.Fatal("export is not a JSON block")
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSuffix(js, "\n```")), &got); err != nil {
		t.Fatal(err)
	}
	return got
}

// topicStates returns the export's topics: "step/topic" -> state.
func topicStates(t *testing.T, h *bottest.Harness) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range exported(t, h)["topics"].(map[string]any) {
		out[k] = v.(string)
	}
	return out
}

// TestTopicTransitions walks topics through their states: done, learning,
// skipped, back to not started, a step finished by its topics and one
// marked whole, and an older record's finished step (its id in Done).
func TestTopicTransitions(t *testing.T) {
	const (
		t1 = "languages/choose-a-language"
		t2 = "languages/fundamentals"
		t3 = "languages/data-structures"
		t4 = "languages/error-handling"
		t5 = "languages/concurrency"
		t6 = "languages/tooling"
	)
	allDone := map[string]string{t1: "done", t2: "done", t3: "done", t4: "done", t5: "done", t6: "done"}
	h := bottest.New(t)
	for _, st := range []struct {
		line      string
		title     string // the reply's title
		want      map[string]string
		stepsDone float64
	}{
		{"roadmap done 1.1", "Topic done ✅", map[string]string{t1: "done"}, 0},
		{"roadmap learning 1.2", "Learning now 📖", map[string]string{t1: "done", t2: "learning"}, 0},
		{"roadmap skip languages/data-structures", "Topic skipped ⏭️", map[string]string{t1: "done", t2: "learning", t3: "skipped"}, 0},
		{"roadmap skip data-structures", "Nothing changed", map[string]string{t1: "done", t2: "learning", t3: "skipped"}, 0},
		{"roadmap undo 1.2", "Back to not started", map[string]string{t1: "done", t3: "skipped"}, 0},
		{"roadmap done 1.2, 1.4 concurrency 1.6", "Topics done ✅", map[string]string{t1: "done", t2: "done", t3: "skipped", t4: "done", t5: "done", t6: "done"}, 1},
		{"roadmap undo 1", "Step reopened", map[string]string{}, 0},
		{"roadmap done programming languages", "Step done ✅", allDone, 1},
		{"roadmap undo 1.3", "Back to not started", map[string]string{t1: "done", t2: "done", t4: "done", t5: "done", t6: "done"}, 0},
		{"roadmap done 1.99", "Hmm, not quite", map[string]string{t1: "done", t2: "done", t4: "done", t5: "done", t6: "done"}, 0},
	} {
		r := h.Say(st.line)
		if r.Title != st.title {
			t.Errorf("%q: title %q, want %q (%s)", st.line, r.Title, st.title, r.Text)
		}
		if diff := cmp.Diff(st.want, topicStates(t, h)); diff != "" {
			t.Errorf("after %q, topics (-want +got):\n%s", st.line, diff)
		}
		if n := len(exported(t, h)["roadmap_steps_done"].([]any)); float64(n) != st.stepsDone {
			t.Errorf("after %q: %d steps done, want %v", st.line, n, st.stepsDone)
		}
	}
	if r := h.Say("roadmap done 1.3"); !strings.Contains(r.Text, "That finishes **Step 1, Programming Languages**") || !strings.Contains(r.Text, "Command-line expense tracker") {
		t.Errorf("finishing a step's last topic does not say so, with its project: %s", r.Text)
	}

	// roadmap and roadmap step show topics per step and each topic's state.
	h.Say("roadmap learning 2.2")
	h.Say("roadmap skip 2.3")
	r := h.Say("roadmap")
	wantContains(t, r, "✅ **1. Programming Languages** (languages) · 6/6 topics", "📖 **2. Databases")
	if r.Progress.Done != 1 {
		t.Errorf("progress %+v, want 1 step", r.Progress)
	}
	r = h.Say("roadmap next")
	wantContains(t, r, "Step 2 of 8", "(1 of 7 finished)", "⬜ **2.1 ", "📖 **2.2 ", "⏭️ **2.3 ")
	if r.Select == nil || r.Select.Command != "roadmap done" || len(r.Select.Options) != 6 || r.Select.Options[0].Value != "2.1" {
		t.Fatalf("the step offers no menu of its open topics: %+v", r.Select)
	}
	// The menu's line is what a platform dispatches when two are ticked.
	line := r.Select.Line([]string{r.Select.Options[0].Value, r.Select.Options[2].Value})
	if line != "roadmap done 2.1 2.4" {
		t.Fatalf("menu line %q", line)
	}
	wantContains(t, h.Say(line), "Marked done: **2.1 ", "**2.4 ")
}

// TestOlderRecordsKeepTheirSteps: a record written before topics had
// states holds finished steps in Done; they count as every topic done,
// and changing one topic keeps the others done.
func TestOlderRecordsKeepTheirSteps(t *testing.T) {
	h := bottest.New(t)
	if _, err := h.Store.UpdateUser(context.Background(), h.User, func(u *bot.User) error {
		u.Done = []string{"languages", "databases"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	wantContains(t, h.Say("roadmap"), "✅ **1. Programming Languages** (languages) · 6/6 topics", "✅ **2. Databases** (databases) · 7/7 topics")
	wantContains(t, h.Say("today"), "Today: 3.1 ")
	h.Say("roadmap undo 2.4")
	u, _ := h.Store.User(context.Background(), h.User)
	if diff := cmp.Diff([]string{"languages"}, u.Done); diff != "" {
		t.Errorf("Done (-want +got):\n%s", diff)
	}
	if len(u.Topics) != 6 {
		t.Errorf("step 2 spread into %d topic marks, want 6 (one undone): %v", len(u.Topics), u.Topics)
	}
	wantContains(t, h.Say("today"), "Today: 2.4 ")
}

// TestCheckinMinutesAndNote: minutes and a note are stored per local day; a
// second check-in adds to the day's; a long note is refused.
func TestCheckinMinutesAndNote(t *testing.T) {
	h := bottest.New(t)
	r := h.Say("checkin 45m built the add command")
	wantContains(t, r, "Checked in 🔥", "Today: 45 min", "Note: built the add command", "Streak: 1 day")
	r = h.Say("checkin 1h30m wrote tests")
	wantContains(t, r, "Added to today", "Today: 2 h 15 min", "Note: built the add command · wrote tests", "Streak: 1 day")
	wantContains(t, h.Say("checkin"), "Already checked in today")
	h.Clock.Advance(24 * time.Hour)
	wantContains(t, h.Say("checkin read about indexes"), "Checked in 🔥", "Streak: 2 days", "Note: read about indexes")
	r = h.Say("checkin 20m " + strings.Repeat("x", 201))
	if r.Code != bot.Invalid {
		t.Errorf("a note of 201 characters: %+v", r)
	}
	want := []any{
		map[string]any{"date": "2026-11-23", "minutes": 135.0, "note": "built the add command · wrote tests"},
		map[string]any{"date": "2026-11-24", "minutes": 0.0, "note": "read about indexes"},
	}
	if diff := cmp.Diff(want, exported(t, h)["checkins"]); diff != "" {
		t.Errorf("exported check-ins (-want +got):\n%s", diff)
	}

	// Check-ins are kept for 53 weeks and a day, no longer.
	for range 400 {
		h.Clock.Advance(24 * time.Hour)
		h.Say("checkin 30m")
	}
	u, _ := h.Store.User(context.Background(), h.User)
	if n := len(u.Checkins.List()); n != 53*7+1 {
		t.Errorf("%d check-ins kept, want %d", n, 53*7+1)
	}
	if len(bot.EncodeUser(u)) > 53*7*2+100 {
		t.Errorf("a year of check-ins takes %d bytes", len(bot.EncodeUser(u)))
	}
}

// TestExportTopicsCheckinsPlan: export holds topic states and their days,
// check-ins with notes and the plan; forget deletes them all.
func TestExportTopicsCheckinsPlan(t *testing.T) {
	h := bottest.New(t)
	h.Say("roadmap done 2.4")
	h.Say("roadmap learning 1.1")
	h.Say("checkin 1h my note")
	h.Say("plan 10")
	got := exported(t, h)
	for key, want := range map[string]any{
		"topics":     map[string]any{"databases/indexes": "done", "languages/choose-a-language": "learning"},
		"topic_days": map[string]any{"databases/indexes": "2026-11-23", "languages/choose-a-language": "2026-11-23"},
		"checkins":   []any{map[string]any{"date": "2026-11-23", "minutes": 60.0, "note": "my note"}},
		// 258 hours at 10 a week: 181 days after 23 November.
		"plan": map[string]any{"hours_per_week": 10.0, "started": "2026-11-23T10:00:00Z", "hours_left_at_start": 258.0, "finish": "2027-05-23"},
	} {
		if diff := cmp.Diff(want, got[key]); diff != "" {
			t.Errorf("export %s (-want +got):\n%s", key, diff)
		}
	}
	h.Say("forget confirm")
	if u, _ := h.Store.User(context.Background(), h.User); !u.IsZero() {
		t.Errorf("after forget: %+v", u)
	}
}

// TestPlanDates: the finish dates of the steps and the roadmap from the
// topics' hours at the plan's pace, and on track or days ahead or behind
// from the hours finished since the plan started. The roadmap has 262
// hours: step 1 60 (topics 4, 14, 12, 8, 12, 10), step 2 30, step 8 60.
// The clock starts on Monday 23 November 2026.
func TestPlanDates(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before []string // lines before the plan
		plan   string
		days   int      // days that pass after it
		after  []string // lines said after those days
		want   []string
	}{
		{
			name: "fresh", plan: "plan 10",
			// 262 h at 10 a week: 184 days; step 1's 60 h: 42 days.
			want: []string{"At **10 hours a week**, the **262 hours** left take you to **Wednesday 26 May 2027**", "**1. Programming Languages**: Mon 4 Jan 2027 (60 h left)", "Pace: on track at 10 h a week; finish 26 May 2027"},
		},
		{
			name: "step 1 done first", before: []string{"roadmap done 1"}, plan: "plan 7",
			// 202 h at 7 a week: 202 days; step 2's 30 h: 30 days.
			want: []string{"the **202 hours** left take you to **Sunday 13 June 2027**", "**2. Databases**: Wed 23 Dec 2026 (30 h left)"},
		},
		{
			name: "ahead", plan: "plan 7", days: 14, after: []string{"roadmap done 1.1 1.2 1.3"},
			// 30 h done in 14 days against 14 h asked: 16 h ahead, 16 days at 7 a week.
			want: []string{"Pace: 16 days ahead at 7 h a week; finish 27 Jul 2027"},
		},
		{
			name: "behind", plan: "plan 7", days: 21,
			want: []string{"Pace: 21 days behind at 7 h a week"},
		},
		{
			name: "skipped counts as finished", plan: "plan 7", days: 4, after: []string{"roadmap skip 1.1"},
			want: []string{"Pace: on track at 7 h a week"},
		},
		{
			name: "most hours", plan: "plan 60",
			want: []string{"take you to **Thursday 24 December 2026**"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := bottest.New(t)
			for _, l := range tc.before {
				h.Say(l)
			}
			wantContains(t, h.Say(tc.plan), "Study plan set")
			h.Clock.Advance(time.Duration(tc.days) * 24 * time.Hour)
			for _, l := range tc.after {
				h.Say(l)
			}
			r := h.Say("plan")
			wantContains(t, r, tc.want...)
			if strings.Contains(tc.want[0], "Pace") {
				wantContains(t, h.Say("progress"), strings.Replace(tc.want[0], "Pace", "Plan", 1))
				wantContains(t, h.Say("today"), strings.Replace(tc.want[0], "Pace", "Plan", 1))
			}
		})
	}

	h := bottest.New(t)
	for _, bad := range []string{"plan 0h", "plan 61", "plan lots"} {
		if r := h.Say(bad); r.Code != bot.Invalid {
			t.Errorf("%q: %+v", bad, r)
		}
	}
	wantContains(t, h.Say("plan"), "No study plan yet", "**262 hours** left")
	h.Say("plan 5")
	wantContains(t, h.Say("plan off"), "Plan stopped")
	wantContains(t, h.Say("plan off"), "no plan to stop")
}

// TestToday: the topic being learnt, else the next not done or skipped;
// one resource, another on the next day and with the button; the step's
// project on its last topic; the end of the roadmap.
func TestToday(t *testing.T) {
	h := bottest.New(t)
	h.Say("checkin") // a record, so that the days can be counted
	r := h.Say("today")
	wantContains(t, r, "Today: 1.1 Pick one language", "Next up.", "📚 Today's read: [Go documentation](https://go.dev/doc/) (1 of 5)")
	if diff := cmp.Diff([]string{"roadmap done 1.1", "roadmap skip 1.1", commands(r)[2]}, commands(r)); diff != "" || !strings.HasPrefix(commands(r)[2], "today ") {
		t.Errorf("buttons (-want +got):\n%s", diff)
	}
	// The next resource, by the button and on the next day.
	next := h.Say(commands(r)[2])
	if next.Text == r.Text || next.Title != r.Title {
		t.Errorf("the next resource button shows the same:\n%s", next.Text)
	}
	h.Clock.Advance(24 * time.Hour)
	wantContains(t, h.Say("today"), "(2 of 5)")

	h.Say("roadmap skip 1.1")
	wantContains(t, h.Say("today"), "Today: 1.2 ")
	h.Say("roadmap learning 1.4")
	// A topic marked today starts its resources again.
	wantContains(t, h.Say("today"), "Today: 1.4 ", "You're learning this one.", "(1 of 2)")
	h.Say("roadmap done 1.2 1.3 1.4 1.5")
	wantContains(t, h.Say("today"), "Today: 1.6 ", "Then build the project: **Command-line expense tracker**")
	if r := h.Say("today 99"); r.Code != bot.Invalid && !strings.Contains(r.Text, "(1 of 2)") {
		t.Errorf("today 99: %+v", r)
	}
	if r := h.Say("today x"); r.Code != bot.Invalid {
		t.Errorf("today x: %+v", r)
	}
	for i := 1; i <= 8; i++ {
		h.Say("roadmap done " + string(rune('0'+i)))
	}
	wantContains(t, h.Say("today"), "You've finished the roadmap 🎉")
}

// TestCheckinLogOrder: a check-in on a day before the last (after a change
// of zone moved the local date back) goes in its place, and days with gaps
// keep their own minutes and notes.
func TestCheckinLogOrder(t *testing.T) {
	h := bottest.New(t) // Monday 23 November 2026, 10:00 UTC
	h.Say("remind daily 09:00 Asia/Tokyo")
	h.Say("checkin 10m tokyo") // 19:00 on Monday 23 in Tokyo
	h.Clock.Advance(3 * 24 * time.Hour)
	h.Say("checkin 20m") // Thursday 26
	h.Say("remind daily 09:00 Pacific/Honolulu")
	h.Clock.Advance(-20 * time.Hour) // 14:00 UTC on Wednesday 25: 04:00 in Honolulu
	h.Say("checkin 1h30m honolulu")
	want := []any{
		map[string]any{"date": "2026-11-23", "minutes": 10.0, "note": "tokyo"},
		map[string]any{"date": "2026-11-25", "minutes": 90.0, "note": "honolulu"},
		map[string]any{"date": "2026-11-26", "minutes": 20.0},
	}
	if diff := cmp.Diff(want, exported(t, h)["checkins"]); diff != "" {
		t.Errorf("check-ins (-want +got):\n%s", diff)
	}
}
