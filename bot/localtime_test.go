package bot

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// The zone transitions these tests rely on, as read from the tzdata of the
// machine the tests were written on (2026):
//
//	America/New_York     2026-03-08 07:00Z  02:00 EST(-5)  -> 03:00 EDT(-4)
//	                     2026-11-01 06:00Z  02:00 EDT(-4)  -> 01:00 EST(-5)
//	Europe/London        2026-03-29 01:00Z  01:00 GMT(+0)  -> 02:00 BST(+1)
//	                     2026-10-25 01:00Z  02:00 BST(+1)  -> 01:00 GMT(+0)
//	Australia/Sydney     2026-04-04 16:00Z  03:00 AEDT(+11) -> 02:00 AEST(+10)
//	                     2026-10-03 16:00Z  02:00 AEST(+10) -> 03:00 AEDT(+11)
//	Australia/Lord_Howe  2026-04-04 15:00Z  02:00 +11      -> 01:30 +10:30
//	                     2026-10-03 15:30Z  02:00 +10:30   -> 02:30 +11
//	Asia/Kolkata         no transitions, +05:30
//	Pacific/Apia         2011-12-30 10:00Z  2011-12-29 24:00 -10 -> 2011-12-31 00:00 +14 (Dec 30 skipped)
//
// Expected instants below are written out in UTC by hand from this table,
// never computed by the code under test.

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("tzdata: %v", err)
	}
	return loc
}

func utc(year int, month time.Month, day, hour, minute int) time.Time {
	return time.Date(year, month, day, hour, minute, 0, 0, time.UTC)
}

// checkInvalid asserts that err is an Invalid *Error with exactly msg.
func checkInvalid(t *testing.T, err error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want Invalid %q", msg)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *bot.Error", err, err)
	}
	if got := ErrorCode(err); got != Invalid {
		t.Errorf("code %q, want %q", got, Invalid)
	}
	if got := ErrorMessage(err); got != msg {
		t.Errorf("message\n got: %s\nwant: %s", got, msg)
	}
}

func TestParseClock(t *testing.T) {
	good := []struct {
		in           string
		hour, minute int
	}{
		{"07:30", 7, 30},
		{"19:00", 19, 0},
		{"00:00", 0, 0},
		{"23:59", 23, 59},
		{"9:05", 9, 5},
		{" 09:05 ", 9, 5},
		{"9am", 9, 0},
		{"9AM", 9, 0},
		{"9:30pm", 21, 30},
		{"9:30 PM", 21, 30},
		{"12am", 0, 0},
		{"12:15am", 0, 15},
		{"12pm", 12, 0},
		{"12:45pm", 12, 45},
		{"1pm", 13, 0},
		{"11:59pm", 23, 59},
	}
	for _, tc := range good {
		t.Run(tc.in, func(t *testing.T) {
			h, m, err := ParseClock(tc.in)
			if err != nil || h != tc.hour || m != tc.minute {
				t.Errorf("ParseClock(%q) = %d, %d, %v; want %d, %d, nil", tc.in, h, m, err, tc.hour, tc.minute)
			}
		})
	}
	bad := []struct{ in, msg string }{
		{"25:00", `"25:00" is not a time of day. Use 24-hour HH:MM, like 07:30 or 19:00.`},
		{"12:60", `"12:60" is not a time of day. Use 24-hour HH:MM, like 07:30 or 19:00.`},
		{"noon-ish", `"noon-ish" is not a time of day. Use 24-hour HH:MM, like 07:30 or 19:00.`},
		{"24:00", `"24:00" is not a time of day. Use 24-hour HH:MM, like 07:30 or 19:00.`},
		{"09.05", `"09.05" is not a time of day. Use 24-hour HH:MM, like 07:30 or 19:00.`},
		{"9", `"9" is not a time of day. Use 24-hour HH:MM, like 07:30 or 19:00.`},
		{"9:5", `"9:5" is not a time of day. Use 24-hour HH:MM, like 07:30 or 19:00.`},
		{"13pm", `"13pm" is not a time of day. Use 24-hour HH:MM, like 07:30 or 19:00.`},
		{"0am", `"0am" is not a time of day. Use 24-hour HH:MM, like 07:30 or 19:00.`},
		{"-1:00", `"-1:00" is not a time of day. Use 24-hour HH:MM, like 07:30 or 19:00.`},
		{"am", `"am" is not a time of day. Use 24-hour HH:MM, like 07:30 or 19:00.`},
		{"", `"" is not a time of day. Use 24-hour HH:MM, like 07:30 or 19:00.`},
	}
	for _, tc := range bad {
		t.Run("bad/"+tc.in, func(t *testing.T) {
			_, _, err := ParseClock(tc.in)
			checkInvalid(t, err, tc.msg)
		})
	}
}

