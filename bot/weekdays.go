package bot

import "time"

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
