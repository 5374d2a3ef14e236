package content

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Limits on the size of the roadmap: enough to be thorough, few enough to fit
// a chat message and to be studied.
const (
	maxTopics    = 8
	maxTopicNum  = 9999 // two bytes in a record at most
	maxResources = 5    // one per language where a topic offers a choice of five
	maxHours     = 40
)

var (
	idRE       = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	numberRE   = regexp.MustCompile(`^[0-9]+$`)
	currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)
)

// checker reports the problems of one file.
type checker struct {
	ps   *Problems
	file string
}

func (c checker) add(item, format string, args ...any) {
	c.ps.add(c.file, item, format, args...)
}

func (c checker) required(item, field, value string) {
	if value == "" {
		c.add(item, "%s is required", field)
	}
}

func (c checker) oneLine(item, field, value string) {
	if value == "" {
		c.add(item, "%s is required", field)
	} else if strings.Contains(value, "\n") {
		c.add(item, "%s must be one line", field)
	}
}

func (c checker) id(item, field, id string) {
	switch {
	case id == "":
		c.add(item, "%s is required", field)
	case !idRE.MatchString(id):
		c.add(item, "%s %q must be lowercase letters and digits, in words joined by single hyphens", field, id)
	}
}

// unique reports id if an earlier item took it; seen maps ids to the label
// of their first user.
func (c checker) unique(item, field, id string, seen map[string]string, owner string) {
	if id == "" {
		return
	}
	k := key(id)
	if first, ok := seen[k]; ok {
		c.add(item, "%s %q is already used by %s", field, id, first)
		return
	}
	seen[k] = owner
}

func (c checker) list(item, field string, values []string) {
	if len(values) == 0 {
		c.add(item, "at least one %s is required", field)
	}
	for i, v := range values {
		if v == "" {
			c.add(item, "%s %d is empty", field, i+1)
		}
	}
}

func (c checker) rng(item string, r Range) {
	switch {
	case r.Min < 0:
		c.add(item, "min must not be negative")
	case r.Max < 0:
		c.add(item, "max must not be negative")
	case r.Max != 0 && r.Min > r.Max:
		c.add(item, "min (%d) is greater than max (%d)", r.Min, r.Max)
	}
}

func (c checker) url(item, field, u string) {
	if u == "" {
		c.add(item, "%s is required", field)
		return
	}
	if !strings.HasPrefix(u, "https://") {
		c.add(item, "%s must start with https://", field)
		return
	}
	parsed, err := url.Parse(u)
	if err != nil {
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err
		}
		c.add(item, "%s is not valid: %v", field, err)
		return
	}
	if parsed.Host == "" {
		c.add(item, "%s has no host", field)
	}
}

// names checks that the words users may type for items (names, titles and
// aliases) point to one item only. ids holds the items' ids, which win over
// any other word.
type names struct {
	c     checker
	owner map[string]int    // key → index of the item that uses it
	label map[string]string // key → that item's label
}

func newNames(c checker) *names {
	return &names{c: c, owner: map[string]int{}, label: map[string]string{}}
}

func (n *names) claim(i int, lbl, item, field, word string) {
	k := key(word)
	if k == "" {
		return
	}
	if j, ok := n.owner[k]; ok {
		if j != i && field != "id" {
			n.c.add(item, "%s %q is already used by %s", field, word, n.label[k])
		}
		return
	}
	n.owner[k] = i
	n.label[k] = lbl
}

// aliases claims each alias of item i, reporting empty ones: skills, levels
// and salary bands all take aliases the same way.
func (n *names) aliases(i int, lbl, item string, aliases []string) {
	for k, a := range aliases {
		if a == "" {
			n.c.add(item, "alias %d is empty", k+1)
		}
		n.claim(i, lbl, item, "alias", a)
	}
}

