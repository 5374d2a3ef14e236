package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

// text is everything a user reads in a reply, for "contains" checks.
func text(r bot.Reply) string {
	var b strings.Builder
	b.WriteString(r.Title + "\n" + r.Text + "\n")
	for _, f := range r.Fields {
		b.WriteString(f.Name + ": " + f.Value + "\n")
	}
	b.WriteString(r.Footer)
	return b.String()
}

func wantContains(t *testing.T, r bot.Reply, parts ...string) {
	t.Helper()
	got := text(r)
	for _, p := range parts {
		if !strings.Contains(got, p) {
			t.Errorf("reply lacks %q:\n%s", p, got)
		}
	}
}

func commands(r bot.Reply) []string {
	var c []string
	for _, b := range r.Buttons {
		c = append(c, b.Command)
	}
	return c
}

func TestRoadmapProgress(t *testing.T) {
	h := bottest.New(t)

	r := h.Say("roadmap next")
	wantContains(t, r, "Step 1 of 8: Programming Languages", "Topics", "https://")
	if diff := cmp.Diff([]string{"roadmap done 1", "roadmap"}, commands(r)); diff != "" {
		t.Errorf("buttons (-want +got):\n%s", diff)
	}
	if *r.Progress != (bot.Progress{Done: 0, Total: 8}) {
		t.Errorf("progress = %+v", *r.Progress)
	}

	r = h.Say("roadmap done 1")
	wantContains(t, r, "Step done", "Step 1, Programming Languages,")
	if r.Progress.Done != 1 {
		t.Errorf("progress after done = %+v", *r.Progress)
	}
	wantContains(t, h.Say("roadmap done languages"), "already marked finished")
	wantContains(t, h.Say("roadmap next"), "Step 2 of 8")

	// Steps may be finished out of order; "next" is the first unfinished.
	h.Say("roadmap done 3")
	wantContains(t, h.Say("roadmap next"), "Step 2 of 8")
	h.Say("roadmap done 2")
	wantContains(t, h.Say("roadmap next"), "Step 4 of 8")

	r = h.Say("roadmap step 3")
	wantContains(t, r, "Step 3 of 8", "✅")
	if got := commands(r); got[0] != "roadmap undo 3" {
		t.Errorf("a finished step offers %v, want undo first", got)
	}
	wantContains(t, h.Say("roadmap undo 3"), "Step reopened")
	wantContains(t, h.Say("roadmap undo 3"), "nothing to undo")
	wantContains(t, h.Say("roadmap next"), "Step 3 of 8")

	r = h.Say("roadmap")
	wantContains(t, r, "✅ **1. Programming Languages**", "⬜ **3.")
	if r.Progress.Done != 2 {
		t.Errorf("overview progress = %+v, want 2 done", *r.Progress)
	}

	u, err := h.Store.User(context.Background(), h.User)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"languages", "databases"}, u.Done); diff != "" {
		t.Errorf("stored steps, in roadmap order (-want +got):\n%s", diff)
	}

	for i := 1; i <= 8; i++ {
		h.Say("roadmap done " + string(rune('0'+i)))
	}
	wantContains(t, h.Say("roadmap next"), "You finished the whole roadmap")

	// Reset asks first and changes nothing until confirmed.
	r = h.Say("roadmap reset")
	wantContains(t, r, "press **Yes, reset my roadmap**")
	if r.Progress != nil || commands(r)[0] != "roadmap reset confirm" {
		t.Errorf("reset without confirm: %+v", r)
	}
	wantContains(t, h.Say("roadmap next"), "You finished the whole roadmap")
	wantContains(t, h.Say("roadmap reset confirm"), "Roadmap reset")
	wantContains(t, h.Say("roadmap next"), "Step 1 of 8")
}

func TestUsersAreSeparate(t *testing.T) {
	h := bottest.New(t)
	h.SayAs("test:ana", "roadmap done 1")
	wantContains(t, h.SayAs("test:ben", "roadmap next"), "Step 1 of 8")
	wantContains(t, h.SayAs("test:ana", "roadmap next"), "Step 2 of 8")
}

