package boltstore

import (
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/coachbot/coachbot/bot"
)

// BenchmarkBaselineUpdate is the floor the store's writes stand on: one bare
// bbolt write transaction with a small Put, which is dominated by the fsync
// of the commit. Report the other benchmarks as ratios to it.
func BenchmarkBaselineUpdate(b *testing.B) {
	s := openTemp(b)
	value := make([]byte, 200)
	for b.Loop() {
		err := s.db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(bucketMeta).Put([]byte("bench"), value)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUpdateUser(b *testing.B) {
	s := openTemp(b)
	ctx := b.Context()
	id := bot.SlackUser("T1", "U1")
	for b.Loop() {
		_, err := s.UpdateUser(ctx, id, func(u *bot.User) error {
			u.Streak.Days++
			u.Done = []string{"internet", "os-basics", "git"}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClaimAck is one delivery's store work: claim one due reminder and
// ack it with its next occurrence, which is kept in the past (each a
// millisecond later) so that every iteration finds it due again.
func BenchmarkClaimAck(b *testing.B) {
	s := openTemp(b)
	ctx := b.Context()
	r := bot.Reminder{
		User: bot.DiscordUser("1"), Kind: bot.Daily, At: "09:00", Zone: "Asia/Kolkata",
		Days: bot.WorkDays, Next: time.Now().Add(-24 * time.Hour), Created: time.Now(),
	}
	if err := s.PutReminder(ctx, r); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		cs, err := s.ClaimDue(ctx, 1, time.Minute)
		if err != nil || len(cs) != 1 {
			b.Fatalf("ClaimDue = %v, %v", cs, err)
		}
		next := cs[0].Reminder
		next.Next = next.Next.Add(time.Millisecond)
		if err := s.Ack(ctx, cs[0], &next); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClaimDueIdle is the scheduler's poll when nothing is due, the
// common case: it must not pay for a write commit.
func BenchmarkClaimDueIdle(b *testing.B) {
	s := openTemp(b)
	ctx := b.Context()
	r := bot.Reminder{User: bot.DiscordUser("1"), Kind: bot.Daily, Next: time.Now().Add(time.Hour)}
	if err := s.PutReminder(ctx, r); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if cs, err := s.ClaimDue(ctx, 10, time.Minute); err != nil || len(cs) != 0 {
			b.Fatalf("ClaimDue = %v, %v", cs, err)
		}
	}
}
