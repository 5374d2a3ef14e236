package bot

import (
	_ "embed" // zonenames.txt
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Reminder times are wall-clock times in the user's IANA zone (DESIGN.md §4).
// This file holds the parsing of what users type for them (times of day,
// zones, delays) and the calendar arithmetic that turns them into instants:
// it works on the zone's calendar, never by adding 24 hours, and it resolves
// the nonexistent and the ambiguous wall times of DST changes itself, because
// time.Date leaves those unspecified.

// msgBadClock is the reply to a time of day we cannot read.
const msgBadClock = "%q is not a time of day. Use 24-hour HH:MM, like 07:30 or 19:00."

// ParseClock reads a time of day as a user types it: 24-hour "HH:MM" (the
// hour may have one digit, "9:05"; the minutes always have two), or a 12-hour
// time with an am/pm suffix ("9am", "9:30pm", "9:30 PM"; "12am" is 00:00 and
// "12pm" is 12:00). Only ':' separates hours from minutes. Anything else,
// including "24:00", is an Invalid *Error whose message shows the valid form,
// because the user reads it directly.
func ParseClock(s string) (hour, minute int, err error) {
	hour, minute, ok := parseClock(strings.ToLower(strings.TrimSpace(s)))
	if !ok {
		return 0, 0, Errorf(Invalid, msgBadClock, strings.TrimSpace(s))
	}
	return hour, minute, nil
}

func parseClock(s string) (hour, minute int, ok bool) {
	base, twelve := s, false
	isPM := false
	if b, found := strings.CutSuffix(s, "am"); found {
		base, twelve = b, true
	} else if b, found := strings.CutSuffix(s, "pm"); found {
		base, twelve, isPM = b, true, true
	}
	if twelve {
		base = strings.TrimSuffix(base, " ")
	}
	h, m, hasMinutes := strings.Cut(base, ":")
	if !allDigits(h) || len(h) > 2 || hasMinutes && (!allDigits(m) || len(m) != 2) {
		return 0, 0, false
	}
	hour, _ = strconv.Atoi(h)
	if hasMinutes {
		minute, _ = strconv.Atoi(m)
	} else if !twelve {
		return 0, 0, false // a bare number is not a time
	}
	if minute > 59 {
		return 0, 0, false
	}
	if !twelve {
		return hour, minute, hour <= 23
	}
	if hour < 1 || hour > 12 {
		return 0, 0, false
	}
	hour %= 12 // 12am is midnight, 12pm is noon
	if isPM {
		hour += 12
	}
	return hour, minute, true
}

// allDigits reports whether s is a non-empty run of ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// LooksLikeClock reports whether a token is meant as a time of day: digits
// with a ':' ("25:00") or with an am/pm suffix ("9am"). The command parser
// uses it to tell an optional TIME argument from the others; a token that
// looks like a clock but is out of range is then reported by ParseClock with
// the time-of-day message.
func LooksLikeClock(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	if base, ok := strings.CutSuffix(s, "am"); ok {
		s = strings.TrimSuffix(base, " ")
	} else if base, ok := strings.CutSuffix(s, "pm"); ok {
		s = strings.TrimSuffix(base, " ")
	} else if !strings.Contains(s, ":") {
		return false
	}
	h, m, hasMinutes := strings.Cut(s, ":")
	return allDigits(h) && (!hasMinutes || allDigits(m))
}

// FormatClock writes a time of day the way ParseClock reads it and users are
// told to type it: 24-hour, zero-padded, "07:30".
func FormatClock(hour, minute int) string {
	return fmt.Sprintf("%02d:%02d", hour, minute)
}

// msgBadZone is the reply to a time zone we cannot load.
const msgBadZone = "I don't know the time zone %q. Use an IANA name such as Europe/London, America/New_York or Asia/Kolkata."

// LoadZone loads a user's time zone by IANA name ("Asia/Kolkata",
// "America/New_York", "UTC"). Chat users rarely type the capitals, so the
// name is looked up without regard to case ("america/new_york" →
// "America/New_York"). The returned Location's String is the canonical
// name, which is what should be stored.
//
// Only the names of Go's embedded tzdata (time/tzdata, listed in
// zonenames.txt) are accepted. A name that only the machine's own tzdata
// has (localtime, posixrules, posix/…, right/…) would load on one replica
// and fall back to UTC on another, or in the distroless image, which has
// none. Factory is refused too: it is no place. "Local" is refused: it is
// the server's zone, not the user's. So is the empty name (which
// time.LoadLocation reads as UTC, hiding a missing value). A user's text
// thus never reaches the file system as a path. Errors are Invalid *Errors
// whose message names valid examples.
func LoadZone(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	canonical, ok := zoneNames()[strings.ToLower(name)]
	if !ok {
		return nil, Errorf(Invalid, msgBadZone, name)
	}
	loc, err := time.LoadLocation(canonical)
	if err != nil {
		return nil, Errorf(Invalid, msgBadZone, name)
	}
	return loc, nil
}

// zoneNameList holds the zone names of Go's embedded tzdata, one a line,
// without Factory. TestZoneNamesAreGos keeps it equal to the Go release's
// lib/time/zoneinfo.zip (go test ./bot -run TestZoneNamesAreGos -update
// rewrites it).
//
//go:embed zonenames.txt
var zoneNameList string

// zoneNames maps each zone name in lower case to its canonical spelling.
var zoneNames = sync.OnceValue(func() map[string]string {
	m := make(map[string]string, 600)
	for line := range strings.Lines(zoneNameList) {
		if name := strings.TrimSpace(line); name != "" {
			m[strings.ToLower(name)] = name
		}
	}
	return m
})

// Limits of a one-off delay (snooze, "remind me in"): shorter is not a
// reminder, longer is better served by a daily one.
const (
	minDelay = time.Minute
	maxDelay = 7 * 24 * time.Hour
)

const (
	msgBadDelay   = "%q is not a delay. Use minutes, hours or days, like 45m, 2h or 1d."
	msgDelayRange = "A reminder can be between 1 minute and 7 days away."
)

// delayUnits are the units ParseDelay accepts, in the order they must
// appear. There are no seconds: reminders are scheduled to the minute.
var delayUnits = []struct {
	names []string
	unit  time.Duration
}{
	{[]string{"d"}, 24 * time.Hour},
	{[]string{"h", "hr", "hrs"}, time.Hour},
	{[]string{"m", "min", "mins"}, time.Minute},
}

// ParseDelay reads how long until a one-off reminder, as a user types it:
// whole numbers with units d (days), h/hr/hrs (hours) and m/min/mins
// (minutes), alone or combined largest first without spaces: "45m", "2h",
// "1h30m", "90m", "1d", "1d12h". Case is ignored. A day is 24 hours here,
// because a delay is a duration, not a calendar date. The result must be
// between 1 minute and 7 days. Errors are Invalid *Errors whose message says
// what is valid.
func ParseDelay(s string) (time.Duration, error) {
	trimmed := strings.TrimSpace(s)
	rest := strings.ToLower(trimmed)
	if rest == "" {
		return 0, Errorf(Invalid, msgBadDelay, trimmed)
	}
	var total time.Duration
	next := 0 // index in delayUnits of the largest unit still allowed
	tooBig := false
	for rest != "" {
		i := 0
		for i < len(rest) && '0' <= rest[i] && rest[i] <= '9' {
			i++
		}
		j := i
		for j < len(rest) && 'a' <= rest[j] && rest[j] <= 'z' {
			j++
		}
		if i == 0 || j == i {
			return 0, Errorf(Invalid, msgBadDelay, trimmed)
		}
		digits, name := rest[:i], rest[i:j]
		rest = rest[j:]
		k := next
		for k < len(delayUnits) && !containsString(delayUnits[k].names, name) {
			k++
		}
		if k == len(delayUnits) {
			return 0, Errorf(Invalid, msgBadDelay, trimmed) // unknown, repeated or out of order
		}
		next = k + 1
		n, err := strconv.ParseInt(digits, 10, 64)
		if err != nil || n > int64(maxDelay/delayUnits[k].unit) {
			tooBig = true // keep parsing: a malformed tail is still "not a delay"
			continue
		}
		total += time.Duration(n) * delayUnits[k].unit
	}
	if tooBig || total < minDelay || total > maxDelay {
		return 0, Errorf(Invalid, msgDelayRange)
	}
	return total, nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// FormatDelay writes a delay for a reply, in words: "45 minutes", "2 hours",
// "1 hour 30 minutes", "1 day". It counts whole minutes (seconds are
// dropped, since reminders are scheduled to the minute) and says "less than a
// minute" for anything shorter, including negative durations.
func FormatDelay(d time.Duration) string {
	if d < time.Minute {
		return "less than a minute"
	}
	parts := []struct {
		n    int64
		name string
	}{
		{int64(d / (24 * time.Hour)), "day"},
		{int64(d % (24 * time.Hour) / time.Hour), "hour"},
		{int64(d % time.Hour / time.Minute), "minute"},
	}
	var words []string
	for _, p := range parts {
		switch {
		case p.n == 1:
			words = append(words, "1 "+p.name)
		case p.n > 1:
			words = append(words, strconv.FormatInt(p.n, 10)+" "+p.name+"s")
		}
	}
	return strings.Join(words, " ")
}

// WallTime returns the instant at which the wall clock in loc first shows the
// given date and time (seconds zero; out-of-range values are normalised as
// by time.Date). time.Date leaves DST changes unspecified, and in practice
// maps a nonexistent time to an hour before or after and an ambiguous one to
// either reading depending on the zone, so WallTime decides:
//
//   - a time that exists once is that instant;
//   - a time that does not exist (02:30 on a spring-forward day in New York)
//     is the first instant after the gap, which is the transition itself
//     (03:00 EDT), so a reminder set inside the gap still fires that day and
//     as early as possible;
//   - an ambiguous time (01:30 on a fall-back day in New York) is the earlier
//     of its two instants, so a reminder fires at its first occurrence and
//     always at the same one.
//
// It works for any shift size (Lord Howe's 30 minutes, Samoa's skipped day)
// and for zones without DST.
func WallTime(year int, month time.Month, day, hour, minute int, loc *time.Location) time.Time {
	want := time.Date(year, month, day, hour, minute, 0, 0, time.UTC) // the wall reading, normalised
	guess := time.Date(year, month, day, hour, minute, 0, 0, loc)
	start, end := guess.ZoneBounds()

	// Every instant showing want lies in guess's zone period or a neighbour
	// (periods are far longer than any shift), so try each one's offset.
	probes := []time.Time{guess}
	if !start.IsZero() {
		probes = append(probes, start.Add(-time.Nanosecond))
	}
	if !end.IsZero() {
		probes = append(probes, end)
	}
	var first time.Time
	for _, p := range probes {
		_, offset := p.Zone()
		c := want.Add(-time.Duration(offset) * time.Second).In(loc)
		if wallClock(c).Equal(want) && (first.IsZero() || c.Before(first)) {
			first = c
		}
	}
	if !first.IsZero() {
		return first
	}

	// No instant shows want: it is in a gap, which is bounded by one of the
	// transitions around guess. The clock jumps over want at that instant.
	for _, t := range []time.Time{start, end} {
		if !t.IsZero() && wallClock(t.Add(-time.Nanosecond)).Before(want) && wallClock(t).After(want) {
			return t
		}
	}
	return guess // not reached with real zone data
}

// wallClock returns the reading of t's wall clock in its location, as a time
// in UTC, so that readings can be compared.
func wallClock(t time.Time) time.Time {
	_, offset := t.Zone()
	return t.UTC().Add(time.Duration(offset) * time.Second)
}

// NextDaily returns the first occurrence strictly after after of hour:minute
// on the wall clock in loc, on a local date whose weekday is in days (an
// empty set means every day), in UTC for storage and comparison with the
// store's clock.
//
// It walks the zone's calendar one local date at a time and takes each
// date's occurrence from WallTime, so the wall-clock time is kept across DST
// changes (09:00 stays 09:00), a nonexistent time fires at the end of the
// gap, and an ambiguous time fires once a day, at its earlier instant: when
// after is that earlier instant (the reminder has just fired), the next
// occurrence is the next day's, never the later reading of the same day.
// The weekday is that of the local date the reminder is for.
func NextDaily(after time.Time, hour, minute int, loc *time.Location, days Weekdays) time.Time {
	if days&EveryDay == 0 {
		days = EveryDay
	}
	y, m, d := after.In(loc).Date()
	// Start a day early: a time in a gap that spans midnight, or a day that
	// repeats after a fall-back at midnight, can put the previous date's
	// occurrence after after. Iterate well past a week, for zones that once
	// skipped a whole date.
	for i := -1; i <= 14; i++ {
		date := time.Date(y, m, d+i, 12, 0, 0, 0, time.UTC) // the civil date, normalised
		if !days.Has(date.Weekday()) {
			continue
		}
		c := WallTime(date.Year(), date.Month(), date.Day(), hour, minute, loc)
		if c.After(after) {
			return c.UTC()
		}
	}
	// Not reached for a non-empty set of days; fall back to a plain day later.
	return WallTime(y, m, d+15, hour, minute, loc).UTC()
}
