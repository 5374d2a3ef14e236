package content

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// key is the form in which user input and content are compared: lower case,
// with every run of spaces, hyphens, underscores and other punctuation made
// one hyphen, so "Database Management", "database_management" and
// "database-management" are the same word.
func key(s string) string {
	fields := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	return strings.Join(fields, "-")
}

// matches reports whether ref, as a user typed it, names any of words.
func matches(ref string, words ...string) bool {
	k := key(ref)
	if k == "" {
		return false
	}
	for _, w := range words {
		if key(w) == k {
			return true
		}
	}
	return false
}

// stopWords carry no meaning in a name ("Debugging and Testing"), so they
// neither count for a match nor need to be typed.
var stopWords = map[string]bool{"and": true, "the": true, "of": true, "a": true, "an": true, "in": true}

// words returns the meaningful words of s in their key form, each also
// without a plural "s" so that "api" finds "APIs" and "database" finds
// "Databases".
func words(s string) []string {
	var out []string
	for _, w := range strings.Split(key(s), "-") {
		if w == "" || stopWords[w] {
			continue
		}
		out = append(out, singular(w))
	}
	return out
}

func singular(w string) string {
	if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
		return w[:len(w)-1]
	}
	return w
}

// Find returns the index of the item that ref names, among n items whose
// names (id, title, aliases: whatever a user may type) names returns. An
// exact name wins (case, spaces and punctuation aside); failing that, the
// words of ref must all be words of one item's names, and of that item
// only, so "hosting" finds "Web Servers and Hosting" and "cloud services"
// finds "Cloud Services & Deployment", while a word two items share finds
// neither. Adapters use it for their own choices too.
func Find(ref string, n int, names func(i int) []string) (int, bool) {
	if key(ref) == "" {
		return 0, false
	}
	for i := 0; i < n; i++ {
		if matches(ref, names(i)...) {
			return i, true
		}
	}
	want := words(ref)
	if len(want) == 0 {
		return 0, false
	}
	found := -1
	for i := 0; i < n; i++ {
		have := map[string]bool{}
		for _, name := range names(i) {
			for _, w := range words(name) {
				have[w] = true
			}
		}
		all := true
		for _, w := range want {
			all = all && have[w]
		}
		if !all {
			continue
		}
		if found >= 0 {
			return 0, false // ambiguous: better to ask than to guess
		}
		found = i
	}
	return found, found >= 0
}

// Step finds a roadmap step by its 1-based number ("3"), which is what the
// roadmap list shows, by its id, or by its title or words of it
// ("hosting", "web servers"). index is 0-based.
func (p *Pack) Step(ref string) (index int, step *Step, ok bool) {
	ref = strings.TrimSpace(ref)
	if numberRE.MatchString(ref) {
		n, err := strconv.Atoi(ref)
		if err != nil || n < 1 || n > len(p.Steps) {
			return 0, nil, false
		}
		return n - 1, &p.Steps[n-1], true
	}
	i, ok := Find(ref, len(p.Steps), func(i int) []string { return []string{p.Steps[i].ID, p.Steps[i].Title} })
	if !ok {
		return 0, nil, false
	}
	return i, &p.Steps[i], true
}

// Skill finds a key skill by id, name, alias or words of them.
func (p *Pack) Skill(ref string) (*Skill, bool) {
	i, ok := Find(ref, len(p.Skills), func(i int) []string {
		s := &p.Skills[i]
		return append([]string{s.ID, s.Name}, s.Aliases...)
	})
	if !ok {
		return nil, false
	}
	return &p.Skills[i], true
}

// LevelNames returns every name of level l a user may type: its id, title
// and aliases, and those of the salary bands that belong to it, so that
// career and salary take the same words ("career experienced", "salary
// junior").
func (p *Pack) LevelNames(l *Level) []string {
	names := append([]string{l.ID, l.Title}, l.Aliases...)
	if l.Salary == "" {
		return names
	}
	for _, t := range p.Salaries {
		for _, b := range t.Bands {
			if b.Level == l.Salary {
				names = append(names, b.Level, b.Title)
				names = append(names, b.Aliases...)
			}
		}
	}
	return names
}

