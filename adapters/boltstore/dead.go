package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/coachbot/coachbot/bot"
)

const (
	// deadKept is how many dead letters the file keeps, the newest: enough
	// for an operator to see what went wrong, without growing forever.
	deadKept = 1000
	// maxDeadReason bounds the reason a dead letter keeps, in bytes.
	maxDeadReason = 200
)

// DeadEntry is an occurrence the scheduler gave up on, as DeadLettered
// reads it back: the same for every store.
type DeadEntry = bot.DeadEntry

// DeadLetter implements bot.DeadLetters. Entries are keyed by the bucket's
// sequence, so key order is age and dropping the oldest is a short scan
// from the first key. A user forgotten while the claim was out gets no
// entry: Forget promised nothing about them is kept.
func (s *Store) DeadLetter(ctx context.Context, c bot.Claim, reason string) error {
	if err := c.Validate(); err != nil {
		return err
	}
	r := c.Reminder
	return s.update(ctx, "dead letter", func(tx *bolt.Tx) error {
		b, err := bucketsOf(tx)
		if err != nil {
			return err
		}
		if b.records.Get([]byte(r.User)) == nil {
			return nil
		}
		seq, err := b.dead.NextSequence()
		if err != nil {
			return err
		}
		if err := b.dead.Put(seqKey(seq), deadValue(r.User, r.Kind, c.Due, r.Attempts, reason)); err != nil {
			return err
		}
		if seq <= deadKept {
			return nil
		}
		var old [][]byte
		cur := b.dead.Cursor()
		for k, _ := cur.First(); k != nil && uint64(keyTime(k)) <= seq-deadKept; k, _ = cur.Next() {
			old = append(old, bytes.Clone(k))
		}
		for _, k := range old {
			if err := b.dead.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeadLettered returns the dead letters kept, newest first, for operators
// and tests.
func (s *Store) DeadLettered(ctx context.Context) ([]DeadEntry, error) {
	return s.deadLetters(ctx, nil)
}

// DeadLettersOf implements bot.DeadLetters: the user's entries, newest
// first. The bucket holds at most deadKept entries, so a full scan is
// cheap, and export is rare.
func (s *Store) DeadLettersOf(ctx context.Context, id bot.UserID) ([]DeadEntry, error) {
	if err := id.Validate(); err != nil {
		return nil, err
	}
	return s.deadLetters(ctx, userPrefix(id))
}

// deadLetters reads the dead letters whose value starts with prefix (all
// of them for nil), newest first.
func (s *Store) deadLetters(ctx context.Context, prefix []byte) ([]DeadEntry, error) {
	var out []DeadEntry
	err := s.view(ctx, "read dead letters", func(tx *bolt.Tx) error {
		b, err := bucketsOf(tx)
		if err != nil {
			return err
		}
		cur := b.dead.Cursor()
		for k, v := cur.Last(); k != nil; k, v = cur.Prev() {
			if !bytes.HasPrefix(v, prefix) {
				continue
			}
			d, err := decodeDead(k, v)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// forgetDead deletes the user's dead letters. The bucket holds at most
// deadKept entries, so a full scan is cheap, and Forget is rare.
func (b buckets) forgetDead(id bot.UserID) error {
	prefix := userPrefix(id)
	var mine [][]byte
	err := b.dead.ForEach(func(k, v []byte) error {
		if bytes.HasPrefix(v, prefix) {
			mine = append(mine, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range mine {
		if err := b.dead.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// deadValue encodes a dead letter as
// "<user id>\x00<kind>\x00<due ms>\x00<attempts>\x00<reason>". It starts
// with the index member, so Forget finds the user's by the same prefix.
func deadValue(id bot.UserID, kind bot.ReminderKind, due time.Time, attempts int, reason string) []byte {
	if len(reason) > maxDeadReason {
		n := maxDeadReason
		for n > 0 && !utf8.RuneStart(reason[n]) {
			n--
		}
		reason = reason[:n]
	}
	v := member(id, kind)
	v = append(v, 0)
	v = strconv.AppendInt(v, millis(due), 10)
	v = append(v, 0)
	v = strconv.AppendInt(v, int64(attempts), 10)
	v = append(v, 0)
	return append(v, reason...)
}

func decodeDead(k, v []byte) (DeadEntry, error) {
	seq := keyTime(k) // the key is the 8-byte sequence
	f := bytes.SplitN(v, []byte{0}, 5)
	if len(f) != 5 {
		return DeadEntry{}, fmt.Errorf("dead letter %d: want 5 fields", seq)
	}
	ms, err := strconv.ParseInt(string(f[2]), 10, 64)
	if err != nil {
		return DeadEntry{}, fmt.Errorf("dead letter %d: due: %w", seq, err)
	}
	attempts, err := strconv.Atoi(string(f[3]))
	if err != nil {
		return DeadEntry{}, fmt.Errorf("dead letter %d: attempts: %w", seq, err)
	}
	return DeadEntry{
		User: bot.UserID(f[0]), Kind: bot.ReminderKind(f[1]), Due: time.UnixMilli(ms).UTC(),
		Attempts: attempts, Reason: string(f[4]),
	}, nil
}
