package bot

import (
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

// User is everything the bot keeps about one user apart from reminders.
type User struct {
	ID     UserID
	Done   []string // ids of the roadmap steps the user finished, in roadmap order
	Streak Streak   // daily study check-ins
	Zone   string   // the IANA zone the user chose for reminders; "" when none
	Notice string   // a message to show with the user's next reply, then clear
	// DMChannel is the platform's id of the bot's direct-message channel
	// with the user, cached by the adapter so that a reminder costs one
	// platform call instead of two. Any replica may reuse it.
	DMChannel string
	Created   time.Time // when the record was first written
	Updated   time.Time // when it was last written
}

// IsZero reports whether u holds no data: an unknown user.
func (u User) IsZero() bool {
	return len(u.Done) == 0 && u.Streak == (Streak{}) && u.Zone == "" && u.Notice == "" && u.DMChannel == "" && u.Created.IsZero()
}

// Streak counts the days on which the user checked in.
type Streak struct {
	Last    string // the last local date checked in, YYYY-MM-DD; "" when never
	Current int    // consecutive days up to Last
	Best    int    // the longest run ever
	Days    int    // days checked in, in total
}