func TestInfoCommands(t *testing.T) {
	h := bottest.New(t)
	tests := []struct {
		line string
		want []string
	}{
		{"salary", []string{"Backend developer salaries (India, 2025)", "Beginner (0-4 years): ₹4.5 L – ₹10 L a year (Junior Developer)", "₹10 L – ₹14 L", "₹15 L – ₹20 L", "How to Become a Backend Developer in 2025", "INR", "23 July 2025",
			"stops at 15 years: Lead / Principal and Backend Architect have no figure"}},
		{"salary mid", []string{"Mid-Level backend developer salary (India, 2025)", "**₹10 L – ₹14 L** a year for 5-9 years", "Source:", "INR"}},
		{"salary junior", []string{"Beginner", "₹4.5 L – ₹10 L", "0-4 years", "On the career ladder that is **Junior Developer**"}},
		{"salary senior", []string{"Experienced", "₹15 L – ₹20 L", "10-15 years"}},
		{"salary lead", []string{"Lead / Principal salary", "stops at 15 years of experience, so I have no figure for Lead / Principal", "Experienced, is **₹15 L – ₹20 L** a year for 10-15 years"}},
		{"salary architect", []string{"no figure for Backend Architect"}},
		{"career", []string{"career ladder", "1. **Junior Developer** (0-4 years)", "2. **Mid-Level Developer** (5-9 years)", "3. **Senior Developer** (10-15 years)", "4. **Lead / Principal**: ", "5. **Backend Architect**: "}},
		// The years of a level are those of its salary band (issue 12).
		{"career mid", []string{"Mid-Level Developer (5-9 years)", "Pay (India, 2025): ₹10 L – ₹14 L a year (the source's Mid-Level band)", "Source:"}},
		{"career senior", []string{"Senior Developer (10-15 years)", "What you do", "Towards", "₹15 L – ₹20 L"}},
		{"career experienced", []string{"Senior Developer (10-15 years)"}},
		{"career lead", []string{"Lead / Principal", "No figure: the source's table stops at 15 years of experience."}},
		{"career architect", []string{"Backend Architect"}},
		{"skills", []string{"Key skills", "Version Control (Git)", "Cloud Services & Deployment", "Security Best Practices"}},
		{"skills git", []string{"How to practise", "Taught in: Step 7, Version Control (Git)"}},
		{"skills cloud services", []string{"Cloud Services & Deployment"}},
		{"help salary", []string{"**LEVEL** is one of:", "**junior** (Junior Developer): also", "beginner", "**architect** (Backend Architect)"}},
		{"help career", []string{"**LEVEL** is one of:", "**senior** (Senior Developer): also", "experienced"}},
		{"help skills", []string{"**NAME** is one of:", "**version-control** (Version Control (Git)): also git"}},
		{"help roadmap step", []string{"**5** or **servers**: Web Servers and Hosting"}},
		{"help coach", []string{"umbrella word", "/coach roadmap next"}},
		{"help me", []string{"What I can do"}},
		{"tip", []string{"Tip"}},
		{"help", []string{"What I can do", "roadmap", "remind", "forget [confirm]"}},
		{"help remind", []string{"remind daily HH:MM [TZ] [DAYS]", "remind in DURATION", "Examples"}},
		{"help remind daily", []string{"IANA", "remind daily 07:30 Asia/Kolkata weekdays"}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			wantContains(t, h.Say(tt.line), tt.want...)
		})
	}
	// The last level has nowhere further to point.
	if r := h.Say("career architect"); len(r.Buttons) != 0 || strings.Contains(text(r), "Towards") {
		t.Errorf("career architect offers a next level: %+v", r)
	}
	// A skill taught in two steps offers both (issue 12).
	if diff := cmp.Diff([]string{"roadmap step 1", "roadmap step 8"}, commands(h.Say("skills debugging-testing"))); diff != "" {
		t.Errorf("skills debugging-testing buttons (-want +got):\n%s", diff)
	}
	// India once per salary message, not once per band (issue 12).
	for _, line := range []string{"salary", "salary mid", "career mid", "salary lead"} {
		if n := strings.Count(text(h.Say(line)), "India"); n != 1 {
			t.Errorf("%s names India %d times, want once", line, n)
		}
	}
	// Help does not advertise the snooze plumbing behind the reminder button.
	if strings.Contains(text(h.Say("help remind")), "snooze") {
		t.Error("help remind lists the hidden snooze subcommand")
	}
}

