package bot

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/coachbot/coachbot/content"
)

// MaxLineLength bounds a command line, in characters (as the README says),
// not bytes: a line in Hindi or with emoji is as long as it looks. Nothing
// in the grammar comes close; the cap keeps a pasted essay from costing
// parsing and log space.
const MaxLineLength = 500

// welcomeCommand is the hidden command that answers greetings and lines
// that read as questions: a newcomer's first words are "hi" or "what
// should I learn?", and "I don't know the command" is a poor first reply.
const welcomeCommand = "welcome"

// greetings start a line that gets the welcome, whatever follows them.
var greetings = map[string]bool{
	"hi": true, "hello": true, "hey": true, "hiya": true, "howdy": true, "hola": true, "namaste": true,
	"start": true, "begin": true, "ok": true, "okay": true, "thanks": true, "thank": true, "thx": true,
}

// questionWords start a line that is a question to a person, not a command.
var questionWords = map[string]bool{
	"what": true, "how": true, "why": true, "where": true, "when": true, "which": true, "who": true,
	"can": true, "could": true, "should": true, "would": true, "will": true, "do": true, "does": true,
	"is": true, "are": true, "i": true, "im": true, "i'm": true, "please": true, "pls": true,
}

// isWelcome reports whether a line whose first word is not a command is a
// greeting or a question, which get the welcome instead of an error.
func isWelcome(first, line string) bool {
	w := strings.ToLower(strings.TrimRight(first, "!.,?:;"))
	return greetings[w] || questionWords[w] || strings.HasSuffix(strings.TrimSpace(line), "?")
}

// helpFiller are words people put after "help" that name no command:
// "help me", "help please". "me" is also an alias of progress, but after
// help it means the person asking.
var helpFiller = map[string]bool{"me": true, "please": true, "pls": true, "us": true, "out": true, "with": true, "i": true}

// MaxArgLength bounds one argument, in characters. The longest real value
// (an IANA zone such as America/Argentina/ComodRivadavia) has 32; a longer
// one is a mistake or abuse, and is refused before it reaches a lookup, the
// store or an error message.
const MaxArgLength = 64

// Parsed is a command line matched against the spec.
type Parsed struct {
	Command *Command          // the command that runs (a leaf)
	Args    map[string]string // canonical argument values by Arg.Name
}

// Line returns the canonical command line: the command path and the
// argument values in spec order. Adapters that receive typed options
// (Discord) build the same line, so one parser serves every platform.
func (p *Parsed) Line() string {
	var b strings.Builder
	b.WriteString(p.Command.Path())
	for _, a := range p.Command.Args {
		if v := p.Args[a.Name]; v != "" {
			b.WriteString(" ")
			b.WriteString(v)
		}
	}
	return b.String()
}

