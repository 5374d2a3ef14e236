package boltstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/coachbot/coachbot/bot"
)

// buckets are the layout's buckets within one transaction.
type buckets struct {
	records, schedule, slots, dead *bolt.Bucket
}

func bucketsOf(tx *bolt.Tx) (buckets, error) {
	b := buckets{
		records:  tx.Bucket(bucketRecords),
		schedule: tx.Bucket(bucketSchedule),
		slots:    tx.Bucket(bucketSlots),
		dead:     tx.Bucket(bucketDead),
	}
	if b.records == nil || b.schedule == nil || b.slots == nil || b.dead == nil {
		return buckets{}, errors.New("a bucket of the layout is missing")
	}
	return b, nil
}

// read returns the user's record and its bytes (nil when there is none).
// The bytes are bbolt's and valid only until the transaction writes.
func (b buckets) read(id bot.UserID) (bot.User, []byte, error) {
	data := b.records.Get([]byte(id))
	u, err := bot.DecodeUser(id, data)
	if err != nil {
		return bot.User{}, nil, bot.WrapError(bot.Internal, fmt.Errorf("record of %s: %w", bot.HashUser(id), err), "")
	}
	return u, data, nil
}

// write stores u's record and moves its index entries as bot.Reindex says
// for the change from old, so record and index never disagree.
func (b buckets) write(old, u bot.User, released bot.ReminderKind) ([]byte, error) {
	data := bot.EncodeUser(u)
	if err := b.records.Put([]byte(u.ID), data); err != nil {
		return nil, err
	}
	leave, enter := bot.Reindex(old, u, released)
	for _, k := range leave {
		if err := b.leave(member(u.ID, k)); err != nil {
			return nil, err
		}
	}
	for _, s := range enter {
		if err := b.enter(member(u.ID, s.Kind), millis(s.At), ""); err != nil {
			return nil, err
		}
	}
	return data, nil
}

// enter puts the reminder m in the schedule at ms, waiting (token "") or
// leased, replacing its entry if it has one: slots is what keeps each
// reminder to exactly one entry.
func (b buckets) enter(m []byte, ms int64, token string) error {
	if err := b.leave(m); err != nil {
		return err
	}
	k := timeKey(ms, m)
	if err := b.schedule.Put(k, []byte(token)); err != nil {
		return err
	}
	return b.slots.Put(m, k)
}

// leave takes the reminder m out of the schedule, and with it any lease.
func (b buckets) leave(m []byte) error {
	k := b.slots.Get(m)
	if k == nil {
		return nil
	}
	if err := b.schedule.Delete(bytes.Clone(k)); err != nil {
		return err
	}
	return b.slots.Delete(m)
}

// held reports whether token holds the lease on reminder m at nowMS. A lease
// that ran out is lost even if nobody claimed the reminder since: its holder
// cannot know whether another is sending it.
func (b buckets) held(m []byte, token string, nowMS int64) bool {
	k := b.slots.Get(m)
	return token != "" && k != nil && keyTime(k) > nowMS && string(b.schedule.Get(k)) == token
}

// dueKeys copies up to n schedule keys due by nowMS, earliest first. They
// are copied because bbolt's slices die when the caller rewrites the bucket.
func dueKeys(tx *bolt.Tx, nowMS int64, n int) [][]byte {
	var keys [][]byte
	c := tx.Bucket(bucketSchedule).Cursor()
	for k, _ := c.First(); k != nil && len(keys) < n; k, _ = c.Next() {
		if keyTime(k) > nowMS {
			break
		}
		keys = append(keys, bytes.Clone(k))
	}
	return keys
}

// keysWithPrefix copies the keys of bk that start with prefix.
func keysWithPrefix(bk *bolt.Bucket, prefix []byte) [][]byte {
	var keys [][]byte
	c := bk.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	return keys
}

// userPrefix ends in NUL, which no id contains, so that it selects one
// user's members and never those of an id that merely starts the same way
// ("slack:T1:U1" and "slack:T1:U10").
func userPrefix(id bot.UserID) []byte {
	return append([]byte(id), 0)
}

// member names a user's reminder of one kind in the index.
func member(id bot.UserID, kind bot.ReminderKind) []byte {
	return append(userPrefix(id), kind...)
}

func splitMember(m []byte) (bot.UserID, bot.ReminderKind, bool) {
	id, kind, ok := bytes.Cut(m, []byte{0})
	if !ok || len(id) == 0 || len(kind) == 0 {
		return "", "", false
	}
	return bot.UserID(id), bot.ReminderKind(kind), true
}

// timeKey puts the time first, big-endian, so that byte order is time
// order and a cursor from the first key visits the earliest first.
func timeKey(ms int64, m []byte) []byte {
	k := make([]byte, 8, 8+len(m))
	binary.BigEndian.PutUint64(k, uint64(ms))
	return append(k, m...)
}

func keyTime(k []byte) int64 {
	if len(k) < 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(k[:8]))
}

// millis clamps times before 1970 to 0: negative values would sort after
// every real time in big-endian keys and never come due.
func millis(t time.Time) int64 {
	return max(t.UnixMilli(), 0)
}