func TestTipsRotate(t *testing.T) {
	h := bottest.New(t)
	a, b := h.Say("tip").Text, h.Say("tip").Text
	if a == b || a == "" {
		t.Errorf("two tips in a row: %q and %q, want two different tips", a, b)
	}
}

// TestTipsDoNotRepeat: a user sees every tip before any comes again, and
// "Another tip" never shows the one just shown, across rounds (issue 12).
// A random source that keeps drawing the same number shows what chance
// alone allows: the same tip again and again.
func TestTipsDoNotRepeat(t *testing.T) {
	h := bottest.New(t, bottest.WithConfig(func(c *bot.Config) { c.Rand = func(int) int { return 0 } }))
	n := len(h.Content().Tips)
	for _, user := range []bot.UserID{"test:ana", "test:ben"} {
		seen := map[string]bool{}
		last := ""
		for i := range 3 * n {
			tip := h.SayAs(user, "tip").Text
			if tip == last {
				t.Fatalf("%s: tip %d repeats the one before: %q", user, i+1, tip)
			}
			last = tip
			if i%n == 0 {
				seen = map[string]bool{}
			}
			if seen[tip] {
				t.Fatalf("%s: tip %d of round %d was shown earlier in the round: %q", user, i%n+1, i/n+1, tip)
			}
			seen[tip] = true
			// Another user's tips do not move this user's order.
			h.SayAs("test:cy", "tip")
		}
	}
}

func TestCheckinStreak(t *testing.T) {
	h := bottest.New(t)
	// 10:00 UTC on Monday 23 November: set a zone far east, where it is
	// already evening, so the local date is what counts.
	h.Say("remind daily 20:00 Asia/Tokyo")

	r := h.Say("checkin")
	wantContains(t, r, "Checked in", "Monday 23 November", "Streak: 1 day")
	wantContains(t, h.Say("checkin"), "Already checked in today", "Streak: 1 day")

	// 15:30 UTC is 00:30 Tuesday in Tokyo: a new local day.
	h.Clock.Set(time.Date(2026, 11, 23, 15, 30, 0, 0, time.UTC))
	wantContains(t, h.Say("checkin"), "Tuesday 24 November", "Streak: 2 days", "Best: 2 days", "best streak yet")

	// Skipping a local day breaks the streak; the best is kept.
	h.Clock.Set(time.Date(2026, 11, 25, 16, 0, 0, 0, time.UTC)) // Thursday in Tokyo
	r = h.Say("progress")
	wantContains(t, r, "Study streak: 0 days (best 2 days)", "Days studied: 2")
	if !strings.Contains(strings.Join(commands(r), " "), "checkin") {
		t.Errorf("progress does not offer a check-in: %v", commands(r))
	}
	wantContains(t, h.Say("checkin"), "Streak: 1 day", "Best: 2 days")
	wantContains(t, h.Say("progress"), "Study streak: 1 day (best 2 days)", "Days studied: 3", "Next step: Step 1")
}

func TestCheckinDefaultsToUTC(t *testing.T) {
	h := bottest.New(t)
	h.Clock.Set(time.Date(2026, 11, 23, 23, 59, 0, 0, time.UTC))
	h.Say("checkin")
	h.Clock.Set(time.Date(2026, 11, 24, 0, 1, 0, 0, time.UTC))
	wantContains(t, h.Say("checkin"), "Streak: 2 days")
}

