package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

// newMain returns a Main as main() would build it from an empty
// environment, with its data in dir and its streams on buffers.
func newMain(dir string) (*Main, *bottest.Buffer, *bottest.Buffer) {
	cfg := validConfig()
	cfg.DataDir = dir
	stdout, stderr := bottest.NewBuffer(), bottest.NewBuffer()
	return &Main{Config: cfg, Stdin: strings.NewReader(""), Stdout: stdout, Stderr: stderr, User: "ana"}, stdout, stderr
}

// runMain runs one Main with args to the end, as main() does, and returns
// what it printed and its error.
func runMain(t *testing.T, dir string, args ...string) (stdout string, err error) {
	t.Helper()
	m, out, errOut := newMain(dir)
	err = m.Run(context.Background(), args)
	if cerr := m.Close(); cerr != nil {
		t.Errorf("Close: %v", cerr)
	}
	if s := errOut.String(); s != "" && err == nil {
		t.Errorf("coachbot %q logged on stderr, which should stay quiet on the console:\n%s", args, s)
	}
	return out.String(), err
}

// ask runs `coachbot ask LINE` and fails the test if it returns an error.
func ask(t *testing.T, dir, line string) string {
	t.Helper()
	out, err := runMain(t, dir, "ask", line)
	if err != nil {
		t.Fatalf("coachbot ask %q: %v", line, err)
	}
	return out
}

// exported is the part of `export` these tests look at.
type exported struct {
	User      string            `json:"user"`
	Created   *time.Time        `json:"created"`
	Steps     []string          `json:"roadmap_steps_done"`
	Reminders []json.RawMessage `json:"reminders"`
}

// export asks a fresh Main for the user's data and decodes the JSON.
func export(t *testing.T, dir string) exported {
	t.Helper()
	out := ask(t, dir, "export")
	start, end := strings.Index(out, "{"), strings.LastIndex(out, "}")
	if start < 0 || end < start {
		t.Fatalf("export printed no JSON:\n%s", out)
	}
	var e exported
	if err := json.Unmarshal([]byte(out[start:end+1]), &e); err != nil {
		t.Fatalf("export printed JSON that does not decode: %v\n%s", err, out)
	}
	if e.User != "console:ana" {
		t.Fatalf("export is of %q, want console:ana", e.User)
	}
	return e
}

func TestAsk(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"salary mid", []string{"ask", "salary mid"}, []string{"₹10 L – ₹14 L", "a year", "India", "2025", "Source:"}},
		{"words as separate arguments", []string{"ask", "salary", "mid"}, []string{"₹10 L – ₹14 L"}},
		{"slash and umbrella", []string{"ask", "/coach salary senior"}, []string{"₹15 L – ₹20 L"}},
		{"help", []string{"ask", "help"}, []string{"What I can do", "roadmap", "remind"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runMain(t, t.TempDir(), tt.args...)
			if err != nil {
				t.Fatalf("Run(%q) = %v", tt.args, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("Run(%q) printed no %q:\n%s", tt.args, w, out)
				}
			}
		})
	}
}

// TestAskKeepsProgress checks that the embedded store keeps what one run
// wrote for the next run on the same data directory.
func TestAskKeepsProgress(t *testing.T) {
	dir := t.TempDir()
	if out := ask(t, dir, "roadmap done 1"); !strings.Contains(out, "Step done") {
		t.Fatalf("roadmap done 1 printed:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "coachbot.db")); err != nil {
		t.Errorf("no data file in COACH_DATA_DIR: %v", err)
	}
	out := ask(t, dir, "roadmap next")
	if !strings.Contains(out, "Step 2 of 8") {
		t.Errorf("after roadmap done 1, a new run's roadmap next printed:\n%s", out)
	}
	// And another data directory is another memory.
	if out := ask(t, t.TempDir(), "roadmap next"); !strings.Contains(out, "Step 1 of 8") {
		t.Errorf("in a fresh data directory roadmap next printed:\n%s", out)
	}
}

// TestAskInvalid checks that a command the bot cannot carry out says what
// would have been valid and stores nothing.
func TestAskInvalid(t *testing.T) {
	tests := []struct {
		line string
		want []string // all printed
	}{
		{"salary wizard", []string{`"wizard"`, "junior, mid, senior, lead or architect"}},
		{"remind daily 25:00", []string{`"25:00"`, "HH:MM", "19:00"}},
		{"remind daily 9:60", []string{`"9:60"`, "HH:MM"}},
		{"remind daily 09:00 Mars/Olympus", []string{`"Mars/Olympus"`, "IANA", "Europe/London"}},
		{"remind daily 09:00 Europe/London someday", []string{"someday"}},
		{"remind in forever", []string{`"forever"`, "45m"}},
		{"roadmap step 99", []string{`"99"`, "1 to 8"}},
		{"roadmap done 99", []string{`"99"`, "1 to 8"}},
		{"roadmap done", []string{"needs N", "roadmap done N"}},
		{"forget now", []string{"confirm"}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			dir := t.TempDir()
			// A user error exits 1 (DESIGN §7): Run returns a coded error,
			// after printing the reply that says what was wrong.
			out, err := runMain(t, dir, "ask", tt.line)
			if bot.ErrorCode(err) != bot.Invalid {
				t.Errorf("ask %q returned %v, want an invalid error (exit 1)", tt.line, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("ask %q printed no %q:\n%s", tt.line, w, out)
				}
			}
			e := export(t, dir)
			if len(e.Steps) != 0 || len(e.Reminders) != 0 || e.Created != nil {
				t.Errorf("after ask %q the store holds %+v, want nothing", tt.line, e)
			}
		})
	}
}

