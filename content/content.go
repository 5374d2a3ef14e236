package content

import (
	"embed"
	"io/fs"
)

// Pack is the whole body of content the bot talks about. It is plain data:
// the bot reads it and never changes it, so one Pack can be shared by every
// request.
type Pack struct {
	Steps    []Step        // roadmap.yaml, key steps; in study order
	Skills   []Skill       // skills.yaml, key skills
	Levels   []Level       // career.yaml, key levels; from the first job upwards
	Salaries []SalaryTable // salaries.yaml, key tables
	Tips     []Tip         // tips.yaml, key tips
	// Questions is the quiz bank, quiz/<step id>.yaml, in step order.
	Questions []Question
}

// Range is a span of whole numbers such as weeks of study or years of
// experience. Max 0 means open-ended ("15+"), because the top of a career
// ladder or a salary table has no upper bound worth inventing; the zero
// Range means unknown.
type Range struct {
	Min int `yaml:"min"`
	Max int `yaml:"max"`
}

// IsZero reports whether the range is unknown.
func (r Range) IsZero() bool { return r == Range{} }

// Step is one stage of the backend roadmap. Users mark steps done in order,
// so the order of Pack.Steps is part of the content.
type Step struct {
	ID      string  `yaml:"id"`
	Title   string  `yaml:"title"`
	Why     string  `yaml:"why"` // why the step matters, in two or three sentences
	Topics  []Topic `yaml:"topics"`
	Project Project `yaml:"project"`
	// Weeks is the study time at a part-time pace (StudyPace): it follows
	// from the topics' hours, and the validator keeps the two in step.
	Weeks Range `yaml:"weeks"`
}

// Hours returns the study hours of the step: the sum of its topics'.
func (s *Step) Hours() int {
	n := 0
	for _, t := range s.Topics {
		n += t.Hours
	}
	return n
}

// StudyPace is the part-time pace a step's weeks assume, in hours a week:
// someone studying beside a job or classes. A step of H hours takes
// ceil(H/Max) weeks at the fast end and ceil(H/Min) at the slow end. It is
// our coaching judgement, like the hours themselves.
var StudyPace = Range{Min: 6, Max: 10}

// WeeksFor returns the week range a step of hours takes at StudyPace.
func WeeksFor(hours int) Range {
	return Range{Min: ceilDiv(hours, StudyPace.Max), Max: ceilDiv(hours, StudyPace.Min)}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// Topic is one thing to learn within a step, small enough to study in a
// sitting or two.
type Topic struct {
	ID string `yaml:"id"` // unique across the whole roadmap, so a topic can be named on its own
	// Num is the topic's short key in user records, unique across the
	// roadmap and never changed or reused once published: a record keeps
	// one byte per topic where the id would take eleven.
	Num       int        `yaml:"num"`
	Title     string     `yaml:"title"`
	Summary   string     `yaml:"summary"` // one line: it is shown in lists
	Resources []Resource `yaml:"resources"`
	// Hours is our estimate of the study time the topic needs, resources
	// and practice included, for someone new to it: coaching judgement,
	// not a measurement.
	Hours int `yaml:"hours"`
}

// Resource is a link to read, preferably official documentation, which stays
// correct longer than tutorials do.
type Resource struct {
	Title string `yaml:"title"`
	URL   string `yaml:"url"`
}

// Project is the hands-on exercise that closes a step: building something is
// what turns reading into skill.
type Project struct {
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
}

// Skill is one of the key skills a backend developer is hired for, linked to
// the roadmap steps that teach it so the bot can say where to practise.
type Skill struct {
	ID       string   `yaml:"id"`
	Name     string   `yaml:"name"`
	Aliases  []string `yaml:"aliases"` // other words users type for it, such as "sql" or "git"
	Summary  string   `yaml:"summary"` // one line
	Why      string   `yaml:"why"`
	Practice []string `yaml:"practice"` // concrete things to do, one per bullet
	Steps    []string `yaml:"steps"`    // ids of the roadmap steps that teach it
}

// Level is one rung of the career ladder. Pack.Levels runs from the first
// job upwards.
type Level struct {
	ID      string   `yaml:"id"`
	Title   string   `yaml:"title"`
	Aliases []string `yaml:"aliases"`
	// Salary is the level of the salary band (salaries.yaml) that belongs
	// to this level, so that career and salary speak of one ladder; empty
	// when the salary source has no band for it. A level with a band has
	// the band's years (the validator checks), so the two never disagree.
	Salary           string   `yaml:"salary"`
	Years            Range    `yaml:"years"` // zero when unknown; typical, not required: ladders differ between companies
	Role             string   `yaml:"role"`  // what a person at this level does
	Responsibilities []string `yaml:"responsibilities"`
	NextLevel        string   `yaml:"next_level"` // what separates this level from the next; empty only for the last level
}

// SalaryTable is one published set of salary bands. Amounts stay in the
// source's own currency, unit and period, and the table names its source,
// because a salary figure without its origin and date misleads.
type SalaryTable struct {
	ID       string       `yaml:"id"`
	Region   string       `yaml:"region"`    // such as "India"
	Currency string       `yaml:"currency"`  // ISO 4217 code, such as "INR"
	Symbol   string       `yaml:"symbol"`    // such as "₹"
	Unit     string       `yaml:"unit"`      // the abbreviation amounts are written in, such as "L"; empty for plain amounts
	UnitName string       `yaml:"unit_name"` // the unit spelled out, such as "lakh"
	Period   string       `yaml:"period"`    // what an amount is paid per, such as "year"
	Year     int          `yaml:"year"`      // the year the figures describe
	Source   Source       `yaml:"source"`
	Bands    []SalaryBand `yaml:"bands"`
}

// Source names where salary figures come from, so users can judge them.
type Source struct {
	Title     string `yaml:"title"`
	Publisher string `yaml:"publisher"` // empty if unknown
	URL       string `yaml:"url"`       // empty if unknown
	Updated   string `yaml:"updated"`   // the source's last update, as 2006-01-02
}

// SalaryBand is the pay range for one experience level, in the table's unit.
type SalaryBand struct {
	Level   string   `yaml:"level"` // the band's id, unique within its table
	Title   string   `yaml:"title"`
	Aliases []string `yaml:"aliases"`
	Years   Range    `yaml:"years"`
	Min     float64  `yaml:"min"`
	Max     float64  `yaml:"max"`
}

// Tip is a short piece of study or career advice the bot hands out at random.
type Tip struct {
	ID   string `yaml:"id"`
	Text string `yaml:"text"`
}

//go:embed pack/*.yaml pack/quiz
var embedded embed.FS

// Default loads the pack built into the binary. It is validated like any
// other pack; the package's tests keep it valid, so an error here means the
// binary was built from a broken tree.
func Default() (*Pack, error) {
	sub, err := fs.Sub(embedded, "pack")
	if err != nil {
		return nil, err
	}
	return Load(sub)
}

// MustDefault is Default for callers that cannot do anything useful without
// content, such as tests and program start-up.
func MustDefault() *Pack {
	p, err := Default()
	if err != nil {
		panic("content: the embedded content pack is invalid: " + err.Error())
	}
	return p
}