func TestRemindDaily(t *testing.T) {
	h := bottest.New(t) // Monday 23 November 2026, 10:00 UTC
	ctx := context.Background()

	r := h.Say("remind daily 07:30 Asia/Kolkata weekdays")
	wantContains(t, r, "**07:30** (Asia/Kolkata) on weekdays", "tomorrow at 07:30")
	rems, err := h.Store.Reminders(ctx, h.User)
	if err != nil {
		t.Fatal(err)
	}
	want := []bot.Reminder{{
		User: h.User, Kind: bot.Daily, At: "07:30", Zone: "Asia/Kolkata", Days: bot.WorkDays,
		Next:    time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC), // 07:30 IST = 02:00 UTC
		Created: bottest.Start,
	}}
	if diff := cmp.Diff(want, rems); diff != "" {
		t.Errorf("stored reminder (-want +got):\n%s", diff)
	}
	u, _ := h.Store.User(ctx, h.User)
	if u.Zone != "Asia/Kolkata" {
		t.Errorf("user zone = %q, want the reminder's zone remembered", u.Zone)
	}

	// Without a zone: the platform profile's, else the saved one, else UTC.
	h.Messenger.Zone = "America/New_York"
	wantContains(t, h.Say("remind daily 19:00"), "(America/New_York)", "I used your profile's time zone, America/New_York.")
	h.Messenger.Zone = ""
	wantContains(t, h.Say("remind daily 19:00"), "(America/New_York)", "I used the time zone you chose before, America/New_York.")
	wantContains(t, h.SayAs("test:new", "remind daily 19:00"), "(UTC)", "I used UTC")

	r = h.Say("remind status")
	wantContains(t, r, "**Every day** at 19:00 (America/New_York): next today at 19:00")

	wantContains(t, h.Say("remind in 45m"), "in 45 minutes", "today at 05:45 (America/New_York)") // New York time
	wantContains(t, h.Say("remind"), "**Once**: next today at 05:45")

	wantContains(t, h.Say("remind off"), "Stopped", "any more reminders")
	if rems, _ := h.Store.Reminders(ctx, h.User); len(rems) != 0 {
		t.Errorf("after remind off: %v", rems)
	}
	wantContains(t, h.Say("remind off"), "no reminders")
	wantContains(t, h.Say("remind status"), "No reminders")
}

// TestZoneWording: the reply names the zone it used and where it came
// from, and its hint never suggests that same zone (issue 12).
func TestZoneWording(t *testing.T) {
	h := bottest.New(t)
	h.Messenger.Zone = "Europe/Berlin"
	r := h.Say("remind daily 19:00")
	wantContains(t, r, "(Europe/Berlin)", "I used your profile's time zone, Europe/Berlin.", "**remind daily 19:00 Asia/Kolkata**")
	if strings.Contains(r.Text, "19:00 Europe/Berlin**") {
		t.Errorf("the hint suggests the zone just used:\n%s", r.Text)
	}
	// A zone typed is the zone used, and nothing claims it came from the profile.
	r = h.Say("remind daily 19:00 Asia/Tokyo")
	wantContains(t, r, "(Asia/Tokyo)")
	if strings.Contains(r.Text, "profile") || strings.Contains(r.Text, "I used") {
		t.Errorf("a typed zone is explained as another's:\n%s", r.Text)
	}
	// Every-day reminders do not say "daily" and "every day" together.
	if got := text(h.Say("remind status")); strings.Contains(got, "Daily") && strings.Contains(got, "every day") {
		t.Errorf("remind status says daily twice:\n%s", got)
	}
}