func validateRoadmap(steps []Step, ps *Problems) {
	c := checker{ps, roadmapFile}
	if len(steps) == 0 {
		c.add("", "at least one step is required")
	}
	stepIDs := map[string]string{}
	topicIDs := map[string]string{}
	topicNums := map[string]string{}
	for i, s := range steps {
		item := label("steps", s.ID, i)
		c.id(item, "id", s.ID)
		if numberRE.MatchString(s.ID) {
			c.add(item, "id %q must not be a number: numbers refer to steps by position", s.ID)
		}
		c.unique(item, "id", s.ID, stepIDs, fmt.Sprintf("step %d", i+1))
		c.required(item, "title", s.Title)
		c.required(item, "why", s.Why)
		if n := len(s.Topics); n < 1 || n > maxTopics {
			c.add(item, "a step needs 1 to %d topics, not %d", maxTopics, n)
		}
		for j, t := range s.Topics {
			titem := path(item, label("topics", t.ID, j))
			c.id(titem, "id", t.ID)
			c.unique(titem, "id", t.ID, topicIDs, fmt.Sprintf("step %d, topic %d", i+1, j+1))
			if t.Num < 1 || t.Num > maxTopicNum {
				c.add(titem, "num must be between 1 and %d, not %d", maxTopicNum, t.Num)
			} else {
				c.unique(titem, "num", strconv.Itoa(t.Num), topicNums, fmt.Sprintf("step %d, topic %d", i+1, j+1))
			}
			c.required(titem, "title", t.Title)
			c.oneLine(titem, "summary", t.Summary)
			if t.Hours < 1 || t.Hours > maxHours {
				c.add(titem, "hours must be between 1 and %d, not %d", maxHours, t.Hours)
			}
			if n := len(t.Resources); n < 1 || n > maxResources {
				c.add(titem, "a topic needs 1 to %d resources, not %d", maxResources, n)
			}
			for k, r := range t.Resources {
				ritem := path(titem, label("resources", "", k))
				c.required(ritem, "title", r.Title)
				c.url(ritem, "url", r.URL)
			}
		}
		pitem := path(item, "project")
		c.required(pitem, "title", s.Project.Title)
		c.required(pitem, "description", s.Project.Description)
		witem := path(item, "weeks")
		if s.Weeks.Min < 1 {
			c.add(witem, "min must be at least 1")
		} else {
			c.rng(witem, s.Weeks)
		}
		// The weeks follow from the hours, so a change to one topic's
		// estimate cannot leave the step's time saying something else.
		if want := WeeksFor(s.Hours()); s.Hours() > 0 && s.Weeks != want {
			c.add(witem, "weeks must be %s: the topics add up to %d hours, which take %s weeks at %s hours a week",
				want, s.Hours(), want, StudyPace)
		}
	}
}

// validateSkills checks skills; stepIDs holds the roadmap's step ids, or is
// nil when the roadmap could not be read and references cannot be checked.
func validateSkills(skills []Skill, stepIDs map[string]bool, ps *Problems) {
	c := checker{ps, skillsFile}
	if len(skills) == 0 {
		c.add("", "at least one skill is required")
	}
	ids := map[string]string{}
	words := newNames(c)
	for i, s := range skills {
		words.claim(i, label("skills", s.ID, i), "", "id", s.ID)
	}
	for i, s := range skills {
		item := label("skills", s.ID, i)
		c.id(item, "id", s.ID)
		c.unique(item, "id", s.ID, ids, fmt.Sprintf("skill %d", i+1))
		c.required(item, "name", s.Name)
		words.claim(i, item, item, "name", s.Name)
		words.aliases(i, item, item, s.Aliases)
		c.oneLine(item, "summary", s.Summary)
		c.required(item, "why", s.Why)
		c.list(item, "practice", s.Practice)
		c.list(item, "step", s.Steps)
		for _, id := range s.Steps {
			if stepIDs != nil && id != "" && !stepIDs[id] {
				c.add(item, "step %q does not exist in %s", id, roadmapFile)
			}
		}
	}
}