// TestExportSeesWrites is the control for TestAskInvalid: export does show
// what valid commands store, so "nothing stored" there means something.
func TestExportSeesWrites(t *testing.T) {
	dir := t.TempDir()
	ask(t, dir, "remind daily 09:00 Asia/Kolkata weekdays")
	ask(t, dir, "roadmap done 2")
	e := export(t, dir)
	if len(e.Reminders) != 1 || len(e.Steps) != 1 || e.Created == nil {
		t.Errorf("export after a reminder and a step = %+v, want one of each and a created time", e)
	}
}

func TestConsole(t *testing.T) {
	tests := []struct {
		name     string
		terminal bool
		want     []string
	}{
		{"piped", false, []string{"₹10 L – ₹14 L", "What I can do"}},
		{"terminal", true, []string{"Ctrl-D", "> ", "₹10 L – ₹14 L", "What I can do"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, out, _ := newMain(t.TempDir())
			m.Stdin = strings.NewReader("salary mid\nhelp\n")
			m.Terminal = tt.terminal
			done := make(chan error, 1)
			go func() { done <- m.Run(context.Background(), nil) }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run = %v, want nil at the end of input", err)
				}
			case <-time.After(bottest.WaitLimit):
				t.Fatal("the console did not return at the end of its input")
			}
			if err := m.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			got := out.String()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("console printed no %q:\n%s", w, got)
				}
			}
			if i, j := strings.Index(got, "₹10 L"), strings.Index(got, "What I can do"); i > j {
				t.Errorf("replies out of order:\n%s", got)
			}
			if !tt.terminal && strings.Contains(got, "Ctrl-D") {
				t.Errorf("piped console printed the greeting:\n%s", got)
			}
		})
	}
}

// TestConsoleReminder runs the console as the program wires it: the
// reminder loop runs beside it and prints a due reminder, on the store's
// (fake) clock.
func TestConsoleReminder(t *testing.T) {
	m, out, _ := newMain(t.TempDir())
	clock := bottest.NewClock(bottest.Start)
	m.Clock = clock
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	m.Stdin = pr

	done := make(chan error, 1)
	go func() { done <- m.Run(context.Background(), nil) }()

	if _, err := io.WriteString(pw, "remind in 10m\n"); err != nil {
		t.Fatal(err)
	}
	out.WaitFor(t, "I'll remind you in 10 minutes")
	clock.Advance(10 * time.Minute)
	out.WaitFor(t, "🔔 Reminder")
	out.WaitFor(t, "  → remind snooze 1h  (Snooze 1 hour)")

	pw.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(bottest.WaitLimit):
		t.Fatal("the console did not return at the end of its input")
	}
	if err := m.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if n := strings.Count(out.String(), "🔔 Reminder"); n != 1 {
		t.Errorf("the reminder was printed %d times, want once:\n%s", n, out.String())
	}
}

// packDir returns a copy of the embedded content pack's files in a temp
// dir, after edit has changed them.
func packDir(t *testing.T, edit func(files map[string]string)) string {
	t.Helper()
	src := filepath.Join(moduleRoot(t), "content", "pack")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".yaml" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(b)
	}
	if len(files) == 0 {
		t.Fatalf("no .yaml files in %s", src)
	}
	edit(files)
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// replaceOnce changes the one occurrence of old in the named file.
func replaceOnce(t *testing.T, files map[string]string, name, old, new string) {
	t.Helper()
	if n := strings.Count(files[name], old); n != 1 {
		t.Fatalf("%s holds %q %d times, want once: the test's edit no longer fits the pack", name, old, n)
	}
	files[name] = strings.Replace(files[name], old, new, 1)
}