// TestConfirmWording: Slack and Discord say "press" and name the button
// (typing in the app's DM does nothing); the console says "type" and gives
// the line. Both offer the button (issue 12).
func TestConfirmWording(t *testing.T) {
	h := bottest.New(t)
	for _, tc := range []struct {
		user      bot.UserID
		line      string
		want, not string
	}{
		{"slack:T1:U1", "forget", "press **Yes, delete everything**", "type"},
		{"discord:42", "forget", "press **Yes, delete everything**", "type"},
		{"console:ana", "forget", "type **forget confirm**", "press"},
		{"slack:T1:U1", "roadmap reset", "press **Yes, reset my roadmap**", "type"},
		{"console:ana", "roadmap reset", "type **roadmap reset confirm**", "press"},
		{"discord:42", "hi", "press **Start studying**", "type"},
		{"console:ana", "hi", "type **today**", "press"},
	} {
		r := h.SayAs(tc.user, tc.line)
		if !strings.Contains(r.Text, tc.want) || strings.Contains(r.Text, tc.not+" **") {
			t.Errorf("%s %q:\n%s\nwant %q", tc.user, tc.line, r.Text, tc.want)
		}
		if len(r.Buttons) == 0 {
			t.Errorf("%s %q offers no button", tc.user, tc.line)
		}
	}
}

// TestWelcome: greetings and questions get the welcome with buttons, not a
// "did you mean" (issue 12).
func TestWelcome(t *testing.T) {
	h := bottest.New(t)
	for _, line := range []string{"hi", "hello", "hey", "start", "ok", "what should I learn next?", "how does this work"} {
		r := h.Say(line)
		wantContains(t, r, "backend career coach")
		if strings.Contains(text(r), "Did you mean") || strings.Contains(text(r), "I don't know") {
			t.Errorf("%q: %s", line, text(r))
		}
		if diff := cmp.Diff([]string{"today", "help"}, commands(r)); diff != "" {
			t.Errorf("%q buttons (-want +got):\n%s", line, diff)
		}
	}
	// A word that is neither a command nor a greeting still says so.
	wantContains(t, h.Say("dance"), `I don't know the command "dance"`)
}

// TestForgetNothing: forget confirm with nothing kept says so (issue 12).
func TestForgetNothing(t *testing.T) {
	h := bottest.New(t)
	wantContains(t, h.Say("forget confirm"), "Nothing to delete", "I keep nothing about you")
	h.Say("roadmap done 1")
	wantContains(t, h.Say("forget confirm"), "Everything deleted")
}

func TestBadInputStoresNothing(t *testing.T) {
	for _, line := range []string{
		"remind daily 25:00", "remind daily 09:00 Mars/Olympus", "roadmap step 99", "roadmap done 99",
		"salary wizard", "remind in forever", "forget please", "roadmap reset now",
	} {
		t.Run(line, func(t *testing.T) {
			h := bottest.New(t)
			r := h.Say(line)
			if r.Title != "Hmm, not quite" {
				t.Errorf("title = %q, want the friendly invalid-input title", r.Title)
			}
			u, _ := h.Store.User(context.Background(), h.User)
			rems, _ := h.Store.Reminders(context.Background(), h.User)
			if !u.IsZero() || len(rems) != 0 {
				t.Errorf("stored %+v and %v after a bad command", u, rems)
			}
		})
	}
}

