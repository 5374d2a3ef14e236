package bot

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	fsrs "github.com/open-spaced-repetition/go-fsrs/v3"

	"github.com/coachbot/coachbot/content"
)

// CardKey is a question's key in a record: its topic's num (content.Topic.Num,
// stable and never reused) × 100 + the n of its id (step/topic/n, 1-99).
// Two bytes where the id takes thirty.
type CardKey uint32

// QuizCard is the FSRS state of one question for one user (DESIGN §10), kept
// small: a user may hold hundreds (DESIGN §9: ≤ 32 bytes a card on Redis).
// Times are whole minutes since cardEpoch; ElapsedDays and ScheduledDays of
// fsrs.Card are not kept, since FSRS works them out from LastReview.
type QuizCard struct {
	Due        int32   `rec:"1"` // minutes since cardEpoch
	Last       int32   `rec:"2"` // the last review, minutes since cardEpoch
	Stability  float32 `rec:"3"`
	Difficulty uint16  `rec:"4"` // × 100
	Reps       uint16  `rec:"5"` // answers rated; also the nonce of a showing (see quizAnswer)
	Lapses     uint16  `rec:"6"`
	// StateRating packs the FSRS state (×8) and the last rating (1-4).
	StateRating uint8  `rec:"7"`
	Wrong       uint16 `rec:"8"` // answers rated Again, for quiz stats' accuracy
}

// cardEpoch is the zero of a card's minutes: near today, so that they take
// three bytes, not four.
var cardEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func cardMinutes(t time.Time) int32 {
	m := t.Sub(cardEpoch).Round(time.Minute) / time.Minute
	return int32(max(math.MinInt32, min(math.MaxInt32, m)))
}

func cardTime(m int32) time.Time { return cardEpoch.Add(time.Duration(m) * time.Minute) }

// scheduler is FSRS with its default parameters (no fuzz: the same answers
// give the same schedule, which tests rely on).
var scheduler = fsrs.NewFSRS(fsrs.DefaultParam())

func (c QuizCard) fsrs() fsrs.Card {
	if c.Reps == 0 && c.StateRating == 0 {
		return fsrs.NewCard()
	}
	return fsrs.Card{
		Due: cardTime(c.Due), Stability: float64(c.Stability), Difficulty: float64(c.Difficulty) / 100,
		Reps: uint64(c.Reps), Lapses: uint64(c.Lapses), State: fsrs.State(c.StateRating >> 3),
		LastReview: cardTime(c.Last),
	}
}

// rate applies one answer to the card.
func (c QuizCard) rate(now time.Time, r fsrs.Rating) QuizCard {
	n := scheduler.Next(c.fsrs(), now, r).Card
	out := QuizCard{
		Due: cardMinutes(n.Due), Last: cardMinutes(now), Stability: float32(n.Stability),
		Difficulty: uint16(math.Round(n.Difficulty * 100)), Reps: uint16(min(n.Reps, math.MaxUint16)),
		Lapses: uint16(min(n.Lapses, math.MaxUint16)), StateRating: uint8(n.State)<<3 | uint8(r), Wrong: c.Wrong,
	}
	if r == fsrs.Again {
		out.Wrong++
	}
	return out
}

// State returns the card's FSRS state word, as export spells it.
func (c QuizCard) State() string {
	switch fsrs.State(c.StateRating >> 3) {
	case fsrs.Learning:
		return "learning"
	case fsrs.Review:
		return "review"
	case fsrs.Relearning:
		return "relearning"
	}
	return "new"
}

// LastRating returns the card's last rating word: again, hard, good or easy.
func (c QuizCard) LastRating() string {
	switch fsrs.Rating(c.StateRating & 7) {
	case fsrs.Again:
		return "again"
	case fsrs.Hard:
		return "hard"
	case fsrs.Good:
		return "good"
	case fsrs.Easy:
		return "easy"
	}
	return ""
}

// cardKey returns the key of question q, or false when its topic is not in
// the roadmap (the validator makes that impossible for a loaded pack).
func (b *Bot) cardKey(q *content.Question) (CardKey, bool) {
	si, ti, ok := b.pack.Topic(q.Step + "/" + q.Topic)
	if !ok {
		return 0, false
	}
	return CardKey(b.pack.Steps[si].Topics[ti].Num*100 + q.N), true
}