func TestLooksLikeClock(t *testing.T) {
	for in, want := range map[string]bool{
		"07:30": true, "25:00": true, "12:60": true, "9am": true, "9:30pm": true, "12 PM": true,
		"noon-ish": false, "9": false, "mon-fri": false, "Europe/London": false, "45m": false,
		"09.05": false, "am": false, ":30": false, "": false,
	} {
		t.Run(in, func(t *testing.T) {
			if got := LooksLikeClock(in); got != want {
				t.Errorf("LooksLikeClock(%q) = %v, want %v", in, got, want)
			}
		})
	}
}

func TestFormatClock(t *testing.T) {
	for _, tc := range []struct {
		hour, minute int
		want         string
	}{{7, 30, "07:30"}, {0, 0, "00:00"}, {23, 5, "23:05"}} {
		if got := FormatClock(tc.hour, tc.minute); got != tc.want {
			t.Errorf("FormatClock(%d, %d) = %q, want %q", tc.hour, tc.minute, got, tc.want)
		}
	}
}

func TestParseWeekdays(t *testing.T) {
	const (
		mon = 1 << time.Monday
		tue = 1 << time.Tuesday
		wed = 1 << time.Wednesday
		thu = 1 << time.Thursday
		fri = 1 << time.Friday
		sat = 1 << time.Saturday
		sun = 1 << time.Sunday
	)
	good := []struct {
		in   string
		want Weekdays
	}{
		{"daily", EveryDay},
		{"Everyday", EveryDay},
		{"every-day", EveryDay},
		{"every day", EveryDay},
		{"weekdays", WorkDays},
		{"WORKDAYS", WorkDays},
		{"weekends", Weekend},
		{"mon,wed,fri", mon | wed | fri},
		{"Mon, Wed, Fri", mon | wed | fri},
		{"monday,thursday", mon | thu},
		{"tues,thurs", tue | thu},
		{"sun", sun},
		{"mon-fri", WorkDays},
		{"Monday-Friday", WorkDays},
		{"fri-mon", fri | sat | sun | mon},
		{"sat-sun", Weekend},
		{"sun-sat", EveryDay},
		{"wed-wed", wed},
		{"mon,wed-thu", mon | wed | thu},
		{"weekends,mon", Weekend | mon},
		{"mon,,fri,", mon | fri},
	}
	for _, tc := range good {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseWeekdays(tc.in)
			if err != nil || got != tc.want {
				t.Errorf("ParseWeekdays(%q) = %07b, %v; want %07b", tc.in, got, err, tc.want)
			}
		})
	}
	for _, in := range []string{"funday", "mon,funday", "mo", "mon-", "-fri", "mon-fri-sun", "", ",", "Europe/London", "UTC", "no days"} {
		t.Run("bad/"+in, func(t *testing.T) {
			_, err := ParseWeekdays(in)
			checkInvalid(t, err, fmt.Sprintf("I don't understand the days %q. Use weekdays, weekends, daily, or a list like mon,wed,fri.", in))
		})
	}
	t.Run("message", func(t *testing.T) {
		_, err := ParseWeekdays("funday")
		checkInvalid(t, err, `I don't understand the days "funday". Use weekdays, weekends, daily, or a list like mon,wed,fri.`)
	})
}

func TestWeekdaysString(t *testing.T) {
	for _, tc := range []struct {
		w    Weekdays
		want string
	}{
		{0, "no days"},
		{EveryDay, "every day"},
		{WorkDays, "weekdays"},
		{Weekend, "weekends"},
		{1<<time.Monday | 1<<time.Wednesday | 1<<time.Friday, "Mon, Wed, Fri"},
		{1<<time.Sunday | 1<<time.Monday, "Mon, Sun"},
		{1 << time.Saturday, "Sat"},
		{EveryDay &^ (1 << time.Sunday), "Mon, Tue, Wed, Thu, Fri, Sat"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.w.String(); got != tc.want {
				t.Errorf("%07b.String() = %q, want %q", uint8(tc.w), got, tc.want)
			}
		})
	}
	t.Run("round trip", func(t *testing.T) {
		for w := Weekdays(1); w <= EveryDay; w++ {
			got, err := ParseWeekdays(w.String())
			if err != nil || got != w {
				t.Errorf("ParseWeekdays(%q) = %07b, %v; want %07b", w.String(), got, err, w)
			}
		}
	})
}

