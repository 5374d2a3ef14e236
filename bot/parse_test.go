package bot

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coachbot/coachbot/content"
)

func testSpec(t *testing.T) *Spec {
	t.Helper()
	return NewSpec(content.MustDefault())
}

func TestParse(t *testing.T) {
	s := testSpec(t)
	tests := []struct {
		line string
		path string
		args map[string]string
	}{
		{"roadmap", "roadmap overview", nil},
		{"/roadmap", "roadmap overview", nil},
		{"coach roadmap", "roadmap overview", nil},
		{"/coach roadmap all", "roadmap overview", nil},
		{"roadmap next", "roadmap next", nil},
		{"  ROADMAP   Next  ", "roadmap next", nil},
		{"roadmap step 3", "roadmap step", map[string]string{"step": "frameworks"}},
		{"roadmap step databases", "roadmap step", map[string]string{"step": "databases"}},
		{"roadmap done 1", "roadmap done", map[string]string{"step": "languages"}},
		{"roadmap undo 8", "roadmap undo", map[string]string{"step": "projects"}},
		{"roadmap reset", "roadmap reset", nil},
		{"roadmap reset confirm", "roadmap reset", map[string]string{"confirm": "confirm"}},
		{"skills", "skills", nil},
		{"skills security", "skills", map[string]string{"skill": "security"}},
		{"skills Database Management", "skills", map[string]string{"skill": "database-management"}},
		{"skill git", "skills", map[string]string{"skill": "version-control"}},
		{"salary", "salary", nil},
		{"salary mid", "salary", map[string]string{"level": "mid"}},
		{"salary mid-level", "salary", map[string]string{"level": "mid"}},
		{"salary junior", "salary", map[string]string{"level": "junior"}},
		{"salary entry", "salary", map[string]string{"level": "junior"}},
		// One set of level words for career and salary (issue 12).
		{"salary beginner", "salary", map[string]string{"level": "junior"}},
		{"salary fresher", "salary", map[string]string{"level": "junior"}},
		{"career beginner", "career", map[string]string{"level": "junior"}},
		{"career experienced", "career", map[string]string{"level": "senior"}},
		{"salary lead", "salary", map[string]string{"level": "lead"}},
		{"career backend architect", "career", map[string]string{"level": "architect"}},
		{"salary Mid-Level Developer", "salary", map[string]string{"level": "mid"}},
		// Steps and skills by the words of their titles (issue 12).
		{"roadmap step hosting", "roadmap step", map[string]string{"step": "servers"}},
		{"roadmap step web servers", "roadmap step", map[string]string{"step": "servers"}},
		{"roadmap step programming languages", "roadmap step", map[string]string{"step": "languages"}},
		{"roadmap step git", "roadmap step", map[string]string{"step": "version-control"}},
		{"roadmap done web servers", "roadmap done", map[string]string{"step": "servers"}},
		{"skills cloud services", "skills", map[string]string{"skill": "cloud-deployment"}},
		// Greetings and questions get the welcome; their words are dropped.
		{"hi", "welcome", nil},
		{"Hello!", "welcome", nil},
		{"hey there", "welcome", nil},
		{"start", "welcome", nil},
		{"ok", "welcome", nil},
		{"what should I learn next?", "welcome", nil},
		{"how do I start", "welcome", nil},
		{"where is the roadmap?", "welcome", nil},
		// "help me" is the general help, not help for progress ("me").
		{"help me", "help", nil},
		{"help me please", "help", nil},
		{"help me with remind", "help", map[string]string{"command": "remind"}},
		{"help coach", "help", map[string]string{"command": "coach"}},
		{"hi " + strings.Repeat("é", MaxLineLength-3), "welcome", nil}, // 500 characters (997 bytes) is not too long
		{"salary senior", "salary", map[string]string{"level": "senior"}},
		{"salary Experienced", "salary", map[string]string{"level": "senior"}},
		{"career", "career", nil},
		{"career architect", "career", map[string]string{"level": "architect"}},
		{"career principal", "career", map[string]string{"level": "lead"}},
		{"progress", "progress", nil},
		{"checkin", "checkin", nil},
		{"check-in", "checkin", nil},
		{"remind", "remind status", nil},
		{"remind daily 19:00", "remind daily", map[string]string{"time": "19:00"}},
		{"remind daily 7:30", "remind daily", map[string]string{"time": "07:30"}},
		{"remind daily 07:30 Asia/Kolkata", "remind daily", map[string]string{"time": "07:30", "zone": "Asia/Kolkata"}},
		{"remind daily 07:30 asia/kolkata", "remind daily", map[string]string{"time": "07:30", "zone": "Asia/Kolkata"}},
		{"remind daily 07:30 weekdays", "remind daily", map[string]string{"time": "07:30", "days": "weekdays"}},
		{"remind daily 18:00 Europe/Berlin mon,wed,fri", "remind daily", map[string]string{"time": "18:00", "zone": "Europe/Berlin", "days": "mon,wed,fri"}},
		{"remind daily 18:00 UTC weekends", "remind daily", map[string]string{"time": "18:00", "zone": "UTC", "days": "weekends"}},
		{"remind daily 18:00 every day", "remind daily", map[string]string{"time": "18:00", "days": "daily"}},
		{"remind in 45m", "remind in", map[string]string{"delay": "45m"}},
		{"remind in 90m", "remind in", map[string]string{"delay": "1h30m"}},
		{"remind snooze 1h", "remind snooze", map[string]string{"delay": "1h"}},
		{"remind off", "remind off", nil},
		{"remind stop", "remind off", nil},
		{"remind status", "remind status", nil},
		{"tip", "tip", nil},
		{"export", "export", nil},
		{"forget", "forget", nil},
		{"forget confirm", "forget", map[string]string{"confirm": "confirm"}},
		{"help", "help", nil},
		{"", "help", nil},
		{"/coach", "help", nil},
		{"help remind daily", "help", map[string]string{"command": "remind daily"}},
		{"? salary", "help", map[string]string{"command": "salary"}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			p, err := s.Parse(tt.line)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.line, err)
			}
			if got := p.Command.Path(); got != tt.path {
				t.Errorf("command = %q, want %q", got, tt.path)
			}
			want := tt.args
			if want == nil {
				want = map[string]string{}
			}
			if diff := cmp.Diff(want, p.Args); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
			// The canonical line parses back to the same thing: Discord
			// builds lines from typed options and relies on this.
			again, err := s.Parse(p.Line())
			if err != nil || again.Command != p.Command || !cmp.Equal(again.Args, p.Args) {
				t.Errorf("Parse(Line() = %q) = %v, %v; want the same command and args", p.Line(), again, err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	s := testSpec(t)
	tests := []struct {
		line string
		want []string // fragments the message must contain
	}{
		{"roadmp", []string{`I don't know the command "roadmp"`, "Did you mean **roadmap**?", "help"}},
		{"salery mid", []string{`"salery"`, "Did you mean **salary**?"}},
		{"dance", []string{`I don't know the command "dance"`, "help"}},
		{"roadmap nxt", []string{"I don't know **roadmap nxt**", "Did you mean **roadmap next**?", "**Usage**", "- roadmap step N"}},
		{"roadmap step", []string{"**roadmap step** needs N", "**Usage**\n- roadmap step N"}},
		{"roadmap step 99", []string{`There is no step "99"`, "steps 1 to 8"}},
		{"roadmap done 0", []string{`There is no step "0"`}},
		{"roadmap done cooking", []string{`There is no step "cooking"`, "1 languages, 2 databases", "7 version-control"}},
		{"roadmap step web cooking", []string{`There is no step "web cooking"`}},
		// Suggestions name what matched, and only what the input resembles.
		{"stat", []string{"Did you mean **stats**?"}},
		{"carrer", []string{"Did you mean **career**?"}},
		{"roadmap next please", []string{`I didn't expect "please"`, "roadmap next"}},
		{"salary wizard", []string{`I don't know the level "wizard"`, "Choose junior, mid, senior, lead or architect."}},
		{"career intern", []string{`I don't know the level "intern"`, "junior, mid, senior, lead or architect"}},
		{"skills cooking", []string{`I don't know the skill "cooking"`, "programming-languages"}},
		{"remind daily", []string{"**remind daily** needs HH:MM", "remind daily HH:MM [TZ] [DAYS]"}},
		{"remind daily 25:00", []string{`"25:00" is not a time of day`, "HH:MM"}},
		{"remind daily 9:61", []string{`"9:61" is not a time of day`}},
		{"remind daily 09:00 Mars/Olympus", []string{`I don't know the time zone "Mars/Olympus"`, "IANA", "Europe/London"}},
		{"remind daily 09:00 UTC funday,mon", []string{`I don't understand the days`, "weekdays"}},
		{"remind daily 09:00 UTC weekdays extra", []string{`I don't understand the days "weekdays extra"`}},
		{"remind daily 09:00 UTC Europe/Paris", []string{`I don't understand the days "Europe/Paris"`}},
		{"remind daily 09:00 Europe/London someday", []string{`I don't understand the days "someday"`, "weekdays, weekends, daily"}},
		{"remind in", []string{"**remind in** needs DURATION"}},
		{"remind in soon", []string{`"soon" is not a delay`}},
		{"remind in 30d", []string{"between 1 minute and 7 days"}},
		{"remind tomorrow", []string{"I don't know **remind tomorrow**", "remind daily HH:MM [TZ] [DAYS]"}},
		// Found by FuzzParse: a subcommand quoted back without %q showed
		// control and format characters raw.
		{"roadmap \x00x\u202e", []string{"I don't know **roadmap \ufffdx\ufffd**"}},
		{"forget please", []string{"type the word **confirm**"}},
		{"help dance", []string{`There is no command "dance"`}},
		{strings.Repeat("x", MaxLineLength+1), []string{"too long"}},
		{"roadmap \xff", []string{"too long"}},
	}
	for _, tt := range tests {
		name := tt.line
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			_, err := s.Parse(tt.line)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want an error", tt.line)
			}
			if ErrorCode(err) != Invalid {
				t.Errorf("code = %q, want invalid", ErrorCode(err))
			}
			msg := ErrorMessage(err)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q\nlacks %q", msg, w)
				}
			}
		})
	}
}

