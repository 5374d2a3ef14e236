package console_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/coachbot/coachbot/adapters/console"
	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

// run runs c until it returns, failing the test if it does not return.
func run(t *testing.T, ctx context.Context, c *console.Console) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	select {
	case err := <-done:
		return err
	case <-time.After(bottest.WaitLimit):
		t.Fatal("Console.Run did not return")
		return nil
	}
}

// expect renders what a fresh bot answers user for each line, the way the
// console prints it (one blank line after each reply).
func expect(t *testing.T, user string, lines ...string) string {
	t.Helper()
	h := bottest.New(t)
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(console.Render(h.SayAs(bot.ConsoleUser(user), l)) + "\n")
	}
	return b.String()
}

func TestRun(t *testing.T) {
	tests := []struct {
		name  string
		input string
		// said lists the command lines the console must have answered, in
		// order; the expected output is what a fresh bot replies to them.
		said []string
	}{
		{
			name:  "several lines with blanks, slash and umbrella word",
			input: "help\n\n   \n/salary mid\ncoach roadmap next\n",
			said:  []string{"help", "salary mid", "roadmap next"},
		},
		{
			name:  "last line without newline",
			input: "salary mid\ntip",
			said:  []string{"salary mid", "tip"},
		},
		{
			name:  "CRLF line ends and surrounding spaces",
			input: "  salary mid  \r\n\r\nhelp remind\r\n",
			said:  []string{"salary mid", "help remind"},
		},
		{name: "empty input", input: "", said: nil},
		{name: "only blank lines", input: "\n\n\n", said: nil},
		{
			name:  "quit stops early",
			input: "salary mid\nquit\nhelp\n",
			said:  []string{"salary mid"},
		},
		{
			name:  "EXIT in capitals stops early",
			input: "help remind\n  EXIT  \nsalary\n",
			said:  []string{"help remind"},
		},
		{
			name:  "quit as the first line prints nothing",
			input: "quit\nhelp\n",
			said:  nil,
		},
		{
			name:  "a typo gets the bot's suggestion",
			input: "salery mid\n",
			said:  []string{"salery mid"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := bottest.New(t)
			out := bottest.NewBuffer()
			c := console.New(h.Bot, console.Config{In: strings.NewReader(tt.input), Out: out, User: "ana"})
			if err := run(t, context.Background(), c); err != nil {
				t.Fatalf("Run returned %v, want nil at the end of input", err)
			}
			if diff := cmp.Diff(expect(t, "ana", tt.said...), out.String()); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRunSpeaksAsTheConsoleUser checks that what is typed is stored for
// console:<User>, and for console:me when no user is named.
func TestRunSpeaksAsTheConsoleUser(t *testing.T) {
	tests := []struct {
		user string
		want bot.UserID
	}{
		{"ana", "console:ana"},
		{"", "console:me"},
	}
	for _, tt := range tests {
		t.Run(string(tt.want), func(t *testing.T) {
			h := bottest.New(t)
			c := console.New(h.Bot, console.Config{In: strings.NewReader("roadmap done 1\n"), Out: io.Discard, User: tt.user})
			if c.User() != tt.want {
				t.Errorf("User() = %q, want %q", c.User(), tt.want)
			}
			if err := run(t, context.Background(), c); err != nil {
				t.Fatal(err)
			}
			u, err := h.Store.User(context.Background(), tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"languages"}, u.Done); diff != "" {
				t.Errorf("steps done by %s (-want +got):\n%s", tt.want, diff)
			}
		})
	}
}

func TestRunPrompt(t *testing.T) {
	h := bottest.New(t)
	out := bottest.NewBuffer()
	c := console.New(h.Bot, console.Config{In: strings.NewReader("help\n\nsalary mid\n"), Out: out, User: "ana", Prompt: true})
	if err := run(t, context.Background(), c); err != nil {
		t.Fatal(err)
	}
	got := out.String()

	greeting, rest, ok := strings.Cut(got, "\n\n> ")
	if !ok {
		t.Fatalf("no greeting followed by a prompt; output:\n%s", got)
	}
	for _, w := range []string{"coachbot", "help", "roadmap next", "Ctrl-D"} {
		if !strings.Contains(greeting, w) {
			t.Errorf("greeting %q does not mention %q", greeting, w)
		}
	}
	// After each reply, and after a blank line, a new prompt; at the end of
	// input a newline so the shell's prompt starts on a line of its own.
	want := console.Render(bottest.New(t).SayAs("console:ana", "help")) + "\n> " +
		"> " +
		console.Render(bottest.New(t).SayAs("console:ana", "salary mid")) + "\n> " +
		"\n"
	if diff := cmp.Diff(want, rest); diff != "" {
		t.Errorf("output after the greeting (-want +got):\n%s", diff)
	}
}

// TestRunNoPromptWithoutTerminal guards the other side: piped input gets
// no greeting and no prompts, so scripts can read the output.
func TestRunNoPromptWithoutTerminal(t *testing.T) {
	h := bottest.New(t)
	out := bottest.NewBuffer()
	c := console.New(h.Bot, console.Config{In: strings.NewReader("\nhelp\n"), Out: out})
	if err := run(t, context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); strings.Contains(got, "> ") || strings.Contains(got, "Ctrl-D") {
		t.Errorf("output without Prompt shows a prompt or greeting:\n%s", got)
	}
}

// TestRunStopsOnCancel cancels the context while the input is still open:
// Run must return instead of waiting for a line that never comes.
func TestRunStopsOnCancel(t *testing.T) {
	h := bottest.New(t)
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	out := bottest.NewBuffer()
	c := console.New(h.Bot, console.Config{In: pr, Out: out, User: "ana"})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()

	// The console is really running: a line typed now gets its answer.
	if _, err := io.WriteString(pw, "salary mid\n"); err != nil {
		t.Fatal(err)
	}
	out.WaitFor(t, "₹10 L – ₹14 L")

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel = %v, want nil", err)
		}
	case <-time.After(bottest.WaitLimit):
		t.Fatal("Run did not return after its context was cancelled")
	}
}

// errReader fails after giving its data.
type errReader struct {
	data string
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestRunReportsReadErrors(t *testing.T) {
	tests := []struct {
		name string
		in   io.Reader
	}{
		{"broken input", &errReader{data: "salary mid\n", err: errors.New("disk on fire")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := bottest.New(t)
			c := console.New(h.Bot, console.Config{In: tt.in, Out: io.Discard})
			err := run(t, context.Background(), c)
			if err == nil {
				t.Fatal("Run = nil, want the read error")
			}
			if !strings.HasPrefix(err.Error(), "console: reading input") {
				t.Errorf("Run = %q, want it to say the input could not be read", err)
			}
		})
	}
}

// A pasted wall of text is answered like any other bad line; the chat
// goes on.
func TestRunSurvivesHugeLines(t *testing.T) {
	h := bottest.New(t)
	var out bytes.Buffer
	in := strings.NewReader(strings.Repeat("x", 200*1024) + "\nsalary mid\n")
	c := console.New(h.Bot, console.Config{In: in, Out: &out})
	if err := run(t, context.Background(), c); err != nil {
		t.Fatalf("Run = %v", err)
	}
	got := out.String()
	if !strings.Contains(got, "too long for a command") || !strings.Contains(got, "₹10 L – ₹14 L") {
		t.Errorf("output:\n%s", got)
	}
}

func TestSendDM(t *testing.T) {
	reply := bot.Reply{
		Title:   "Time to study ⏰",
		Text:    "Today's next step: **Step 1: Programming Languages**.",
		Buttons: []bot.Button{{Label: "Done for today", Command: "checkin"}},
	}
	tests := []struct {
		name   string
		to     bot.UserID
		prompt bool
		want   string
	}{
		{"to the console user", "console:ana", false, "🔔 Reminder\n" + console.Render(reply) + "\n"},
		{"to another console user", "console:bob", false, "🔔 Reminder for bob\n" + console.Render(reply) + "\n"},
		{"with a prompt waiting", "console:ana", true, "\n🔔 Reminder\n" + console.Render(reply) + "\n> "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := bottest.New(t)
			out := bottest.NewBuffer()
			c := console.New(h.Bot, console.Config{In: strings.NewReader(""), Out: out, User: "ana", Prompt: tt.prompt})
			if err := c.SendDM(context.Background(), tt.to, reply); err != nil {
				t.Fatalf("SendDM = %v", err)
			}
			if diff := cmp.Diff(tt.want, out.String()); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUserZone(t *testing.T) {
	h := bottest.New(t)
	c := console.New(h.Bot, console.Config{Out: io.Discard, Zone: "Asia/Kolkata"})
	var _ bot.ZoneFinder = c
	z, err := c.UserZone(context.Background(), c.User())
	if err != nil || z != "Asia/Kolkata" {
		t.Errorf("UserZone = %q, %v; want Asia/Kolkata, nil", z, err)
	}

	// A reminder set without a zone takes the machine's.
	h.SetMessenger("console", c)
	h.SayAs(c.User(), "remind daily 19:00")
	rems, err := h.Store.Reminders(context.Background(), c.User())
	if err != nil {
		t.Fatal(err)
	}
	if len(rems) != 1 || rems[0].Zone != "Asia/Kolkata" {
		t.Errorf("reminders after remind daily 19:00 = %+v, want one in Asia/Kolkata", rems)
	}
}

func TestAsk(t *testing.T) {
	tests := []struct {
		name string
		user string
		line string
	}{
		{"salary", "ana", "salary mid"},
		{"slash and umbrella", "ana", "/coach help remind"},
		{"unknown command", "ana", "wizardry"},
		{"default user", "", "progress"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := bottest.New(t)
			var out bytes.Buffer
			err := console.Ask(context.Background(), h.Bot, tt.user, tt.line, &out)
			// A user error is reported after the reply (exit 1 for ask).
			if wantErr := tt.line == "wizardry"; (err != nil) != wantErr || wantErr && bot.ErrorCode(err) != bot.Invalid {
				t.Fatalf("Ask = %v, want an error %v", err, wantErr)
			}
			user := tt.user
			if user == "" {
				user = "me"
			}
			if diff := cmp.Diff(expect(t, user, tt.line), out.String()+"\n"); diff != "" {
				t.Errorf("Ask wrote (-want +got):\n%s", diff)
			}
		})
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("pipe closed") }

func TestAskReportsWriteErrors(t *testing.T) {
	h := bottest.New(t)
	if err := console.Ask(context.Background(), h.Bot, "ana", "help", failWriter{}); err == nil {
		t.Error("Ask to a failing writer = nil, want the write error")
	}
}

// TestReminderThroughScheduler runs the whole path of a reminder: set by
// typing in the console, claimed by the scheduler when the clock reaches
// it, and printed by the console as the "console" Messenger, buttons as
// command lines the user can type. Then the user types one of them.
func TestReminderThroughScheduler(t *testing.T) {
	ctx := context.Background()
	h := bottest.New(t)
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	out := bottest.NewBuffer()
	c := console.New(h.Bot, console.Config{In: pr, Out: out, User: "ana"})
	h.SetMessenger("console", c)

	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()

	if _, err := io.WriteString(pw, "remind in 1m\n"); err != nil {
		t.Fatal(err)
	}
	out.WaitFor(t, "I'll remind you in 1 minute")

	// Nothing is due before the minute is up.
	if st := h.Deliver(t); st.Claimed != 0 {
		t.Fatalf("before the minute: delivered %+v, want nothing", st)
	}
	h.Clock.Advance(time.Minute)
	st, err := h.DeliverDue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Sent != 1 {
		t.Fatalf("DeliverDue = %+v, want one reminder sent", st)
	}
	if n := len(h.Messenger.DMs()); n != 0 {
		t.Errorf("the test platform's messenger got %d DMs; a console user's reminder must go to the console", n)
	}

	got := out.String()
	_, dm, ok := strings.Cut(got, "🔔 Reminder\n")
	if !ok {
		t.Fatalf("no reminder in the console output:\n%s", got)
	}
	for _, want := range []string{
		"⏰ Today: 1.1 Pick one language and stay with it",
		"Step 1: Programming Languages",
		"  → roadmap done 1.1  (Topic done ✅)\n",
		"  → checkin  (Check in)\n",
		"  → remind snooze 1h  (Snooze 1 hour)\n",
	} {
		if !strings.Contains(dm, want) {
			t.Errorf("the reminder lacks %q:\n%s", want, dm)
		}
	}
	// A one-off reminder fires once.
	h.Clock.Advance(time.Hour)
	if st := h.Deliver(t); st.Claimed != 0 {
		t.Errorf("an hour later: delivered %+v again, want nothing", st)
	}

	// Pressing a button on the console is typing its command line.
	if _, err := io.WriteString(pw, "checkin\n"); err != nil {
		t.Fatal(err)
	}
	out.WaitFor(t, "Checked in 🔥")
	pw.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(bottest.WaitLimit):
		t.Fatal("Run did not return at the end of input")
	}
	u, err := h.Store.User(ctx, "console:ana")
	if err != nil {
		t.Fatal(err)
	}
	if u.Streak.Days != 1 {
		t.Errorf("after checkin: streak %+v, want one day studied", u.Streak)
	}
}
