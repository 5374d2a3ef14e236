package bot

import (
	"slices"
	"strings"
	"time"
)

// UserID names one person on one platform: "discord:<user id>",
// "slack:<team id>:<user id>" or "console:<name>". The same person on two
// platforms is two users: platforms do not share identities.
type UserID string

// DiscordUser returns the UserID of a Discord user.
func DiscordUser(id string) UserID { return UserID("discord:" + id) }

// SlackUser returns the UserID of a user in a Slack workspace (team).
func SlackUser(team, user string) UserID { return UserID("slack:" + team + ":" + user) }

// ConsoleUser returns the UserID of a console user.
func ConsoleUser(name string) UserID { return UserID("console:" + name) }

// Platform returns the part of the id before the first colon: "discord",
// "slack" or "console". Messengers are chosen by it.
func (u UserID) Platform() string {
	p, _, _ := strings.Cut(string(u), ":")
	return p
}

// User is everything the bot keeps about one user: one record, encoded by
// EncodeUser and kept by a Store as opaque bytes. A new field is one line
// here with the next free `rec` number (see record.go); every store, the
// conformance suite and the codec's tests pick it up from that line.
type User struct {
	ID     UserID   `rec:"-"` // the key the record is stored under
	Done   []string `rec:"1"` // ids of the roadmap steps the user finished, in roadmap order
	Streak Streak   `rec:"2"` // daily study check-ins
	Zone   string   `rec:"3"` // the IANA zone the user chose; "" when none
	Notice string   `rec:"4"` // a message to show with the user's next reply, then clear
	// DMChannel is the platform's id of the bot's direct-message channel
	// with the user, cached by the adapter so that a reminder costs one
	// platform call instead of two. Any replica may reuse it.
	DMChannel string `rec:"5"`
	// Reminders are the user's reminders, at most one of each kind, ordered
	// by kind. Stores index them for ClaimDue from Schedule, in the same
	// atomic step that writes the record.
	Reminders []Reminder `rec:"6"`
	Created   time.Time  `rec:"7"` // when the record was first written
	Updated   time.Time  `rec:"8"` // when it was last written
	// TipsShown counts the tips handed out to the user. With the user's
	// own shuffle of the tips (tipOrder) it says which comes next, so no
	// tip repeats until every one has been shown: one number, not a list.
	TipsShown int `rec:"9"`
	// Topics holds the state of every topic the user marked, keyed by the
	// topic's num (content.Topic.Num): a topic not here is not started,
	// unless its step is in Done. Each mark packs the state and the local
	// day it was set.
	Topics map[TopicNum]TopicMark `rec:"10"`
	// Checkins are the days the user logged study, kept for
	// maxCheckinDays.
	Checkins CheckinLog `rec:"11"`
	Plan     Plan       `rec:"12"` // the study plan; zero when none
	// Cards are the FSRS states of the quiz questions the user answered,
	// by question (CardKey).
	Cards map[CardKey]QuizCard `rec:"13"`
}

// Checkin is one local day's logged study, as CheckinLog.List reads it.
type Checkin struct {
	Day     Day
	Minutes int    // 0 when the user gave none
	Note    string // at most MaxNoteLength characters
}

// CheckinLog is the check-ins in columns, which keeps a year of them small
// (DESIGN §9: 30 check-ins and the rest of a user in 512 bytes of Redis):
// a bit a day, a number a day checked in, and the notes by day. A list of
// Checkin values would take six bytes a day; this takes one or two.
type CheckinLog struct {
	First Day    `rec:"1"` // the day of the first bit of Days
	Days  []byte `rec:"2"` // bit i (byte i/8, low bit first): checked in on First+i
	// Minutes holds the minutes of each day checked in, in order; empty
	// when no day has any.
	Minutes []uint16       `rec:"3"`
	Notes   map[Day]string `rec:"4"` // the notes, by day
}

// Plan is the user's study plan: hours a week, from a day on.
type Plan struct {
	Hours   int       `rec:"1"` // hours a week, 1-60; 0: no plan
	Started time.Time `rec:"2"`
	// Left is the study hours the roadmap had left when the plan started:
	// hours finished since, against the hours the plan asked for, say
	// whether the user is on track.
	Left int `rec:"3"`
}

// IsZero reports whether u holds no data: an unknown user.
func (u User) IsZero() bool {
	return len(EncodeUser(u)) == len(EncodeUser(User{}))
}

// Streak counts the days on which the user checked in.
type Streak struct {
	Last    string `rec:"1"` // the last local date checked in, YYYY-MM-DD; "" when never
	Current int    `rec:"2"` // consecutive days up to Last
	Best    int    `rec:"3"` // the longest run ever
	Days    int    `rec:"4"` // days checked in, in total
}

// Reminder is a scheduled study reminder, part of its user's record.
type Reminder struct {
	User    UserID       `rec:"-"` // its user, set when the record is read
	Kind    ReminderKind `rec:"1"`
	At      string       `rec:"2"` // local time of day "HH:MM" (Daily)
	Zone    string       `rec:"3"` // IANA zone of At (Daily); the zone shown for Once
	Days    Weekdays     `rec:"4"` // the days a Daily reminder fires on
	Next    time.Time    `rec:"5"` // the next occurrence, in UTC
	Paused  string       `rec:"6"` // non-empty: not scheduled, and why (user-safe)
	Created time.Time    `rec:"7"`

	// Delivery state, written by the scheduler through Store.Settle.
	Attempts int       `rec:"8"`  // failed deliveries of the occurrence Next
	RetryAt  time.Time `rec:"9"`  // after a failed attempt: when to try Next again
	Sent     time.Time `rec:"10"` // the last occurrence delivered, so a reclaim of it is not sent twice
}

// ClaimAt returns when the reminder may next be claimed: the retry time
// after a failed attempt, else Next; zero when it is paused.
func (r Reminder) ClaimAt() time.Time {
	switch {
	case r.Paused != "":
		return time.Time{}
	case !r.RetryAt.IsZero():
		return r.RetryAt
	}
	return r.Next
}

// Reminder returns the user's reminder of the kind.
func (u *User) Reminder(kind ReminderKind) (Reminder, bool) {
	i := slices.IndexFunc(u.Reminders, func(r Reminder) bool { return r.Kind == kind })
	if i < 0 {
		return Reminder{}, false
	}
	return u.Reminders[i], true
}

// SetReminder adds r, replacing the user's reminder of its kind.
func (u *User) SetReminder(r Reminder) {
	r.User = u.ID
	u.DeleteReminder(r.Kind)
	u.Reminders = append(u.Reminders, r)
	slices.SortFunc(u.Reminders, func(a, b Reminder) int { return strings.Compare(string(a.Kind), string(b.Kind)) })
}

// DeleteReminder removes the user's reminder of the kind, if any.
func (u *User) DeleteReminder(kind ReminderKind) {
	u.Reminders = slices.DeleteFunc(slices.Clone(u.Reminders), func(r Reminder) bool { return r.Kind == kind })
	if len(u.Reminders) == 0 {
		u.Reminders = nil
	}
}