// validateLevels checks the career ladder. tables holds the salary tables,
// or is nil when they could not be read and the links to their bands cannot
// be checked.
func validateLevels(p *Pack, tables []SalaryTable, ps *Problems) {
	levels := p.Levels
	c := checker{ps, careerFile}
	if len(levels) == 0 {
		c.add("", "at least one level is required")
	}
	ids := map[string]string{}
	words := newNames(c)
	for i, l := range levels {
		words.claim(i, label("levels", l.ID, i), "", "id", l.ID)
	}
	var prev *Level
	for i, l := range levels {
		item := label("levels", l.ID, i)
		c.id(item, "id", l.ID)
		c.unique(item, "id", l.ID, ids, fmt.Sprintf("level %d", i+1))
		c.required(item, "title", l.Title)
		words.claim(i, item, item, "title", l.Title)
		words.aliases(i, item, item, l.Aliases)
		c.rng(path(item, "years"), l.Years)
		if prev != nil && !prev.Years.IsZero() && !l.Years.IsZero() && (prev.Years.Max == 0 || l.Years.Min <= prev.Years.Max) {
			c.add(path(item, "years"), "years %s overlap the level below (%s): the ladder must climb", l.Years, prev.Years)
		}
		if !l.Years.IsZero() {
			prev = &levels[i]
		}
		c.required(item, "role", l.Role)
		c.list(item, "responsibility", l.Responsibilities)
		last := i == len(levels)-1
		if !last && l.NextLevel == "" {
			c.add(item, "next_level is required: only the last level may leave it empty")
		}
		if last && l.NextLevel != "" {
			c.add(item, "next_level must be empty on the last level: there is no level above it")
		}
		if tables == nil || l.Salary == "" {
			continue
		}
		found := false
		for _, t := range tables {
			b, ok := t.BandOf(&levels[i])
			if !ok {
				continue
			}
			found = true
			if b.Years != l.Years {
				c.add(path(item, "years"), "years %s differ from the %s band of salary table %q (%s years): a level has its band's years",
					l.Years, b.Level, t.ID, b.Years)
			}
		}
		if !found {
			c.add(item, "salary %q is not a band of any table in %s", l.Salary, salariesFile)
		}
	}
	// A band's words are its level's words too ("career experienced"), so
	// they must not name another level. They are claimed after every
	// level's own words, so a clash is reported on the band word.
	for i, l := range levels {
		for _, t := range tables {
			if b, ok := t.BandOf(&levels[i]); ok {
				item := label("levels", l.ID, i)
				words.claim(i, item, item, "salary band title", b.Title)
				words.aliases(i, item, item, b.Aliases)
			}
		}
	}
	// One ladder: every band belongs to exactly one level.
	for _, t := range tables {
		if len(levels) == 0 {
			break // already reported
		}
		for _, b := range t.Bands {
			n := 0
			for _, l := range levels {
				if l.Salary == b.Level {
					n++
				}
			}
			if n != 1 {
				c.add("", "salary band %q of table %q belongs to %d levels; it must belong to exactly one (salary: %s)", b.Level, t.ID, n, b.Level)
			}
		}
	}
}

func validateSalaries(tables []SalaryTable, ps *Problems) {
	c := checker{ps, salariesFile}
	if len(tables) == 0 {
		// salary is a command of the bot: without a table it could only
		// ever answer that it has no figures.
		c.add("", "at least one salary table is required")
	}
	ids := map[string]string{}
	for i, t := range tables {
		item := label("tables", t.ID, i)
		c.id(item, "id", t.ID)
		c.unique(item, "id", t.ID, ids, fmt.Sprintf("table %d", i+1))
		c.required(item, "region", t.Region)
		switch {
		case t.Currency == "":
			c.add(item, "currency is required")
		case !currencyRE.MatchString(t.Currency):
			c.add(item, "currency %q must be a three-letter code such as INR", t.Currency)
		}
		c.required(item, "symbol", t.Symbol)
		if t.Unit != "" {
			c.required(item, "unit_name", t.UnitName)
		}
		c.required(item, "period", t.Period)
		if t.Year < 1000 || t.Year > 9999 {
			c.add(item, "year must be a year such as 2025")
		}

		sitem := path(item, "source")
		c.required(sitem, "title", t.Source.Title)
		if t.Source.URL != "" {
			c.url(sitem, "url", t.Source.URL)
		}
		switch {
		case t.Source.Updated == "":
			c.add(sitem, "updated is required")
		default:
			if _, err := time.Parse(time.DateOnly, t.Source.Updated); err != nil {
				c.add(sitem, "updated %q must be a date like 2025-07-23", t.Source.Updated)
			}
		}

		if len(t.Bands) == 0 {
			c.add(item, "at least one band is required")
		}
		levels := map[string]string{}
		words := newNames(c)
		for j, b := range t.Bands {
			words.claim(j, label("bands", b.Level, j), "", "id", b.Level)
		}
		for j, b := range t.Bands {
			bitem := path(item, label("bands", b.Level, j))
			c.id(bitem, "level", b.Level)
			c.unique(bitem, "level", b.Level, levels, fmt.Sprintf("band %d", j+1))
			c.required(bitem, "title", b.Title)
			words.claim(j, label("bands", b.Level, j), bitem, "title", b.Title)
			words.aliases(j, label("bands", b.Level, j), bitem, b.Aliases)
			c.rng(path(bitem, "years"), b.Years)
			switch {
			case b.Min <= 0:
				c.add(bitem, "min must be greater than 0")
			case b.Max <= 0:
				c.add(bitem, "max must be greater than 0")
			case b.Min > b.Max:
				c.add(bitem, "min (%g) is greater than max (%g)", b.Min, b.Max)
			}
		}
	}
}

func validateTips(tips []Tip, ps *Problems) {
	c := checker{ps, tipsFile}
	if len(tips) == 0 {
		c.add("", "at least one tip is required")
	}
	ids := map[string]string{}
	for i, t := range tips {
		item := label("tips", t.ID, i)
		c.id(item, "id", t.ID)
		c.unique(item, "id", t.ID, ids, fmt.Sprintf("tip %d", i+1))
		c.required(item, "text", t.Text)
	}
}
