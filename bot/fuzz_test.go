package bot_test

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
	"github.com/coachbot/coachbot/content"
)

// The fuzz targets of the text grammar. Their seeds are below (f.Add) and
// in testdata/fuzz/<Name>/; `go test` runs the seeds, and
//
//	go test -run '^$' -fuzz '^FuzzParse$' -fuzztime 3m -parallel 1 ./bot
//
// explores from them.

// maxMessageBytes bounds a user-facing error message. A command line is at
// most bot.MaxLineLength bytes; a message that quotes it back must clip it,
// so that a pasted essay (or 500 bytes of control characters, each quoted
// as four) does not come back several times its size.
const maxMessageBytes = 1000

// argRunes is the longest argument the parser hands to ParseClock,
// ParseDelay, ParseWeekdays and LoadZone (bot.MaxArgLength): their own
// messages need to be bounded for such inputs only.
const argRunes = 64

// checkUserError holds err to the contract of a parse error: a coded
// *bot.Error, Invalid, whose message is non-empty, valid UTF-8 and free of
// characters a chat client would not show (control and format characters
// such as NUL or a bidi override; newlines aside), and, when bounded,
// shorter than maxMessageBytes.
func checkUserError(t *testing.T, input string, err error, bounded bool) {
	t.Helper()
	var e *bot.Error
	if !errors.As(err, &e) {
		t.Fatalf("%q: the error is not a *bot.Error: %#v", input, err)
	}
	if code := bot.ErrorCode(err); code != bot.Invalid {
		t.Fatalf("%q: code %q, want %q (%v)", input, code, bot.Invalid, err)
	}
	msg := bot.ErrorMessage(err)
	switch {
	case e.Message == "" || strings.TrimSpace(msg) == "":
		t.Fatalf("%q: the error has no user message: %#v", input, e)
	case !utf8.ValidString(msg):
		t.Fatalf("%q: the message is not valid UTF-8: %q", input, msg)
	case bounded && len(msg) >= maxMessageBytes:
		t.Fatalf("%q: the message has %d bytes, want < %d: %q", input, len(msg), maxMessageBytes, msg)
	}
	for _, r := range msg {
		if r != '\n' && !unicode.IsPrint(r) {
			t.Fatalf("%q: the message holds the unprintable character %U: %q", input, r, msg)
		}
	}
}

var lineSeeds = []string{
	"", " ", "   \t  ", "\n", "/", "/coach", "coach", "/coach ", "COACH HELP", "coach coach",
	"roadmap", "/roadmap", "roadmap next", "roadmap step 3", "roadmap step databases", "roadmap done 3",
	"roadmap undo 8", "roadmap done 0", "roadmap done -1", "roadmap done 99999999999999999999",
	"roadmap reset", "roadmap reset confirm", "roadmap reset CONFIRM", "roadmap reset yes",
	"skills", "skills security", "skills Database Management", "skill git", "skills nope",
	"salary", "salary mid", "salary junior", "salary senior", "salary Mid-Level", "pay entry",
	"career", "career senior", "ladder architect", "career ceo",
	"progress", "stats", "me", "checkin", "check-in", "tip", "tips", "export", "forget", "forget confirm",
	"remind", "remind status", "remind off", "remind stop",
	"remind daily 19:00", "remind daily 7:30 Asia/Kolkata weekdays", "remind daily 07:30 asia/kolkata",
	"remind daily 18:00 Europe/Berlin mon,wed,fri", "remind daily 9am every day", "remind daily 9:30 PM utc",
	"remind daily 24:00", "remind daily 07:00 Local", "remind daily 07:00 ../../etc/passwd", "remind daily 07:00 mon,funday",
	"remind daily 07:00 fri-mon", "remind daily 07:00 UTC weekends,mon", "remind daily 7",
	"remind in 45m", "remind in 1h30m", "remind in 1d12h", "remind in 8d", "remind in 30s", "remind in 9999999999999999999h",
	"remind snooze 1h", "reminder daily", "help", "help remind", "help remind daily", "?", "help nope", "help coach",
	"roadmap step \"3\"", "'roadmap' next", "roadmap\x00next", "roadmap\u00a0next", "roadmap\u200bnext",
	"rоadmap", // a Cyrillic о
	"ROADMAP   Next  ", "roadmap next extra words", "rodmap", "remind daly 19:00", "salary ‘mid’",
	"remind daily " + strings.Repeat("\x01", 480),
	"remind daily 07:00 " + strings.Repeat("x", 470),
	"remind in " + strings.Repeat("\x7f", 480),
	"remind daily 07:00 UTC " + strings.Repeat("\u2028", 150),
	strings.Repeat("a", bot.MaxLineLength), strings.Repeat("a", bot.MaxLineLength+1),
	strings.Repeat("😀", 125), "roadmap \xff", "\xed\xa0\x80",
}