// questionOf returns the question a card key names, if the bank still has it.
func (b *Bot) questionOf(k CardKey) (*content.Question, bool) {
	num, n := int(k/100), int(k%100)
	for si := range b.pack.Steps {
		for _, t := range b.pack.Steps[si].Topics {
			if t.Num == num {
				for _, q := range b.pack.TopicQuestions(b.pack.Steps[si].ID, t.ID) {
					if q.N == n {
						return q, true
					}
				}
				return nil, false
			}
		}
	}
	return nil, false
}

// quizAsk shows a question: on the topic or step named, else on a topic the
// user has done or is learning, else on the next step's topics. Questions
// not yet seen come first, then the one due soonest.
func (b *Bot) quizAsk(ctx context.Context, req *Request) (Reply, error) {
	u, err := b.user(ctx, req)
	if err != nil {
		return Reply{}, err
	}
	var pool []*content.Question
	where := ""
	switch arg := req.Arg("step"); {
	case isTopicRefs(arg):
		si, ti, ok := b.pack.Topic(strings.Fields(arg)[0])
		if !ok {
			return Reply{}, Errorf(Invalid, "I don't know the topic %q.", clip(arg))
		}
		s := &b.pack.Steps[si]
		pool, where = b.pack.TopicQuestions(s.ID, s.Topics[ti].ID), s.Topics[ti].Title
	case arg != "":
		_, s, ok := b.pack.Step(arg)
		if !ok {
			return Reply{}, Errorf(Invalid, "I don't know the step %q.", clip(arg))
		}
		pool, where = b.pack.StepQuestions(s.ID), s.Title
	default:
		for si := range b.pack.Steps {
			s := &b.pack.Steps[si]
			for ti, t := range s.Topics {
				if st := b.topicState(u, si, ti); st == TopicDone || st == TopicLearning {
					pool = append(pool, b.pack.TopicQuestions(s.ID, t.ID)...)
				}
			}
		}
		if len(pool) == 0 {
			if _, s := b.nextStep(u); s != nil {
				pool, where = b.pack.StepQuestions(s.ID), s.Title
			}
		}
	}
	if len(pool) == 0 {
		text := "I have no questions on that yet."
		if where != "" {
			text = "I have no questions on **" + where + "** yet."
		}
		return Reply{Title: "No questions yet", Text: text + " **quiz 1** asks about programming languages.",
			Buttons: []Button{{Label: "Quiz on step 1", Command: "quiz 1"}}}, nil
	}
	var fresh []*content.Question
	var seen []*content.Question
	for _, q := range pool {
		k, ok := b.cardKey(q)
		if !ok {
			continue
		}
		if _, ok := u.Cards[k]; ok {
			seen = append(seen, q)
		} else {
			fresh = append(fresh, q)
		}
	}
	var q *content.Question
	if len(fresh) > 0 {
		q = fresh[b.rand(len(fresh))]
	} else {
		slices.SortStableFunc(seen, func(x, y *content.Question) int {
			kx, _ := b.cardKey(x)
			ky, _ := b.cardKey(y)
			return cmp.Compare(u.Cards[kx].Due, u.Cards[ky].Due)
		})
		q = seen[0]
	}
	return b.showQuestion(u, q, ""), nil
}

// showQuestion renders q with its options as buttons in a fresh order.
// Each button carries the option's index in the question (1-based), not
// the position shown, and the card's Reps: the nonce that lets an answer be
// rated once however many times the button is pressed.
func (b *Bot) showQuestion(u User, q *content.Question, intro string) Reply {
	k, _ := b.cardKey(q)
	reps := u.Cards[k].Reps
	order := make([]int, len(q.Options))
	for i := range order {
		order[i] = i
	}
	for i := len(order) - 1; i > 0; i-- { // Fisher-Yates with the bot's Rand
		j := b.rand(i + 1)
		order[i], order[j] = order[j], order[i]
	}
	topic := q.Topic
	if si, ti, ok := b.pack.Topic(q.Step + "/" + q.Topic); ok {
		topic = topicRef(si, ti) + " " + b.pack.Steps[si].Topics[ti].Title
	}
	r := Reply{Title: "Quiz: " + topic, Text: intro + q.Text, Footer: "Question " + q.ID}
	for _, i := range order {
		r.Buttons = append(r.Buttons, Button{Label: q.Options[i], Command: fmt.Sprintf("quiz answer %s %d %d", q.ID, i+1, reps)})
	}
	return r
}

