package bot

import (
	"strings"
	"time"
)

// Weekdays is a set of days of the week: bit i stands for time.Weekday(i).
type Weekdays uint8

// Common sets of days.
const (
	EveryDay Weekdays = 1<<7 - 1
	WorkDays Weekdays = 1<<time.Monday | 1<<time.Tuesday | 1<<time.Wednesday | 1<<time.Thursday | 1<<time.Friday
	Weekend  Weekdays = 1<<time.Saturday | 1<<time.Sunday
)

// Has reports whether d is in the set.
func (w Weekdays) Has(d time.Weekday) bool { return w&(1<<d) != 0 }

// mondayFirst is the display order of the days of the week. Users of a career
// coach think in working weeks, so every list shown to them starts on Monday,
// whatever time.Weekday's numbering says.
var mondayFirst = [7]time.Weekday{
	time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday,
	time.Saturday, time.Sunday,
}

// weekdayKeywords are the whole-set words a user may type instead of a list.
// They are matched case-insensitively, and "every day" is included so that
// ParseWeekdays accepts everything String returns.
var weekdayKeywords = map[string]Weekdays{
	"daily":     EveryDay,
	"everyday":  EveryDay,
	"every-day": EveryDay,
	"every day": EveryDay,
	"weekdays":  WorkDays,
	"weekday":   WorkDays,
	"workdays":  WorkDays,
	"workday":   WorkDays,
	"weekends":  Weekend,
	"weekend":   Weekend,
}

// msgBadDays is the reply to days we cannot read; it lists what is valid
// because the user sees it directly in chat.
const msgBadDays = "I don't understand the days %q. Use weekdays, weekends, daily, or a list like mon,wed,fri."

// ParseWeekdays reads the days a daily reminder fires on, as a user types
// them in chat: a keyword ("daily", "everyday", "every-day", "weekdays",
// "workdays", "weekends"), or a comma list of day names and ranges such as
// "mon,wed,fri", "monday,thursday", "mon-fri" or "fri-mon" (a range wraps
// round the end of the week, so that is Friday to Monday). Case is ignored.
// A day name is its full English name or any prefix of it of at least three
// letters ("tue", "tues", "thurs"). Items of a list may also be keywords
// ("weekends,mon"). Anything else is an Invalid *Error whose message says
// what is valid, because the caller shows it to the user as is.
func ParseWeekdays(s string) (Weekdays, error) {
	w, ok := parseWeekdays(s)
	if !ok {
		return 0, Errorf(Invalid, msgBadDays, strings.TrimSpace(s))
	}
	return w, nil
}

// parseWeekdays is ParseWeekdays without the error, so LooksLikeWeekdays can
// use it without allocating one.
func parseWeekdays(s string) (Weekdays, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if w, ok := weekdayKeywords[s]; ok {
		return w, true
	}
	var w Weekdays
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue // tolerate "mon,,fri" and a trailing comma
		}
		if k, ok := weekdayKeywords[item]; ok {
			w |= k
			continue
		}
		from, to, isRange := strings.Cut(item, "-")
		first, ok := dayByName(strings.TrimSpace(from))
		if !ok {
			return 0, false
		}
		if !isRange {
			w |= 1 << first
			continue
		}
		last, ok := dayByName(strings.TrimSpace(to))
		if !ok {
			return 0, false
		}
		for d := first; ; d = (d + 1) % 7 {
			w |= 1 << d
			if d == last {
				break
			}
		}
	}
	if w == 0 {
		return 0, false
	}
	return w, true
}

// dayByName returns the weekday a lower-case name stands for: the full
// English name or a prefix of it of at least three letters. Three letters are
// enough to tell every day apart.
func dayByName(name string) (time.Weekday, bool) {
	if len(name) < 3 {
		return 0, false
	}
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.HasPrefix(strings.ToLower(d.String()), name) {
			return d, true
		}
	}
	return 0, false
}

// LooksLikeWeekdays reports whether a token is meant as days rather than as
// a time zone. The command parser uses it to tell an optional DAYS argument
// from an optional TZ argument, so it is a shape test: it is true when
// ParseWeekdays accepts s, and also when s is a comma- or hyphen-separated
// list of at least two letters-only words, so that a misspelt list such as
// "mon,funday" is reported with the days message rather than the time-zone
// one. A single unknown word ("UTC", "funday") and anything with a '/'
// ("Europe/London") or a digit is not days.
func LooksLikeWeekdays(s string) bool {
	if _, ok := parseWeekdays(s); ok {
		return true
	}
	s = strings.TrimSpace(s)
	words := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '-' })
	if len(words) < 2 || strings.Count(s, ",")+strings.Count(s, "-") != len(words)-1 {
		return false // a single word, or an empty word between separators
	}
	for _, word := range words {
		word = strings.TrimSpace(word)
		if word == "" {
			return false
		}
		for _, r := range word {
			if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
				return false
			}
		}
	}
	return true
}

// String describes the set as a user reads it in a reply: "every day",
// "weekdays", "weekends", "no days" for the empty set, and otherwise the
// short day names in Monday-first order, like "Mon, Wed, Fri".
func (w Weekdays) String() string {
	w &= EveryDay
	switch w {
	case 0:
		return "no days"
	case EveryDay:
		return "every day"
	case WorkDays:
		return "weekdays"
	case Weekend:
		return "weekends"
	}
	var b strings.Builder
	for _, d := range mondayFirst {
		if !w.Has(d) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(d.String()[:3])
	}
	return b.String()
}