// TestSpecShape checks what platforms require of the spec: Discord limits
// names and descriptions, and every leaf must run something.
func TestSpecShape(t *testing.T) {
	s := testSpec(t)
	var walk func(c *Command)
	walk = func(c *Command) {
		t.Run(c.Path(), func(t *testing.T) {
			if c.Name != strings.ToLower(c.Name) || c.Name == "" || len(c.Name) > 32 {
				t.Errorf("name %q: want 1-32 lower-case characters", c.Name)
			}
			if c.Summary == "" || len(c.Summary) > 100 {
				t.Errorf("summary %q: want 1-100 characters", c.Summary)
			}
			if len(c.Subs) > 0 && len(c.Args) > 0 {
				t.Error("a command has either subcommands or arguments")
			}
			if len(c.Subs) == 0 && c.run == nil {
				t.Error("leaf command has no handler")
			}
			if c.Default != "" && c.Sub(c.Default) == nil {
				t.Errorf("default subcommand %q does not exist", c.Default)
			}
			for i, a := range c.Args {
				if a.Name == "" || a.Name != strings.ToLower(a.Name) || a.Summary == "" || len(a.Summary) > 100 || a.Placeholder == "" {
					t.Errorf("arg %+v: want a lower-case name, a placeholder and a 1-100 character summary", a)
				}
				if a.Rest && i != len(c.Args)-1 {
					t.Errorf("arg %q takes the rest of the line but is not last", a.Name)
				}
				if a.Kind == ArgChoice && len(a.Choices) == 0 {
					t.Errorf("choice arg %q has no choices", a.Name)
				}
			}
			for _, ex := range c.Examples {
				p, err := s.Parse(ex)
				if err != nil {
					t.Errorf("example %q does not parse: %v", ex, err)
				} else if p.Command != c {
					t.Errorf("example %q runs %q", ex, p.Command.Path())
				}
			}
		})
		for _, sub := range c.Subs {
			walk(sub)
		}
	}
	for _, c := range s.Commands {
		walk(c)
	}
}

func TestSuggest(t *testing.T) {
	s := testSpec(t)
	tests := []struct{ word, want string }{
		{"roadmp", " Did you mean **roadmap**?"},
		{"road", " Did you mean **roadmap**?"},
		{"slary", " Did you mean **salary**?"},
		{"chekin", " Did you mean **checkin**?"},
		{"xyzzy", ""},
		{"a", ""},
		// Issue 12: name what matched, never a command the word does not resemble.
		{"hi", ""},   // was "Did you mean **progress**?" (by its alias "me")
		{"what", ""}, // a question word resembles no command
		{"stat", " Did you mean **stats**?"},
		{"rem", " Did you mean **remind**?"},
	}
	for _, tt := range tests {
		if got := s.suggest(tt.word, s.Commands, ""); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}
