package content

import (
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// packFiles are the files of a pack, in the order FuzzLoad's first argument
// picks them. The base pack comes from embeddedFiles (validate_test.go).
var packFiles = []string{roadmapFile, skillsFile, careerFile, salariesFile, tipsFile}

// loadBudget bounds one Load in FuzzLoad. The real pack loads in about a
// millisecond; an input that takes longer than this is a parser bomb.
const loadBudget = 2 * time.Second

// FuzzLoad feeds arbitrary bytes to Load as one file of the embedded pack
// (which is picked by file % 5) and holds it to its contract: Load returns
// in time and without panicking, and returns either a pack whose lookups
// work as the bot relies on, or a *Problems whose every problem names a
// pack file and says what is wrong on one line.
//
//	go test -run '^$' -fuzz '^FuzzLoad$' -fuzztime 3m -parallel 1 ./content
func FuzzLoad(f *testing.F) {
	base := embeddedFiles(f)
	for i, name := range packFiles {
		f.Add(uint8(i), base[name].Data)
	}
	// The other four files are parsed on every exec: a roadmap cut down
	// to one topic and one resource per step (the same step ids, so the
	// real skills still refer to them) makes an exec several times cheaper.
	base[roadmapFile] = &fstest.MapFile{Data: smallRoadmap(f, base)}
	// The cut-down roadmap lacks most topics the quiz files ask about; the
	// quiz has its own table tests (TestQuizProblems).
	for name := range base {
		if strings.HasPrefix(name, "quiz/") {
			delete(base, name)
		}
	}
	for _, s := range []struct {
		file uint8
		data string
	}{
		{0, ""},
		{0, "steps: []"},
		{0, "steps: 3"},
		{0, "steps:\n  - id: 1\n    title: [a, b]\n    weeks: {min: x}\n"},
		{0, "steps:\n  - id: a\n    id: b\n"},
		{0, "steps: [{id: a, title: t, why: w, topics: [{id: t, title: t, summary: s, resources: [{title: r, url: 'https://x'}]}], project: {title: p, description: d}, weeks: {min: 1, max: 2}}]\n---\nsteps: []"},
		{0, "steps: &a [*a]"},
		{0, "\xef\xbb\xbfsteps: []"},
		{0, "steps:\n\t- id: a"},
		{0, "steps: [" + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "]"},
		{0, "steps:\n  - id: a\n    weeks: {min: 99999999999999999999999, max: -1}\n"},
		{1, "skills: [{id: x, name: x, aliases: [\"!!!\", \"\"], steps: [nope]}]"},
		{2, "levels: [{id: a, title: A, next_level: x}, {id: b, title: a}]"},
		{3, "tables: []"},
		{3, "tables: [{id: t, year: 2025.5, bands: [{level: a, min: .nan, max: .inf}]}]"},
		{4, "tips: [{id: a, text: \"\\x00\"}]"},
		{4, "tips: !!binary aGVsbG8="},
		{4, "%YAML 1.3\n---\ntips: []"},
		{4, "tips: [{id: a, text: \"\xff\"}]"},
		{4, billionLaughs},
		{0, aliasFanOut},
	} {
		f.Add(s.file, []byte(s.data))
	}
	f.Fuzz(func(t *testing.T, file uint8, data []byte) {
		name := packFiles[int(file)%len(packFiles)]
		fsys := fstest.MapFS{}
		for k, v := range base {
			fsys[k] = v
		}
		fsys[name] = &fstest.MapFile{Data: data}

		start := time.Now()
		p, err := Load(fsys)
		if took := time.Since(start); took > loadBudget {
			t.Fatalf("%s: Load took %v on %d bytes", name, took, len(data))
		}
		if err != nil {
			if p != nil {
				t.Fatalf("%s: Load returned both a pack and %v", name, err)
			}
			checkProblems(t, name, err)
			return
		}
		if p == nil {
			t.Fatalf("%s: Load returned neither a pack nor an error", name)
		}
		checkUsable(t, name, p)
	})
}

// smallRoadmap returns the roadmap of files with one topic of one resource
// per step, as YAML.
func smallRoadmap(tb testing.TB, files fstest.MapFS) []byte {
	tb.Helper()
	p, err := Load(files)
	if err != nil {
		tb.Fatal(err)
	}
	steps := p.Steps
	for i := range steps {
		steps[i].Topics = steps[i].Topics[:1]
		steps[i].Topics[0].Resources = steps[i].Topics[0].Resources[:1]
	}
	b, err := yaml.Marshal(roadmapDoc{Steps: steps})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func checkProblems(t *testing.T, name string, err error) {
	t.Helper()
	ps, ok := err.(*Problems)
	if !ok || len(*ps) == 0 {
		t.Fatalf("%s: the error is not a non-empty *Problems: %#v", name, err)
	}
	for _, pr := range *ps {
		if !containsName(packFiles, pr.File) {
			t.Errorf("%s: the problem %q names no pack file", name, pr)
		}
		if strings.TrimSpace(pr.Message) == "" {
			t.Errorf("%s: the problem %+v has no message", name, pr)
		}
		if s := pr.String(); strings.Contains(s, "\n") || !utf8.ValidString(s) {
			t.Errorf("%s: the problem %q is not one line of text", name, s)
		}
	}
}

// checkUsable holds a pack Load accepted to what the bot relies on: every
// list it indexes is non-empty, and every step, skill, level and band is
// found by the words validation let through.
func checkUsable(t *testing.T, name string, p *Pack) {
	t.Helper()
	if len(p.Steps) == 0 || len(p.Skills) == 0 || len(p.Levels) == 0 || len(p.Tips) == 0 {
		t.Fatalf("%s: accepted a pack with %d steps, %d skills, %d levels and %d tips",
			name, len(p.Steps), len(p.Skills), len(p.Levels), len(p.Tips))
	}
	for i, s := range p.Steps {
		if j, _, ok := p.Step(strconv.Itoa(i + 1)); !ok || j != i {
			t.Fatalf("%s: step %d is not found by its number", name, i+1)
		}
		if j, _, ok := p.Step(s.ID); !ok || j != i {
			t.Fatalf("%s: step %d is not found by its id %q", name, i+1, s.ID)
		}
	}
	for i := range p.Skills {
		s := &p.Skills[i]
		for _, w := range append([]string{s.ID, s.Name}, s.Aliases...) {
			if got, ok := p.Skill(w); key(w) != "" && (!ok || got != s) {
				t.Fatalf("%s: skill %q is not found by %q", name, s.ID, w)
			}
		}
		for _, id := range s.Steps {
			if _, _, ok := p.Step(id); !ok {
				t.Fatalf("%s: skill %q refers to the step %q, which does not exist", name, s.ID, id)
			}
		}
	}
	for i := range p.Levels {
		l := &p.Levels[i]
		for _, w := range append([]string{l.ID, l.Title}, l.Aliases...) {
			if got, ok := p.Level(w); key(w) != "" && (!ok || got != l) {
				t.Fatalf("%s: level %q is not found by %q", name, l.ID, w)
			}
		}
	}
	for i := range p.Salaries {
		tb := &p.Salaries[i]
		for j := range tb.Bands {
			b := &tb.Bands[j]
			for _, w := range append([]string{b.Level, b.Title}, b.Aliases...) {
				if got, ok := tb.Band(w); key(w) != "" && (!ok || got != b) {
					t.Fatalf("%s: band %q of %q is not found by %q", name, b.Level, tb.ID, w)
				}
			}
			if !(b.Min > 0 && b.Min <= b.Max) {
				t.Fatalf("%s: band %q of %q has the range %v-%v", name, b.Level, tb.ID, b.Min, b.Max)
			}
		}
	}
}

func containsName(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// billionLaughs is the classic alias bomb: nine levels of ten aliases each
// would expand to 10^9 strings.
var billionLaughs = func() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	for i := 1; i <= 9; i++ {
		b.WriteString("a" + strconv.Itoa(i) + ": &a" + strconv.Itoa(i) + " [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(",")
			}
			b.WriteString("*a" + strconv.Itoa(i-1))
		}
		b.WriteString("]\n")
	}
	b.WriteString("tips: *a9\n")
	return b.String()
}()

// aliasFanOut is an alias bomb shaped like the pack, so that every alias
// decodes into a real field: 100 steps of 100 topics of 100 resources.
var aliasFanOut = func() string {
	fan := func(anchor, alias string) string {
		return "&" + anchor + " [" + strings.TrimSuffix(strings.Repeat("*"+alias+", ", 100), ", ") + "]"
	}
	return "x: &r {title: r, url: 'https://example.com/'}\n" +
		"y: " + fan("rs", "r") + "\n" +
		"z: &t {id: t, title: t, summary: s, resources: *rs}\n" +
		"w: " + fan("ts", "t") + "\n" +
		"v: &s {id: s, title: s, why: w, topics: *ts, project: {title: p, description: d}, weeks: {min: 1}}\n" +
		"steps: " + fan("ss", "s") + "\n"
}()