// Parse matches a command line against the spec. A leading "/" and the
// umbrella word "coach" are optional. Errors are Invalid and say what would
// have been valid, with a suggestion when the user was close.
func (s *Spec) Parse(line string) (*Parsed, error) {
	if !utf8.ValidString(line) || utf8.RuneCountInString(line) > MaxLineLength {
		return nil, Errorf(Invalid, "That message is too long for a command. Type **help** to see what I can do.")
	}
	words := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "/"))
	if len(words) > 0 && strings.EqualFold(words[0], "coach") {
		words = words[1:]
	}
	if len(words) == 0 {
		return &Parsed{Command: s.Find("help"), Args: map[string]string{}}, nil
	}

	cmd := findCommand(s.Commands, words[0])
	if cmd == nil && isWelcome(words[0], line) || cmd != nil && cmd.Name == welcomeCommand {
		// The rest of the line is not read: a greeting's words are not
		// arguments, and none may reach the reply's cache key.
		return &Parsed{Command: s.Find(welcomeCommand), Args: map[string]string{}}, nil
	}
	if cmd == nil {
		return nil, Errorf(Invalid, "I don't know the command %q.%s Type **help** to see everything I can do.",
			clip(words[0]), s.suggest(words[0], s.Commands, ""))
	}
	words = words[1:]
	for len(cmd.Subs) > 0 {
		if len(words) == 0 {
			if cmd.Default == "" {
				return nil, s.usageError(cmd, fmt.Sprintf("**%s** needs one more word.", cmd.Path()))
			}
			cmd = cmd.Sub(cmd.Default)
			break
		}
		sub := cmd.Sub(words[0])
		if sub == nil && cmd.Default != "" && len(cmd.Sub(cmd.Default).Args) > 0 {
			// "quiz 2" is "quiz ask 2": the default takes arguments.
			cmd = cmd.Sub(cmd.Default)
			break
		}
		if sub == nil {
			return nil, s.usageError(cmd, fmt.Sprintf("I don't know **%s %s**.%s", cmd.Path(), printable(clip(words[0])), s.suggest(words[0], cmd.visibleSubs(), cmd.Path()+" ")))
		}
		cmd, words = sub, words[1:]
	}

	args := make(map[string]string, len(cmd.Args))
	for _, a := range cmd.Args {
		if len(words) == 0 {
			if a.Required {
				return nil, s.usageError(cmd, fmt.Sprintf("**%s** needs %s.", cmd.Path(), a.Placeholder))
			}
			continue
		}
		var token string
		switch {
		case !a.Required && !s.accepts(a, words):
			continue // an optional argument that is not here: the words are for the next one
		case a.Rest:
			token, words = strings.Join(words, " "), nil
		default:
			token, words = words[0], words[1:]
		}
		v, err := s.check(a, token)
		if err != nil {
			return nil, err
		}
		if v != "" { // "" when the words meant nothing ("help me")
			args[a.Name] = v
		}
	}
	if len(words) > 0 {
		return nil, s.usageError(cmd, fmt.Sprintf("I didn't expect %q after **%s**.", clip(strings.Join(words, " ")), cmd.Path()))
	}
	return &Parsed{Command: cmd, Args: args}, nil
}

// nearest returns the path of the deepest command that line names, for
// metrics of lines that fail to parse, or "unknown". The set of names it can
// return is the spec's, which keeps metric labels bounded.
func (s *Spec) nearest(line string) string {
	words := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "/"))
	if len(words) > 0 && strings.EqualFold(words[0], "coach") {
		words = words[1:]
	}
	var c *Command
	for i, w := range words {
		var next *Command
		if i == 0 {
			next = findCommand(s.Commands, w)
		} else if len(c.Subs) > 0 {
			next = c.Sub(w)
		}
		if next == nil {
			break
		}
		c = next
	}
	if c == nil {
		return "unknown"
	}
	return c.Path()
}

// accepts tells whether the next words have the shape of an optional
// argument, so that "remind daily 07:00 weekdays" (or "every day") gives the
// days to DAYS, not to TZ.
func (s *Spec) accepts(a Arg, words []string) bool {
	switch a.Kind {
	case ArgClock:
		return LooksLikeClock(words[0])
	case ArgDuration:
		return looksLikeMinutes(words[0])
	case ArgDays:
		// DAYS is the last argument: whatever is left is meant as days, and
		// if it is not, the days message says what would be.
		return true
	case ArgZone:
		return !LooksLikeWeekdays(words[0]) && !LooksLikeWeekdays(strings.Join(words, " "))
	}
	return true
}