// brokenPacks are copies of the embedded pack with one mistake each, and
// the problem line `content check` must print for it.
var brokenPacks = []struct {
	name string
	edit func(t *testing.T, files map[string]string)
	want string
}{
	{
		name: "skill refers to a missing step",
		edit: func(t *testing.T, f map[string]string) {
			replaceOnce(t, f, "skills.yaml", "steps: [databases]", "steps: [databasez]")
		},
		want: `skills.yaml: skill "database-management": step "databasez" does not exist in roadmap.yaml`,
	},
	{
		name: "salary that is not a number",
		edit: func(t *testing.T, f map[string]string) {
			replaceOnce(t, f, "salaries.yaml", "min: 10\n", "min: ten\n")
		},
		want: `salaries.yaml: table "india-2025" / band "mid": line `,
	},
	{
		name: "file missing",
		edit: func(t *testing.T, f map[string]string) { delete(f, "tips.yaml") },
		want: "tips.yaml: file is missing",
	},
}

func TestContentCheck(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		out, err := runMain(t, t.TempDir(), "content", "check")
		if err != nil {
			t.Fatalf("content check = %v\n%s", err, out)
		}
		// One line of counts, in the singular where there is one (issue 12).
		if !strings.Contains(out, "the embedded content pack is valid: 8 steps, 53 topics (262 hours of study), 7 skills, 5 career levels, 1 salary table (3 bands), 17 tips, 182 questions.") {
			t.Errorf("content check printed:\n%s", out)
		}
	})
	t.Run("good copy", func(t *testing.T) {
		dir := packDir(t, func(map[string]string) {})
		out, err := runMain(t, t.TempDir(), "content", "check", dir)
		if err != nil {
			t.Fatalf("content check %s = %v\n%s", dir, err, out)
		}
		if !strings.Contains(out, dir+" is valid") {
			t.Errorf("content check printed:\n%s", out)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "nope")
		out, err := runMain(t, t.TempDir(), "content", "check", dir)
		if err == nil || !strings.Contains(out, dir+": directory does not exist") {
			t.Errorf("content check %s = %v, printed:\n%s", dir, err, out)
		}
	})
	for _, bp := range brokenPacks {
		t.Run(bp.name, func(t *testing.T) {
			dir := packDir(t, func(f map[string]string) { bp.edit(t, f) })
			out, err := runMain(t, t.TempDir(), "content", "check", dir)
			if err == nil {
				t.Fatalf("content check of a broken pack = nil error; printed:\n%s", out)
			}
			if !hasLinePrefix(out, bp.want) {
				t.Errorf("content check printed no line starting %q:\n%s", bp.want, out)
			}
			// The count in the heading matches the lines listed under it.
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if want := fmt.Sprintf("%s has %d problem(s):", dir, len(lines)-1); lines[0] != want {
				t.Errorf("content check heading is %q, want %q:\n%s", lines[0], want, out)
			}
		})
	}
}

func hasLinePrefix(s, prefix string) bool {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// TestBadContentDir checks that COACH_CONTENT_DIR pointing at a broken
// pack stops start-up with the problem report, before anything runs.
func TestBadContentDir(t *testing.T) {
	for _, bp := range brokenPacks {
		t.Run(bp.name, func(t *testing.T) {
			m, out, _ := newMain(t.TempDir())
			m.Config.ContentDir = packDir(t, func(f map[string]string) { bp.edit(t, f) })
			err := m.Run(context.Background(), []string{"ask", "help"})
			m.Close()
			if err == nil {
				t.Fatalf("ask with a broken COACH_CONTENT_DIR = nil error; printed:\n%s", out)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "COACH_CONTENT_DIR: ") || !hasLinePrefix(msg, bp.want) {
				t.Errorf("error = %q, want it to start with COACH_CONTENT_DIR and hold a line starting %q", msg, bp.want)
			}
			if out.String() != "" {
				t.Errorf("the bot answered despite the broken pack:\n%s", out)
			}
		})
	}
	t.Run("good pack is used", func(t *testing.T) {
		m, out, _ := newMain(t.TempDir())
		m.Config.ContentDir = packDir(t, func(f map[string]string) {
			replaceOnce(t, f, "salaries.yaml", "min: 10\n", "min: 11\n")
		})
		if err := m.Run(context.Background(), []string{"ask", "salary mid"}); err != nil {
			t.Fatal(err)
		}
		m.Close()
		if !strings.Contains(out.String(), "₹11 L – ₹14 L") {
			t.Errorf("ask with COACH_CONTENT_DIR did not answer from that pack:\n%s", out)
		}
	})
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"ask"}, "ask needs a command line"},
		{[]string{"content"}, "coachbot content check [DIR]"},
		{[]string{"content", "validate"}, "coachbot content check [DIR]"},
		{[]string{"content", "check", "a", "b"}, "coachbot content check [DIR]"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			dir := t.TempDir()
			out, err := runMain(t, dir, tt.args...)
			var u usageError
			if !errors.As(err, &u) {
				t.Fatalf("Run(%q) = %v, want a usage error (exit status 2)", tt.args, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run(%q) = %q, want it to say %q", tt.args, err, tt.want)
			}
			if out != "" {
				t.Errorf("Run(%q) printed %q, want nothing on stdout", tt.args, out)
			}
			// A mistake on the command line touches no data.
			if _, err := os.Stat(filepath.Join(dir, "coachbot.db")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("Run(%q) created the data file (stat: %v)", tt.args, err)
			}
		})
	}
	t.Run("help", func(t *testing.T) {
		out, err := runMain(t, t.TempDir(), "help")
		if err != nil || !strings.Contains(out, `coachbot ask "COMMAND LINE"`) {
			t.Errorf("help = %v, printed:\n%s", err, out)
		}
	})
}