func TestExportAndForget(t *testing.T) {
	h := bottest.New(t)
	h.Say("roadmap done 1")
	h.Say("checkin")
	h.Say("remind daily 07:00 Europe/London mon,wed")
	// A reminder the scheduler gave up on is kept about the user too.
	rems, _ := h.Store.Reminders(context.Background(), h.User)
	dead := rems[0]
	dead.Attempts = 6
	if err := h.Store.DeadLetter(context.Background(), bot.Claim{Reminder: dead, Due: time.Date(2026, 11, 20, 7, 0, 0, 0, time.UTC)}, "platform down"); err != nil {
		t.Fatal(err)
	}
	h.Clock.Advance(time.Minute)

	r := h.Say("export")
	js, ok := strings.CutPrefix(r.Text, "```json\n")
	if !ok {
		t.Fatalf("export is not a JSON block: %q", r.Text)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSuffix(js, "\n```")), &got); err != nil {
		t.Fatalf("export JSON: %v\n%s", err, js)
	}
	want := map[string]any{
		"user":               "test:ana",
		"exported_at":        "2026-11-23T10:01:00Z",
		"created":            "2026-11-23T10:00:00Z",
		"updated":            "2026-11-23T10:00:00Z",
		"time_zone":          "Europe/London",
		"roadmap_steps_done": []any{"languages"},
		"streak":             map[string]any{"last_day": "2026-11-23", "current": 1.0, "best": 1.0, "days_studied": 1.0},
		"reminders": []any{map[string]any{
			"kind": "daily", "at": "07:00", "time_zone": "Europe/London", "days": "mon,wed", "next": "2026-11-25T07:00:00Z",
			"created": "2026-11-23T10:00:00Z", "attempts": 0.0,
		}},
		"dead_letters": []any{map[string]any{
			"kind": "daily", "due": "2026-11-20T07:00:00Z", "attempts": 6.0, "reason": "platform down",
		}},
		"tips_shown": 0.0,
		"quiz":       []any{},
		// Step 1 was marked done as a whole: all its topics are done, on
		// no particular day.
		"topics": map[string]any{
			"languages/choose-a-language": "done", "languages/fundamentals": "done", "languages/data-structures": "done",
			"languages/error-handling": "done", "languages/concurrency": "done", "languages/tooling": "done",
		},
		"topic_days": map[string]any{},
		"checkins":   []any{map[string]any{"date": "2026-11-23", "minutes": 0.0}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("export (-want +got):\n%s", diff)
	}

	// forget asks first and deletes nothing until confirmed.
	wantContains(t, h.Say("forget"), "Yes, delete everything", "cannot be undone")
	if rems, _ := h.Store.Reminders(context.Background(), h.User); len(rems) != 1 {
		t.Fatalf("forget without confirm deleted reminders")
	}
	wantContains(t, h.Say("forget confirm"), "Everything deleted")
	u, _ := h.Store.User(context.Background(), h.User)
	rems, _ = h.Store.Reminders(context.Background(), h.User)
	if !u.IsZero() || len(rems) != 0 {
		t.Errorf("after forget: user %+v, reminders %v", u, rems)
	}
	if dead, err := h.Store.DeadLettersOf(context.Background(), h.User); err != nil || len(dead) != 0 {
		t.Errorf("after forget: dead letters %+v, %v", dead, err)
	}
	h.Clock.Advance(48 * time.Hour)
	if st := h.Deliver(t); st.Claimed != 0 {
		t.Errorf("a forgotten user's reminder was claimed: %+v", st)
	}
}

// panicStore panics on reads, to prove a handler's panic becomes a reply.
type panicStore struct{ *bottest.MemStore }

func (panicStore) User(context.Context, bot.UserID) (bot.User, error) { panic("boom") }

func TestPanicBecomesInternalError(t *testing.T) {
	var outcomes []bot.Code
	h := bottest.New(t, bottest.WithStore(panicStore{bottest.NewMemStore(bot.SystemClock{})}),
		bottest.WithConfig(func(c *bot.Config) {
			c.OnCommand = func(_ string, o bot.Code, _ time.Duration) { outcomes = append(outcomes, o) }
		}))
	r := h.Say("progress")
	wantContains(t, r, "Something went wrong", "logged")
	if strings.Contains(text(r), "boom") {
		t.Error("the panic value leaked into the reply")
	}
	if diff := cmp.Diff([]bot.Code{bot.Internal}, outcomes); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	// Commands that need no store still work.
	wantContains(t, h.Say("salary mid"), "₹10 L – ₹14 L")
}

