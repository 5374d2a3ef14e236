package content

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// embeddedFiles returns a fresh, writable copy of the embedded pack.
func embeddedFiles(t testing.TB) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	quiz, err := fs.Glob(embedded, "pack/quiz/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for i := range quiz {
		quiz[i] = strings.TrimPrefix(quiz[i], "pack/")
	}
	for _, name := range append([]string{roadmapFile, skillsFile, careerFile, salariesFile, tipsFile}, quiz...) {
		data, err := fs.ReadFile(embedded, "pack/"+name)
		if err != nil {
			t.Fatal(err)
		}
		m[name] = &fstest.MapFile{Data: data}
	}
	return m
}

// edit changes one pack file: it replaces the first occurrence of old with
// new, or deletes the file when remove is set. An old that is not in the file
// fails the test, so that a change to the content cannot silently turn a
// test into one that checks nothing.
type edit struct {
	file, old, new string
	remove         bool
}

func applyEdits(t *testing.T, m fstest.MapFS, edits []edit) {
	t.Helper()
	for _, e := range edits {
		if e.remove {
			delete(m, e.file)
			continue
		}
		f, ok := m[e.file]
		if !ok {
			t.Fatalf("edit of %s: no such file", e.file)
		}
		text := string(f.Data)
		if e.old == "" {
			text = e.new
		} else {
			if !strings.Contains(text, e.old) {
				t.Fatalf("edit of %s: %q not found", e.file, e.old)
			}
			text = strings.Replace(text, e.old, e.new, 1)
		}
		m[e.file] = &fstest.MapFile{Data: []byte(text)}
	}
}

// lineOf returns the 1-based line of the first occurrence of s in a file.
func lineOf(t *testing.T, m fstest.MapFS, file, s string) int {
	t.Helper()
	text := string(m[file].Data)
	i := strings.Index(text, s)
	if i < 0 {
		t.Fatalf("lineOf: %q not in %s", s, file)
	}
	return strings.Count(text[:i], "\n") + 1
}