// check validates one argument and returns its canonical value.
func (s *Spec) check(a Arg, v string) (string, error) {
	limit := MaxArgLength
	if a.Kind == ArgNote {
		limit = MaxNoteLength
	} else if a.Topics {
		limit = MaxTopicsLength
	}
	if utf8.RuneCountInString(v) > limit {
		return "", Errorf(Invalid, "That %s is too long: at most %d characters.", a.Name, limit)
	}
	switch a.Kind {
	case ArgTopic:
		si, ti, ok := s.pack.Topic(v)
		if !ok {
			return "", s.noTopic(v)
		}
		return topicRef(si, ti), nil
	case ArgDuration:
		m, err := ParseMinutes(v)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%dm", m), nil
	case ArgStep:
		// A step's number and title words, or topics: a dot or a slash
		// says topics ("2.3", "databases/indexes"); a bare topic id is
		// tried when no step has that name.
		if a.Topics && strings.ContainsAny(v, "./") {
			refs, ok := s.topicRefs(v)
			if !ok {
				return "", s.noTopic(v)
			}
			return refs, nil
		}
		_, step, ok := s.pack.Step(v)
		if !ok && a.Topics {
			if refs, ok := s.topicRefs(v); ok {
				return refs, nil
			}
		}
		if !ok {
			ids := make([]string, len(s.pack.Steps))
			for i, st := range s.pack.Steps {
				ids[i] = fmt.Sprintf("%d %s", i+1, st.ID)
			}
			return "", Errorf(Invalid, "There is no step %q. The roadmap has steps 1 to %d; use a number, an id or words of a title (**web servers**). The steps: %s.",
				clip(v), len(s.pack.Steps), strings.Join(ids, ", "))
		}
		return step.ID, nil
	case ArgSkill:
		sk, ok := s.pack.Skill(v)
		if !ok {
			ids := make([]string, len(s.pack.Skills))
			for i, sk := range s.pack.Skills {
				ids[i] = sk.ID
			}
			return "", Errorf(Invalid, "I don't know the skill %q. Try one of: %s.", clip(v), strings.Join(ids, ", "))
		}
		return sk.ID, nil
	case ArgChoice:
		// The content's matcher, so a choice is found as a step or a skill
		// is: case and punctuation aside, or by words ("backend architect").
		if i, ok := content.Find(v, len(a.Choices), func(i int) []string {
			c := a.Choices[i]
			return append([]string{c.Value, c.Label}, c.Aliases...)
		}); ok {
			return a.Choices[i].Value, nil
		}
		vals := make([]string, len(a.Choices))
		for i, c := range a.Choices {
			vals[i] = c.Value
		}
		return "", Errorf(Invalid, "I don't know the %s %q. Choose %s.", strings.ToLower(a.Placeholder), clip(v), orList(vals))
	case ArgClock:
		h, m, err := ParseClock(v)
		if err != nil {
			return "", err
		}
		return FormatClock(h, m), nil
	case ArgZone:
		loc, err := LoadZone(v)
		if err != nil {
			return "", err
		}
		return loc.String(), nil
	case ArgDays:
		d, err := ParseWeekdays(v)
		if err != nil {
			return "", err
		}
		return d.Token(), nil
	case ArgDelay:
		d, err := ParseDelay(v)
		if err != nil {
			return "", err
		}
		return formatDelayToken(d), nil
	case ArgConfirm:
		if !strings.EqualFold(v, "confirm") {
			return "", Errorf(Invalid, "To go ahead, type the word **confirm**.")
		}
		return "confirm", nil
	case ArgCommand:
		var kept []string
		for _, w := range strings.Fields(v) {
			if !helpFiller[strings.ToLower(w)] {
				kept = append(kept, w)
			}
		}
		if len(kept) == 0 {
			return "", nil // "help me": the general help
		}
		v = strings.Join(kept, " ")
		if strings.EqualFold(v, "coach") {
			return "coach", nil // the umbrella word, which help explains
		}
		c := s.Find(v)
		if c == nil {
			words := strings.Fields(v)
			return "", Errorf(Invalid, "There is no command %q.%s Type **help** for the list.", clip(v), s.suggest(words[0], s.Commands, ""))
		}
		return c.Path(), nil
	}
	return v, nil
}

// MaxTopicsLength bounds a list of topics ("roadmap done 2.1 2.4 …"), in
// characters: a select menu may send every topic of a step, by id.
const MaxTopicsLength = 200