func TestLooksLikeWeekdays(t *testing.T) {
	for in, want := range map[string]bool{
		"weekdays": true, "daily": true, "mon": true, "mon,wed,fri": true, "fri-mon": true,
		"mon,funday": true, "foo-bar": true,
		"funday": false, "Europe/London": false, "UTC": false, "Asia/Kolkata": false,
		"America/Port-au-Prince": false, "Etc/GMT-5": false, "07:30": false, "mon,": true,
		"a,,b": false, "": false, "mon,3": false,
	} {
		t.Run(in, func(t *testing.T) {
			if got := LooksLikeWeekdays(in); got != want {
				t.Errorf("LooksLikeWeekdays(%q) = %v, want %v", in, got, want)
			}
		})
	}
}

func TestParseDelay(t *testing.T) {
	good := []struct {
		in   string
		want time.Duration
	}{
		{"45m", 45 * time.Minute},
		{"1m", time.Minute},
		{"2h", 2 * time.Hour},
		{"1h30m", 90 * time.Minute},
		{"90m", 90 * time.Minute},
		{"90min", 90 * time.Minute},
		{"2hr", 2 * time.Hour},
		{"3hrs15mins", 3*time.Hour + 15*time.Minute},
		{"1d", 24 * time.Hour},
		{"1D12H", 36 * time.Hour},
		{"7d", 7 * 24 * time.Hour},
		{"168h", 7 * 24 * time.Hour},
		{" 2h ", 2 * time.Hour},
	}
	for _, tc := range good {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseDelay(tc.in)
			if err != nil || got != tc.want {
				t.Errorf("ParseDelay(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
	const rangeMsg = "A reminder can be between 1 minute and 7 days away."
	bad := []struct{ in, msg string }{
		{"abc", `"abc" is not a delay. Use minutes, hours or days, like 45m, 2h or 1d.`},
		{"45", `"45" is not a delay. Use minutes, hours or days, like 45m, 2h or 1d.`},
		{"30s", `"30s" is not a delay. Use minutes, hours or days, like 45m, 2h or 1d.`},
		{"2 hours", `"2 hours" is not a delay. Use minutes, hours or days, like 45m, 2h or 1d.`},
		{"30m1h", `"30m1h" is not a delay. Use minutes, hours or days, like 45m, 2h or 1d.`},
		{"1h1h", `"1h1h" is not a delay. Use minutes, hours or days, like 45m, 2h or 1d.`},
		{"-5m", `"-5m" is not a delay. Use minutes, hours or days, like 45m, 2h or 1d.`},
		{"1.5h", `"1.5h" is not a delay. Use minutes, hours or days, like 45m, 2h or 1d.`},
		{"", `"" is not a delay. Use minutes, hours or days, like 45m, 2h or 1d.`},
		{"0m", rangeMsg},
		{"8d", rangeMsg},
		{"7d1m", rangeMsg},
		{"169h", rangeMsg},
		{"99999999999999999999m", rangeMsg},
	}
	for _, tc := range bad {
		t.Run("bad/"+tc.in, func(t *testing.T) {
			_, err := ParseDelay(tc.in)
			checkInvalid(t, err, tc.msg)
		})
	}
}

func TestFormatDelay(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{45 * time.Minute, "45 minutes"},
		{time.Minute, "1 minute"},
		{2 * time.Hour, "2 hours"},
		{90 * time.Minute, "1 hour 30 minutes"},
		{24 * time.Hour, "1 day"},
		{7 * 24 * time.Hour, "7 days"},
		{25*time.Hour + time.Minute, "1 day 1 hour 1 minute"},
		{2*time.Minute + 59*time.Second, "2 minutes"},
		{30 * time.Second, "less than a minute"},
		{-time.Hour, "less than a minute"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if got := FormatDelay(tc.d); got != tc.want {
				t.Errorf("FormatDelay(%v) = %q, want %q", tc.d, got, tc.want)
			}
		})
	}
}

func TestLoadZone(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Asia/Kolkata", "Asia/Kolkata"},
		{"America/New_York", "America/New_York"},
		{"UTC", "UTC"},
		{"asia/kolkata", "Asia/Kolkata"},
		{"america/new_york", "America/New_York"},
		{"AMERICA/NEW_YORK", "America/New_York"},
		{"europe/london", "Europe/London"},
		{"utc", "UTC"},
		{" Europe/London ", "Europe/London"},
		{"America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"},
		{"america/argentina/buenos_aires", "America/Argentina/Buenos_Aires"},
		{"America/Port-au-Prince", "America/Port-au-Prince"},
		{"Etc/GMT+5", "Etc/GMT+5"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			loc, err := LoadZone(tc.in)
			if err != nil {
				t.Fatalf("LoadZone(%q): %v", tc.in, err)
			}
			if loc.String() != tc.want {
				t.Errorf("LoadZone(%q) = %q, want %q", tc.in, loc.String(), tc.want)
			}
		})
	}
	for _, in := range []string{"Mars/Olympus", "Local", "local", "", "../etc/passwd", "Europe/../UTC", "/etc/localtime", "Europe/London\x00", "Europe London"} {
		t.Run(fmt.Sprintf("bad/%q", in), func(t *testing.T) {
			_, err := LoadZone(in)
			checkInvalid(t, err, fmt.Sprintf("I don't know the time zone %q. Use an IANA name such as Europe/London, America/New_York or Asia/Kolkata.", in))
		})
	}
	// Names that exist only where the system has its own tzdata: another
	// replica, or the distroless image, would not know them and would
	// fall back to UTC. Factory is in every tzdata but is no place.
	for _, in := range []string{"localtime", "posixrules", "Factory", "factory", "posix/Europe/London", "right/UTC", "posix/UTC", "right/America/New_York"} {
		t.Run(fmt.Sprintf("system only/%q", in), func(t *testing.T) {
			_, err := LoadZone(in)
			checkInvalid(t, err, fmt.Sprintf("I don't know the time zone %q. Use an IANA name such as Europe/London, America/New_York or Asia/Kolkata.", in))
		})
	}
	t.Run("message", func(t *testing.T) {
		_, err := LoadZone("Mars/Olympus")
		checkInvalid(t, err, `I don't know the time zone "Mars/Olympus". Use an IANA name such as Europe/London, America/New_York or Asia/Kolkata.`)
	})
}