// TestSecondProcess opens the same data directory twice at once: the
// second gets a friendly error naming the file, not a hang.
func TestSecondProcess(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	first, _, _ := newMain(dir)
	if err := first.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer first.Close()

	out, err := runMain(t, dir, "ask", "help")
	if err == nil {
		t.Fatalf("a second coachbot on the same data directory answered:\n%s", out)
	}
	want := "another coachbot is using " + filepath.Join(dir, "coachbot.db")
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q, want it to say %q", err, want)
	}
	if msg := bot.ErrorMessage(err); !strings.HasPrefix(msg, want) {
		t.Errorf("the user-safe message is %q, want it to start with %q", msg, want)
	}
	if out != "" {
		t.Errorf("the second coachbot printed %q", out)
	}

	// Once the first one is gone, the directory is usable again.
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if out := ask(t, dir, "salary mid"); !strings.Contains(out, "₹10 L – ₹14 L") {
		t.Errorf("after the first closed: %s", out)
	}
}

// moduleRoot walks up from the working directory to go.mod.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// putReminder sets r as its user's reminder of its kind, as the bot does.
func putReminder(ctx context.Context, s bot.Store, r bot.Reminder) error {
	_, err := s.UpdateUser(ctx, r.User, func(u *bot.User) error { u.SetReminder(r); return nil })
	return err
}

// TestAskZone: ask picks the time zone as the console does, the machine's
// before the one chosen before, and names it (issue 12).
func TestAskZone(t *testing.T) {
	t.Setenv("TZ", "Asia/Tokyo")
	dir := t.TempDir()
	out := ask(t, dir, "remind daily 19:00")
	for _, w := range []string{"(Asia/Tokyo)", "this computer's time zone, Asia/Tokyo"} {
		if !strings.Contains(out, w) {
			t.Errorf("ask remind daily 19:00 printed no %q:\n%s", w, out)
		}
	}
	// The console, on the same machine, says the same.
	m, stdout, _ := newMain(t.TempDir())
	m.Stdin = strings.NewReader("remind daily 19:00\n")
	if err := m.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "this computer's time zone, Asia/Tokyo") {
		t.Errorf("the console printed:\n%s", stdout.String())
	}
	// A typed zone wins, and nothing says it came from the machine.
	out = ask(t, dir, "remind daily 19:00 Europe/Paris")
	if !strings.Contains(out, "(Europe/Paris)") || strings.Contains(out, "computer") {
		t.Errorf("ask with a typed zone printed:\n%s", out)
	}
}

// TestCardVerb writes the console user's progress card with `coachbot
// card -o FILE` after a check-in, and refuses a command line without -o.
func TestCardVerb(t *testing.T) {
	dir := t.TempDir()
	ask(t, dir, "checkin 45m")
	path := filepath.Join(dir, "card.png")
	out, err := runMain(t, dir, "card", "-o", path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Wrote your progress card") {
		t.Errorf("card printed %q", out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		t.Errorf("card.png: %v", err)
	}
	var u usageError
	if _, err := runMain(t, dir, "card"); !errors.As(err, &u) {
		t.Errorf("card without -o: %v, want a usage error", err)
	}
}