// Level finds a career level by any of its LevelNames, or words of them.
func (p *Pack) Level(ref string) (*Level, bool) {
	i, ok := Find(ref, len(p.Levels), func(i int) []string { return p.LevelNames(&p.Levels[i]) })
	if !ok {
		return nil, false
	}
	return &p.Levels[i], true
}

// Band finds a salary band by level, title or alias, so that "junior" finds
// the band a table calls "beginner".
func (t *SalaryTable) Band(ref string) (*SalaryBand, bool) {
	for i := range t.Bands {
		b := &t.Bands[i]
		if matches(ref, append([]string{b.Level, b.Title}, b.Aliases...)...) {
			return b, true
		}
	}
	return nil, false
}

// BandOf returns the band of the table that belongs to level l, if any.
func (t *SalaryTable) BandOf(l *Level) (*SalaryBand, bool) {
	if l.Salary == "" {
		return nil, false
	}
	for i := range t.Bands {
		if t.Bands[i].Level == l.Salary {
			return &t.Bands[i], true
		}
	}
	return nil, false
}

// MaxYears returns the most years of experience the table covers: the top
// of its highest band (or its start, when that band is open-ended).
func (t *SalaryTable) MaxYears() int {
	n := 0
	for _, b := range t.Bands {
		n = max(n, b.Years.Min, b.Years.Max)
	}
	return n
}

// Amount writes v the way the source writes it, such as "₹4.5 L", because
// converting to another unit would suggest a precision the source lacks.
func (t *SalaryTable) Amount(v float64) string {
	n := strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
	if t.Unit == "" {
		return t.Symbol + n
	}
	return t.Symbol + n + " " + t.Unit
}

// RangeText writes a band's pay range, such as "₹10 L – ₹14 L".
func (t *SalaryTable) RangeText(b SalaryBand) string {
	if b.Min == b.Max {
		return t.Amount(b.Min)
	}
	return t.Amount(b.Min) + " – " + t.Amount(b.Max)
}

// String writes the range as people write years or weeks: "5-9", "15+" when
// open-ended, "4" when both ends are the same.
func (r Range) String() string {
	switch {
	case r.Max == 0:
		return fmt.Sprintf("%d+", r.Min)
	case r.Min == r.Max:
		return strconv.Itoa(r.Min)
	default:
		return fmt.Sprintf("%d-%d", r.Min, r.Max)
	}
}

// Topic finds a topic by "2.3" (step 2, topic 3, as lists number them), by
// "step/topic" ids ("databases/indexes") or by its id alone, which is
// unique across the roadmap. Case is ignored; titles are not matched, since
// several topic refs share a line ("roadmap done 2.1 2.4"). The indexes
// are 0-based.
func (p *Pack) Topic(ref string) (step, topic int, ok bool) {
	ref = strings.ToLower(strings.TrimSpace(ref))
	if a, b, dotted := strings.Cut(ref, "."); dotted && numberRE.MatchString(a) && numberRE.MatchString(b) {
		si, err1 := strconv.Atoi(a)
		ti, err2 := strconv.Atoi(b)
		if err1 != nil || err2 != nil || si < 1 || si > len(p.Steps) || ti < 1 || ti > len(p.Steps[si-1].Topics) {
			return 0, 0, false
		}
		return si - 1, ti - 1, true
	}
	stepID, topicID, slashed := strings.Cut(ref, "/")
	if !slashed {
		topicID = stepID
	}
	for i := range p.Steps {
		s := &p.Steps[i]
		if slashed && !strings.EqualFold(s.ID, stepID) {
			continue
		}
		for j := range s.Topics {
			if strings.EqualFold(s.Topics[j].ID, topicID) {
				return i, j, true
			}
		}
	}
	return 0, 0, false
}