// FuzzParse: Parse never panics; a line it accepts has a canonical Line that
// parses back to the same command and arguments, and a line it refuses gets
// a coded, user-safe message.
func FuzzParse(f *testing.F) {
	for _, s := range lineSeeds {
		f.Add(s)
	}
	spec := bot.NewSpec(content.MustDefault())
	f.Fuzz(func(t *testing.T, line string) {
		p, err := spec.Parse(line)
		if err != nil {
			if p != nil {
				t.Fatalf("%q: Parse returned both %+v and %v", line, p, err)
			}
			checkUserError(t, line, err, true)
			return
		}
		if p == nil || p.Command == nil {
			t.Fatalf("%q: Parse returned no command and no error", line)
		}
		if len(p.Command.Subs) > 0 {
			t.Fatalf("%q: parsed to %q, which is not a leaf", line, p.Command.Path())
		}
		if spec.Find(p.Command.Path()) != p.Command {
			t.Fatalf("%q: the command %q is not the spec's", line, p.Command.Path())
		}
		for name, v := range p.Args {
			if !hasArg(p.Command, name) || v == "" {
				t.Fatalf("%q: argument %s=%q is not one of %q's", line, name, v, p.Command.Path())
			}
		}
		canon := p.Line()
		q, err := spec.Parse(canon)
		if err != nil {
			t.Fatalf("%q: the canonical line %q does not parse: %v", line, canon, err)
		}
		if q.Command != p.Command || !maps.Equal(q.Args, p.Args) {
			t.Fatalf("%q: parsed to %q %v, but its canonical line %q parses to %q %v",
				line, p.Command.Path(), p.Args, canon, q.Command.Path(), q.Args)
		}
		if again := q.Line(); again != canon {
			t.Fatalf("%q: the canonical line %q is not stable: %q", line, canon, again)
		}
	})
}

func hasArg(c *bot.Command, name string) bool {
	for _, a := range c.Args {
		if a.Name == name {
			return true
		}
	}
	return false
}

// FuzzParseClock: on success the time is a valid time of day that
// FormatClock writes back to the same value; anything else is Invalid.
func FuzzParseClock(f *testing.F) {
	for _, s := range []string{
		"07:30", "7:30", "9:05", "00:00", "23:59", "24:00", "12:60", "9am", "12am", "12pm", "9:30pm", "9:30 PM",
		" 19:00 ", "19.00", "1900", "7", "-1:00", "+7:00", "07:3", "007:30", "٠٧:٣٠", "０７:３０", "9 am", "9  am",
		"am", ":", "", " ", "13pm", "0am", "07:30:00", "\x00", strings.Repeat("9", 600) + ":00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, m, err := bot.ParseClock(s)
		if err != nil {
			checkUserError(t, s, err, utf8.RuneCountInString(s) <= argRunes)
			return
		}
		if h < 0 || h > 23 || m < 0 || m > 59 {
			t.Fatalf("%q: parsed to %d:%d", s, h, m)
		}
		if !bot.LooksLikeClock(s) {
			t.Fatalf("%q: ParseClock accepts it but LooksLikeClock does not", s)
		}
		out := bot.FormatClock(h, m)
		h2, m2, err := bot.ParseClock(out)
		if err != nil || h2 != h || m2 != m {
			t.Fatalf("%q: %d:%d formats as %q, which parses to %d:%d, %v", s, h, m, out, h2, m2, err)
		}
	})
}

// The documented range of a one-off delay.
const (
	minDelay = time.Minute
	maxDelay = 7 * 24 * time.Hour
)

// FuzzParseDelay: on success the delay is whole minutes within the range,
// and the grammar's canonical spelling of it (the argument of "remind in")
// reads back as the same delay.
func FuzzParseDelay(f *testing.F) {
	for _, s := range []string{
		"45m", "2h", "1h30m", "90m", "1d", "1d12h", "7d", "8d", "168h", "10080m", "10081m", "0m", "1m", "30s",
		"1H", "2hrs", "3 mins", "1h 30m", "30m1h", "1h1h", "m", "h1", "-1h", "+1h", "1.5h", "1e3m", "",
		" ", "١h", "1ｈ", strings.Repeat("0", 600) + "1h", "99999999999999999999999d", "9223372036854775807m",
		"1d1d", "0d0h1m",
	} {
		f.Add(s)
	}
	spec := bot.NewSpec(content.MustDefault())
	f.Fuzz(func(t *testing.T, s string) {
		d, err := bot.ParseDelay(s)
		if err != nil {
			checkUserError(t, s, err, utf8.RuneCountInString(s) <= argRunes)
			return
		}
		if d < minDelay || d > maxDelay || d%time.Minute != 0 {
			t.Fatalf("%q: parsed to %v, want whole minutes in [%v, %v]", s, d, minDelay, maxDelay)
		}
		if w := bot.FormatDelay(d); w == "" || w == "less than a minute" {
			t.Fatalf("%q: %v is described as %q", s, d, w)
		}
		token := strings.TrimSpace(s)
		line := "remind in " + token
		if utf8.RuneCountInString(token) > argRunes || len(strings.Fields(line)) != 3 {
			return // the parser refuses it as too long (or as several words)
		}
		p, err := spec.Parse(line)
		if err != nil {
			t.Fatalf("%q: ParseDelay accepts it but %q does not parse: %v", s, line, err)
		}
		canon := p.Args["delay"]
		back, err := bot.ParseDelay(canon)
		if err != nil || back != d {
			t.Fatalf("%q: %v is spelt %q, which parses to %v, %v", s, d, canon, back, err)
		}
	})
}