// quizAnswer checks an answer, rates the card (right = Good, wrong = Again)
// and says when the question comes back. An answer whose nonce (the card's
// Reps when it was shown) is not the card's Reps now was already rated: a
// double click or a replayed button. It is answered but not rated again.
func (b *Bot) quizAnswer(ctx context.Context, req *Request) (Reply, error) {
	q, ok := b.pack.Question(req.Arg("question"))
	if !ok {
		return Reply{}, Errorf(Invalid, "I don't know that question; **quiz** asks a new one.")
	}
	k, ok := b.cardKey(q)
	if !ok {
		return Reply{}, Errorf(Invalid, "I don't know that question; **quiz** asks a new one.")
	}
	choice, err := strconv.Atoi(req.Arg("choice"))
	if err != nil || choice < 1 || choice > len(q.Options) {
		return Reply{}, Errorf(Invalid, "The answer is a number from 1 to %d.", len(q.Options))
	}
	nonce := -1
	if v := req.Arg("nonce"); v != "" {
		if nonce, err = strconv.Atoi(v); err != nil || nonce < 0 {
			return Reply{}, Errorf(Invalid, "That answer button is not one of mine.")
		}
	}
	right := choice-1 == q.Answer
	rated := false
	var card QuizCard
	_, err = b.update(ctx, req, func(u *User) error {
		card, rated = u.Cards[k], false
		if nonce >= 0 && int(card.Reps) != nonce {
			return nil // already rated: leave the record as it is
		}
		rating := fsrs.Again
		if right {
			rating = fsrs.Good
		}
		card, rated = card.rate(req.Now, rating), true
		cards := make(map[CardKey]QuizCard, len(u.Cards)+1)
		for ck, c := range u.Cards {
			cards[ck] = c
		}
		cards[k] = card
		u.Cards = cards
		return nil
	})
	if err != nil {
		return Reply{}, err
	}
	var text strings.Builder
	if right {
		text.WriteString("✅ **Right.** ")
	} else {
		fmt.Fprintf(&text, "❌ **Not quite.** The answer is **%s**. ", q.Options[q.Answer])
	}
	text.WriteString(q.Explain)
	u, _ := b.user(ctx, req)
	due := cardTime(card.Due)
	if rated {
		fmt.Fprintf(&text, "\n\nThis question comes back %s.", b.when(u, req.Now, due))
	} else {
		fmt.Fprintf(&text, "\n\nYou had already answered this one; I count the first answer. It comes back %s.", b.when(u, req.Now, due))
	}
	return Reply{
		Title:   "Quiz: " + q.ID,
		Text:    text.String(),
		Buttons: []Button{{Label: "Next question", Command: "quiz", Style: Primary}, {Label: "Review", Command: "review"}},
	}, nil
}

// when says when t comes, from now, in the user's zone: "in 10 minutes",
// "in 3 hours", "on Mon 7 Dec".
func (b *Bot) when(u User, now, t time.Time) string {
	d := t.Sub(now)
	switch {
	case d < 30*time.Second:
		return "now"
	case d < 90*time.Second:
		return "in 1 minute"
	case d < time.Hour:
		return fmt.Sprintf("in %d minutes", int(d.Round(time.Minute)/time.Minute))
	case d < 24*time.Hour:
		h := int(d.Round(time.Hour) / time.Hour)
		if h == 1 {
			return "in 1 hour"
		}
		return fmt.Sprintf("in %d hours", h)
	}
	days := int(DayOf(t, b.zoneOf(u))) - int(b.localDay(u, now))
	return fmt.Sprintf("in %d days (%s)", days, t.In(b.zoneOf(u)).Format("Mon 2 Jan"))
}

// dueCards returns the keys of the cards due at t, the longest overdue
// first, leaving out cards whose question the bank no longer has.
func (b *Bot) dueCards(u User, t time.Time) []CardKey {
	var keys []CardKey
	for k, c := range u.Cards {
		if !cardTime(c.Due).After(t) {
			if _, ok := b.questionOf(k); ok {
				keys = append(keys, k)
			}
		}
	}
	slices.SortFunc(keys, func(x, y CardKey) int {
		return cmp.Or(cmp.Compare(u.Cards[x].Due, u.Cards[y].Due), cmp.Compare(x, y))
	})
	return keys
}

