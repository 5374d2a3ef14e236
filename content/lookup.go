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

// Step finds a roadmap step by its 1-based number ("3"), which is what the
// roadmap list shows, or by its id. index is 0-based.
func (p *Pack) Step(ref string) (index int, step *Step, ok bool) {
	ref = strings.TrimSpace(ref)
	if numberRE.MatchString(ref) {
		n, err := strconv.Atoi(ref)
		if err != nil || n < 1 || n > len(p.Steps) {
			return 0, nil, false
		}
		return n - 1, &p.Steps[n-1], true
	}
	for i := range p.Steps {
		if matches(ref, p.Steps[i].ID) {
			return i, &p.Steps[i], true
		}
	}
	return 0, nil, false
}

// Skill finds a key skill by id, name or alias.
func (p *Pack) Skill(ref string) (*Skill, bool) {
	for i := range p.Skills {
		s := &p.Skills[i]
		if matches(ref, append([]string{s.ID, s.Name}, s.Aliases...)...) {
			return s, true
		}
	}
	return nil, false
}

// Level finds a career level by id, title or alias.
func (p *Pack) Level(ref string) (*Level, bool) {
	for i := range p.Levels {
		l := &p.Levels[i]
		if matches(ref, append([]string{l.ID, l.Title}, l.Aliases...)...) {
			return l, true
		}
	}
	return nil, false
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
