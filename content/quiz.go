package content

import (
	"fmt"
	"io/fs"

	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on quiz questions: an option must fit a chat button, and a question
// and its explanation must read as one short message.
const (
	MinQuestionsPerTopic = 3
	minOptions           = 3
	maxOptions           = 4
	maxOptionLen         = 80
	maxQuestionLen       = 300
	maxQuestionN         = 99 // the n of step/topic/n; the record keys a card by topic num and n
)

// Question is one self-check question of the quiz bank
// (quiz/<step id>.yaml). Its ID, step/topic/n, is stable and never reused,
// since users' cards are kept under it.
type Question struct {
	ID      string
	Step    string // the step id
	Topic   string // the topic id
	N       int    // the n of the id
	Text    string
	Options []string // 3 or 4, distinct
	Answer  int      // the index in Options of the right one
	Explain string   // one line that teaches why
}

// quizDoc is the shape of a quiz file; the answer is written as the text of
// the right option, which is harder to get wrong than an index.
type quizDoc struct {
	Questions []rawQuestion `yaml:"questions"`
}

// rawQuestion is a question as written; a named type so that decoding
// errors name it in a form rewriteTypeError reads.
type rawQuestion struct {
	ID       string   `yaml:"id"`
	Question string   `yaml:"question"`
	Options  []string `yaml:"options"`
	Answer   string   `yaml:"answer"`
	Explain  string   `yaml:"explain"`
}

// loadQuiz reads quiz/<step>.yaml for every step of the roadmap. A step
// without a file has no questions yet, which is allowed; a file for no step
// is a problem.
func loadQuiz(fsys fs.FS, steps []Step, ps *Problems) []Question {
	stepIDs := map[string]*Step{}
	for i := range steps {
		stepIDs[steps[i].ID] = &steps[i]
	}
	if names, err := fs.Glob(fsys, "quiz/*.yaml"); err == nil {
		for _, name := range names {
			id := strings.TrimSuffix(strings.TrimPrefix(name, "quiz/"), ".yaml")
			if stepIDs[id] == nil {
				ps.add(name, "", "step %q does not exist in roadmap.yaml", id)
			}
		}
	}
	var qs []Question
	seen := map[string]string{}
	for i := range steps {
		s := &steps[i]
		name := "quiz/" + s.ID + ".yaml"
		if _, err := fs.Stat(fsys, name); err != nil {
			continue // not written yet
		}
		var doc quizDoc
		if ok, _ := decodeFile(fsys, name, &doc, ps); !ok {
			continue
		}
		c := checker{ps, name}
		perTopic := map[string]int{}
		for j, raw := range doc.Questions {
			q := Question{
				ID:      strings.TrimSpace(raw.ID),
				Text:    strings.TrimSpace(raw.Question),
				Explain: strings.TrimSpace(raw.Explain),
				Answer:  -1,
			}
			item := fmt.Sprintf("question %d", j+1)
			if q.ID != "" {
				item = fmt.Sprintf("question %q", q.ID)
			}
			before := len(*ps)
			c.unique(item, "id", q.ID, seen, fmt.Sprintf("question %d of %s", j+1, name))
			parts := strings.Split(q.ID, "/")
			switch {
			case q.ID == "":
				c.add(item, "id is required")
			case len(parts) != 3:
				c.add(item, "id must be step/topic/n")
			case parts[0] != s.ID:
				c.add(item, "id must start with the file's step %q", s.ID)
			case topicIn(s, parts[1]) == nil:
				c.add(item, "topic %q does not exist in step %q", parts[1], s.ID)
			default:
				n, err := strconv.Atoi(parts[2])
				if err != nil || n < 1 || n > maxQuestionN || strconv.Itoa(n) != parts[2] {
					c.add(item, "n in the id must be a number from 1 to %d", maxQuestionN)
				}
				q.Step, q.Topic, q.N = parts[0], parts[1], n
			}
			c.oneLine(item, "question", q.Text)
			if n := utf8.RuneCountInString(q.Text); n > maxQuestionLen {
				c.add(item, "question is %d characters; at most %d fit", n, maxQuestionLen)
			}
			c.oneLine(item, "explain", q.Explain)
			if n := utf8.RuneCountInString(q.Explain); n > maxQuestionLen {
				c.add(item, "explain is %d characters; at most %d fit", n, maxQuestionLen)
			}
			if n := len(raw.Options); n < minOptions || n > maxOptions {
				c.add(item, "%d options; a question needs %d to %d", n, minOptions, maxOptions)
			}
			distinct := map[string]bool{}
			for k, o := range raw.Options {
				o = strings.TrimSpace(o)
				switch {
				case o == "":
					c.add(item, "option %d is empty", k+1)
				case utf8.RuneCountInString(o) > maxOptionLen:
					c.add(item, "option %d is %d characters; at most %d fit a button", k+1, utf8.RuneCountInString(o), maxOptionLen)
				case distinct[o]:
					c.add(item, "option %d repeats an earlier option", k+1)
				}
				distinct[o] = true
				q.Options = append(q.Options, o)
				if o != "" && o == strings.TrimSpace(raw.Answer) {
					q.Answer = k
				}
			}
			switch {
			case strings.TrimSpace(raw.Answer) == "":
				c.add(item, "answer is required")
			case q.Answer < 0:
				c.add(item, "answer must be one of the options, word for word")
			}
			if len(*ps) == before {
				perTopic[q.Topic]++
				qs = append(qs, q)
			}
		}
		for _, t := range s.Topics {
			if n := perTopic[t.ID]; n < MinQuestionsPerTopic {
				c.add(fmt.Sprintf("topic %q", t.ID), "%d valid questions; every topic needs at least %d", n, MinQuestionsPerTopic)
			}
		}
	}
	return qs
}

func topicIn(s *Step, id string) *Topic {
	for i := range s.Topics {
		if s.Topics[i].ID == id {
			return &s.Topics[i]
		}
	}
	return nil
}

// Question returns the question with the id. A linear search: the bank
// holds a few hundred questions.
func (p *Pack) Question(id string) (*Question, bool) {
	for i := range p.Questions {
		if p.Questions[i].ID == id {
			return &p.Questions[i], true
		}
	}
	return nil, false
}

// TopicQuestions returns the questions on a topic, in the bank's order.
func (p *Pack) TopicQuestions(step, topic string) []*Question {
	var out []*Question
	for i := range p.Questions {
		if q := &p.Questions[i]; q.Step == step && q.Topic == topic {
			out = append(out, q)
		}
	}
	return out
}

// StepQuestions returns the questions of a step, in the bank's order.
func (p *Pack) StepQuestions(step string) []*Question {
	var out []*Question
	for i := range p.Questions {
		if q := &p.Questions[i]; q.Step == step {
			out = append(out, q)
		}
	}
	return out
}