func TestWallTime(t *testing.T) {
	type wall struct {
		y            int
		m            time.Month
		d, hour, min int
	}
	for _, tc := range []struct {
		name string
		zone string
		at   wall
		want time.Time
	}{
		// New York.
		{"NY plain EST", "America/New_York", wall{2026, 3, 7, 9, 0}, utc(2026, 3, 7, 14, 0)},
		{"NY plain EDT", "America/New_York", wall{2026, 3, 8, 9, 0}, utc(2026, 3, 8, 13, 0)},
		{"NY last minute before gap", "America/New_York", wall{2026, 3, 8, 1, 59}, utc(2026, 3, 8, 6, 59)},
		{"NY gap start", "America/New_York", wall{2026, 3, 8, 2, 0}, utc(2026, 3, 8, 7, 0)},
		{"NY gap 02:30", "America/New_York", wall{2026, 3, 8, 2, 30}, utc(2026, 3, 8, 7, 0)},
		{"NY gap 02:59", "America/New_York", wall{2026, 3, 8, 2, 59}, utc(2026, 3, 8, 7, 0)},
		{"NY 03:00 after gap", "America/New_York", wall{2026, 3, 8, 3, 0}, utc(2026, 3, 8, 7, 0)},
		{"NY before overlap", "America/New_York", wall{2026, 11, 1, 0, 59}, utc(2026, 11, 1, 4, 59)},
		{"NY ambiguous 01:00", "America/New_York", wall{2026, 11, 1, 1, 0}, utc(2026, 11, 1, 5, 0)},
		{"NY ambiguous 01:30", "America/New_York", wall{2026, 11, 1, 1, 30}, utc(2026, 11, 1, 5, 30)},
		{"NY ambiguous 01:59", "America/New_York", wall{2026, 11, 1, 1, 59}, utc(2026, 11, 1, 5, 59)},
		{"NY 02:00 after overlap", "America/New_York", wall{2026, 11, 1, 2, 0}, utc(2026, 11, 1, 7, 0)},
		{"NY plain EST after", "America/New_York", wall{2026, 11, 2, 9, 0}, utc(2026, 11, 2, 14, 0)},
		// London: time.Date picks the later (GMT) 01:30 on 2026-10-25.
		{"London plain GMT", "Europe/London", wall{2026, 3, 28, 9, 0}, utc(2026, 3, 28, 9, 0)},
		{"London plain BST", "Europe/London", wall{2026, 3, 29, 9, 0}, utc(2026, 3, 29, 8, 0)},
		{"London gap 01:30", "Europe/London", wall{2026, 3, 29, 1, 30}, utc(2026, 3, 29, 1, 0)},
		{"London ambiguous 01:30", "Europe/London", wall{2026, 10, 25, 1, 30}, utc(2026, 10, 25, 0, 30)},
		{"London after", "Europe/London", wall{2026, 10, 26, 9, 0}, utc(2026, 10, 26, 9, 0)},
		// Sydney: fall back in April, spring forward in October.
		{"Sydney plain AEDT", "Australia/Sydney", wall{2026, 4, 4, 9, 0}, utc(2026, 4, 3, 22, 0)},
		{"Sydney plain AEST", "Australia/Sydney", wall{2026, 4, 5, 9, 0}, utc(2026, 4, 4, 23, 0)},
		{"Sydney ambiguous 02:30", "Australia/Sydney", wall{2026, 4, 5, 2, 30}, utc(2026, 4, 4, 15, 30)},
		{"Sydney 03:00 after overlap", "Australia/Sydney", wall{2026, 4, 5, 3, 0}, utc(2026, 4, 4, 17, 0)},
		{"Sydney gap 02:30", "Australia/Sydney", wall{2026, 10, 4, 2, 30}, utc(2026, 10, 3, 16, 0)},
		{"Sydney plain AEST before", "Australia/Sydney", wall{2026, 10, 3, 9, 0}, utc(2026, 10, 2, 23, 0)},
		{"Sydney plain AEDT after", "Australia/Sydney", wall{2026, 10, 4, 9, 0}, utc(2026, 10, 3, 22, 0)},
		// Kolkata: no DST, half-hour offset.
		{"Kolkata", "Asia/Kolkata", wall{2026, 6, 15, 9, 0}, utc(2026, 6, 15, 3, 30)},
		{"Kolkata on US gap date", "Asia/Kolkata", wall{2026, 3, 8, 2, 30}, utc(2026, 3, 7, 21, 0)},
		{"Kolkata midnight", "Asia/Kolkata", wall{2026, 1, 1, 0, 0}, utc(2025, 12, 31, 18, 30)},
		// Lord Howe: 30-minute shifts.
		{"Lord Howe plain +11", "Australia/Lord_Howe", wall{2026, 4, 4, 9, 0}, utc(2026, 4, 3, 22, 0)},
		{"Lord Howe ambiguous 01:30", "Australia/Lord_Howe", wall{2026, 4, 5, 1, 30}, utc(2026, 4, 4, 14, 30)},
		{"Lord Howe ambiguous 01:45", "Australia/Lord_Howe", wall{2026, 4, 5, 1, 45}, utc(2026, 4, 4, 14, 45)},
		{"Lord Howe 02:00 after overlap", "Australia/Lord_Howe", wall{2026, 4, 5, 2, 0}, utc(2026, 4, 4, 15, 30)},
		{"Lord Howe plain +10:30", "Australia/Lord_Howe", wall{2026, 4, 5, 9, 0}, utc(2026, 4, 4, 22, 30)},
		{"Lord Howe gap 02:00", "Australia/Lord_Howe", wall{2026, 10, 4, 2, 0}, utc(2026, 10, 3, 15, 30)},
		{"Lord Howe gap 02:15", "Australia/Lord_Howe", wall{2026, 10, 4, 2, 15}, utc(2026, 10, 3, 15, 30)},
		{"Lord Howe 02:30 after gap", "Australia/Lord_Howe", wall{2026, 10, 4, 2, 30}, utc(2026, 10, 3, 15, 30)},
		{"Lord Howe plain +11 after", "Australia/Lord_Howe", wall{2026, 10, 4, 9, 0}, utc(2026, 10, 3, 22, 0)},
		// Samoa skipped 2011-12-30 entirely: its times fire at the start of Dec 31.
		{"Apia skipped day", "Pacific/Apia", wall{2011, 12, 30, 9, 0}, utc(2011, 12, 30, 10, 0)},
		{"Apia day after", "Pacific/Apia", wall{2011, 12, 31, 9, 0}, utc(2011, 12, 30, 19, 0)},
		// Normalisation, as time.Date.
		{"UTC day 32", "UTC", wall{2026, 1, 32, 9, 0}, utc(2026, 2, 1, 9, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loc := mustZone(t, tc.zone)
			got := WallTime(tc.at.y, tc.at.m, tc.at.d, tc.at.hour, tc.at.min, loc)
			if !got.Equal(tc.want) {
				t.Errorf("WallTime(%v, %s) = %s (%s), want %s", tc.at, tc.zone, got.UTC().Format(time.DateTime), got, tc.want.Format(time.DateTime))
			}
			if got.Location() != loc {
				t.Errorf("WallTime location = %v, want %v", got.Location(), loc)
			}
		})
	}
}