// topicRefs reads v as topics separated by spaces or commas and returns
// their refs ("2.1 2.4"), when every word is one.
func (s *Spec) topicRefs(v string) (string, bool) {
	words := strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' })
	if len(words) == 0 || len(words) > 8 {
		return "", false
	}
	refs := make([]string, 0, len(words))
	for _, w := range words {
		si, ti, ok := s.pack.Topic(w)
		if !ok {
			return "", false
		}
		if r := topicRef(si, ti); !slices.Contains(refs, r) {
			refs = append(refs, r)
		}
	}
	return strings.Join(refs, " "), true
}

// noTopic says that v names no topic, and how topics are named.
func (s *Spec) noTopic(v string) error {
	return Errorf(Invalid, "There is no topic %q. Name a topic by its number in **roadmap step N**, like **2.3** (step 2, topic 3), or by its id, like **databases/indexes**.", clip(v))
}

// usageError explains what went wrong and shows the command's grammar.
func (s *Spec) usageError(c *Command, problem string) error {
	var b strings.Builder
	b.WriteString(problem)
	b.WriteString("\n\n**Usage**") // the heading help uses
	for _, u := range usageLines(c) {
		b.WriteString("\n- " + u)
	}
	if ex := examples(c); len(ex) > 0 {
		b.WriteString("\n\nFor example: **" + ex[0] + "**")
	}
	return &Error{Code: Invalid, Message: b.String()}
}

// usageLines lists the grammar of c and its visible subcommands.
func usageLines(c *Command) []string {
	if len(c.Subs) == 0 {
		return []string{c.Usage()}
	}
	var lines []string
	for _, s := range c.visibleSubs() {
		lines = append(lines, usageLines(s)...)
	}
	return lines
}

func examples(c *Command) []string {
	ex := append([]string(nil), c.Examples...)
	for _, s := range c.visibleSubs() {
		ex = append(ex, examples(s)...)
	}
	return ex
}

// suggest returns " Did you mean **x**?" for the name or alias closest to
// word, naming exactly what matched (so "stat" suggests **stats**, which
// the user can type), or "" when nothing is close enough to be a likely
// typo: one edit for words of up to four letters, two for longer ones, or
// the start of a name of at least three letters. A greeting ("hi") is then
// never taken for a command it merely shares a letter with.
func (s *Spec) suggest(word string, cands []*Command, prefix string) string {
	word = strings.ToLower(word)
	if len(word) < 2 {
		return ""
	}
	allowed := 1
	if utf8.RuneCountInString(word) > 4 {
		allowed = 2
	}
	best, bestDist := "", allowed+1
	for _, c := range cands {
		if c.Hidden {
			continue
		}
		for _, name := range append([]string{c.Name}, c.Aliases...) {
			d := editDistance(word, name)
			if len(word) >= 3 && strings.HasPrefix(name, word) {
				d = min(d, 1)
			}
			if d < bestDist {
				best, bestDist = name, d
			}
		}
	}
	if best == "" {
		return ""
	}
	return " Did you mean **" + prefix + best + "**?"
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// clip shortens user input quoted back in a message.
func clip(s string) string {
	const n = 40
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// printable replaces the characters of user input that a chat client would
// not show (control and format characters such as NUL, ESC or a bidi
// override) with U+FFFD, for input quoted back without %q.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return utf8.RuneError
		}
		return r
	}, s)
}

func containsFold(list []string, v string) bool {
	for _, s := range list {
		if strings.EqualFold(s, v) {
			return true
		}
	}
	return false
}

// orList joins ["a","b","c"] as "a, b or c".
func orList(vals []string) string {
	switch len(vals) {
	case 0:
		return ""
	case 1:
		return vals[0]
	}
	return strings.Join(vals[:len(vals)-1], ", ") + " or " + vals[len(vals)-1]
}
