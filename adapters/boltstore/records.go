package boltstore

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/coachbot/coachbot/bot"
)

// The records below are the file format. They are kept apart from the bot
// types, with explicit JSON names, so that renaming a field in bot cannot
// silently drop data that is already on users' disks.

type userDoc struct {
	ID      string    `json:"id"`
	Done    []string  `json:"done,omitempty"`
	Streak  streakDoc `json:"streak"`
	Zone    string    `json:"zone,omitempty"`
	Notice  string    `json:"notice,omitempty"`
	DM      string    `json:"dm_channel,omitempty"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

type streakDoc struct {
	Last    string `json:"last,omitempty"`
	Current int    `json:"current,omitempty"`
	Best    int    `json:"best,omitempty"`
	Days    int    `json:"days,omitempty"`
}

func encodeUser(u bot.User) ([]byte, error) {
	return json.Marshal(userDoc{
		ID:      string(u.ID),
		Done:    u.Done,
		Streak:  streakDoc(u.Streak),
		Zone:    u.Zone,
		Notice:  u.Notice,
		DM:      u.DMChannel,
		Created: u.Created.UTC(),
		Updated: u.Updated.UTC(),
	})
}

func decodeUser(v []byte) (bot.User, error) {
	var d userDoc
	if err := json.Unmarshal(v, &d); err != nil {
		return bot.User{}, fmt.Errorf("decode user record: %w", err)
	}
	return bot.User{
		ID:        bot.UserID(d.ID),
		Done:      d.Done,
		Streak:    bot.Streak(d.Streak),
		Zone:      d.Zone,
		Notice:    d.Notice,
		DMChannel: d.DM,
		Created:   d.Created,
		Updated:   d.Updated,
	}, nil
}

// reminderDoc is a reminder together with the state that fences its claims.
// Sched says where the reminder is entered in the schedule index, so that
// every change can remove exactly that entry and no stale entry can fire.
type reminderDoc struct {
	User     string    `json:"user"`
	Kind     string    `json:"kind"`
	At       string    `json:"at,omitempty"`
	Zone     string    `json:"zone,omitempty"`
	Days     uint8     `json:"days,omitempty"`
	Next     time.Time `json:"next"`
	Paused   string    `json:"paused,omitempty"`
	Attempts int       `json:"attempts,omitempty"`
	Created  time.Time `json:"created"`

	Token     string `json:"token,omitempty"`          // the holder of the current lease; "" when unclaimed
	LeaseMS   int64  `json:"lease_until_ms,omitempty"` // the lease deadline while Token is set
	Scheduled bool   `json:"scheduled,omitempty"`      // entered in the schedule index at SchedMS
	SchedMS   int64  `json:"sched_ms,omitempty"`
}

func newReminderDoc(r bot.Reminder) reminderDoc {
	return reminderDoc{
		User:     string(r.User),
		Kind:     string(r.Kind),
		At:       r.At,
		Zone:     r.Zone,
		Days:     uint8(r.Days),
		Next:     r.Next.UTC(),
		Paused:   r.Paused,
		Attempts: r.Attempts,
		Created:  r.Created.UTC(),
	}
}

func (d reminderDoc) reminder() bot.Reminder {
	return bot.Reminder{
		User:     bot.UserID(d.User),
		Kind:     bot.ReminderKind(d.Kind),
		At:       d.At,
		Zone:     d.Zone,
		Days:     bot.Weekdays(d.Days),
		Next:     d.Next,
		Paused:   d.Paused,
		Attempts: d.Attempts,
		Created:  d.Created,
	}
}

func decodeReminder(v []byte) (reminderDoc, error) {
	var d reminderDoc
	if err := json.Unmarshal(v, &d); err != nil {
		return reminderDoc{}, fmt.Errorf("decode reminder record: %w", err)
	}
	return d, nil
}

// userPrefix ends in "\x00" so that it selects one user's keys and never
// those of a user whose id merely starts the same way.
func userPrefix(id bot.UserID) []byte {
	return append([]byte(id), 0)
}

func reminderKey(id bot.UserID, kind bot.ReminderKind) []byte {
	return append(userPrefix(id), kind...)
}

// timeKey puts the time first so that byte order is time order.
func timeKey(ms int64, rest []byte) []byte {
	k := make([]byte, 8, 8+len(rest))
	binary.BigEndian.PutUint64(k, uint64(ms))
	return append(k, rest...)
}

func keyTime(k []byte) int64 {
	return int64(binary.BigEndian.Uint64(k[:8]))
}

func markerKey(rk []byte, dueMS int64) []byte {
	k := make([]byte, 0, len(rk)+8)
	k = append(k, rk...)
	return binary.BigEndian.AppendUint64(k, uint64(dueMS))
}

func msBytes(ms int64) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(ms))
}

// millis clamps times before 1970 to 0: negative values would sort after
// every real time in big-endian keys and never come due.
func millis(t time.Time) int64 {
	return max(t.UnixMilli(), 0)
}