func TestLoadReportsProblems(t *testing.T) {
	tests := []struct {
		name  string
		edits []edit
		// want lists problems that must be reported; wantFn builds them when
		// they depend on line numbers of the edited files.
		want   Problems
		wantFn func(t *testing.T, m fstest.MapFS) Problems
		exact  bool // no other problem may be reported
	}{
		{
			name:  "duplicate step id",
			edits: []edit{{file: roadmapFile, old: "  - id: frameworks\n", new: "  - id: databases\n"}},
			want:  Problems{{roadmapFile, `step "databases"`, `id "databases" is already used by step 2`}},
		},
		{
			name:  "duplicate topic id in another step",
			edits: []edit{{file: roadmapFile, old: "      - id: testing\n", new: "      - id: sql\n"}},
			want:  Problems{{roadmapFile, `step "projects" / topic "sql"`, `id "sql" is already used by step 2, topic 2`}},
			exact: true,
		},
		{
			name:  "duplicate tip id",
			edits: []edit{{file: tipsFile, old: "  - id: daily-habit\n", new: "  - id: one-language\n"}},
			want:  Problems{{tipsFile, `tip "one-language"`, `id "one-language" is already used by tip 1`}},
			exact: true,
		},
		{
			name:  "duplicate salary band level",
			edits: []edit{{file: salariesFile, old: "      - level: experienced\n", new: "      - level: mid\n"}},
			want:  Problems{{salariesFile, `table "india-2025" / band "mid"`, `level "mid" is already used by band 2`}},
		},
		{
			name:  "id not in lowercase words",
			edits: []edit{{file: tipsFile, old: "  - id: one-language\n", new: "  - id: One Language\n"}},
			want:  Problems{{tipsFile, `tip "One Language"`, `id "One Language" must be lowercase letters and digits, in words joined by single hyphens`}},
			exact: true,
		},
		{
			name:  "missing step title",
			edits: []edit{{file: roadmapFile, old: "    title: Databases\n", new: ""}},
			want:  Problems{{roadmapFile, `step "databases"`, "title is required"}},
			exact: true,
		},
		{
			name:  "missing skill name",
			edits: []edit{{file: skillsFile, old: "    name: Version Control (Git)\n", new: ""}},
			want:  Problems{{skillsFile, `skill "version-control"`, "name is required"}},
			exact: true,
		},
		{
			name: "http link",
			edits: []edit{{file: roadmapFile,
				old: "https://www.postgresql.org/docs/current/queries.html",
				new: "http://www.postgresql.org/docs/current/queries.html"}},
			want:  Problems{{roadmapFile, `step "databases" / topic "sql" / resource 1`, "url must start with https://"}},
			exact: true,
		},
		{
			name:  "link that does not parse",
			edits: []edit{{file: roadmapFile, old: "https://go.dev/blog/maps", new: "https://go dev/blog/maps"}},
			want:  Problems{{roadmapFile, `step "languages" / topic "data-structures" / resource 2`, `url is not valid: invalid character " " in host name`}},
			exact: true,
		},
		{
			name:  "years min greater than max",
			edits: []edit{{file: careerFile, old: "years: {min: 10, max: 15}", new: "years: {min: 16, max: 15}"}},
			want: Problems{
				{careerFile, `level "senior" / years`, "min (16) is greater than max (15)"},
				{careerFile, `level "senior" / years`, `years 16-15 differ from the experienced band of salary table "india-2025" (10-15 years): a level has its band's years`},
			},
			exact: true,
		},
		{
			name:  "level years that contradict its salary band",
			edits: []edit{{file: careerFile, old: "years: {min: 5, max: 9}", new: "years: {min: 2, max: 5}"}},
			want: Problems{
				{careerFile, `level "mid" / years`, `years 2-5 overlap the level below (0-4): the ladder must climb`},
				{careerFile, `level "mid" / years`, `years 2-5 differ from the mid band of salary table "india-2025" (5-9 years): a level has its band's years`},
			},
			exact: true,
		},
		{
			name:  "level naming a band no table has",
			edits: []edit{{file: careerFile, old: "    salary: mid\n", new: "    salary: middle\n"}},
			want: Problems{
				{careerFile, `level "mid"`, `salary "middle" is not a band of any table in salaries.yaml`},
				{careerFile, "", `salary band "mid" of table "india-2025" belongs to 0 levels; it must belong to exactly one (salary: mid)`},
			},
			exact: true,
		},
		{
			name:  "band word naming another level",
			edits: []edit{{file: salariesFile, old: "aliases: [intermediate]", new: "aliases: [intermediate, sr]"}},
			want:  Problems{{careerFile, `level "mid"`, `alias "sr" is already used by level "senior"`}},
			exact: true,
		},
		{
			name:  "topic without hours",
			edits: []edit{{file: roadmapFile, old: "        hours: 8\n        resources:\n          - title: Queries", new: "        resources:\n          - title: Queries"}},
			want: Problems{
				{roadmapFile, `step "databases" / topic "sql"`, "hours must be between 1 and 40, not 0"},
				{roadmapFile, `step "databases" / weeks`, "weeks must be 3-4: the topics add up to 22 hours, which take 3-4 weeks at 6-10 hours a week"},
			},
			exact: true,
		},
		{
			name:  "topic nums missing and repeated",
			edits: []edit{{file: roadmapFile, old: "      - id: sql\n        num: 8\n", new: "      - id: sql\n"}, {file: roadmapFile, old: "        num: 9\n", new: "        num: 7\n"}},
			want: Problems{
				{roadmapFile, `step "databases" / topic "sql"`, "num must be between 1 and 9999, not 0"},
				{roadmapFile, `step "databases" / topic "schema-design"`, `num "7" is already used by step 2, topic 1`},
			},
			exact: true,
		},
		{
			name:  "weeks that do not follow from the hours",
			edits: []edit{{file: roadmapFile, old: "weeks: {min: 1, max: 2}", new: "weeks: {min: 2, max: 3}"}},
			want:  Problems{{roadmapFile, `step "version-control" / weeks`, "weeks must be 1-2: the topics add up to 8 hours, which take 1-2 weeks at 6-10 hours a week"}},
			exact: true,
		},
		{
			name:  "salary min greater than max",
			edits: []edit{{file: salariesFile, old: "        min: 10\n        max: 14\n", new: "        min: 16\n        max: 14\n"}},
			want:  Problems{{salariesFile, `table "india-2025" / band "mid"`, "min (16) is greater than max (14)"}},
			exact: true,
		},
		{
			name:  "salary not positive",
			edits: []edit{{file: salariesFile, old: "        min: 4.5\n", new: "        min: 0\n"}},
			want:  Problems{{salariesFile, `table "india-2025" / band "beginner"`, "min must be greater than 0"}},
			exact: true,
		},
		{
			name:  "skill points to a missing step",
			edits: []edit{{file: skillsFile, old: "steps: [version-control]", new: "steps: [git]"}},
			want:  Problems{{skillsFile, `skill "version-control"`, `step "git" does not exist in roadmap.yaml`}},
			exact: true,
		},
		{
			name:  "alias taken by another skill",
			edits: []edit{{file: skillsFile, old: "[appsec, application-security, web-security]", new: "[appsec, application-security, web-security, Git]"}},
			want:  Problems{{skillsFile, `skill "security"`, `alias "Git" is already used by skill "version-control"`}},
			exact: true,
		},
		{
			name:  "alias equal to another skill's id after normalising",
			edits: []edit{{file: skillsFile, old: "[appsec, application-security, web-security]", new: "[appsec, application-security, web-security, Version_Control]"}},
			want:  Problems{{skillsFile, `skill "security"`, `alias "Version_Control" is already used by skill "version-control"`}},
			exact: true,
		},
		{
			name:  "band alias taken by another band",
			edits: []edit{{file: salariesFile, old: "aliases: [senior]", new: "aliases: [senior, junior]"}},
			want: Problems{
				{careerFile, `level "senior"`, `alias "junior" is already used by level "junior"`},
				{salariesFile, `table "india-2025" / band "experienced"`, `alias "junior" is already used by band "beginner"`},
			},
			exact: true,
		},
		{
			name: "too many resources",
			edits: []edit{{file: roadmapFile,
				old: "          - title: JavaScript Guide (MDN)\n",
				new: "          - title: One\n            url: https://example.com/1\n" +
					"          - title: Two\n            url: https://example.com/2\n" +
					"          - title: Three\n            url: https://example.com/3\n" +
					"          - title: Four\n            url: https://example.com/4\n" +
					"          - title: JavaScript Guide (MDN)\n"}},
			want:  Problems{{roadmapFile, `step "languages" / topic "fundamentals"`, "a topic needs 1 to 5 resources, not 6"}},
			exact: true,
		},
		{
			name:  "next level on the last level",
			edits: []edit{{file: careerFile, old: "      - Explain technical strategy to engineers and leadership alike.\n", new: "      - Explain technical strategy to engineers and leadership alike.\n    next_level: the moon\n"}},
			want:  Problems{{careerFile, `level "architect"`, "next_level must be empty on the last level: there is no level above it"}},
			exact: true,
		},
		{
			name:  "unknown field (typo)",
			edits: []edit{{file: roadmapFile, old: "    title: Databases\n", new: "    titel: Databases\n"}},
			wantFn: func(t *testing.T, m fstest.MapFS) Problems {
				line := lineOf(t, m, roadmapFile, "titel: Databases")
				return Problems{
					{roadmapFile, `step "databases"`, fmt.Sprintf(`line %d: unknown field "titel"`, line)},
					{roadmapFile, `step "databases"`, "title is required"},
				}
			},
			exact: true,
		},
		{
			name:  "unknown field in a nested mapping",
			edits: []edit{{file: salariesFile, old: "      publisher: GeeksforGeeks\n", new: "      publsher: GeeksforGeeks\n"}},
			wantFn: func(t *testing.T, m fstest.MapFS) Problems {
				line := lineOf(t, m, salariesFile, "publsher:")
				return Problems{{salariesFile, `table "india-2025" / source`, fmt.Sprintf(`line %d: unknown field "publsher"`, line)}}
			},
			exact: true,
		},
		{
			name:  "unknown top-level key",
			edits: []edit{{file: tipsFile, old: "tips:\n", new: "tip:\n"}},
			want: Problems{
				{tipsFile, "", `line 3: unknown field "tip"`},
				{tipsFile, "", "at least one tip is required"},
			},
			exact: true,
		},
		{
			name:  "wrong type",
			edits: []edit{{file: careerFile, old: "years: {min: 5, max: 9}", new: "years: {min: two, max: 9}"}},
			wantFn: func(t *testing.T, m fstest.MapFS) Problems {
				line := lineOf(t, m, careerFile, "min: two")
				return Problems{{careerFile, `level "mid" / years`, fmt.Sprintf(`line %d: expected a whole number, found "two"`, line)}}
			},
			// not exact: the zero the decoder leaves also contradicts the salary band

		},
		{
			// Found by FuzzLoad: a quoted value or key with a newline, or a
			// custom tag, slipped past the rewrite and broke "one problem
			// per line" with a raw newline and Go type names.
			name:  "wrong type, the value spans lines",
			edits: []edit{{file: careerFile, old: "years: {min: 5, max: 9}", new: "years: {min: \"2\\n3\", max: 9}"}},
			wantFn: func(t *testing.T, m fstest.MapFS) Problems {
				line := lineOf(t, m, careerFile, `min: "2\n3"`)
				return Problems{{careerFile, `level "mid" / years`, fmt.Sprintf(`line %d: expected a whole number, found "2\n3"`, line)}}
			},
			// not exact: the zero the decoder leaves also contradicts the salary band

		},
		{
			name:  "wrong type with a custom tag",
			edits: []edit{{file: careerFile, old: "years: {min: 5, max: 9}", new: "years: {min: !two 2, max: 9}"}},
			wantFn: func(t *testing.T, m fstest.MapFS) Problems {
				line := lineOf(t, m, careerFile, "min: !two")
				return Problems{{careerFile, `level "mid" / years`, fmt.Sprintf(`line %d: expected a whole number, found "2"`, line)}}
			},
			// not exact: the zero the decoder leaves also contradicts the salary band

		},
		{
			name:  "unknown field whose name spans lines",
			edits: []edit{{file: tipsFile, old: "tips:\n", new: "\"ti\\nps\": 1\ntips:\n"}},
			want:  Problems{{tipsFile, "", `line 3: unknown field "ti\nps"`}},
			exact: true,
		},
		{
			name:  "duplicate key drops the step without a cascade of problems",
			edits: []edit{{file: roadmapFile, old: "    title: Databases\n", new: "    title: Databases\n    title: Data\n"}},
			wantFn: func(t *testing.T, m fstest.MapFS) Problems {
				line := lineOf(t, m, roadmapFile, "title: Data\n")
				return Problems{{roadmapFile, `step "databases"`, fmt.Sprintf(`line %d: mapping key "title" already defined at line %d`, line, line-1)}}
			},
			exact: true,
		},
		{
			name:  "YAML syntax error",
			edits: []edit{{file: tipsFile, old: "  - id: http-tools\n", new: "  - id: http-tools: curl\n"}},
			wantFn: func(t *testing.T, m fstest.MapFS) Problems {
				line := lineOf(t, m, tipsFile, "http-tools: curl")
				return Problems{{tipsFile, "", fmt.Sprintf("line %d: mapping values are not allowed in this context", line)}}
			},
			exact: true,
		},
		{
			name:  "second YAML document",
			edits: []edit{{file: tipsFile, old: "tips:\n", new: "tips:\n  - id: extra\n    text: More.\n---\ntips:\n"}},
			wantFn: func(t *testing.T, m fstest.MapFS) Problems {
				line := lineOf(t, m, tipsFile, "---\n")
				return Problems{{tipsFile, "", fmt.Sprintf("line %d: a file holds one YAML document; this is a second one", line)}}
			},
			exact: true,
		},
		{
			name:  "empty file",
			edits: []edit{{file: careerFile, old: "", new: ""}},
			want:  Problems{{careerFile, "", "at least one level is required"}},
			exact: true,
		},
		{
			name:  "missing file",
			edits: []edit{{file: tipsFile, remove: true}},
			want:  Problems{{tipsFile, "", "file is missing"}},
			exact: true,
		},
		{
			name:  "missing roadmap does not make every skill reference fail",
			edits: []edit{{file: roadmapFile, remove: true}},
			want:  Problems{{roadmapFile, "", "file is missing"}},
			exact: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := embeddedFiles(t)
			applyEdits(t, m, tt.edits)
			want := tt.want
			if tt.wantFn != nil {
				want = tt.wantFn(t, m)
			}
			p, err := Load(m)
			var got *Problems
			if !errors.As(err, &got) {
				t.Fatalf("Load = %v, %v; want *Problems", p, err)
			}
			if p != nil {
				t.Errorf("Load returned a pack together with problems")
			}
			if tt.exact {
				if diff := cmp.Diff(want, *got); diff != "" {
					t.Errorf("problems (-want +got):\n%s", diff)
				}
				return
			}
			for _, w := range want {
				if !contains(*got, w) {
					t.Errorf("missing problem\n\t%s\ngot:\n%s", w, got.Error())
				}
			}
		})
	}
}

