package bot

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxNoteLength bounds a check-in's note, in characters.
const MaxNoteLength = 200

// maxCheckinDays is how long check-ins are kept: 53 weeks and a day, so
// that a year ago this week is always there.
const maxCheckinDays = 53*7 + 1

// maxDayMinutes caps the minutes logged for one day.
const maxDayMinutes = 24 * 60

// ParseMinutes reads a check-in's study time: "45m", "1h30m", "2h", "90min".
// It must be 1 minute to 16 hours. Errors are Invalid and say what is valid.
func ParseMinutes(s string) (int, error) {
	d, err := ParseDelay(s)
	if err != nil || d.Minutes() > 16*60 {
		return 0, Errorf(Invalid, "I couldn't read %q as study time. Write it like **45m**, **1h30m** or **2h** (up to 16 hours).", clip(s))
	}
	return int(d.Minutes()), nil
}

// looksLikeMinutes reports whether a word is meant as study time.
func looksLikeMinutes(w string) bool {
	if w == "" || w[0] < '0' || w[0] > '9' {
		return false
	}
	_, err := ParseDelay(w)
	return err == nil
}

// addCheckin records study on day for u: a new check-in, or more minutes
// and note on the day's one. Check-ins older than maxCheckinDays go.
func addCheckin(u *User, day Day, minutes int, note string) {
	cs := make([]Checkin, 0, len(u.Checkins)+1)
	for _, c := range u.Checkins {
		if int(day)-int(c.Day) < maxCheckinDays {
			cs = append(cs, c)
		}
	}
	if n := len(cs); n > 0 && cs[n-1].Day == day {
		c := &cs[n-1]
		c.Minutes = min(c.Minutes+minutes, maxDayMinutes)
		if note != "" {
			if c.Note != "" {
				note = c.Note + " · " + note
			}
			c.Note = clipRunes(note, MaxNoteLength)
		}
	} else {
		cs = append(cs, Checkin{Day: day, Minutes: min(minutes, maxDayMinutes), Note: note})
	}
	u.Checkins = cs
}

// checkinOn returns u's check-in of day.
func checkinOn(u User, day Day) (Checkin, bool) {
	for i := len(u.Checkins) - 1; i >= 0; i-- {
		if c := u.Checkins[i]; c.Day == day {
			return c, true
		} else if c.Day < day {
			break
		}
	}
	return Checkin{}, false
}

// clipRunes shortens s to at most n characters, ending it with "…".
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// minutesText is "45 minutes" or "1 h 30 min".
func minutesText(m int) string {
	switch {
	case m < 60:
		return fmt.Sprintf("%d min", m)
	case m%60 == 0:
		return fmt.Sprintf("%d h", m/60)
	}
	return fmt.Sprintf("%d h %d min", m/60, m%60)
}

// oneLine makes a note one line, for replies that quote it.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
