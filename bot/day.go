package bot

import "time"

// Day is a local calendar date as days since 1 January 2000: two bytes in
// a record where "2026-11-23" takes eleven, and it lasts until 2179.
type Day uint16

var dayZero = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// DayOf returns the date of t in loc.
func DayOf(t time.Time, loc *time.Location) Day {
	y, m, d := t.In(loc).Date()
	n := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(dayZero) / (24 * time.Hour)
	return Day(max(n, 0))
}

// Date returns the day as midnight UTC of that date, for formatting.
func (d Day) Date() time.Time { return dayZero.AddDate(0, 0, int(d)) }

// String returns the date as YYYY-MM-DD.
func (d Day) String() string { return d.Date().Format(time.DateOnly) }

// localDay returns the user's local date at now.
func (b *Bot) localDay(u User, now time.Time) Day { return DayOf(now, b.zoneOf(u)) }
