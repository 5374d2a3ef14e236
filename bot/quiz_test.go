package bot_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
	"github.com/coachbot/coachbot/bot/storetest"
	"github.com/coachbot/coachbot/content"
)

// answerButton returns the button of r that answers right (or wrong), read
// from the question: the button's choice is the option's index in the
// question, whatever position it is shown in.
func answerButton(t *testing.T, r bot.Reply, right bool) bot.Button {
	t.Helper()
	for _, b := range r.Buttons {
		f := strings.Fields(b.Command)
		if len(f) < 4 || f[0] != "quiz" || f[1] != "answer" {
			continue
		}
		q, ok := content.MustDefault().Question(f[2])
		if !ok {
			t.Fatalf("button %q names no question", b.Command)
		}
		if b.Label != q.Options[atoi(t, f[3])-1] {
			t.Fatalf("button %q shows %q, not option %s", b.Command, b.Label, f[3])
		}
		if (atoi(t, f[3])-1 == q.Answer) == right {
			return b
		}
	}
	t.Fatalf("no answer button (right=%v) in %+v", right, r)
	return bot.Button{}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func questionOf(b bot.Button) string { return strings.Fields(b.Command)[2] }

func cards(t *testing.T, h *bottest.Harness) map[bot.CardKey]bot.QuizCard {
	t.Helper()
	u, err := h.Store.User(context.Background(), h.User)
	if err != nil {
		t.Fatal(err)
	}
	return u.Cards
}

// TestQuizWrongComesBackFirst: a wrong answer (Again) comes back before a
// right one (Good), and review shows it first.
func TestQuizWrongComesBackFirst(t *testing.T) {
	h := bottest.New(t)
	wrong := answerButton(t, h.Say("quiz 1.1"), false)
	r := h.Say(wrong.Command)
	if !strings.Contains(r.Text, "Not quite") || !strings.Contains(r.Text, "comes back in 1 minute.") {
		t.Errorf("wrong answer reply = %q", r.Text)
	}
	right := answerButton(t, h.Say("quiz 1.2"), true)
	r = h.Say(right.Command)
	if !strings.Contains(r.Text, "Right") || !strings.Contains(r.Text, "comes back in 10 minutes") {
		t.Errorf("right answer reply = %q", r.Text)
	}
	if r.Buttons[0].Command != "quiz" {
		t.Errorf("answer buttons = %+v; want Next question first", r.Buttons)
	}

	if r := h.Say("review"); !strings.Contains(r.Text, "No question is due") {
		t.Errorf("review at once = %q", r.Text)
	}
	h.Clock.Advance(2 * time.Minute)
	r = h.Say("review")
	if got := r.Footer; got != "Question "+questionOf(wrong) {
		t.Errorf("review after 2 minutes shows %q; want the wrong one, %s", got, questionOf(wrong))
	}
	h.Say(answerButton(t, r, true).Command)
	h.Clock.Advance(9 * time.Minute)
	if r := h.Say("review"); r.Footer != "Question "+questionOf(right) {
		t.Errorf("review after 11 minutes shows %q; want %s", r.Footer, questionOf(right))
	}
}

// TestQuizRightThreeTimes: a card answered right three times, each when it
// falls due, is next due days later.
func TestQuizRightThreeTimes(t *testing.T) {
	h := bottest.New(t)
	q := h.Say("quiz 1.3")
	for i := range 3 {
		if i > 0 {
			var c bot.QuizCard
			for _, c = range cards(t, h) {
			}
			h.Clock.Set(bot.CardTime(c.Due))
			q = h.Say("review")
		}
		h.Say(answerButton(t, q, true).Command)
	}
	cs := cards(t, h)
	if len(cs) != 1 {
		t.Fatalf("%d cards; want 1", len(cs))
	}
	for _, c := range cs {
		if due := bot.CardTime(c.Due).Sub(h.Clock.Now()); due < 2*24*time.Hour {
			t.Errorf("after three right answers the card is due in %v; want days", due)
		}
		if c.Reps != 3 || c.Wrong != 0 || c.State() != "review" || c.LastRating() != "good" {
			t.Errorf("card = %+v (%s, %s)", c, c.State(), c.LastRating())
		}
	}
}

// TestQuizDoublePress: pressing an answer button twice (or a replayed
// button) rates the card once, and the second press still gets an answer.
func TestQuizDoublePress(t *testing.T) {
	h := bottest.New(t)
	b := answerButton(t, h.Say("quiz 1.4"), false)
	first := h.Say(b.Command)
	second := h.Say(b.Command)
	if !strings.Contains(second.Text, "already answered") || !strings.Contains(second.Text, "Not quite") {
		t.Errorf("second press = %q", second.Text)
	}
	if strings.Contains(first.Text, "already answered") {
		t.Errorf("first press = %q", first.Text)
	}
	for _, c := range cards(t, h) {
		if c.Reps != 1 || c.Wrong != 1 {
			t.Errorf("card after a double press = %+v; want one rating", c)
		}
	}
	// A new showing of the same question is rated; the old one still is not.
	h.Clock.Advance(2 * time.Minute)
	again := h.Say("review")
	if again.Footer != "Question "+questionOf(b) {
		t.Fatalf("review = %q; want %s", again.Footer, questionOf(b))
	}
	h.Say(answerButton(t, again, true).Command)
	if r := h.Say(b.Command); !strings.Contains(r.Text, "already answered") {
		t.Errorf("old showing pressed again = %q", r.Text)
	}
	for _, c := range cards(t, h) {
		if c.Reps != 2 || c.Wrong != 1 {
			t.Errorf("card = %+v; want 2 ratings, 1 wrong", c)
		}
	}
}

// TestQuizChoosesWhatYouLearn: quiz asks on topics done or being learnt,
// else on the next step; a step without questions says so.
func TestQuizChoosesWhatYouLearn(t *testing.T) {
	h := bottest.New(t)
	if r := h.Say("quiz"); !strings.HasPrefix(r.Footer, "Question languages/") {
		t.Errorf("a new user's quiz = %q; want step 1's", r.Footer)
	}
	h.Say("roadmap learning 1.5")
	for range 5 {
		if r := h.Say("quiz"); !strings.HasPrefix(r.Footer, "Question languages/concurrency/") {
			t.Errorf("quiz while learning 1.5 = %q", r.Footer)
		}
	}
	if r := h.Say("quiz 1.6"); !strings.HasPrefix(r.Footer, "Question languages/tooling/") {
		t.Errorf("quiz 1.6 = %q", r.Footer)
	}
	if r := h.Say("quiz ask 1.6"); !strings.HasPrefix(r.Footer, "Question languages/tooling/") {
		t.Errorf("quiz ask 1.6 = %q", r.Footer)
	}
	if r := h.Say("quiz answer languages/nope/1 1 0"); r.Code != bot.Invalid {
		t.Errorf("answer to an unknown question = %+v", r)
	}
	if r := h.Say("quiz answer languages/tooling/1 9 0"); r.Code != bot.Invalid {
		t.Errorf("answer 9 = %+v", r)
	}
}

// TestQuizStatsAndToday: quiz stats counts answers and accuracy by step;
// today shows the questions due with a Review button.
func TestQuizStatsAndToday(t *testing.T) {
	h := bottest.New(t)
	if r := h.Say("quiz stats"); !strings.Contains(r.Text, "haven't answered") {
		t.Errorf("stats of a new user = %q", r.Text)
	}
	h.Say(answerButton(t, h.Say("quiz 1.1"), true).Command)
	h.Say(answerButton(t, h.Say("quiz 1.2"), false).Command)
	h.Say(answerButton(t, h.Say("quiz 1.3"), true).Command)
	r := h.Say("quiz stats")
	if want := "**3** answers on 3 questions · **67%** right · **3** due today"; r.Text != want {
		t.Errorf("stats = %q; want %q", r.Text, want)
	}
	if len(r.Fields) != 1 || r.Fields[0].Name != "1. Programming Languages" || r.Fields[0].Value != "3 answers · 67% right · 3 due" {
		t.Errorf("stats fields = %+v", r.Fields)
	}
	if r := h.Say("today"); hasButton(r, "review") {
		t.Errorf("today with nothing due yet has a Review button")
	}
	h.Clock.Advance(time.Hour)
	r = h.Say("today")
	if !hasButton(r, "review") || !strings.Contains(fieldsText(r), "3 questions due") {
		t.Errorf("today with 3 due = %+v", r)
	}

	h.Say("remind daily 12:00 UTC")
	h.Clock.Set(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	h.Deliver(t)
	dms := h.Messenger.DMs()
	if len(dms) != 1 || !hasButton(dms[0].Reply, "review") || !strings.Contains(fieldsText(dms[0].Reply), "3 questions due") {
		t.Errorf("daily DM = %+v", dms)
	}
}

func hasButton(r bot.Reply, command string) bool {
	for _, b := range r.Buttons {
		if b.Command == command {
			return true
		}
	}
	return false
}

func fieldsText(r bot.Reply) string {
	var s []string
	for _, f := range r.Fields {
		s = append(s, f.Name+": "+f.Value)
	}
	return strings.Join(s, "\n")
}

// TestQuizExportAndForget: export lists the cards by question id with
// DESIGN §9's names; forget deletes them.
func TestQuizExportAndForget(t *testing.T) {
	h := bottest.New(t)
	b := answerButton(t, h.Say("quiz 1.1"), false)
	h.Say(b.Command)
	js := h.Say("export").Text
	js = strings.TrimSuffix(strings.TrimPrefix(js, "```json\n"), "\n```")
	var d struct {
		Quiz []map[string]any `json:"quiz"`
	}
	if err := json.Unmarshal([]byte(js), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Quiz) != 1 {
		t.Fatalf("export quiz = %v", d.Quiz)
	}
	c := d.Quiz[0]
	now := bottest.Start.Format(time.RFC3339)
	for k, want := range map[string]any{
		"question": questionOf(b), "state": "learning", "due": bottest.Start.Add(time.Minute).Format(time.RFC3339),
		"reps": 1.0, "lapses": 0.0, "wrong": 1.0, "last_review": now, "last_rating": "again",
	} {
		if c[k] != want {
			t.Errorf("export quiz %s = %v; want %v", k, c[k], want)
		}
	}
	for _, k := range []string{"stability", "difficulty"} {
		if v, ok := c[k].(float64); !ok || v <= 0 {
			t.Errorf("export quiz %s = %v", k, c[k])
		}
	}
	h.Say("forget confirm")
	if cs := cards(t, h); len(cs) != 0 {
		t.Errorf("cards after forget = %v", cs)
	}
}

// TestFilledHoldsCards: the record every store's conformance suite
// round-trips (storetest.Filled) holds cards with every field set, so the
// stores are tested to keep them.
func TestFilledHoldsCards(t *testing.T) {
	u := storetest.Filled("test:ana")
	if len(u.Cards) != 2 {
		t.Fatalf("Filled has %d cards", len(u.Cards))
	}
	for k, c := range u.Cards {
		v := reflect.ValueOf(c)
		for i := range v.NumField() {
			if v.Field(i).IsZero() {
				t.Errorf("card %d: %s is zero", k, v.Type().Field(i).Name)
			}
		}
	}
}