func TestLoadReportsAllProblemsAtOnce(t *testing.T) {
	m := embeddedFiles(t)
	applyEdits(t, m, []edit{
		{file: roadmapFile, old: "https://www.postgresql.org/docs/current/queries.html", new: "http://www.postgresql.org/docs/current/queries.html"},
		{file: roadmapFile, old: "    title: Databases\n", new: ""},
		{file: skillsFile, old: "steps: [version-control]", new: "steps: [git]"},
		{file: careerFile, old: "years: {min: 10, max: 15}", new: "years: {min: 16, max: 15}"},
		{file: salariesFile, remove: true},
		{file: tipsFile, old: "  - id: read-code\n", new: "  - id: read-code\n    txet: typo\n"},
	})
	tipLine := lineOf(t, m, tipsFile, "txet: typo")
	want := Problems{
		{roadmapFile, `step "databases"`, "title is required"},
		{roadmapFile, `step "databases" / topic "sql" / resource 1`, "url must start with https://"},
		{skillsFile, `skill "version-control"`, `step "git" does not exist in roadmap.yaml`},
		{careerFile, `level "senior" / years`, "min (16) is greater than max (15)"},
		{salariesFile, "", "file is missing"},
		{tipsFile, `tip "read-code"`, fmt.Sprintf(`line %d: unknown field "txet"`, tipLine)},
	}
	_, err := Load(m)
	var got *Problems
	if !errors.As(err, &got) {
		t.Fatalf("Load = %v; want *Problems", err)
	}
	less := func(a, b Problem) bool { return a.String() < b.String() }
	if diff := cmp.Diff(want, *got, cmpopts.SortSlices(less)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if lines := strings.Count(err.Error(), "\n") + 1; lines != len(want) {
		t.Errorf("Error() has %d lines, want %d:\n%s", lines, len(want), err)
	}
}

func TestLoadAcceptsEmbeddedCopy(t *testing.T) {
	p, err := Load(embeddedFiles(t))
	if err != nil {
		t.Fatalf("Load = %v", err)
	}
	if diff := cmp.Diff(MustDefault(), p); diff != "" {
		t.Errorf("Load of a copy differs from Default (-want +got):\n%s", diff)
	}
}

func contains(ps Problems, p Problem) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// TestNoSalaryTables: a pack without salary figures is refused, since the
// salary command could only ever say it has none (found by FuzzLoad).
func TestNoSalaryTables(t *testing.T) {
	m := embeddedFiles(t)
	m[salariesFile] = &fstest.MapFile{Data: []byte("tables: []\n")}
	_, err := Load(m)
	if err == nil || !strings.Contains(err.Error(), "at least one salary table is required") {
		t.Errorf("Load = %v, want the missing tables reported", err)
	}
}

const langQuiz = "quiz/languages.yaml"

// TestQuizProblems: every rule of the question bank (QUIZ-SCHEMA.md) is
// reported against the question that breaks it.
func TestQuizProblems(t *testing.T) {
	const q1 = `question "languages/choose-a-language/1"`
	tests := []struct {
		name  string
		edits []edit
		want  Problems
	}{
		{
			name:  "duplicate id",
			edits: []edit{{file: langQuiz, old: "id: languages/choose-a-language/2\n", new: "id: languages/choose-a-language/1\n"}},
			want: Problems{
				{langQuiz, q1, `id "languages/choose-a-language/1" is already used by question 1 of quiz/languages.yaml`},
				{langQuiz, `topic "choose-a-language"`, "2 valid questions; every topic needs at least 3"},
			},
		},
		{
			name:  "unknown topic",
			edits: []edit{{file: langQuiz, old: "id: languages/tooling/3\n", new: "id: languages/toolin/3\n"}},
			want: Problems{
				{langQuiz, `question "languages/toolin/3"`, `topic "toolin" does not exist in step "languages"`},
				{langQuiz, `topic "tooling"`, "2 valid questions; every topic needs at least 3"},
			},
		},
		{
			name:  "id of another step",
			edits: []edit{{file: langQuiz, old: "id: languages/tooling/3\n", new: "id: databases/sql/1\n"}},
			want: Problems{
				{langQuiz, `question "databases/sql/1"`, `id must start with the file's step "languages"`},
				{langQuiz, `topic "tooling"`, "2 valid questions; every topic needs at least 3"},
			},
		},
		{
			name:  "id not step/topic/n",
			edits: []edit{{file: langQuiz, old: "id: languages/tooling/3\n", new: "id: languages/tooling/03\n"}},
			want: Problems{
				{langQuiz, `question "languages/tooling/03"`, "n in the id must be a number from 1 to 99"},
				{langQuiz, `topic "tooling"`, "2 valid questions; every topic needs at least 3"},
			},
		},
		{
			name: "answer not an option",
			edits: []edit{{file: langQuiz,
				old: "    answer: Keep going with Python until you can build a small service on your own\n",
				new: "    answer: Keep going with Python\n"}},
			want: Problems{
				{langQuiz, q1, "answer must be one of the options, word for word"},
				{langQuiz, `topic "choose-a-language"`, "2 valid questions; every topic needs at least 3"},
			},
		},
		{
			name: "two options only",
			edits: []edit{{file: langQuiz,
				old: "      - Learn both in parallel so you keep your options open\n", new: ""}},
			want: Problems{
				{langQuiz, q1, "2 options; a question needs 3 to 4"},
				{langQuiz, `topic "choose-a-language"`, "2 valid questions; every topic needs at least 3"},
			},
		},
		{
			name: "repeated option",
			edits: []edit{{file: langQuiz,
				old: "      - Learn both in parallel so you keep your options open\n", new: "      - Switch to Go now, since speed matters most\n"}},
			want: Problems{
				{langQuiz, q1, "option 3 repeats an earlier option"},
				{langQuiz, `topic "choose-a-language"`, "2 valid questions; every topic needs at least 3"},
			},
		},
		{
			name: "option too long for a button",
			edits: []edit{{file: langQuiz,
				old: "      - Switch to Go now, since speed matters most\n", new: "      - Switch to Go now, since speed matters most, more than anything else you could think of\n"}},
			want: Problems{
				{langQuiz, q1, "option 1 is 86 characters; at most 80 fit a button"},
				{langQuiz, `topic "choose-a-language"`, "2 valid questions; every topic needs at least 3"},
			},
		},
		{
			name: "question and explain too long",
			edits: []edit{
				{file: langQuiz, old: "      You have studied Python", new: "      " + strings.Repeat("x", 300) + " You have studied Python"},
				{file: langQuiz, old: "      The concepts (HTTP", new: "      " + strings.Repeat("y", 300) + " The concepts (HTTP"},
			},
			want: Problems{
				{langQuiz, q1, "question is 432 characters; at most 300 fit"},
				{langQuiz, q1, "explain is 425 characters; at most 300 fit"},
				{langQuiz, `topic "choose-a-language"`, "2 valid questions; every topic needs at least 3"},
			},
		},
		{
			name:  "unknown field",
			edits: []edit{{file: langQuiz, old: "    explain: >-\n", new: "    explian: >-\n"}},
			want:  nil, // checked below: the line depends on the file
		},
		{
			name:  "a file for no step",
			edits: []edit{{file: langQuiz, old: "", new: "questions: []\n"}},
			want: Problems{
				{langQuiz, `topic "choose-a-language"`, "0 valid questions; every topic needs at least 3"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := embeddedFiles(t)
			applyEdits(t, m, tt.edits)
			_, err := Load(m)
			var got *Problems
			if !errors.As(err, &got) {
				t.Fatalf("Load = %v; want *Problems", err)
			}
			if tt.want == nil {
				if !strings.Contains(err.Error(), `unknown field "explian"`) || !strings.Contains(err.Error(), q1) {
					t.Errorf("problems = %s; want the unknown field named on question 1", err)
				}
				return
			}
			for _, w := range tt.want {
				if !contains(*got, w) {
					t.Errorf("missing problem\n\t%s\ngot:\n%s", w, got.Error())
				}
			}
		})
	}
}

// TestQuizFiles: a step without a quiz file is allowed (the bank is written
// step by step), a file named for no step is not, and the answer index comes
// from the answer text.
func TestQuizFiles(t *testing.T) {
	m := embeddedFiles(t)
	m["quiz/nosuch.yaml"] = &fstest.MapFile{Data: []byte("questions: []\n")}
	_, err := Load(m)
	if err == nil || !strings.Contains(err.Error(), `quiz/nosuch.yaml: step "nosuch" does not exist in roadmap.yaml`) {
		t.Errorf("Load = %v; want the stray file reported", err)
	}

	delete(m, "quiz/nosuch.yaml")
	delete(m, langQuiz)
	p, err := Load(m)
	if err != nil {
		t.Fatalf("Load without the languages quiz = %v", err)
	}
	if n := len(p.StepQuestions("languages")); n != 0 {
		t.Errorf("%d languages questions without the file", n)
	}

	p = MustDefault()
	q, ok := p.Question("languages/choose-a-language/1")
	if !ok {
		t.Fatal("question languages/choose-a-language/1 not found")
	}
	if q.Step != "languages" || q.Topic != "choose-a-language" || q.N != 1 || q.Options[q.Answer] != "Keep going with Python until you can build a small service on your own" {
		t.Errorf("question = %+v", q)
	}
	if n := len(p.TopicQuestions("languages", "tooling")); n < 3 {
		t.Errorf("%d tooling questions", n)
	}
	if _, ok := p.Question("languages/nope/1"); ok {
		t.Error("an unknown id was found")
	}
}