// FuzzParseWeekdays: on success the set is a non-empty set of days that its
// Token and its String read back as, and LooksLikeWeekdays agrees.
func FuzzParseWeekdays(f *testing.F) {
	for _, s := range []string{
		"daily", "every day", "everyday", "every-day", "weekdays", "weekends", "workdays", "mon,wed,fri",
		"Mon, Wed, Fri", "monday,thursday", "mon-fri", "fri-mon", "sun-sun", "tue", "tues", "thurs", "weekends,mon",
		"mon,,fri", "mon,", ",", "", " ", "mo", "funday", "mon,funday", "mon-", "-mon", "mon--fri", "mon-wed-fri",
		"MONDAY", "mondays", "mon;wed", "mon wed", "lundi", "ｍｏｎ", "mon\x00", strings.Repeat("mon,", 150),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := bot.ParseWeekdays(s)
		if err != nil {
			checkUserError(t, s, err, utf8.RuneCountInString(s) <= argRunes)
			return
		}
		if w == 0 || w&^bot.EveryDay != 0 {
			t.Fatalf("%q: parsed to the set %07b", s, w)
		}
		if !bot.LooksLikeWeekdays(s) {
			t.Fatalf("%q: ParseWeekdays accepts it but LooksLikeWeekdays does not", s)
		}
		for _, out := range []string{w.Token(), w.String()} {
			back, err := bot.ParseWeekdays(out)
			if err != nil || back != w {
				t.Fatalf("%q: %07b is written %q, which parses to %07b, %v", s, w, out, back, err)
			}
		}
	})
}

// FuzzHandle runs the whole bot, on a MemStore and a fake clock, on
// arbitrary lines: Handle returns, the reply is never empty, never an
// internal error and is valid UTF-8, its buttons carry lines the parser
// takes, and the command reported to metrics is a path of the spec or
// "unknown", so labels stay bounded. Each input gets a fresh bot, so a
// failure reproduces from its input alone; the line is said twice, so the
// second answer sees the state the first left.
func FuzzHandle(f *testing.F) {
	for _, s := range lineSeeds {
		f.Add(s)
	}
	pack := content.MustDefault()
	spec := bot.NewSpec(pack)
	f.Fuzz(func(t *testing.T, line string) {
		clock := bottest.NewClock(bottest.Start)
		var badLabel string
		b, err := bot.New(bot.Config{
			Store:   bottest.NewMemStore(clock),
			Content: pack,
			Clock:   clock,
			Logger:  slog.New(slog.DiscardHandler),
			Rand:    func(n int) int { return n - 1 },
			OnCommand: func(name string, _ bot.Code, _ time.Duration) {
				if name != "unknown" && spec.Find(name) == nil && badLabel == "" {
					badLabel = name
				}
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		messenger := &bottest.Messenger{Clock: clock, Zone: "Asia/Kolkata"}
		b.SetMessenger("test", messenger)
		for range 2 {
			r := b.Handle(context.Background(), "test:ana", line)
			checkReply(t, spec, line, r)
			clock.Advance(25 * time.Hour)
		}
		if badLabel != "" {
			t.Fatalf("%q: a command was reported as %q, which is not in the spec", line, badLabel)
		}
	})
}

func checkReply(t *testing.T, spec *bot.Spec, line string, r bot.Reply) {
	t.Helper()
	if strings.TrimSpace(r.Title) == "" && strings.TrimSpace(r.Text) == "" && len(r.Fields) == 0 {
		t.Fatalf("%q: empty reply %+v", line, r)
	}
	for _, s := range append([]string{r.Title, r.Text, r.Footer}, fieldTexts(r)...) {
		if !utf8.ValidString(s) {
			t.Fatalf("%q: the reply holds invalid UTF-8: %q", line, s)
		}
	}
	if strings.Contains(r.Title, "Something went wrong") || strings.Contains(r.Title, "can't reach") {
		t.Fatalf("%q: error reply from a healthy store: %+v", line, r)
	}
	for _, btn := range r.Buttons {
		if _, err := spec.Parse(btn.Command); err != nil {
			t.Fatalf("%q: the button %q carries %q, which does not parse: %v", line, btn.Label, btn.Command, err)
		}
	}
}

func fieldTexts(r bot.Reply) []string {
	var out []string
	for _, f := range r.Fields {
		out = append(out, f.Name, f.Value)
	}
	return out
}