func TestStoreDown(t *testing.T) {
	h := bottest.New(t)
	h.Say("roadmap done 1")
	h.Store.SetDown(true)
	for _, line := range []string{"roadmap next", "roadmap done 2", "checkin", "remind daily 09:00", "export", "forget confirm"} {
		r := h.Say(line)
		if r.Text != "I can't reach my memory right now, try again in a minute." {
			t.Errorf("%s while the store is down: %q", line, r.Text)
		}
	}
	// Content-only commands keep working.
	wantContains(t, h.Say("salary mid"), "₹10 L – ₹14 L")
	wantContains(t, h.Say("help"), "What I can do")

	h.Store.SetDown(false)
	wantContains(t, h.Say("roadmap next"), "Step 2 of 8")
}

// slowStore never answers until the request's context ends.
type slowStore struct{ *bottest.MemStore }

func (slowStore) User(ctx context.Context, _ bot.UserID) (bot.User, error) {
	<-ctx.Done()
	return bot.User{}, ctx.Err()
}

func TestHungStoreIsBounded(t *testing.T) {
	h := bottest.New(t, bottest.WithStore(slowStore{bottest.NewMemStore(bot.SystemClock{})}),
		bottest.WithConfig(func(c *bot.Config) { c.CommandTimeout = 50 * time.Millisecond }))
	r := h.Say("progress") // returns only because Handle bounds its context
	if r.Text != "I can't reach my memory right now, try again in a minute." {
		t.Errorf("reply = %q", r.Text)
	}
}

func TestOnCommand(t *testing.T) {
	type call struct {
		Name    string
		Outcome bot.Code
	}
	var calls []call
	h := bottest.New(t, bottest.WithConfig(func(c *bot.Config) {
		c.OnCommand = func(n string, o bot.Code, _ time.Duration) { calls = append(calls, call{n, o}) }
	}))
	h.Say("roadmap next")
	h.Say("salary wizard")
	h.Say("dance")
	want := []call{{"roadmap next", ""}, {"salary", bot.Invalid}, {"unknown", bot.Invalid}}
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestErrorMessages(t *testing.T) {
	cause := errors.New("dial tcp 10.0.0.1:6379: secret detail")
	tests := []struct {
		err  error
		code bot.Code
		msg  string
	}{
		{bot.Errorf(bot.Invalid, "bad %s", "thing"), bot.Invalid, "bad thing"},
		{bot.WrapError(bot.Unavailable, cause, ""), bot.Unavailable, "I can't reach my memory right now, try again in a minute."},
		{cause, bot.Internal, "Something went wrong on my side. It has been logged; please try again."},
		{errors.Join(errors.New("x"), bot.ErrStaleClaim), bot.Conflict, "the reminder claim is no longer held"},
	}
	for _, tt := range tests {
		if got := bot.ErrorCode(tt.err); got != tt.code {
			t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, tt.code)
		}
		if got := bot.ErrorMessage(tt.err); got != tt.msg {
			t.Errorf("ErrorMessage(%v) = %q, want %q", tt.err, got, tt.msg)
		}
	}
	if bot.ErrorCode(nil) != "" {
		t.Error("ErrorCode(nil) is not empty")
	}
}

// TestSalaryAge: the source's date is given, and its age once it is more
// than a year old; a cached reply does not outlive its age (issue 12).
func TestSalaryAge(t *testing.T) {
	h := bottest.New(t)
	h.Clock.Set(time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)) // less than a year after 23 July 2025
	young := h.Say("salary mid")
	if strings.Contains(young.Footer, "ago") || !strings.Contains(young.Footer, "updated 23 July 2025.") {
		t.Errorf("under a year old: %q", young.Footer)
	}
	h.Clock.Set(time.Date(2026, 7, 24, 12, 0, 0, 0, time.UTC))
	old := h.Say("salary mid")
	if !strings.Contains(old.Footer, "updated 23 July 2025, over a year ago.") {
		t.Errorf("over a year old: %q", old.Footer)
	}
	if old.CacheKey == young.CacheKey {
		t.Errorf("the same CacheKey %q for replies of different ages", old.CacheKey)
	}
	h.Clock.Set(time.Date(2028, 1, 1, 12, 0, 0, 0, time.UTC))
	wantContains(t, h.Say("career mid"), "over 2 years ago")
}