// review shows the next question due; with none due, when the next falls due.
func (b *Bot) review(ctx context.Context, req *Request) (Reply, error) {
	u, err := b.user(ctx, req)
	if err != nil {
		return Reply{}, err
	}
	if due := b.dueCards(u, req.Now); len(due) > 0 {
		q, _ := b.questionOf(due[0])
		intro := ""
		if len(due) > 1 {
			intro = fmt.Sprintf("_%d questions due._ ", len(due))
		}
		return b.showQuestion(u, q, intro), nil
	}
	var next *QuizCard
	for k, c := range u.Cards {
		if _, ok := b.questionOf(k); ok && (next == nil || c.Due < next.Due) {
			next = &c
		}
	}
	if next == nil {
		return Reply{Title: "Nothing to review", Text: "You haven't answered any questions yet. **quiz** asks one on what you're learning.",
			Buttons: []Button{{Label: "Quiz me", Command: "quiz", Style: Primary}}}, nil
	}
	return Reply{
		Title:   "Nothing to review",
		Text:    fmt.Sprintf("No question is due. The next one comes back %s.", b.when(u, req.Now, cardTime(next.Due))),
		Buttons: []Button{{Label: "Quiz me anyway", Command: "quiz"}},
	}, nil
}

// dueToday counts the cards due by the end of the user's local day.
func (b *Bot) dueToday(u User, now time.Time) int {
	return len(b.dueCards(u, b.endOfLocalDay(u, now).Add(-time.Nanosecond)))
}

// endOfLocalDay is the midnight that ends u's day at now, in u's zone.
func (b *Bot) endOfLocalDay(u User, now time.Time) time.Time {
	d := (b.localDay(u, now) + 1).Date()
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, b.zoneOf(u))
}

// quizStats shows answers, accuracy, cards due today, and the same by step.
func (b *Bot) quizStats(ctx context.Context, req *Request) (Reply, error) {
	u, err := b.user(ctx, req)
	if err != nil {
		return Reply{}, err
	}
	type tally struct{ cards, answered, wrong, due int }
	by := make([]tally, len(b.pack.Steps))
	end := b.endOfLocalDay(u, req.Now)
	for k, c := range u.Cards {
		q, ok := b.questionOf(k)
		if !ok {
			continue
		}
		si, _, _ := b.pack.Step(q.Step)
		t := &by[si]
		t.cards++
		t.answered += int(c.Reps)
		t.wrong += int(c.Wrong)
		if cardTime(c.Due).Before(end) {
			t.due++
		}
	}
	var all tally
	for _, t := range by {
		all.cards, all.answered, all.wrong, all.due = all.cards+t.cards, all.answered+t.answered, all.wrong+t.wrong, all.due+t.due
	}
	if all.answered == 0 {
		return Reply{Title: "Quiz stats", Text: "You haven't answered any questions yet. **quiz** asks one on what you're learning.",
			Buttons: []Button{{Label: "Quiz me", Command: "quiz", Style: Primary}}}, nil
	}
	pct := func(t tally) int { return int(math.Round(100 * float64(t.answered-t.wrong) / float64(t.answered))) }
	r := Reply{
		Title: "Quiz stats",
		Text: fmt.Sprintf("**%d** answers on %d questions · **%d%%** right · **%d** due today",
			all.answered, all.cards, pct(all), all.due),
	}
	for si, t := range by {
		if t.answered == 0 {
			continue
		}
		r.Fields = append(r.Fields, Field{
			Name:   fmt.Sprintf("%d. %s", si+1, b.pack.Steps[si].Title),
			Value:  fmt.Sprintf("%d answers · %d%% right · %d due", t.answered, pct(t), t.due),
			Inline: true,
		})
	}
	if all.due > 0 {
		r.Buttons = []Button{{Label: "Review", Command: "review", Style: Primary}}
	} else {
		r.Buttons = []Button{{Label: "Quiz me", Command: "quiz", Style: Primary}}
	}
	return r, nil
}

// CardTime returns the time a card's minutes stand for (QuizCard.Due, QuizCard.Last).
func CardTime(m int32) time.Time { return cardTime(m) }

// CardMinutes returns t as a card's minutes (QuizCard.Due, QuizCard.Last).
func CardMinutes(t time.Time) int32 { return cardMinutes(t) }