func TestNextDaily(t *testing.T) {
	const (
		mon = 1 << time.Monday
		wed = 1 << time.Wednesday
		fri = 1 << time.Friday
	)
	for _, tc := range []struct {
		name         string
		zone         string
		after        time.Time
		hour, minute int
		days         Weekdays
		want         time.Time
	}{
		// Wall clock kept across DST changes.
		{"NY 09:00 across spring forward", "America/New_York", utc(2026, 3, 7, 14, 0), 9, 0, EveryDay, utc(2026, 3, 8, 13, 0)},
		{"NY 09:00 day after spring forward", "America/New_York", utc(2026, 3, 8, 13, 0), 9, 0, EveryDay, utc(2026, 3, 9, 13, 0)},
		{"NY 09:00 across fall back", "America/New_York", utc(2026, 10, 31, 13, 0), 9, 0, EveryDay, utc(2026, 11, 1, 14, 0)},
		{"London 09:00 across spring forward", "Europe/London", utc(2026, 3, 28, 9, 0), 9, 0, EveryDay, utc(2026, 3, 29, 8, 0)},
		{"London 09:00 across fall back", "Europe/London", utc(2026, 10, 24, 8, 0), 9, 0, EveryDay, utc(2026, 10, 25, 9, 0)},
		{"Sydney 09:00 across fall back", "Australia/Sydney", utc(2026, 4, 3, 22, 0), 9, 0, EveryDay, utc(2026, 4, 4, 23, 0)},
		{"Sydney 09:00 across spring forward", "Australia/Sydney", utc(2026, 10, 2, 23, 0), 9, 0, EveryDay, utc(2026, 10, 3, 22, 0)},
		{"Lord Howe 09:00 across spring forward", "Australia/Lord_Howe", utc(2026, 10, 2, 22, 30), 9, 0, EveryDay, utc(2026, 10, 3, 22, 0)},
		{"Lord Howe 09:00 across fall back", "Australia/Lord_Howe", utc(2026, 4, 3, 22, 0), 9, 0, EveryDay, utc(2026, 4, 4, 22, 30)},

		// A time in the gap fires at the transition, then normally the next day.
		{"NY gap 02:30", "America/New_York", utc(2026, 3, 7, 12, 0), 2, 30, EveryDay, utc(2026, 3, 8, 7, 0)},
		{"NY after gap firing", "America/New_York", utc(2026, 3, 8, 7, 0), 2, 30, EveryDay, utc(2026, 3, 9, 6, 30)},
		{"London gap 01:30", "Europe/London", utc(2026, 3, 28, 12, 0), 1, 30, EveryDay, utc(2026, 3, 29, 1, 0)},
		{"Sydney gap 02:30", "Australia/Sydney", utc(2026, 10, 3, 0, 0), 2, 30, EveryDay, utc(2026, 10, 3, 16, 0)},
		{"Sydney after gap firing", "Australia/Sydney", utc(2026, 10, 3, 16, 0), 2, 30, EveryDay, utc(2026, 10, 4, 15, 30)},
		{"Lord Howe gap 02:15", "Australia/Lord_Howe", utc(2026, 10, 3, 0, 0), 2, 15, EveryDay, utc(2026, 10, 3, 15, 30)},

		// An ambiguous time fires once, at the earlier instant.
		{"NY ambiguous first", "America/New_York", utc(2026, 10, 31, 12, 0), 1, 30, EveryDay, utc(2026, 11, 1, 5, 30)},
		{"NY ambiguous just before", "America/New_York", utc(2026, 11, 1, 5, 29), 1, 30, EveryDay, utc(2026, 11, 1, 5, 30)},
		{"NY ambiguous after earlier", "America/New_York", utc(2026, 11, 1, 5, 30), 1, 30, EveryDay, utc(2026, 11, 2, 6, 30)},
		{"NY ambiguous between", "America/New_York", utc(2026, 11, 1, 6, 0), 1, 30, EveryDay, utc(2026, 11, 2, 6, 30)},
		{"NY ambiguous after later", "America/New_York", utc(2026, 11, 1, 6, 30), 1, 30, EveryDay, utc(2026, 11, 2, 6, 30)},
		{"London ambiguous first", "Europe/London", utc(2026, 10, 24, 12, 0), 1, 30, EveryDay, utc(2026, 10, 25, 0, 30)},
		{"London ambiguous after earlier", "Europe/London", utc(2026, 10, 25, 0, 30), 1, 30, EveryDay, utc(2026, 10, 26, 1, 30)},
		{"Sydney ambiguous first", "Australia/Sydney", utc(2026, 4, 4, 0, 0), 2, 30, EveryDay, utc(2026, 4, 4, 15, 30)},
		{"Sydney ambiguous after earlier", "Australia/Sydney", utc(2026, 4, 4, 15, 30), 2, 30, EveryDay, utc(2026, 4, 5, 16, 30)},
		{"Lord Howe ambiguous first", "Australia/Lord_Howe", utc(2026, 4, 4, 0, 0), 1, 45, EveryDay, utc(2026, 4, 4, 14, 45)},
		{"Lord Howe ambiguous after earlier", "Australia/Lord_Howe", utc(2026, 4, 4, 14, 45), 1, 45, EveryDay, utc(2026, 4, 5, 15, 15)},

		// after exactly at an occurrence gives the next one; a minute before gives it.
		{"Kolkata exactly at", "Asia/Kolkata", utc(2026, 6, 15, 3, 30), 9, 0, EveryDay, utc(2026, 6, 16, 3, 30)},
		{"Kolkata just before", "Asia/Kolkata", utc(2026, 6, 15, 3, 29), 9, 0, EveryDay, utc(2026, 6, 15, 3, 30)},
		{"Kolkata later same day", "Asia/Kolkata", utc(2026, 6, 15, 3, 30), 21, 45, EveryDay, utc(2026, 6, 15, 16, 15)},

		// Weekday filters, on the local date.
		{"NY weekdays from Friday evening", "America/New_York", utc(2026, 3, 7, 0, 0), 9, 0, WorkDays, utc(2026, 3, 9, 13, 0)},
		{"Kolkata weekdays from Friday evening", "Asia/Kolkata", utc(2026, 6, 12, 14, 30), 9, 0, WorkDays, utc(2026, 6, 15, 3, 30)},
		{"Kolkata weekends from Monday", "Asia/Kolkata", utc(2026, 6, 15, 3, 30), 9, 0, Weekend, utc(2026, 6, 20, 3, 30)},
		{"Kolkata mon,wed,fri from Wednesday's", "Asia/Kolkata", utc(2026, 6, 17, 3, 30), 9, 0, mon | wed | fri, utc(2026, 6, 19, 3, 30)},
		{"Kolkata Monday only from Monday's", "Asia/Kolkata", utc(2026, 6, 15, 3, 30), 9, 0, mon, utc(2026, 6, 22, 3, 30)},
		// Sydney's Monday 09:00 is Sunday in UTC.
		{"Sydney weekdays local Monday", "Australia/Sydney", utc(2026, 6, 12, 9, 0), 9, 0, WorkDays, utc(2026, 6, 14, 23, 0)},
		{"no days means every day", "Asia/Kolkata", utc(2026, 6, 12, 14, 30), 9, 0, 0, utc(2026, 6, 13, 3, 30)},

		// Month and year rollovers.
		{"NY month rollover", "America/New_York", utc(2026, 1, 31, 15, 0), 9, 0, EveryDay, utc(2026, 2, 1, 14, 0)},
		{"London February rollover", "Europe/London", utc(2026, 2, 28, 10, 0), 9, 0, EveryDay, utc(2026, 3, 1, 9, 0)},
		{"Kolkata year rollover", "Asia/Kolkata", utc(2026, 12, 31, 4, 0), 9, 0, EveryDay, utc(2027, 1, 1, 3, 30)},
		{"Sydney year rollover on UTC Dec 31", "Australia/Sydney", utc(2026, 12, 31, 0, 0), 9, 0, EveryDay, utc(2026, 12, 31, 22, 0)},
		{"NY late evening rolls to next UTC day", "America/New_York", utc(2026, 12, 31, 12, 0), 23, 30, EveryDay, utc(2027, 1, 1, 4, 30)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loc := mustZone(t, tc.zone)
			got := NextDaily(tc.after, tc.hour, tc.minute, loc, tc.days)
			if !got.Equal(tc.want) {
				t.Errorf("NextDaily(%s, %s, %s, %s) = %s (%s), want %s",
					tc.after.Format(time.DateTime), FormatClock(tc.hour, tc.minute), tc.zone, tc.days,
					got.Format(time.DateTime), got.In(loc), tc.want.Format(time.DateTime))
			}
			if got.Location() != time.UTC {
				t.Errorf("NextDaily location = %v, want UTC", got.Location())
			}
		})
	}
	t.Run("after in another zone", func(t *testing.T) {
		after := time.Date(2026, 3, 6, 19, 0, 0, 0, mustZone(t, "America/New_York")) // Friday evening
		got := NextDaily(after, 9, 0, mustZone(t, "Asia/Kolkata"), WorkDays)
		// Friday 19:00 EST is Saturday 05:30 IST; the next weekday 09:00 IST is Monday's.
		if want := utc(2026, 3, 9, 3, 30); !got.Equal(want) {
			t.Errorf("got %s, want %s", got, want)
		}
	})
}

