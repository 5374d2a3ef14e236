package bot

import (
	"fmt"
	"slices"

	"github.com/coachbot/coachbot/content"
)

// TopicState is where a user stands on one topic, as roadmap.sh names it.
type TopicState uint8

// The topic states. The numbers are stored (TopicMark): never reuse one.
const (
	NotStarted TopicState = iota
	TopicDone
	TopicLearning
	TopicSkipped
)

// String returns the state's word, as export and replies spell it.
func (s TopicState) String() string {
	switch s {
	case TopicDone:
		return "done"
	case TopicLearning:
		return "learning"
	case TopicSkipped:
		return "skipped"
	}
	return "not started"
}

// finished reports whether the state counts as finished for progress:
// done, or skipped (the learner knows it, or chose to leave it).
func (s TopicState) finished() bool { return s == TopicDone || s == TopicSkipped }

// icon marks a topic's state in lists.
func (s TopicState) icon() string {
	switch s {
	case TopicDone:
		return "✅"
	case TopicLearning:
		return "📖"
	case TopicSkipped:
		return "⏭️"
	}
	return "⬜"
}

// TopicNum is a topic's key in a record: content.Topic.Num, a number the
// content never changes or reuses (one byte where the id takes eleven).
type TopicNum uint16

// TopicMark is a topic's state and the local day it was set, packed in one
// number (day×4 + state): three bytes in a record, where a struct of the
// two takes six. The day lets the weekly digest count topics finished in
// the week, and the plan count hours finished since it started.
type TopicMark uint32

// Mark returns the mark of state s set on day d.
func Mark(s TopicState, d Day) TopicMark { return TopicMark(uint32(d)<<2 | uint32(s&3)) }

// State returns the mark's state.
func (m TopicMark) State() TopicState { return TopicState(m & 3) }

// Day returns the local day the state was set.
func (m TopicMark) Day() Day { return Day(m >> 2) }

// topicRef is how replies and buttons name a topic: "2.3".
func topicRef(si, ti int) string { return fmt.Sprintf("%d.%d", si+1, ti+1) }

// topicState returns u's state of topic ti of step si. A step finished
// before topics had states (its id in Done) has every topic done: the
// migration of older records, done on read.
func (b *Bot) topicState(u User, si, ti int) TopicState {
	s := &b.pack.Steps[si]
	if slices.Contains(u.Done, s.ID) {
		return TopicDone
	}
	return u.Topics[TopicNum(s.Topics[ti].Num)].State()
}

// stepCount returns how many of step si's topics u finished (done or
// skipped), and how many it has.
func (b *Bot) stepCount(u User, si int) (finished, total int) {
	s := &b.pack.Steps[si]
	for ti := range s.Topics {
		if b.topicState(u, si, ti).finished() {
			finished++
		}
	}
	return finished, len(s.Topics)
}

// stepFinished reports whether every topic of step si is done or skipped.
func (b *Bot) stepFinished(u User, si int) bool {
	n, total := b.stepCount(u, si)
	return n == total
}

// setTopic sets the state of topic ti of step si on day. A step in Done
// (an older record's finished step) is first spread into its topics, all
// done, so that changing one topic keeps the others.
func (b *Bot) setTopic(u *User, si, ti int, st TopicState, day Day) {
	s := &b.pack.Steps[si]
	if slices.Contains(u.Done, s.ID) {
		u.Done = slices.DeleteFunc(slices.Clone(u.Done), func(id string) bool { return id == s.ID })
		if len(u.Done) == 0 {
			u.Done = nil
		}
		for j := range s.Topics {
			if j != ti {
				b.setMark(u, TopicNum(s.Topics[j].Num), TopicDone, 0) // the day is unknown: long ago
			}
		}
	}
	b.setMark(u, TopicNum(s.Topics[ti].Num), st, day)
}

func (b *Bot) setMark(u *User, id TopicNum, st TopicState, day Day) {
	if st == NotStarted {
		delete(u.Topics, id)
		if len(u.Topics) == 0 {
			u.Topics = nil
		}
		return
	}
	if u.Topics == nil {
		u.Topics = map[TopicNum]TopicMark{}
	} else {
		u.Topics = cloneMarks(u.Topics)
	}
	u.Topics[id] = Mark(st, day)
}

// cloneMarks copies the map before a write: the record handed to an update
// function may share it with a copy the caller still reads.
func cloneMarks(m map[TopicNum]TopicMark) map[TopicNum]TopicMark {
	c := make(map[TopicNum]TopicMark, len(m)+1)
	for k, v := range m {
		c[k] = v
	}
	return c
}

// currentTopic returns the topic to study now: the first one being learnt,
// else the first neither done nor skipped, in roadmap order; ok is false
// when every topic is finished.
func (b *Bot) currentTopic(u User) (si, ti int, ok bool) {
	first := [2]int{-1, -1}
	for i := range b.pack.Steps {
		for j := range b.pack.Steps[i].Topics {
			switch b.topicState(u, i, j) {
			case TopicLearning:
				return i, j, true
			case NotStarted:
				if first[0] < 0 {
					first = [2]int{i, j}
				}
			}
		}
	}
	return first[0], first[1], first[0] >= 0
}

// hoursLeft returns the hours of the topics u has not finished, in all
// steps: what a plan has to cover.
func (b *Bot) hoursLeft(u User) int {
	n := 0
	for i := range b.pack.Steps {
		n += b.hoursLeftIn(u, i)
	}
	return n
}

// topicName is "**2.3 Indexes**", for replies.
func topicName(p *content.Pack, si, ti int) string {
	return fmt.Sprintf("**%s %s**", topicRef(si, ti), p.Steps[si].Topics[ti].Title)
}
