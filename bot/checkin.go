package bot

import (
	"fmt"
	"slices"
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
	var cs []Checkin
	found := false
	for _, c := range u.Checkins.List() {
		if int(day)-int(c.Day) >= maxCheckinDays {
			continue
		}
		if c.Day == day {
			found = true
			c.Minutes = min(c.Minutes+minutes, maxDayMinutes)
			if note != "" {
				if c.Note != "" {
					note = c.Note + " · " + note
				}
				c.Note = clipRunes(note, MaxNoteLength)
			}
		}
		cs = append(cs, c)
	}
	if !found {
		// Usually the last day; after a change of zone it may be earlier.
		i := slices.IndexFunc(cs, func(c Checkin) bool { return c.Day > day })
		if i < 0 {
			i = len(cs)
		}
		cs = slices.Insert(cs, i, Checkin{Day: day, Minutes: min(minutes, maxDayMinutes), Note: note})
	}
	u.Checkins = packCheckins(cs)
}

// checkinOn returns u's check-in of day.
func checkinOn(u User, day Day) (Checkin, bool) {
	cs := u.Checkins.List()
	for i := len(cs) - 1; i >= 0; i-- {
		if c := cs[i]; c.Day == day {
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

// minutesText is "45 min", "2 h" or "1 h 30 min".
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

// List returns the check-ins, oldest first.
func (l CheckinLog) List() []Checkin {
	var out []Checkin
	for i := range len(l.Days) * 8 {
		if l.Days[i/8]&(1<<(i%8)) == 0 {
			continue
		}
		c := Checkin{Day: l.First + Day(i)}
		if k := len(out); k < len(l.Minutes) {
			c.Minutes = int(l.Minutes[k])
		}
		c.Note = l.Notes[c.Day]
		out = append(out, c)
	}
	return out
}

// packCheckins makes the log of check-ins in day order, one per day.
func packCheckins(cs []Checkin) CheckinLog {
	if len(cs) == 0 {
		return CheckinLog{}
	}
	l := CheckinLog{First: cs[0].Day, Days: make([]byte, int(cs[len(cs)-1].Day-cs[0].Day)/8+1)}
	any := false
	for _, c := range cs {
		i := int(c.Day - l.First)
		l.Days[i/8] |= 1 << (i % 8)
		l.Minutes = append(l.Minutes, uint16(c.Minutes))
		any = any || c.Minutes > 0
		if c.Note != "" {
			if l.Notes == nil {
				l.Notes = map[Day]string{}
			}
			l.Notes[c.Day] = c.Note
		}
	}
	if !any {
		l.Minutes = nil
	}
	return l
}