var scheduleZones = []string{"America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata", "Australia/Lord_Howe"}

// TestNextDailyKeepsWallClockAllYear: from every local midnight of 2026, the
// next 09:00 is 09:00 on that same local date.
func TestNextDailyKeepsWallClockAllYear(t *testing.T) {
	for _, zone := range scheduleZones {
		t.Run(zone, func(t *testing.T) {
			loc := mustZone(t, zone)
			for i := 0; i < 365; i++ {
				midnight := time.Date(2026, 1, 1+i, 0, 0, 0, 0, loc)
				got := NextDaily(midnight, 9, 0, loc, EveryDay).In(loc)
				y, m, d := midnight.Date()
				gy, gm, gd := got.Date()
				if gy != y || gm != m || gd != d || got.Hour() != 9 || got.Minute() != 0 || got.Second() != 0 {
					t.Errorf("from %s: got %s, want 09:00 that day", midnight, got)
				}
			}
		})
	}
}

// TestNextDailyFiresOncePerDay chains NextDaily through 2026 for times that
// fall into a gap or an overlap in some of the zones: every local date gets
// exactly one firing, at the requested wall time or, in a gap, at the
// transition that ends it.
func TestNextDailyFiresOncePerDay(t *testing.T) {
	for _, zone := range scheduleZones {
		for _, hm := range [][2]int{{0, 0}, {1, 30}, {1, 45}, {2, 0}, {2, 30}, {9, 0}, {23, 59}} {
			t.Run(fmt.Sprintf("%s/%s", zone, FormatClock(hm[0], hm[1])), func(t *testing.T) {
				loc := mustZone(t, zone)
				at := time.Date(2025, 12, 31, 23, 59, 30, 0, loc) // after every time of Dec 31
				for i := 0; i < 365; i++ {
					next := NextDaily(at, hm[0], hm[1], loc, EveryDay)
					if !next.After(at) {
						t.Fatalf("NextDaily(%s) = %s, not after", at, next)
					}
					local := next.In(loc)
					wy, wm, wd := time.Date(2026, 1, 1+i, 0, 0, 0, 0, time.UTC).Date()
					if y, m, d := local.Date(); y != wy || m != wm || d != wd {
						t.Fatalf("firing %d at %s, want on %d-%02d-%02d", i, local, wy, wm, wd)
					}
					if local.Hour() != hm[0] || local.Minute() != hm[1] {
						// Only a gap may move it, and then to the transition instant.
						if start, _ := local.ZoneBounds(); !start.Equal(next) {
							t.Fatalf("firing %d at %s: wrong wall clock and not a transition", i, local)
						}
					}
					at = next
				}
			})
		}
	}
}
