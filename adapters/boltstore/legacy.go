package boltstore

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/coachbot/coachbot/bot"
)

// This file reads layout version 1, written by the releases before the
// one-record codec (up to eef6856), and nothing else: it migrates such a
// file once, at Open, and is never used to write. The JSON shapes are
// copied from that release's records.go so that what is on users' disks
// keeps decoding even as bot.User changes.

// The buckets of layout 1. Its "schedule" has the name of layout 2's but a
// different value format, so migration drops it before making the new one.
var (
	v1Users        = []byte("users")
	v1Reminders    = []byte("reminders")
	v1Schedule     = []byte("schedule")
	v1Markers      = []byte("markers")
	v1MarkerExpiry = []byte("marker_expiry")
)

type v1User struct {
	ID      string    `json:"id"`
	Done    []string  `json:"done,omitempty"`
	Streak  v1Streak  `json:"streak"`
	Zone    string    `json:"zone,omitempty"`
	Notice  string    `json:"notice,omitempty"`
	DM      string    `json:"dm_channel,omitempty"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

type v1Streak struct {
	Last    string `json:"last,omitempty"`
	Current int    `json:"current,omitempty"`
	Best    int    `json:"best,omitempty"`
	Days    int    `json:"days,omitempty"`
}

// v1Reminder is a reminder with the state that fenced its claims: Token
// and LeaseMS while claimed, and where it was entered in the schedule
// (SchedMS: its due time, a retry time, or the lease deadline).
type v1Reminder struct {
	User     string    `json:"user"`
	Kind     string    `json:"kind"`
	At       string    `json:"at,omitempty"`
	Zone     string    `json:"zone,omitempty"`
	Days     uint8     `json:"days,omitempty"`
	Next     time.Time `json:"next"`
	Paused   string    `json:"paused,omitempty"`
	Attempts int       `json:"attempts,omitempty"`
	Created  time.Time `json:"created"`

	Token     string `json:"token,omitempty"`
	LeaseMS   int64  `json:"lease_until_ms,omitempty"`
	Scheduled bool   `json:"scheduled,omitempty"`
	SchedMS   int64  `json:"sched_ms,omitempty"`
}

// lease is a claim that was outstanding when a layout 1 file was migrated.
// Its holder may be a process that stopped mid-delivery, so the claim is
// kept until its deadline, as layout 1 would have, rather than handed out
// again at once.
type lease struct {
	untilMS int64
	token   string
}

// migrated is one user as layout 1 held them, in the new record.
type migrated struct {
	user   bot.User
	leases map[bot.ReminderKind]lease
}

// migrateV1 rewrites a layout 1 file as layout 2 inside tx, so a crash
// leaves either the old file or the new one. Nothing of the old is dropped
// but the occurrence markers that had expired by now (layout 1 ignored
// those too) and the sub-millisecond part of times, which the record codec
// does not keep for any store.
func migrateV1(tx *bolt.Tx, now time.Time) error {
	users, err := readV1(tx, millis(now))
	if err != nil {
		return fmt.Errorf("migrate layout 1: %w", err)
	}
	for _, name := range [][]byte{v1Users, v1Reminders, v1Schedule, v1Markers, v1MarkerExpiry} {
		if tx.Bucket(name) == nil {
			continue
		}
		if err := tx.DeleteBucket(name); err != nil {
			return fmt.Errorf("migrate layout 1: drop bucket %s: %w", name, err)
		}
	}
	b, err := createLayout(tx)
	if err != nil {
		return err
	}
	for _, m := range users {
		if err := b.writeMigrated(m); err != nil {
			return fmt.Errorf("migrate layout 1: user %s: %w", bot.HashUser(m.user.ID), err)
		}
	}
	return tx.Bucket(bucketMeta).Put(keyVersion, []byte(layoutVersion))
}

// readV1 gathers every user of a layout 1 file: the user records, and the
// reminders, also of ids that have no user record (layout 1 could hold a
// reminder of a user it had never written).
func readV1(tx *bolt.Tx, nowMS int64) ([]*migrated, error) {
	byID := map[bot.UserID]*migrated{}
	var order []*migrated
	get := func(id bot.UserID) *migrated {
		m, ok := byID[id]
		if !ok {
			m = &migrated{user: bot.User{ID: id}, leases: map[bot.ReminderKind]lease{}}
			byID[id] = m
			order = append(order, m)
		}
		return m
	}
	err := forEach(tx, v1Users, func(k, v []byte) error {
		var d v1User
		if err := json.Unmarshal(v, &d); err != nil {
			return fmt.Errorf("user record of %s: %w", bot.HashUser(bot.UserID(k)), err)
		}
		m := get(bot.UserID(k))
		m.user.Done, m.user.Streak = d.Done, bot.Streak(d.Streak)
		m.user.Zone, m.user.Notice, m.user.DMChannel = d.Zone, d.Notice, d.DM
		m.user.Created, m.user.Updated = d.Created.UTC(), d.Updated.UTC()
		return nil
	})
	if err != nil {
		return nil, err
	}
	sent := v1Sent(tx, nowMS)
	err = forEach(tx, v1Reminders, func(k, v []byte) error {
		id, kind, ok := splitMember(k)
		if !ok {
			return fmt.Errorf("reminder key %s names no user and kind", bot.HashUser(bot.UserID(k)))
		}
		var d v1Reminder
		if err := json.Unmarshal(v, &d); err != nil {
			return fmt.Errorf("reminder record %s: %w", bot.HashUser(bot.UserID(k)), err)
		}
		r := bot.Reminder{
			Kind: kind, At: d.At, Zone: d.Zone, Days: bot.Weekdays(d.Days), Next: d.Next.UTC(),
			Paused: d.Paused, Created: d.Created.UTC(), Attempts: d.Attempts,
		}
		m := get(id)
		switch {
		case d.Token != "":
			m.leases[kind] = lease{untilMS: d.LeaseMS, token: d.Token}
		case d.Scheduled && d.SchedMS != millis(r.Next):
			// Retry kept Next, the occurrence, and entered the reminder
			// at the retry time: that is RetryAt now.
			r.RetryAt = time.UnixMilli(d.SchedMS).UTC()
		}
		r.Sent = sent.of(string(k), millis(r.Next))
		m.user.SetReminder(r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, m := range order {
		if err := m.user.Validate(); err != nil {
			return nil, fmt.Errorf("user %s: %w", bot.HashUser(m.user.ID), err)
		}
	}
	return order, nil
}

// v1Marks maps a reminder key to the due times (ms) of its occurrences
// that were acked and whose marker had not expired.
type v1Marks map[string][]int64

// v1Sent reads the occurrence markers still alive at nowMS.
func v1Sent(tx *bolt.Tx, nowMS int64) v1Marks {
	marks := v1Marks{}
	_ = forEach(tx, v1Markers, func(k, v []byte) error {
		if len(k) <= 8 || len(v) != 8 || keyTime(v) <= nowMS {
			return nil
		}
		rk := string(k[:len(k)-8])
		marks[rk] = append(marks[rk], int64(binary.BigEndian.Uint64(k[len(k)-8:])))
		return nil
	})
	return marks
}

// of returns what Reminder.Sent becomes: the reminder's next occurrence if
// it was acked, so that its reclaim reports Delivered as layout 1 did;
// otherwise the latest acked one, which is what Ack writes since; zero when
// none was.
func (m v1Marks) of(rk string, nextMS int64) time.Time {
	var latest int64 = -1
	for _, due := range m[rk] {
		if due == nextMS {
			latest = due
			break
		}
		latest = max(latest, due)
	}
	if latest < 0 {
		return time.Time{}
	}
	return time.UnixMilli(latest).UTC()
}

// writeMigrated writes a migrated user's record and enters its reminders in
// the index: at their slot, or at the deadline of a lease still out.
func (b buckets) writeMigrated(m *migrated) error {
	data := bot.EncodeUser(m.user)
	if err := b.records.Put([]byte(m.user.ID), data); err != nil {
		return err
	}
	for _, s := range bot.Schedule(m.user) {
		mem := member(m.user.ID, s.Kind)
		if l, ok := m.leases[s.Kind]; ok {
			if err := b.enter(mem, l.untilMS, l.token); err != nil {
				return err
			}
			continue
		}
		if err := b.enter(mem, millis(s.At), ""); err != nil {
			return err
		}
	}
	return nil
}

// forEach is Bucket.ForEach for a bucket that may be missing.
func forEach(tx *bolt.Tx, name []byte, fn func(k, v []byte) error) error {
	bk := tx.Bucket(name)
	if bk == nil {
		return nil
	}
	return bk.ForEach(func(k, v []byte) error {
		if v == nil {
			return nil // a nested bucket: layout 1 had none
		}
		return fn(bytes.Clone(k), v)
	})
}
